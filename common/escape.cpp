#include "common/escape.hpp"

#include <cstdio>

namespace reznet::common {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr char32_t kInvalid = 0xFFFFFFFF;

// The length of the valid UTF-8 sequence at s[i] and its code point; {1, kInvalid} for a byte
// that starts none (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t Decode(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char b0 = b(0);
  cp = kInvalid;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  if (i + len > s.size()) return 1;
  if (b(1) < lo || b(1) > hi) return 1;
  for (std::size_t k = 2; k < len; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 1;
  }
  char32_t v = b0 & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < len; ++k) v = (v << 6) | (b(k) & 0x3F);
  cp = v;
  return len;
}

bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// Calls f(code point, its bytes) for each character; an invalid byte comes as kInvalid.
template <class F>
void ForEachChar(std::string_view s, F f) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp;
    const std::size_t len = Decode(s, i, cp);
    f(cp, s.substr(i, len));
    i += len;
  }
}

std::string Hex(const char* format, unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// MarkdownText of one character, appended to `out`.
void MarkdownChar(char32_t cp, std::string_view bytes, std::string& out) {
  switch (cp) {
    case '|':
    case '\\':
    case '[':
    case ']':
    case '`':
      out += '\\';
      out += static_cast<char>(cp);
      return;
    case '<':
      out += "&lt;";
      return;
    case '>':
      out += "&gt;";
      return;
    case '&':
      out += "&amp;";
      return;
    case '\n':
    case '\r':
    case '\t':
      out += ' ';
      return;
    default:
      if (cp == kInvalid || IsControl(cp))
        out += kReplacement;
      else
        out += bytes;
  }
}

bool ShowsVerbatimInCode(char32_t cp) {
  if (cp == kInvalid || IsControl(cp)) return false;
  if (cp >= 0x80) return true;
  if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return true;
  return std::string_view(" .-_:/+@=,#~!?%^*()'\"").find(static_cast<char>(cp)) !=
         std::string_view::npos;
}

}  // namespace

std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  ForEachChar(s, [&](char32_t cp, std::string_view bytes) {
    out += cp == kInvalid ? kReplacement : bytes;
  });
  return out;
}

std::string MarkdownText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  ForEachChar(s, [&](char32_t cp, std::string_view bytes) { MarkdownChar(cp, bytes, out); });
  return out;
}

std::string MarkdownCode(std::string_view s) {
  bool verbatim = !s.empty() && s.front() != ' ' && s.back() != ' ';
  ForEachChar(
      s, [&](char32_t cp, std::string_view) { verbatim = verbatim && ShowsVerbatimInCode(cp); });
  return verbatim ? "`" + std::string(s) + "`" : MarkdownText(s);
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  ForEachChar(s, [&](char32_t cp, std::string_view bytes) {
    switch (cp) {
      case '&':
        out += "&amp;";
        return;
      case '<':
        out += "&lt;";
        return;
      case '>':
        out += "&gt;";
        return;
      case '"':
        out += "&quot;";
        return;
      case '\'':
        out += "&#39;";
        return;
      case '\t':
      case '\n':
      case '\r':
        out += Hex("&#%u;", static_cast<unsigned>(cp));
        return;
      default:
        if (cp == kInvalid || IsControl(cp) || cp == 0xFFFE || cp == 0xFFFF)
          out += kReplacement;
        else
          out += bytes;
    }
  });
  return out;
}

std::string CsvField(std::string_view s) {
  std::string out = "\"";
  if (!s.empty() && std::string_view("=+-@").find(s.front()) != std::string_view::npos) out += '\'';
  ForEachChar(s, [&](char32_t cp, std::string_view bytes) {
    if (cp == '"')
      out += "\"\"";
    else if (cp == '\n' || cp == '\r' || cp == '\t')
      out += ' ';
    else if (cp == kInvalid || IsControl(cp))
      out += kReplacement;
    else
      out += bytes;
  });
  return out + "\"";
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    const bool unreserved = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                            (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved)
      out += static_cast<char>(c);
    else
      out += Hex("%%%02X", c);
  }
  return out;
}

std::string LogText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  ForEachChar(s, [&](char32_t cp, std::string_view bytes) {
    if (cp == '\n')
      out += "\\n";
    else if (cp == '\r')
      out += "\\r";
    else if (cp == '\t')
      out += "\\t";
    else if (cp == kInvalid || cp < 0x20 || cp == 0x7F)
      out += Hex("\\x%02X", static_cast<unsigned char>(bytes.front()));
    else if (IsControl(cp) || cp == 0x2028 || cp == 0x2029)
      out += Hex("\\u%04X", static_cast<unsigned>(cp));
    else
      out += bytes;
  });
  return out;
}

std::size_t FindControlCharacter(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp;
    const std::size_t len = Decode(s, i, cp);
    if (cp == kInvalid || IsControl(cp)) return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace reznet::common
