#include "probes/load/http1_head.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace reznet::probes::load {
namespace {

constexpr std::size_t kMaxHead = 64 * 1024;

// ASCII only (header names and tokens are ASCII): std::tolower's locale lookup per character was
// the engine's costliest libc call per plain-HTTP request (perf).
constexpr char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }

// `b` is lower case.
bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != b[i]) return false;
  }
  return true;
}

bool IContains(std::string_view hay, std::string_view needle_lower) {
  if (needle_lower.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle_lower.size() <= hay.size(); ++i) {
    if (IEquals(hay.substr(i, needle_lower.size()), needle_lower)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The first "\r\n" in [p, end): a pointer to its '\r', or nullptr.
const char* FindCrlf(const char* p, const char* end) {
  while (p < end) {
    const auto* nl =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (nl == nullptr) return nullptr;
    if (nl > p && nl[-1] == '\r') return nl - 1;
    p = nl + 1;
  }
  return nullptr;
}

// A header name looked for in every response, compared 8 bytes at a time in any case: a line's
// bytes are OR-ed with 0x20 where the name has a letter ('A'-'Z' read as 'a'-'z', and no other
// byte becomes a lower-case letter that way) and compared as they are where it has '-'. Three
// chunks, at 0, 8 and the last 8 bytes (overlapping for names shorter than 24).
struct Name {
  std::size_t size;
  std::size_t at[3];
  std::uint64_t word[3] = {}, mask[3] = {};
  consteval explicit Name(std::string_view n)
      : size(n.size()), at{0, n.size() < 16 ? n.size() - 8 : 8, n.size() - 8} {
    for (int c = 0; c < 3; ++c) {
      for (int b = 0; b < 8; ++b) {
        const char ch = n[at[c] + b];
        const int shift = std::endian::native == std::endian::little ? 8 * b : 8 * (7 - b);
        word[c] |= std::uint64_t{static_cast<unsigned char>(ch)} << shift;
        mask[c] |= std::uint64_t{ch >= 'a' && ch <= 'z' ? 0x20u : 0u} << shift;
      }
    }
  }
};
constexpr Name kContentLength("content-length");
constexpr Name kConnection("connection");
constexpr Name kTransferEncoding("transfer-encoding");

constexpr Name kKeepAlive("keep-alive");

// Whether [p, p + name.size) is `name`, in any case.
bool Is(const char* p, const Name& name) {
  for (int c = 0; c < 3; ++c) {
    std::uint64_t w;
    std::memcpy(&w, p + name.at[c], sizeof w);
    if ((w | name.mask[c]) != name.word[c]) return false;
  }
  return true;
}

// The value of header line [line, line + size) when its name is `name` (the colon right after).
bool HeaderValue(const char* line, std::size_t size, const Name& name, std::string_view& value) {
  if (size <= name.size || line[name.size] != ':' || !Is(line, name)) return false;
  value = Trim(std::string_view(line + name.size + 1, size - name.size - 1));
  return true;
}

// The status code's three bytes as a number (std::from_chars' reading of them: an optional '-',
// then digits); false when they are not one.
bool StatusCode(std::string_view s, long long& out) {
  const bool negative = !s.empty() && s[0] == '-';
  std::size_t i = negative ? 1 : 0;
  const std::size_t first = i;
  long long n = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) n = n * 10 + (s[i] - '0');
  if (i != s.size() || i == first) return false;
  out = negative ? -n : n;
  return true;
}

constexpr const char* kBadLength = "bad Content-Length";
constexpr const char* kConflictingLength = "conflicting Content-Length values";

// A Content-Length value (RFC 9110 §8.6: 1*DIGIT). A list of identical values ("12, 12", what a
// proxy may make of repeated fields) is that value, as the RFC lets a recipient accept; values
// that differ ("5, 6") are a framing conflict. nullptr when good, else what is wrong.
const char* ContentLength(std::string_view value, long long& out) {
  long long first = -1;
  for (;;) {
    const std::size_t comma = value.find(',');
    const std::string_view item = Trim(value.substr(0, comma));
    long long n = 0;
    if (item.empty()) return kBadLength;
    for (const char c : item) {
      if (c < '0' || c > '9' || __builtin_mul_overflow(n, 10, &n) ||
          __builtin_add_overflow(n, c - '0', &n))
        return kBadLength;
    }
    if (first >= 0 && n != first) return kConflictingLength;
    first = n;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  out = first;
  return nullptr;
}

// The last transfer coding of a Transfer-Encoding value ("gzip, chunked" -> "chunked").
std::string_view FinalCoding(std::string_view value) {
  const std::size_t comma = value.rfind(',');
  return Trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
}

// What a head's header lines say about the framing (RFC 9112 §6), gathered line by line and
// judged once the head is whole and its status line good.
struct Framing {
  bool http10 = false;
  bool close = false;
  bool chunked = false;  // the final transfer coding is chunked
  bool transfer_encoding = false;
  bool has_length = false;  // a Content-Length field, good or not
  long long content_length = -1;
  const char* length_error = nullptr;

  void Line(const char* line, std::size_t size) {
    const char first = Lower(line[0]);
    std::string_view value;
    if (first != 'c' && first != 't') return;
    if (HeaderValue(line, size, kContentLength, value)) {
      has_length = true;
      long long n = -1;
      if (length_error != nullptr) return;
      length_error = ContentLength(value, n);
      if (length_error == nullptr && content_length >= 0 && n != content_length)
        length_error = kConflictingLength;  // RFC 9112 §6.3 item 5: never pick one
      if (length_error == nullptr) content_length = n;
    } else if (HeaderValue(line, size, kConnection, value)) {
      if (value.size() == kKeepAlive.size && Is(value.data(), kKeepAlive)) {  // nginx's
        if (http10) close = false;
      } else {
        if (IContains(value, "close")) close = true;
        if (http10 && IContains(value, "keep-alive")) close = false;
      }
    } else if (HeaderValue(line, size, kTransferEncoding, value)) {
      // Repeated fields make one list: the last line's last coding is the final one.
      transfer_encoding = true;
      chunked = IEquals(FinalCoding(value), "chunked");
    }
  }

  // The framing error of a head (RFC 9112 §6.1, §6.3), or nullptr.
  const char* Error() const {
    // Item 3: Transfer-Encoding overrides Content-Length, but a response with both "ought to be
    // handled as an error" (request smuggling, response splitting): the safe route, taken here.
    if (transfer_encoding && has_length) return "both Transfer-Encoding and Content-Length";
    // §6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is faulty.
    if (transfer_encoding && http10) return "Transfer-Encoding in an HTTP/1.0 response";
    return length_error;
  }
};

// The status line "HTTP/1.x NNN ...": its status, or false with `h` bad.
bool StatusLine(std::string_view line, Head& h) {
  // RFC 9112 §4: HTTP-version SP 3DIGIT SP [reason]; the space after the code is often left out
  // when there is no reason, so the line may end there.
  if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ' ||
      (line.size() > 12 && line[12] != ' ')) {
    h.bad = true;
    h.why = "not an HTTP/1.x response";
    return false;
  }
  long long status = 0;
  if (!StatusCode(line.substr(9, 3), status)) {
    h.bad = true;
    h.why = "not an HTTP/1.x response (no 3-digit status)";
    return false;
  }
  h.status = static_cast<int>(status);
  // RFC 9110 §15: status codes are 100–599; "HTTP/1.1 999" is a broken server, not a 5xx.
  if (h.status < 100 || h.status > 599) {
    h.bad = true;
    h.why = "status code outside 100–599";
    return false;
  }
  return true;
}

}  // namespace

// One pass over the head, a line at a time (found with memchr); a header's name is compared only
// when the line could carry one of the three that matter (by its first letter and the colon
// after the name), 8 bytes at a time. Every response head goes through here: the earlier
// version searched the head three times over (the end, each line, each colon) and compared
// every name a byte at a time, 1,400 instructions of a plain request's 5,100 in user space; this
// one takes about 750 for nginx's head (callgrind).
Head ParseHead(std::string_view bytes) {
  Head h;
  const char* const begin = bytes.data();
  const char* const end = begin + bytes.size();
  const auto incomplete = [&] {
    h.bad = bytes.size() > kMaxHead;
    h.why = "response head longer than 64 KiB";
    return h;
  };
  const char* eol = FindCrlf(begin, end);
  if (eol == nullptr) return incomplete();
  const std::string_view status_line(begin, static_cast<std::size_t>(eol - begin));
  // What the headers say, kept apart until the head is complete and its status line good (a head
  // judged incomplete or bad reports none of it, as the head is read as a whole).
  Framing f;
  f.http10 = status_line.starts_with("HTTP/1.0");
  f.close = f.http10;
  for (const char* line = eol + 2;; line = eol + 2) {
    eol = FindCrlf(line, end);
    if (eol == nullptr) return incomplete();
    if (eol == line) break;  // the empty line that ends the head
    f.Line(line, static_cast<std::size_t>(eol - line));
  }
  h.size = static_cast<std::size_t>(eol + 2 - begin);
  h.complete = true;
  if (!StatusLine(status_line, h)) return h;
  if (const char* why = f.Error()) {
    h.bad = true;
    h.why = why;
    h.status = 0;  // only a bad status is named in the error
    return h;
  }
  h.close = f.close;
  h.chunked = f.chunked;
  h.content_length = f.content_length;
  // A Transfer-Encoding whose final coding is not chunked: the body ends at the close (§6.3 item
  // 4).
  if (f.transfer_encoding && !f.chunked) h.close = true;
  // 1xx, 204 and 304 carry no body.
  if (h.status < 200 || h.status == 204 || h.status == 304) {
    h.content_length = 0;
    h.chunked = false;
  }
  return h;
}

}  // namespace reznet::probes::load
