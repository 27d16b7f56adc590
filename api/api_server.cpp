#include "api/api_server.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <expected>
#include <list>
#include <map>
#include <thread>

#include "api/auth_checks.hpp"
#include "api/basic_auth.hpp"
#include "api/server_internal.hpp"
#include "common/offload.hpp"
#include "common/rate_limit.hpp"

namespace reznet::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::size_t kMaxBody = 1 << 20;
constexpr std::uint32_t kMaxHeader = 16 * 1024;
constexpr std::size_t kMaxConnections = 512;
// One client address may hold this many; beyond it, its own oldest idle connection makes room.
constexpr std::size_t kMaxPerClient = 128;
constexpr auto kIdleTimeout = 30s;     // keep-alive wait for the next request's first byte
constexpr auto kRequestTimeout = 10s;  // first byte → the whole request read (slow senders)
constexpr auto kAcceptBackoffMin = 10ms;
constexpr auto kAcceptBackoffMax = 1s;
constexpr auto kWarnEvery = 10s;

std::string Swallowed(std::uint64_t n) {
  return n == 0 ? "" : " (" + std::to_string(n) + " more since the last such line)";
}

struct RouteEntry {
  std::string method;
  std::string path;
  bool prefix;
  ApiServer::Handler handler;
  ApiServer::Lane lane;
  ApiServer::AsyncHandler async;  // set: an asynchronous route (`handler` unused)
};

constexpr int kWorkers = 4;
// Requests waiting for or running on a worker; beyond this, 503 at once instead of a queue.
constexpr int kMaxWorkerRequests = 64;
// An asynchronous handler that has not replied by then is answered 500 (a bug of its own).
constexpr auto kAsyncReplyBound = 10min;
// A TLS close_notify exchange at the end of a connection gets this long.
constexpr auto kTlsShutdownTimeout = 1s;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Counts a request in `n` while it lives.
struct InFlight {
  std::atomic<int>& n;
  explicit InFlight(std::atomic<int>& counter) : n(counter) { ++n; }
  ~InFlight() { --n; }
};

HttpReply Busy(const std::string& what) {
  return HttpReply{503,
                   "text/plain; charset=utf-8",
                   "busy: " + what + " in progress; try again\n",
                   {{"Retry-After", "1"}}};
}

}  // namespace

// One open connection, as the accept loop sees it to decide whom to shed. Lives on the server
// thread only.
struct Conn {
  beast::tcp_stream* stream = nullptr;          // the TCP layer, under TLS too
  std::string client;                           // remote address
  bool idle = true;                             // waiting for or reading a request; no handler
  std::chrono::steady_clock::time_point since;  // when it became idle
  bool shed = false;                            // closed to make room; leaving
};

