#pragma once
// An HTTP/1.1 client for measurements, on Boost.Beast coroutines (Beast stays in the .cpp).
//
// One request at a time per client (the scheduler never overlaps runs of a probe). Every I/O step
// is bounded by the request's deadline; the body by HttpLimits. Phase timings follow docs/design.md
// §3:
//   dns      resolver start -> addresses (only when the host is a name, not an IP literal)
//   connect  TCP connect (only when a new connection was opened)
//   tls      TLS handshake (https, new connection only)
//   ttfb     request handed to the socket -> first response byte read (includes the write); the
//            first byte of an interim response (103 Early Hints) when one comes first, as curl's
//            time_starttransfer: the wait from there to the final response is in `transfer`
//   transfer first response byte -> response complete (headers + body)
//   total    Send() entry -> response complete (includes dns/connect/tls when they happened)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clients/error.hpp"
#include "config/units.hpp"

namespace reznet::clients {

using SteadyClock = std::chrono::steady_clock;
using Duration = std::chrono::nanoseconds;

struct TlsOptions {
  std::string ca_file;  // empty: the system trust store
  bool insecure_skip_verify = false;
};

struct HttpLimits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 64 << 10;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path + query, relative to the server root
  Headers headers;
  std::string body;
};

// What a connection is, beside how long it took to open: kept with the connection and handed out
// with every exchange on it (a reused one's too).
struct PeerInfo {
  // The IP address connected to, as text ("127.0.0.1", "::1"); when the connect failed, the
  // one tried first.
  std::string address;
  std::string tls_version;  // https: "TLS 1.2", "TLS 1.3"; empty for http
  // https: the earliest NotAfter (Unix seconds) of the certificates the peer sent, and of the
  // chain the peer was verified with (none when insecure_skip_verify).
  std::optional<std::int64_t> cert_not_after, verified_chain_not_after;
};

struct HttpTimings {
  std::optional<Duration> dns, connect, tls;
  Duration ttfb{}, transfer{}, total{};
  std::chrono::steady_clock::time_point sent{};  // when the request was handed to the socket
  PeerInfo peer;  // the connection's, from the address lookup on (also on failure)
};

struct HttpResponse {
  int status = 0;
  int version = 11;  // of the final response: 10 for HTTP/1.0, 11 for HTTP/1.1
  Headers headers;
  std::string body;
  HttpTimings timings;
  bool reused_connection = false;
};

// Receives a response body as it arrives (SSE streams). on_headers is called once with the
// status and headers; returning false collects the body into HttpResponse::body instead (error
// responses). on_body gets each piece with the time its bytes were read from the socket;
// failing stops the exchange with error kind "stream" and the failure's detail.
struct BodySink {
  // Called as the request is handed to the socket (again if a stale connection forced a retry).
  std::function<void(std::chrono::steady_clock::time_point sent)> on_sent;
  std::function<bool(int status, const Headers& headers)> on_headers;
  std::function<common::Result<void>(std::string_view piece,
                                     std::chrono::steady_clock::time_point arrived)>
      on_body;
};

inline constexpr int kMaxInterimResponses = 16;

class HttpClient {
 public:
  // Throws std::runtime_error when the TLS setup fails (unreadable CA file): a start-up error.
  HttpClient(boost::asio::any_io_executor executor, config::Url url, TlsOptions tls,
             HttpLimits limits);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Error kinds: dns, connect, tls, timeout, io, protocol, body_too_large, header_too_large,
  // stream, cancelled.
  // Framing follows RFC 9112 §6: interim 1xx responses are skipped (more than
  // kMaxInterimResponses: protocol); 101 Switching Protocols is the final response and the
  // connection is closed after it; Content-Length values that differ or are not numbers, and
  // Transfer-Encoding with Content-Length, are protocol errors; a body whose final transfer
  // coding is not chunked ends at the close.
  // With keep_alive the connection is kept for the next Send when the server allows it; a kept
  // connection the server closed meanwhile is replaced once, transparently.
  // `measured`, when given, receives on failure the phases completed before it (dns, connect,
  // tls of a new connection): a run that connected and then failed still shows them.
  boost::asio::awaitable<std::expected<HttpResponse, Error>> Send(
      const HttpRequest& request, std::chrono::steady_clock::time_point deadline, bool keep_alive,
      BodySink* sink = nullptr, HttpTimings* measured = nullptr);

  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reznet::clients
