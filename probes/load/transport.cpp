#include "probes/load/transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

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
  if (ec) co_return OpenFailure{"connect", ec.message()};
  socket.set_option(tcp::no_delay(true), ec);
  co_return OpenFailure{};
}

// The ex_data slot that leads OpenSSL's new-session callback back to the connection's transport
// (not SSL_set_app_data: Asio keeps its verify callback there).
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

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

asio::awaitable<OpenFailure> PlainTransport::Open(const std::vector<tcp::endpoint>& endpoints,
                                                  Response&) {
  return ConnectTcp(socket_, endpoints);
}

void PlainTransport::Abort() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

TlsTransport::Setup::Setup(const config::Url& url, const clients::TlsOptions& options)
    : context(clients::MakeClientTlsContext(options)),
      host(url.host),
      literal(IsIpLiteral(url.host)),
      tls(options) {
  // Sessions go to the user that made them (OnNewSession), not into a shared internal cache.
  SSL_CTX_set_session_cache_mode(context.native_handle(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(context.native_handle(), &OnNewSession);
  TransportIndex();
}

TlsTransport::~TlsTransport() { Close(false); }

asio::awaitable<OpenFailure> TlsTransport::Open(const std::vector<tcp::endpoint>& endpoints,
                                                Response& out) {
  stream_.emplace(io_, setup_.context);
  if (auto failed = co_await ConnectTcp(stream_->next_layer(), endpoints); failed.kind)
    co_return failed;
  SSL* ssl = stream_->native_handle();
  if (!clients::PrepareTlsClient(*stream_, setup_.host, setup_.literal, setup_.tls))
    co_return OpenFailure{"tls", "cannot set the SNI host name"};
  SSL_set_ex_data(ssl, TransportIndex(), this);
  if (session_ && SSL_set_session(ssl, session_.get()) != 1) session_.reset();
  const auto start = std::chrono::steady_clock::now();
  auto [ec] = co_await stream_->async_handshake(ssl::stream_base::client,
                                                asio::as_tuple(asio::use_awaitable));
  if (ec) {
    session_.reset();
    co_return OpenFailure{"tls", clients::TlsFailure("TLS handshake with " + setup_.host, ssl, ec)};
  }
  out.handshake_ns = (std::chrono::steady_clock::now() - start).count();
  out.resumed = SSL_session_reused(ssl) == 1;
  co_return OpenFailure{};
}

void TlsTransport::Abort() {
  if (!stream_) return;
  boost::system::error_code ignored;
  stream_->next_layer().close(ignored);
}

void TlsTransport::Close(bool clean) {
  if (!stream_) return;
  // Freeing an SSL that was not shut down marks its session not resumable; a clean end is
  // marked as shut down instead of spending a close_notify write on every connection.
  if (clean) SSL_set_shutdown(stream_->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  if (!clean) session_.reset();
  Abort();
  stream_.reset();
}

}  // namespace reznet::probes::load