struct ApiServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::vector<RouteEntry> routes;
  std::thread thread;
  // Connections, their count per client address, and those closed to make room but not gone.
  std::list<Conn> conns;
  std::map<std::string, std::size_t> per_client;
  std::size_t shedding = 0;
  common::RateLimitedLog accept_warnings{kWarnEvery};
  common::RateLimitedLog shed_warnings{kWarnEvery};
  common::RateLimitedLog busy_warnings{kWarnEvery};  // used on the server thread only
  common::RateLimitedLog tls_warnings{kWarnEvery};
  asio::thread_pool workers{kWorkers};
  std::atomic<int> worker_requests{0};
  std::optional<TlsSettings> tls;
  std::unique_ptr<asio::ssl::context> ssl;  // loaded by Bind when `tls` is set
  std::shared_ptr<BasicAuth> auth;
  std::unique_ptr<AuthChecks> checks;  // bcrypt off this thread, fair between client addresses

  std::size_t Live() const { return conns.size() - shedding; }

  // Closes the oldest idle connection (of `client`, when given) to make room; false when every
  // connection is busy serving a request.
  bool ShedOldestIdle(const std::string& client) {
    Conn* oldest = nullptr;
    for (auto& c : conns) {
      if (!c.idle || c.shed || (!client.empty() && c.client != client)) continue;
      if (oldest == nullptr || c.since < oldest->since) oldest = &c;
    }
    if (oldest == nullptr) return false;
    oldest->shed = true;
    ++shedding;
    boost::system::error_code ec;
    oldest->stream->socket().close(ec);
    if (auto n = shed_warnings.Allow(std::chrono::steady_clock::now())) {
      spdlog::warn(
          "connection limit reached ({} open, {} per client): closed the oldest idle one{}",
          kMaxConnections, kMaxPerClient, Swallowed(*n));
    }
    return true;
  }

  // The route for `req`, or null with `miss` set to the 404 / 405 reply.
  const RouteEntry* Match(const HttpRequest& req, HttpReply& miss) const {
    bool path_known = false;
    std::string allow;
    for (const auto& r : routes) {
      const bool match = r.prefix ? req.path.starts_with(r.path) : req.path == r.path;
      if (!match) continue;
      path_known = true;
      if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) return &r;
      allow += (allow.empty() ? "" : ", ") + r.method;
    }
    HttpReply& reply = miss;
    if (path_known) {
      reply.status = 405;
      reply.body = "method not allowed; use " + allow + "\n";
      reply.headers.emplace_back("Allow", allow);
    } else {
      reply.status = 404;
      reply.body = "not found: " + req.path + "\n";
    }
    return nullptr;
  }

  // nullopt when `req` from `client` may pass basic auth, else the reply (401, or 503 when its
  // bcrypt check was shed: see AuthChecks).
  asio::awaitable<std::optional<HttpReply>> Authorize(const HttpRequest& req,
                                                      const std::string& client) {
    const std::string header = req.Header("authorization");
    auto verdict = auth->Cached(header);
    if (verdict == BasicAuth::Verdict::kVerify) {
      const auto outcome = co_await checks->Check(client, header);
      if (outcome == AuthChecks::Outcome::kBusy) {
        if (auto n = busy_warnings.Allow(std::chrono::steady_clock::now()))
          spdlog::warn(
              "{} {}: password checks of this client address ({} waiting at most) or "
              "of all ({}) full, answered 503{}",
              req.method, req.path, AuthChecks::kPerSource, AuthChecks::kMaxWaiting, Swallowed(*n));
        co_return Busy("password checks");
      }
      verdict = outcome == AuthChecks::Outcome::kAllowed ? BasicAuth::Verdict::kAllowed
                                                         : BasicAuth::Verdict::kDenied;
    }
    if (verdict == BasicAuth::Verdict::kAllowed) co_return std::nullopt;
    co_return HttpReply{401,
                        "text/plain; charset=utf-8",
                        "unauthorized: send HTTP basic auth of a daemon.auth.basic_users user\n",
                        {{"WWW-Authenticate", "Basic realm=\"reznet-perfd\""}}};
  }

  // Runs the matching handler on its lane; every exception becomes a 500.
  asio::awaitable<HttpReply> Dispatch(HttpRequest req, const std::string& client) {
    if (auth && req.method != "POST") {
      if (auto denied = co_await Authorize(req, client)) co_return std::move(*denied);
    }
    HttpReply miss;
    const RouteEntry* route = Match(req, miss);
    if (route == nullptr) co_return miss;
    if (route->async) co_return co_await CallAsync(*route, req);
    if (route->lane == Lane::kInline) co_return Call(*route, req);
    if (worker_requests.load() >= kMaxWorkerRequests) {
      if (auto n = busy_warnings.Allow(std::chrono::steady_clock::now()))
        spdlog::warn("{} {}: all workers busy ({} requests), answered 503{}", req.method, req.path,
                     kMaxWorkerRequests, Swallowed(*n));
      co_return Busy(std::to_string(kMaxWorkerRequests) + " requests");
    }
    InFlight counted{worker_requests};
    co_return co_await common::Offload(workers.get_executor(),
                                       [this, route, &req] { return Call(*route, req); });
  }

  // Runs an asynchronous handler and waits, on the server thread, for its reply.
  asio::awaitable<HttpReply> CallAsync(const RouteEntry& route, const HttpRequest& req) {
    struct Waiter {
      asio::steady_timer timer;
      std::optional<HttpReply> reply;
      std::atomic<bool> answered{false};
      explicit Waiter(asio::io_context& io) : timer(io) {}
    };
    auto waiter = std::make_shared<Waiter>(io);
    waiter->timer.expires_after(kAsyncReplyBound);
    try {
      route.async(req, [waiter, ex = io.get_executor()](HttpReply reply) {
        if (waiter->answered.exchange(true)) return;
        asio::post(ex, [waiter, reply = std::move(reply)]() mutable {
          waiter->reply = std::move(reply);
          waiter->timer.cancel();
        });
      });
    } catch (const std::exception& e) {
      spdlog::error("internal error serving {} {}: {}", req.method, req.path, e.what());
      co_return HttpReply{500, "text/plain; charset=utf-8", "internal error\n", {}};
    }
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (waiter->reply) co_return std::move(*waiter->reply);
    spdlog::error("{} {}: no reply within {} min", req.method, req.path,
                  std::chrono::duration_cast<std::chrono::minutes>(kAsyncReplyBound).count());
    co_return HttpReply{500, "text/plain; charset=utf-8", "internal error: no reply\n", {}};
  }

  HttpReply Call(const RouteEntry& route, const HttpRequest& req) {
    try {
      return route.handler(req);
    } catch (const std::exception& e) {
      spdlog::error("internal error serving {} {}: {}", req.method, req.path, e.what());
    } catch (...) {
      spdlog::error("internal error serving {} {}", req.method, req.path);
    }
    return HttpReply{500, "text/plain; charset=utf-8", "internal error\n", {}};
  }

  asio::awaitable<void> Session(tcp::socket socket, std::string client) {
    if (ssl) {
      TlsStream stream(std::move(socket), *ssl);
      co_await Connection(stream, client);
    } else {
      beast::tcp_stream stream(std::move(socket));
      co_await Connection(stream, client);
    }
  }

  // One connection over plain TCP or TLS, registered in `conns` while it lives (idle, and so
  // sheddable, until a request is read: the TLS handshake included).
  template <class Stream>
  asio::awaitable<void> Connection(Stream& stream, const std::string& client) {
    auto self = conns.insert(conns.end(), Conn{&beast::get_lowest_layer(stream), client, true,
                                               std::chrono::steady_clock::now(), false});
    ++per_client[client];
    if (co_await Handshake(stream, *self)) {
      co_await Serve(stream, *self);
      if (!self->shed) co_await Close(stream);
    }
    if (self->shed) --shedding;
    if (--per_client[client] == 0) per_client.erase(client);
    conns.erase(self);
  }

  asio::awaitable<bool> Handshake(beast::tcp_stream&, const Conn&) { co_return true; }

  asio::awaitable<bool> Handshake(TlsStream& stream, const Conn& conn) {
    beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
    boost::system::error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec && !conn.shed) {
      if (auto n = tls_warnings.Allow(std::chrono::steady_clock::now()))
        spdlog::warn("TLS handshake with {} failed: {}{}", conn.client, ec.message(),
                     Swallowed(*n));
    }
    co_return !ec;
  }

  asio::awaitable<void> Close(beast::tcp_stream& stream) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    co_return;
  }

  asio::awaitable<void> Close(TlsStream& stream) {
    beast::get_lowest_layer(stream).expires_after(kTlsShutdownTimeout);
    boost::system::error_code ec;
    co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, Conn& conn) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
      conn.idle = true;
      conn.since = std::chrono::steady_clock::now();
      // Wait up to the keep-alive timeout for a request to begin, then give it kRequestTimeout
      // to arrive whole: a client that dribbles bytes cannot hold the connection for long.
      if (buffer.size() == 0) {
        conn.stream->expires_after(kIdleTimeout);
        const std::size_t n = co_await stream.async_read_some(
            buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        buffer.commit(n);
      }
      conn.stream->expires_after(kRequestTimeout);
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBody);
      parser.header_limit(kMaxHeader);
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      conn.idle = false;
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
          ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
        break;
      }
      HttpReply reply;
      bool keep_alive = false;
      unsigned version = 11;
      bool head = false;
      if (ec) {
        reply = {ec == http::error::body_limit ? 413 : 400,
                 "text/plain; charset=utf-8",
                 "bad request: " + ec.message() + "\n",
                 {}};
      } else {
        auto msg = parser.release();
        keep_alive = msg.keep_alive();
        version = msg.version();
        head = msg.method() == http::verb::head;
        reply = co_await Dispatch(ToRequest(std::move(msg)), conn.client);
      }
      auto res = ToResponse(std::move(reply), version, keep_alive, head);
      conn.stream->expires_after(kIdleTimeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive) break;
    }
  }

  // Accepts until the acceptor closes. Out of file descriptors (or buffers), it frees one by
  // shedding the oldest idle connection and backs off before the next try instead of spinning.
  // At the connection cap, or a client's cap, the oldest idle connection makes room for the new
  // one, so a fresh scrape is served even under a flood of idle or slow connections; only when
  // every connection is busy serving is the new one refused.
  asio::awaitable<void> Accept() {
    asio::steady_timer backoff(io);
    auto delay = std::chrono::duration_cast<std::chrono::nanoseconds>(kAcceptBackoffMin);
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        if (auto n = accept_warnings.Allow(std::chrono::steady_clock::now()))
          spdlog::warn("accept failed: {}; backing off{}", ec.message(), Swallowed(*n));
        ShedOldestIdle("");
        backoff.expires_after(delay);
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        delay = std::min<std::chrono::nanoseconds>(delay * 2, kAcceptBackoffMax);
        continue;
      }
      delay = kAcceptBackoffMin;
      const std::string client = socket.remote_endpoint(ec).address().to_string();
      const auto mine = per_client.find(client);
      const bool room =
          (mine == per_client.end() || mine->second < kMaxPerClient || ShedOldestIdle(client)) &&
          (Live() < kMaxConnections || ShedOldestIdle(""));
      if (!room) {
        if (auto n = accept_warnings.Allow(std::chrono::steady_clock::now()))
          spdlog::warn("connection refused: all {} connections are serving requests{}", Live(),
                       Swallowed(*n));
        socket.close(ec);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(io, Session(std::move(socket), client), asio::detached);
    }
  }
};

