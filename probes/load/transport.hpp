#pragma once
// The two transports an Http1Conn runs over, chosen once per test (never per byte): plain TCP, and
// TLS through OpenSSL. Included by the engine's sources only: it brings OpenSSL's headers.
//
// Both give Http1Conn the same three calls: WriteNow (what the socket takes without waiting: all
// of a small request, nearly always), Write (the rest, waiting) and ReadSome. A request that fits
// the socket buffer so costs one send and no suspension.
//
// TLS drives OpenSSL directly, without Boost.Asio's ssl stream: ciphertext arrives through the
// socket's own async_read_some into a buffer of the connection, which a BIO of ours hands to
// OpenSSL, and OpenSSL's records go out through that BIO with one non-blocking send each. The ssl
// stream copied every byte once more through a memory-BIO pair, released and allocated OpenSSL's
// buffers on every record and cleared the error queue on every call. Measured against it (both
// builds in the same interleaved rounds, pinned to one core, nginx TLS 1.3): CPU per keep-alive
// request 4 % (10.0 to 9.6 µs) to 18 % (13.95 to 11.45 µs) lower, requests/s within the noise;
// a handshake per request 4 % slower (bench/compare_load.py --pin --baseline OLD_BINARY).
//
// One client context per generator thread (verification exactly as the http probe:
// clients/tls.hpp, plus OpenSSL's own host or IP check), SNI, and session resumption per virtual
// user — the session (TLS 1.2) or the ticket (TLS 1.3, it arrives after the handshake) of the
// user's last connection is offered when it reconnects. A connection that failed is not resumed
// from.

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "clients/error.hpp"
#include "clients/http_client.hpp"
#include "config/units.hpp"
#include "probes/load/http1.hpp"

namespace reznet::probes::load {

// Why a connection could not be opened; kind nullptr: it was.
struct OpenFailure {
  std::optional<clients::ErrorKind> kind;  // kConnect | kTls
  std::string detail;
};

using ReadResult = std::tuple<boost::system::error_code, std::size_t>;

// Sends what the socket takes now (MSG_DONTWAIT): the bytes sent, with `ec` set only on a real
// error (a full socket buffer is not one).
std::size_t SendNow(boost::asio::ip::tcp::socket& socket, std::string_view data,
                    boost::system::error_code& ec);

class PlainTransport {
 public:
  struct Setup {
    Setup(const config::Url&, const clients::TlsOptions&, bool /*pauses*/) {}
  };
  PlainTransport(boost::asio::io_context& io, Setup&) : socket_(io) {}

  bool is_open() const { return socket_.is_open(); }
  boost::asio::awaitable<OpenFailure> Open(
      const std::vector<boost::asio::ip::tcp::endpoint>& endpoints, Response& out);
  std::size_t WriteNow(std::string_view data, boost::system::error_code& ec) {
    return SendNow(socket_, data, ec);
  }
  boost::asio::awaitable<boost::system::error_code> Write(std::string_view data);
  auto ReadSome(char* data, std::size_t size) {
    return socket_.async_read_some(boost::asio::buffer(data, size),
                                   boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  void Idle() {}
  void Abort();  // closes the socket under a pending operation
  void Close(bool /*clean*/) { Abort(); }

 private:
  boost::asio::ip::tcp::socket socket_;
};

class TlsTransport {
 public:
  // Per generator thread. Throws std::runtime_error when the trust store cannot be loaded.
  // `pauses`: users think or wait between requests, so an idle connection gives OpenSSL's record
  // buffers back (SSL_MODE_RELEASE_BUFFERS); users that never pause keep them (no allocation
  // per record).
  struct Setup {
    Setup(const config::Url& url, const clients::TlsOptions& tls, bool pauses);
    boost::asio::ssl::context context;
    std::string host;
    bool literal;
    clients::TlsOptions tls;
    bool pauses;
  };
  TlsTransport(boost::asio::io_context& io, Setup& setup) : socket_(io), setup_(setup) {}
  ~TlsTransport();
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  bool is_open() const { return socket_.is_open(); }
  // TCP connect, then the handshake; on success out.handshake_ns and out.resumed are set.
  boost::asio::awaitable<OpenFailure> Open(
      const std::vector<boost::asio::ip::tcp::endpoint>& endpoints, Response& out);
  // All of `data` in one SSL_write when the socket takes it (0 and no error: call Write).
  std::size_t WriteNow(std::string_view data, boost::system::error_code& ec);
  boost::asio::awaitable<boost::system::error_code> Write(std::string_view data);
  // Plaintext into [data, data + size); eof at the peer's close_notify, stream_truncated at a
  // close without it.
  boost::asio::awaitable<ReadResult> ReadSome(char* data, std::size_t size);
  void Idle();  // frees the ciphertext buffer when it holds nothing
  void Abort();
  // `clean`: the exchange ended well, its session may be resumed (no close_notify is sent: the
  // connection is marked shut down so that OpenSSL keeps the session resumable).
  void Close(bool clean);
  // Called by OpenSSL (new-session callback) with a session or ticket of this connection.
  void Keep(SSL_SESSION* session) { session_.reset(session); }

  // For the BIO (transport.cpp): ciphertext received and not yet taken by OpenSSL (0 at the
  // peer's close), and sending; kRetry: nothing yet, or no room in the socket.
  static constexpr int kRetry = -2;
  // Enough for a whole TLS record (16 KiB of plaintext and its overhead) in one read.
  static constexpr std::size_t kCiphertextBuffer = 16 * 1024 + 512;
  int TakeCiphertext(char* out, int size);
  int SendCiphertext(const char* data, int size);
  bool AtEof() const { return in_eof_ && in_begin_ == in_end_; }

 private:
  struct FreeSession {
    void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
  };
  // What an SSL call that returned `ret` <= 0 needs: the wait it asked for (more ciphertext, or
  // room in the socket), done; or the error that ends the connection.
  boost::asio::awaitable<boost::system::error_code> Await(int ret);
  // More ciphertext: OpenSSL took every byte before asking (the BIO says "retry" only when
  // empty), so the read fills the buffer from its start. An operation, not a coroutine.
  auto ReadCiphertext() {
    if (in_.empty()) in_.resize(kCiphertextBuffer);
    return socket_.async_read_some(boost::asio::buffer(in_),
                                   boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  // Takes the read's result; the peer's close is for OpenSSL to judge (no error here).
  boost::system::error_code Received(ReadResult read);
  boost::system::error_code ErrorOf(int ssl_error);

  boost::asio::ip::tcp::socket socket_;
  Setup& setup_;
  SSL* ssl_ = nullptr;
  std::unique_ptr<SSL_SESSION, FreeSession> session_;
  std::vector<char> in_;  // ciphertext read from the socket, [in_begin_, in_end_) not yet taken
  std::size_t in_begin_ = 0, in_end_ = 0;
  bool in_eof_ = false;  // the peer closed the TCP connection
  int send_errno_ = 0;   // the last send's error, for SSL_ERROR_SYSCALL
};

}  // namespace reznet::probes::load
