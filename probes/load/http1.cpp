#include "probes/load/http1.hpp"

#include <algorithm>
#include <bit>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "probes/load/transport.hpp"

namespace reznet::probes::load {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t kInitialBuffer = 4 * 1024;  // grows for larger responses
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

// A TLS record header (handshake or alert, version 3.x): what a TLS server sends to plain HTTP.
bool LooksLikeTls(std::string_view b) {
  return b.size() >= 2 && (b[0] == '\x15' || b[0] == '\x16') && b[1] == '\x03';
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

// A decimal number at the start of `s` as std::from_chars reads one into a long long (an optional
// '-', then the digits up to the first other byte): the bytes it took, 0 when there is no number
// or it overflows.
std::size_t Decimal(std::string_view s, long long& out) {
  const bool negative = !s.empty() && s[0] == '-';
  std::size_t i = negative ? 1 : 0;
  const std::size_t first = i;
  long long n = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const int digit = s[i] - '0';
    if (__builtin_mul_overflow(n, 10, &n) ||
        (negative ? __builtin_sub_overflow(n, digit, &n) : __builtin_add_overflow(n, digit, &n)))
      return 0;
  }
  if (i == first) return 0;
  out = n;
  return i;
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
  const bool http10 = status_line.starts_with("HTTP/1.0");
  // What the headers say, kept apart until the head is complete and its status line good (a head
  // judged incomplete or bad reports none of it, as the head is read as a whole).
  bool close = http10;
  bool chunked = false;
  long long content_length = -1;
  bool bad_length = false;  // judged after the status line
  for (const char* line = eol + 2;; line = eol + 2) {
    eol = FindCrlf(line, end);
    if (eol == nullptr) return incomplete();
    if (eol == line) break;  // the empty line that ends the head
    const auto size = static_cast<std::size_t>(eol - line);
    const char first = Lower(line[0]);
    std::string_view value;
    if (bad_length || (first != 'c' && first != 't')) continue;
    if (HeaderValue(line, size, kContentLength, value)) {
      long long n = -1;
      bad_length = Decimal(value, n) == 0 || n < 0;
      if (!bad_length) content_length = n;
    } else if (HeaderValue(line, size, kConnection, value)) {
      if (value.size() == kKeepAlive.size && Is(value.data(), kKeepAlive)) {  // nginx's
        if (http10) close = false;
      } else {
        if (IContains(value, "close")) close = true;
        if (http10 && IContains(value, "keep-alive")) close = false;
      }
    } else if (HeaderValue(line, size, kTransferEncoding, value)) {
      chunked = IContains(value, "chunked");
    }
  }
  h.size = static_cast<std::size_t>(eol + 2 - begin);
  h.complete = true;
  // "HTTP/1.1 200 OK"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
    h.bad = true;
    h.why = "not an HTTP/1.x response";
    return h;
  }
  long long status = 0;
  if (Decimal(status_line.substr(9, 3), status) != 3) {
    h.bad = true;
    h.why = "not an HTTP/1.x response (no 3-digit status)";
    return h;
  }
  h.status = static_cast<int>(status);
  // RFC 9110 §15: status codes are 100–599; "HTTP/1.1 999" is a broken server, not a 5xx.
  if (h.status < 100 || h.status > 599) {
    h.bad = true;
    h.why = "status code outside 100–599";
    return h;
  }
  if (bad_length) {
    h.bad = true;
    h.why = "bad Content-Length";
    h.status = 0;  // only a bad status is named in the error
    return h;
  }
  h.close = close;
  h.chunked = chunked;
  h.content_length = content_length;
  // 1xx, 204 and 304 carry no body.
  if (h.status < 200 || h.status == 204 || h.status == 304) {
    h.content_length = 0;
    h.chunked = false;
  }
  return h;
}

template <class T>
Http1Conn<T>::Http1Conn(asio::io_context& io, typename T::Setup& setup,
                        std::vector<tcp::endpoint> endpoints, ConnOptions options)
    : transport_(io, setup),
      endpoints_(std::move(endpoints)),
      options_(options),
      buf_(kInitialBuffer) {}

template <class T>
void Http1Conn<T>::Close(bool clean) {
  transport_.Close(clean);
  begin_ = end_ = 0;
}

template <class T>
void Http1Conn<T>::Expire(std::chrono::steady_clock::time_point now, bool force) {
  if (busy_ && (force || now > deadline_)) {
    expired_ = true;
    transport_.Abort();
  }
}

