#pragma once
// The two transports an Http1Conn runs over, chosen once per test (never per byte): plain TCP, and
// TLS through OpenSSL (Boost.Asio's ssl stream). Included by the engine's sources only: it brings
// OpenSSL's headers.
//
// TLS: one client context per generator thread (verification exactly as the http probe:
// clients/tls.hpp), SNI, and session resumption per virtual user — the session (TLS 1.2) or the
// ticket (TLS 1.3, it arrives after the handshake) of the user's last connection is offered
// when it reconnects. A connection that failed is not resumed from.

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clients/http_client.hpp"
#include "config/units.hpp"
#include "probes/load/http1.hpp"

namespace reznet::probes::load {

// Why a connection could not be opened; kind nullptr: it was.
struct OpenFailure {
  const char* kind = nullptr;  // connect | tls
  std::string detail;
};

class PlainTransport {
 public:
  using Stream = boost::asio::ip::tcp::socket;
  struct Setup {
    Setup(const config::Url&, const clients::TlsOptions&) {}
  };
  PlainTransport(boost::asio::io_context& io, Setup&) : socket_(io) {}

  bool is_open() const { return socket_.is_open(); }
  Stream& stream() { return socket_; }
  boost::asio::awaitable<OpenFailure> Open(
      const std::vector<boost::asio::ip::tcp::endpoint>& endpoints, Response& out);
  void Abort();  // closes the socket under a pending operation
  void Close(bool /*clean*/) { Abort(); }

 private:
  Stream socket_;
};

class TlsTransport {
 public:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  // Per generator thread. Throws std::runtime_error when the trust store cannot be loaded.
  struct Setup {
    Setup(const config::Url& url, const clients::TlsOptions& tls);
    boost::asio::ssl::context context;
    std::string host;
    bool literal;
    clients::TlsOptions tls;
  };
  TlsTransport(boost::asio::io_context& io, Setup& setup) : io_(io), setup_(setup) {}
  ~TlsTransport();
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  bool is_open() const { return stream_ && stream_->next_layer().is_open(); }
  Stream& stream() { return *stream_; }
  // TCP connect, then the handshake; on success out.handshake_ns and out.resumed are set.
  boost::asio::awaitable<OpenFailure> Open(
      const std::vector<boost::asio::ip::tcp::endpoint>& endpoints, Response& out);
  void Abort();
  // `clean`: the exchange ended well, its session may be resumed (no close_notify is sent: the
  // connection is marked shut down so that OpenSSL keeps the session resumable).
  void Close(bool clean);
  // Called by OpenSSL (new-session callback) with a session or ticket of this connection.
  void Keep(SSL_SESSION* session) { session_.reset(session); }

 private:
  struct FreeSession {
    void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
  };
  boost::asio::io_context& io_;
  Setup& setup_;
  std::optional<Stream> stream_;
  std::unique_ptr<SSL_SESSION, FreeSession> session_;
};

}  // namespace reznet::probes::load
