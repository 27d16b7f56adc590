#include "probes/load/transport.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <stdexcept>

#include "clients/tls.hpp"

namespace reznet::probes::load {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;

namespace {

asio::awaitable<OpenFailure> ConnectTcp(tcp::socket& socket,
                                        const std::vector<tcp::endpoint>& endpoints) {
  auto [ec, ep] =
      co_await asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return OpenFailure{clients::ErrorKind::kConnect, ec.message()};
  socket.set_option(tcp::no_delay(true), ec);
  co_return OpenFailure{};
}

// The ex_data slot that leads OpenSSL's new-session callback back to the connection's transport.
int TransportIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Returning 1 takes the reference OpenSSL hands over.
int OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* transport = static_cast<TlsTransport*>(SSL_get_ex_data(ssl, TransportIndex()));
  if (transport == nullptr) return 0;
  transport->Keep(session);
  return 1;
}

TlsTransport* Of(BIO* bio) { return static_cast<TlsTransport*>(BIO_get_data(bio)); }

int BioRead(BIO* bio, char* out, int size) {
  BIO_clear_retry_flags(bio);
  const int n = Of(bio)->TakeCiphertext(out, size);
  if (n == TlsTransport::kRetry) BIO_set_retry_read(bio);
  return n == TlsTransport::kRetry ? -1 : n;
}

int BioWrite(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const int n = Of(bio)->SendCiphertext(data, size);
  if (n == TlsTransport::kRetry) BIO_set_retry_write(bio);
  return n == TlsTransport::kRetry ? -1 : n;
}

long BioCtrl(BIO* bio, int cmd, long, void*) {
  if (cmd == BIO_CTRL_FLUSH) return 1;  // every write went straight to the socket
  if (cmd == BIO_CTRL_EOF) return Of(bio)->AtEof() ? 1 : 0;
  return 0;
}

// The BIO between OpenSSL and a TlsTransport: reads take the ciphertext the transport received,
// writes send on its socket without waiting. Made once, shared by every thread.
BIO_METHOD* TransportBio() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "reznet-load");
    if (m == nullptr) throw std::runtime_error("TLS: cannot create the load engine's BIO");
    BIO_meth_set_read(m, &BioRead);
    BIO_meth_set_write(m, &BioWrite);
    BIO_meth_set_ctrl(m, &BioCtrl);
    BIO_meth_set_create(m, [](BIO* bio) {
      BIO_set_init(bio, 1);
      return 1;
    });
    return m;
  }();
  return method;
}

}  // namespace

std::size_t SendNow(tcp::socket& socket, std::string_view data, boost::system::error_code& ec) {
  const ssize_t n =
      ::send(socket.native_handle(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n >= 0) return static_cast<std::size_t>(n);
  if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    ec = boost::system::error_code(errno, boost::system::system_category());
  return 0;
}

asio::awaitable<OpenFailure> PlainTransport::Open(const std::vector<tcp::endpoint>& endpoints,
                                                  Response&) {
  return ConnectTcp(socket_, endpoints);
}

asio::awaitable<boost::system::error_code> PlainTransport::Write(std::string_view data) {
  auto [ec, n] =
      co_await asio::async_write(socket_, asio::buffer(data), asio::as_tuple(asio::use_awaitable));
  co_return ec;
}

void PlainTransport::Abort() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

TlsTransport::Setup::Setup(const config::Url& url, const clients::TlsOptions& options, bool pauses_)
    : context(clients::MakeClientTlsContext(options)),
      host(url.host.text),
      literal(url.host.literal()),
      tls(options),
      pauses(pauses_) {
  // Sessions go to the user that made them (OnNewSession), not into a shared internal cache.
  SSL_CTX_set_session_cache_mode(context.native_handle(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(context.native_handle(), &OnNewSession);
  // WANT_READ then means OpenSSL took every byte of ciphertext (ReadCiphertext refills from the
  // start); the default since OpenSSL 1.1.1, set here because the reads rely on it.
  SSL_CTX_set_mode(context.native_handle(), SSL_MODE_AUTO_RETRY);
  TransportIndex();
  TransportBio();
}

TlsTransport::~TlsTransport() { Close(false); }

asio::awaitable<OpenFailure> TlsTransport::Open(const std::vector<tcp::endpoint>& endpoints,
                                                Response& out) {
  if (auto failed = co_await ConnectTcp(socket_, endpoints); failed.kind) co_return failed;
  if (ssl_ != nullptr) SSL_free(ssl_);  // Close() frees it; this only guards against a leak
  // SSL_get_error reads the thread's error queue: whatever an earlier call left there (loading
  // a trust store, another connection) must not be read as this connection's error.
  ERR_clear_error();
  ssl_ = SSL_new(setup_.context.native_handle());
  if (ssl_ == nullptr)
    co_return OpenFailure{clients::ErrorKind::kTls, "cannot create a TLS connection"};
  BIO* bio = BIO_new(TransportBio());
  if (bio == nullptr)
    co_return OpenFailure{clients::ErrorKind::kTls, "cannot create a TLS connection"};
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);
  if (setup_.pauses) SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
  const char* host = setup_.host.c_str();
  // SNI for host names only (RFC 6066 §3); OpenSSL checks the name or address in the
  // certificate as part of its verification (the context's mode: clients/tls.hpp).
  if (!setup_.literal && SSL_set_tlsext_host_name(ssl_, host) != 1)
    co_return OpenFailure{clients::ErrorKind::kTls, "cannot set the SNI host name"};
  if (!setup_.tls.insecure_skip_verify &&
      (setup_.literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host)
                      : SSL_set1_host(ssl_, host)) != 1)
    co_return OpenFailure{clients::ErrorKind::kTls, "cannot set the host to verify"};
  SSL_set_ex_data(ssl_, TransportIndex(), this);
  if (session_ && SSL_set_session(ssl_, session_.get()) != 1) session_.reset();
  SSL_set_connect_state(ssl_);
  in_.resize(kCiphertextBuffer);
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) break;
    if (const auto ec = co_await Await(r)) {
      session_.reset();
      co_return OpenFailure{clients::ErrorKind::kTls,
                            clients::TlsFailure("TLS handshake with " + setup_.host, ssl_, ec)};
    }
  }
  ERR_clear_error();  // a handshake can succeed and still leave entries in the queue
  out.handshake_ns = (std::chrono::steady_clock::now() - start).count();
  out.resumed = SSL_session_reused(ssl_) == 1;
  co_return OpenFailure{};
}

