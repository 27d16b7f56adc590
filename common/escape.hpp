#pragma once
// The one way each output format escapes text that users wrote (run labels, probe and NFR names,
// error details): every writer of Markdown, XML/HTML, CSV, URLs and log lines goes through here.
//
// Common to all: the input is read as UTF-8; a byte that is not part of a valid UTF-8 sequence
// (overlong forms and surrogates included) counts as U+FFFD. "Control characters" are C0
// (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F). All functions are pure and thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace reznet::common {

// `s` as valid UTF-8: every invalid byte replaced by U+FFFD, the rest unchanged.
std::string ValidUtf8(std::string_view s);

// Markdown inline text, safe anywhere after the start of a line, table cells included (GitHub
// flavour): `|` and `\` `[` `]` and backticks are backslash-escaped (no cell split, no link,
// image or code span), `<` `>` `&` become entities (GitHub renders raw HTML), CR, LF and TAB
// become spaces (a row stays one line) and other control characters U+FFFD.
std::string MarkdownText(std::string_view s);
// A Markdown code span of `s` when `s` can be shown verbatim in one (letters, digits, non-ASCII
// text and `.-_:/+@=,#~!?%^*()'"`); otherwise MarkdownText(s), which shows the same characters.
std::string MarkdownCode(std::string_view s);

// XML 1.0 text and attribute values (and HTML, which is escaped the same way): `& < > " '`
// become references; TAB, LF and CR become character references (kept intact even inside an
// attribute value); every other character XML 1.0 forbids (C0 controls, U+FFFE, U+FFFF) and
// the C1 controls become U+FFFD, since no reference to them is well-formed XML 1.0.
std::string XmlEscape(std::string_view s);
inline std::string HtmlEscape(std::string_view s) { return XmlEscape(s); }

// One CSV field (RFC 4180): always quoted, `"` doubled; CR, LF and TAB become spaces (one row
// per line for line-based tools) and other control characters U+FFFD; a field starting with
// `=`, `+`, `-` or `@` gets a leading `'` so a spreadsheet shows it as text instead of running
// it as a formula (OWASP "CSV injection").
std::string CsvField(std::string_view s);

// A URL path segment or query value: every byte but the unreserved ones (RFC 3986:
// A-Z a-z 0-9 - . _ ~) percent-encoded.
std::string UrlEncode(std::string_view s);

// Text for a text-format log line, which must stay one line: `\n` `\r` `\t` written as those
// two-character escapes, other control characters and invalid bytes as `\xNN` (C1: `\u0085`),
// and U+2028/U+2029 (line breaks to some viewers) as `\u2028`/`\u2029`.
std::string LogText(std::string_view s);

// The byte offset of the first control character or invalid UTF-8 byte in `s`, npos when none
// (for refusing such input with a clear error).
std::size_t FindControlCharacter(std::string_view s);

}  // namespace reznet::common