ApiServer::ApiServer() : impl_(std::make_unique<Impl>()) {}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::RouteAsync(const std::string& method, const std::string& path,
                           AsyncHandler handler) {
  impl_->routes.push_back({method, path, false, nullptr, Lane::kInline, std::move(handler)});
}

void ApiServer::UseTls(TlsSettings settings) { impl_->tls = std::move(settings); }

void ApiServer::RequireBasicAuth(std::shared_ptr<BasicAuth> auth) {
  impl_->checks = std::make_unique<AuthChecks>(auth);
  impl_->auth = std::move(auth);
}

void ApiServer::Route(const std::string& method, const std::string& path, Handler handler,
                      bool prefix, Lane lane) {
  impl_->routes.push_back({method, path, prefix, std::move(handler), lane});
}

int ApiServer::Bind(const std::string& listen) {
  auto parsed = ParseListen(listen);
  if (!parsed) throw std::runtime_error(parsed.error().detail);
  const tcp::endpoint endpoint = *parsed;
  if (impl_->tls) {
    auto ctx = MakeServerTlsContext(*impl_->tls);
    if (!ctx) throw std::runtime_error("daemon.tls: " + ctx.error().detail);
    impl_->ssl = std::move(*ctx);
  }
  boost::system::error_code ec;
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + listen + ": " + ec.message());
  return a.local_endpoint().port();
}

void ApiServer::Start() {
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void ApiServer::Stop() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->io.stop();
  });
  impl_->thread.join();
  // Handlers still running finish on their own; their replies have nowhere to go.
  impl_->workers.stop();
  impl_->checks.reset();  // stops its threads; a check still running finishes first
}

}  // namespace reznet::api