template <class T>
void Http1Conn<T>::MakeRoom() {
  if (begin_ > 0 && begin_ == end_) begin_ = end_ = 0;
  if (end_ == buf_.size()) {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      buf_.resize(std::max(buf_.size() * 2, kInitialBuffer));  // 0: released by Idle()
    }
  }
}

template <class T>
asio::awaitable<boost::system::error_code> Http1Conn<T>::Fill() {
  auto [ec, n] = co_await ReadMore();
  end_ += n;
  co_return ec;
}

template <class T>
void Http1Conn<T>::Idle() {
  transport_.Idle();
  if (begin_ == end_) {
    std::vector<char>().swap(buf_);
    begin_ = end_ = 0;
  }
}

template <class T>
void Http1Conn<T>::Fail(Response& out, const char* kind, std::string detail) {
  out.error = expired_ ? "timeout" : kind;
  out.detail = expired_ ? "no response within the request timeout" : std::move(detail);
  Close(false);
}

template <class T>
void Http1Conn<T>::Take(std::size_t n, bool want_body, Response& out) {
  if (want_body) out.body.append(buf_.data() + begin_, n);
  begin_ += n;
}

template <class T>
asio::awaitable<void> Http1Conn<T>::Exchange(std::string_view request, bool want_body,
                                             Response& out) {
  out = Response{};
  busy_ = true;
  expired_ = false;
  struct Done {
    bool& busy;
    ~Done() { busy = false; }
  } done{busy_};
  Head head;
  if (!co_await SendAndReadHead(request, out, head)) co_return;
  if (head.bad) {
    Fail(out, "protocol",
         head.status ? std::string(head.why) + ": " + std::to_string(head.status) : head.why);
    co_return;
  }
  begin_ += head.size;
  out.status = head.status;
  bool ok = false;
  if (head.chunked) {
    ok = co_await ReadChunked(want_body, out);
  } else if (head.content_length >= 0) {
    const auto length = static_cast<std::size_t>(head.content_length);
    // The common case, a whole small body already buffered, without another coroutine frame.
    if (TooLong(length, out)) co_return;
    if (length <= end_ - begin_) {
      Take(length, want_body, out);
      ok = true;
    } else {
      ok = co_await ReadLength(length, want_body, out);
    }
  } else {
    ok = co_await ReadToClose(want_body, out);
    head.close = true;
  }
  if (ok && (head.close || !options_.keep_alive)) Close(true);
}

template <class T>
bool Http1Conn<T>::TooLong(std::size_t body_bytes, Response& out) {
  if (body_bytes <= options_.max_body_bytes) return false;
  Fail(out, "body_too_large",
       "response body exceeds max_body_bytes (" + std::to_string(options_.max_body_bytes) +
           " bytes)");
  return true;
}

template <class T>
asio::awaitable<bool> Http1Conn<T>::Buffered(Response& out, const char* reading) {
  if (begin_ < end_) co_return true;
  const auto ec = co_await Fill();
  if (ec) Fail(out, "io", reading + ec.message());
  co_return !ec;
}

template <class T>
asio::awaitable<bool> Http1Conn<T>::ReadLength(std::size_t left, bool want_body, Response& out) {
  while (left > 0) {
    if (begin_ == end_ && !co_await Buffered(out, "reading the body: ")) co_return false;
    const std::size_t n = std::min(left, end_ - begin_);
    Take(n, want_body, out);
    left -= n;
  }
  co_return true;
}

// A body without Content-Length or chunking ends only at a clean close (EOF): a reset is an
// I/O error and the watchdog's close at the deadline a timeout, never the end of the body.
template <class T>
asio::awaitable<bool> Http1Conn<T>::ReadToClose(bool want_body, Response& out) {
  std::size_t total = 0;
  for (;;) {
    total += end_ - begin_;
    if (TooLong(total, out)) co_return false;
    Take(end_ - begin_, want_body, out);
    const auto ec = co_await Fill();
    if (ec == asio::error::eof) co_return true;
    if (ec) {
      Fail(out, "io", "reading a body delimited by the close: " + ec.message());
      co_return false;
    }
  }
}

