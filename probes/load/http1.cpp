#include "probes/load/http1.hpp"

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstring>

#include "probes/load/transport.hpp"

namespace reznet::probes::load {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t kInitialBuffer = 4 * 1024;  // grows for larger responses

// A TLS record header (handshake or alert, version 3.x): what a TLS server sends to plain HTTP.
bool LooksLikeTls(std::string_view b) {
  return b.size() >= 2 && (b[0] == '\x15' || b[0] == '\x16') && b[1] == '\x03';
}

}  // namespace

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
void Http1Conn<T>::Fail(Response& out, clients::ErrorKind kind, std::string detail) {
  out.error = expired_ ? clients::ErrorKind::kTimeout : kind;
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
  // Interim responses (100 Continue, 103 Early Hints) come before the final one, any number of
  // them (RFC 9110 §15.2): skipped, up to a bound a hostile server cannot stretch.
  for (int interim = 0; !head.bad && IsInterim(head.status);) {
    begin_ += head.size;
    if (++interim > kMaxInterimResponses) {
      Fail(out, clients::ErrorKind::kProtocol,
           "more than " + std::to_string(kMaxInterimResponses) +
               " interim (1xx) responses before the final one");
      co_return;
    }
    if (!co_await ReadNextHead(out, head)) co_return;
  }
  if (head.bad) {
    Fail(out, clients::ErrorKind::kProtocol,
         head.status ? std::string(head.why) + ": " + std::to_string(head.status) : head.why);
    co_return;
  }
  begin_ += head.size;
  out.status = head.status;
  // After 101 Switching Protocols the connection speaks another protocol: it ends the exchange.
  if (head.status == 101) head.close = true;
  // A response to HEAD has no body, whatever its head says (RFC 9112 §6.3 item 1).
  if (request.starts_with("HEAD ")) {
    head.content_length = 0;
    head.chunked = false;
  }
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
  Fail(out, clients::ErrorKind::kBodyTooLarge,
       "response body exceeds max_body_bytes (" + std::to_string(options_.max_body_bytes) +
           " bytes)");
  return true;
}

template <class T>
asio::awaitable<bool> Http1Conn<T>::Buffered(Response& out, const char* reading) {
  if (begin_ < end_) co_return true;
  const auto ec = co_await Fill();
  if (ec) Fail(out, clients::ErrorKind::kIo, reading + ec.message());
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
      Fail(out, clients::ErrorKind::kIo, "reading a body delimited by the close: " + ec.message());
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
        const bool tls = *failed.kind == clients::ErrorKind::kTls;
        Fail(out, *failed.kind, std::move(failed.detail));
        if (expired_ && tls) {
          out.error = clients::ErrorKind::kTls;
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
      Fail(out, clients::ErrorKind::kIo, "write: " + ec.message());
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
            Fail(out, clients::ErrorKind::kProtocol,
                 "the server answered with TLS; use an https:// URL");
          } else {
            Fail(out, clients::ErrorKind::kIo,
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

// Only after an interim response, so the common path keeps its single read loop (a frame fewer).
template <class T>
asio::awaitable<bool> Http1Conn<T>::ReadNextHead(Response& out, Head& head) {
  for (;;) {
    head = ParseHead(std::string_view(buf_.data() + begin_, end_ - begin_));
    if (head.complete || head.bad) co_return true;
    if (const auto ec = co_await Fill()) {
      Fail(out, clients::ErrorKind::kIo,
           "reading the response head after an interim (1xx) response: " + ec.message());
      co_return false;
    }
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
      Fail(out, clients::ErrorKind::kIo, "reading a chunk: " + why);
      co_return false;
    }
    std::size_t size = 0;
    auto [p, ec] = std::from_chars(buf_.data() + begin_, buf_.data() + begin_ + nl, size, 16);
    if (ec != std::errc()) {
      Fail(out, clients::ErrorKind::kProtocol, "bad chunk size");
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
      Fail(out, clients::ErrorKind::kIo, "reading the last chunk: " + why);
      co_return false;
    }
    begin_ += nl + 2;
    if (nl == 0) co_return true;
  }
}

template class Http1Conn<PlainTransport>;
template class Http1Conn<TlsTransport>;

}  // namespace reznet::probes::load
