#include "probes/load/http1.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>

namespace reznet::probes::load {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t kInitialBuffer = 4 * 1024;  // grows for larger responses
constexpr std::size_t kMaxHead = 64 * 1024;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
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

}  // namespace

Head ParseHead(std::string_view bytes) {
  Head h;
  const auto end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    h.bad = bytes.size() > kMaxHead;
    return h;
  }
  h.size = end + 4;
  std::string_view head = bytes.substr(0, end + 2);
  const auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
    h.bad = true;
    h.complete = true;
    return h;
  }
  auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, h.status);
  if (ec != std::errc() || h.status < 100 || h.status > 999) {
    h.bad = true;
    h.complete = true;
    return h;
  }
  const bool http10 = status_line[7] == '0';
  h.close = http10;
  std::size_t at = line_end + 2;
  while (at < head.size()) {
    const auto nl = head.find("\r\n", at);
    std::string_view line = head.substr(at, nl - at);
    at = nl + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-length")) {
      long long n = -1;
      auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (e != std::errc() || n < 0) {
        h.bad = true;
        h.complete = true;
        return h;
      }
      h.content_length = n;
    } else if (IEquals(name, "transfer-encoding")) {
      h.chunked = IContains(value, "chunked");
    } else if (IEquals(name, "connection")) {
      if (IContains(value, "close")) h.close = true;
      if (http10 && IContains(value, "keep-alive")) h.close = false;
    }
  }
  // 1xx, 204 and 304 carry no body.
  if (h.status < 200 || h.status == 204 || h.status == 304) {
    h.content_length = 0;
    h.chunked = false;
  }
  h.complete = true;
  return h;
}

Http1Conn::Http1Conn(asio::io_context& io, std::vector<tcp::endpoint> endpoints)
    : socket_(io), endpoints_(std::move(endpoints)), buf_(kInitialBuffer) {}

void Http1Conn::Close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  begin_ = end_ = 0;
}

void Http1Conn::Expire(std::chrono::steady_clock::time_point now, bool force) {
  if (busy_ && (force || now > deadline_)) {
    expired_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
}

asio::awaitable<bool> Http1Conn::Fill(std::string& error) {
  if (begin_ > 0 && begin_ == end_) begin_ = end_ = 0;
  if (end_ == buf_.size()) {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      buf_.resize(buf_.size() * 2);
    }
  }
  auto [ec, n] = co_await socket_.async_read_some(
      asio::buffer(buf_.data() + end_, buf_.size() - end_), asio::as_tuple(asio::use_awaitable));
  if (ec) {
    error = ec == asio::error::eof ? "eof" : ec.message();
    co_return false;
  }
  end_ += n;
  co_return true;
}

void Http1Conn::Fail(Response& out, const char* kind, std::string detail) {
  out.error = expired_ ? "timeout" : kind;
  out.detail = expired_ ? "no response within the request timeout" : std::move(detail);
  Close();
}

void Http1Conn::Take(std::size_t n, bool want_body, Response& out) {
  if (want_body) out.body.append(buf_.data() + begin_, n);
  begin_ += n;
}

asio::awaitable<void> Http1Conn::Exchange(std::string_view request, bool want_body, Response& out) {
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
    Fail(out, "protocol", "not an HTTP/1.x response");
    co_return;
  }
  begin_ += head.size;
  out.status = head.status;
  if (head.chunked) {
    if (!co_await ReadChunked(want_body, out)) co_return;
  } else if (head.content_length >= 0) {
    auto left = static_cast<std::size_t>(head.content_length);
    std::string why;
    while (left > 0) {
      if (begin_ == end_ && !co_await Fill(why)) {
        Fail(out, "io", "reading the body: " + why);
        co_return;
      }
      const std::size_t n = std::min(left, end_ - begin_);
      Take(n, want_body, out);
      left -= n;
    }
  } else {
    // Delimited by close.
    std::string why;
    for (;;) {
      Take(end_ - begin_, want_body, out);
      if (!co_await Fill(why)) break;
    }
    head.close = true;
  }
  if (head.close) Close();
}

asio::awaitable<bool> Http1Conn::SendAndReadHead(std::string_view request, Response& out,
                                                 Head& head) {
  std::string why;
  // A kept-alive connection the server closed while idle fails on first use with no byte of a
  // response: that is retried once on a fresh connection, as browsers do.
  for (int attempt = 0;; ++attempt) {
    if (!socket_.is_open()) {
      out.reconnected = true;
      auto [ec, ep] =
          co_await asio::async_connect(socket_, endpoints_, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        Fail(out, "connect", ec.message());
        co_return false;
      }
      socket_.set_option(tcp::no_delay(true), ec);
    }
    const bool may_retry = !out.reconnected && attempt == 0 && !expired_;
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(request),
                                              asio::as_tuple(asio::use_awaitable));
    if (ec && may_retry) {
      Close();
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
      if (!co_await Fill(why)) {
        retry = nothing_yet && may_retry;
        if (!retry) {
          Fail(out, "io", "reading the response head: " + why);
          co_return false;
        }
        break;
      }
    }
    Close();
  }
}

// Waits until the buffer holds a CRLF-ended line; its length (without CRLF), or npos on error.
asio::awaitable<std::size_t> Http1Conn::Line(std::string& why) {
  std::size_t nl;
  while ((nl = std::string_view(buf_.data() + begin_, end_ - begin_).find("\r\n")) ==
         std::string_view::npos) {
    if (!co_await Fill(why)) co_return std::string_view::npos;
  }
  co_return nl;
}

asio::awaitable<bool> Http1Conn::ReadChunked(bool want_body, Response& out) {
  std::string why;
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
    std::size_t left = size + 2;  // data + CRLF
    while (left > 0) {
      if (begin_ == end_ && !co_await Fill(why)) {
        Fail(out, "io", "reading a chunk: " + why);
        co_return false;
      }
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

}  // namespace reznet::probes::load