std::size_t TlsTransport::WriteNow(std::string_view data, boost::system::error_code& ec) {
  const int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  if (r > 0) return static_cast<std::size_t>(r);  // all of it: no partial writes
  const int e = SSL_get_error(ssl_, r);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ec = ErrorOf(e);
  return 0;
}

// OpenSSL wants the same buffer again after a WANT_*: `data` is the whole request each time.
asio::awaitable<boost::system::error_code> TlsTransport::Write(std::string_view data) {
  for (;;) {
    const int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    if (r > 0) co_return boost::system::error_code{};
    if (const auto ec = co_await Await(r)) co_return ec;
  }
}

// The hot path of every response: waits inline rather than through Await, one coroutine frame
// fewer per read. With no ciphertext buffered and nothing decrypted pending, a first SSL_read
// could only ask for more: the read comes first, instead of a failed SSL_read and SSL_get_error
// on every response (about 1,000 instructions of 18,000 per HTTPS request, callgrind). Only
// before the first SSL_read: after one that wanted to write (a renegotiation or KeyUpdate
// answer), SSL_read must be called again to send it.
asio::awaitable<ReadResult> TlsTransport::ReadSome(char* data, std::size_t size) {
  const int want = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  if (in_begin_ == in_end_ && !in_eof_ && SSL_has_pending(ssl_) == 0) {
    if (const auto ec = Received(co_await ReadCiphertext())) co_return ReadResult{ec, 0};
  }
  for (;;) {
    const int r = SSL_read(ssl_, data, want);
    if (r > 0) co_return ReadResult{boost::system::error_code{}, static_cast<std::size_t>(r)};
    if (SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ) {
      if (const auto ec = co_await Await(r)) co_return ReadResult{ec, 0};
      continue;
    }
    if (const auto ec = Received(co_await ReadCiphertext())) co_return ReadResult{ec, 0};
  }
}

asio::awaitable<boost::system::error_code> TlsTransport::Await(int ret) {
  const int e = SSL_get_error(ssl_, ret);
  if (e == SSL_ERROR_WANT_READ) co_return Received(co_await ReadCiphertext());
  if (e == SSL_ERROR_WANT_WRITE) {
    auto [ec] =
        co_await socket_.async_wait(tcp::socket::wait_write, asio::as_tuple(asio::use_awaitable));
    co_return ec;
  }
  co_return ErrorOf(e);
}

boost::system::error_code TlsTransport::Received(ReadResult read) {
  auto [ec, n] = read;
  in_begin_ = 0;
  in_end_ = n;
  if (ec == asio::error::eof && !in_eof_) {
    in_eof_ = true;  // OpenSSL sees the close and says whether it was clean
    return {};
  }
  return ec;
}

// As Boost.Asio's ssl stream reports them, so messages read the same as the http probe's.
boost::system::error_code TlsTransport::ErrorOf(int ssl_error) {
  boost::system::error_code ec = asio::ssl::error::stream_truncated;
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    ec = asio::error::eof;  // close_notify: a clean end
  } else if (ssl_error == SSL_ERROR_SYSCALL && send_errno_ != 0) {
    ec = boost::system::error_code(send_errno_, boost::system::system_category());
  } else if (ssl_error == SSL_ERROR_SSL) {
    const unsigned long err = ERR_get_error();
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
    if (ERR_GET_REASON(err) != SSL_R_UNEXPECTED_EOF_WHILE_READING)
#endif
      ec = boost::system::error_code(static_cast<int>(err), asio::error::get_ssl_category());
  }
  ERR_clear_error();  // SSL_get_error reads the queue: it must be empty before the next call
  return ec;
}

int TlsTransport::TakeCiphertext(char* out, int size) {
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(size), in_end_ - in_begin_);
  if (n == 0) return in_eof_ ? 0 : kRetry;
  std::memcpy(out, in_.data() + in_begin_, n);
  in_begin_ += n;
  return static_cast<int>(n);
}

int TlsTransport::SendCiphertext(const char* data, int size) {
  const ssize_t n = ::send(socket_.native_handle(), data, static_cast<std::size_t>(size),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n >= 0) return static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return kRetry;
  send_errno_ = errno;
  return -1;
}

void TlsTransport::Idle() {
  if (in_begin_ == in_end_) {
    std::vector<char>().swap(in_);
    in_begin_ = in_end_ = 0;
  }
}

void TlsTransport::Abort() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void TlsTransport::Close(bool clean) {
  if (ssl_ != nullptr) {
    // Freeing an SSL that was not shut down marks its session not resumable; a clean end is
    // marked as shut down instead of spending a close_notify write on every connection.
    if (clean) SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (!clean) session_.reset();
  Abort();
  in_begin_ = in_end_ = 0;
  in_eof_ = false;
  send_errno_ = 0;
}

}  // namespace reznet::probes::load
