#pragma once
// A lean HTTP/1.1 keep-alive client connection for the load generator. wrk-class throughput on two
// cores leaves no room for a general client: requests are pre-serialised bytes, responses are
// parsed in place (http1_head.hpp: RFC 9112 framing; interim 1xx responses skipped), and a body
// is copied out only when a step extracts from it or checks it. One connection per
// virtual user, reconnected after an error or a close (or after every request without
// keep-alive). A template over its transport (transport.hpp: plain TCP or TLS), instantiated for
// both in http1.cpp, so the plain path carries no TLS branch.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clients/error.hpp"
#include "probes/load/http1_head.hpp"

namespace reznet::probes::load {

struct Response {
  int status = 0;
  std::string body;  // only when asked for
  // none: ok; else connect, tls, timeout, io, protocol or body_too_large
  std::optional<clients::ErrorKind> error;
  std::string detail;
  bool reconnected = false;       // this request opened a new connection
  std::int64_t handshake_ns = 0;  // TLS: the handshake of that new connection
  bool resumed = false;           // TLS: … which resumed an earlier session
};

struct ConnOptions {
  std::size_t max_body_bytes = 1 << 20;  // a longer body fails the request: body_too_large
  bool keep_alive = true;                // false: a new connection for every request
};

template <class Transport>
class Http1Conn {
 public:
  Http1Conn(boost::asio::io_context& io, typename Transport::Setup& setup,
            std::vector<boost::asio::ip::tcp::endpoint> endpoints, ConnOptions options);
  // One exchange. `deadline` is enforced by the owner calling Expire() (a watchdog), which closes
  // the socket; the request then ends with error "timeout".
  boost::asio::awaitable<void> Exchange(std::string_view request, bool want_body, Response& out);
  void SetDeadline(std::chrono::steady_clock::time_point d) { deadline_ = d; }
  // Closes the socket when a request is in flight past its deadline (or `force`).
  void Expire(std::chrono::steady_clock::time_point now, bool force = false);
  bool busy() const { return busy_; }
  // The user pauses (think time): the read buffer is freed when it holds nothing (the next
  // exchange allocates it again) and the connection stays open. 10,000 users thinking held
  // 10,000 buffers of 4 KiB, half the generator's memory, for the few requests in flight.
  void Idle();

 private:
  // Reads more bytes into the buffer; the error (eof: a clean close) or none.
  boost::asio::awaitable<boost::system::error_code> Fill();
  // Room at the end of the buffer (compacting or growing it), and the read into it: the caller
  // adds the bytes read to end_. The transport's read as it is (plain: the socket's operation;
  // TLS: a coroutine), both awaitables of (error_code, bytes).
  void MakeRoom();
  auto ReadMore() {
    MakeRoom();
    return transport_.ReadSome(buf_.data() + end_, buf_.size() - end_);
  }
  // True when the buffer holds a byte (reading if empty); else the request failed with io.
  boost::asio::awaitable<bool> Buffered(Response& out, const char* reading);
  // Connects if needed, writes the request and reads until the head is parsed (or bad); false
  // when the exchange failed (`out` says why).
  boost::asio::awaitable<bool> SendAndReadHead(std::string_view request, Response& out, Head& head);
  // Reads the head that follows an interim response; false when the exchange failed.
  boost::asio::awaitable<bool> ReadNextHead(Response& out, Head& head);
  boost::asio::awaitable<std::size_t> Line(std::string& why);
  boost::asio::awaitable<bool> ReadLength(std::size_t length, bool want_body, Response& out);
  boost::asio::awaitable<bool> ReadChunked(bool want_body, Response& out);
  boost::asio::awaitable<bool> ReadToClose(bool want_body, Response& out);
  bool TooLong(std::size_t body_bytes, Response& out);
  void Fail(Response& out, clients::ErrorKind kind, std::string detail);
  void Take(std::size_t n, bool want_body, Response& out);
  void Close(bool clean);

  Transport transport_;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints_;
  ConnOptions options_;
  std::vector<char> buf_;
  std::size_t begin_ = 0, end_ = 0;
  std::chrono::steady_clock::time_point deadline_{};
  bool busy_ = false;
  bool expired_ = false;
};

}  // namespace reznet::probes::load