template <class T>
asio::awaitable<bool> Http1Conn<T>::SendAndReadHead(std::string_view request, Response& out,
                                                    Head& head) {
  // A kept-alive connection the server closed while idle fails on first use with no byte of a
  // response: that is retried once on a fresh connection, as browsers do.
  for (int attempt = 0;; ++attempt) {
    if (!transport_.is_open()) {
      out.reconnected = true;
      if (auto failed = co_await transport_.Open(endpoints_, out); failed.kind) {
        // A handshake cut by the deadline is still a TLS failure: the server did not speak TLS.
        const bool tls = std::string_view(failed.kind) == "tls";
        Fail(out, failed.kind, std::move(failed.detail));
        if (expired_ && tls) {
          out.error = "tls";
          out.detail = "no TLS handshake within the request timeout";
        }
        co_return false;
      }
    }
    // Asked after the write or read failed, not before: a failure the watchdog caused (the
    // request's deadline passed while it was written or awaited) is a timeout, never retried.
    const bool first_try = !out.reconnected && attempt == 0;
    const auto may_retry = [&] { return first_try && !expired_; };
    // A request nearly always fits the socket buffer: sent without suspending.
    boost::system::error_code ec;
    const std::size_t sent = transport_.WriteNow(request, ec);
    if (!ec && sent < request.size()) ec = co_await transport_.Write(request.substr(sent));
    if (ec && may_retry()) {
      Close(false);
      continue;
    }
    if (ec) {
      Fail(out, "io", "write: " + ec.message());
      co_return false;
    }
    bool retry = false;
    for (;;) {
      head = ParseHead(std::string_view(buf_.data() + begin_, end_ - begin_));
      if (head.complete || head.bad) co_return true;
      const bool nothing_yet = begin_ == end_;
      // The read every response waits for: awaited here, not through Fill (a frame fewer).
      auto [read_ec, n] = co_await ReadMore();
      end_ += n;
      if (read_ec) {
        retry = nothing_yet && may_retry();
        if (!retry) {
          const std::string_view got(buf_.data() + begin_, end_ - begin_);
          if (LooksLikeTls(got)) {
            Fail(out, "protocol", "the server answered with TLS; use an https:// URL");
          } else {
            Fail(out, "io",
                 "reading the response head: " + read_ec.message() +
                     (got.empty() && out.reconnected
                          ? " (no answer on a new connection: a TLS server needs an https:// URL)"
                          : ""));
          }
          co_return false;
        }
        break;
      }
    }
    Close(false);
  }
}

// Waits until the buffer holds a CRLF-ended line; its length (without CRLF), or npos on error.
template <class T>
asio::awaitable<std::size_t> Http1Conn<T>::Line(std::string& why) {
  std::size_t nl;
  while ((nl = std::string_view(buf_.data() + begin_, end_ - begin_).find("\r\n")) ==
         std::string_view::npos) {
    if (const auto ec = co_await Fill()) {
      why = ec.message();
      co_return std::string_view::npos;
    }
  }
  co_return nl;
}

template <class T>
asio::awaitable<bool> Http1Conn<T>::ReadChunked(bool want_body, Response& out) {
  std::string why;
  std::size_t body = 0;
  for (;;) {
    std::size_t nl = co_await Line(why);
    if (nl == std::string_view::npos) {
      Fail(out, "io", "reading a chunk: " + why);
      co_return false;
    }
    std::size_t size = 0;
    auto [p, ec] = std::from_chars(buf_.data() + begin_, buf_.data() + begin_ + nl, size, 16);
    if (ec != std::errc()) {
      Fail(out, "protocol", "bad chunk size");
      co_return false;
    }
    begin_ += nl + 2;
    if (size == 0) break;
    body += size;
    if (TooLong(body, out)) co_return false;
    std::size_t left = size + 2;  // data + CRLF
    while (left > 0) {
      if (begin_ == end_ && !co_await Buffered(out, "reading a chunk: ")) co_return false;
      const std::size_t n = std::min(left, end_ - begin_);
      const std::size_t data = left > 2 ? std::min(n, left - 2) : 0;
      Take(data, want_body, out);
      begin_ += n - data;
      left -= n;
    }
  }
  // Trailers (rare), then the empty line that ends the message.
  for (;;) {
    const std::size_t nl = co_await Line(why);
    if (nl == std::string_view::npos) {
      Fail(out, "io", "reading the last chunk: " + why);
      co_return false;
    }
    begin_ += nl + 2;
    if (nl == 0) co_return true;
  }
}

template class Http1Conn<PlainTransport>;
template class Http1Conn<TlsTransport>;

}  // namespace reznet::probes::load
