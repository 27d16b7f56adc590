#include "api/api_server.hpp"

#include <spdlog/spdlog.h>

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
#include <expected>
#include <list>
#include <map>
#include <thread>

#include "clients/offload.hpp"
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

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct RouteEntry {
  std::string method;
  std::string path;
  bool prefix;
  ApiServer::Handler handler;
  ApiServer::Lane lane;
};

constexpr int kWorkers = 4;
// Requests waiting for or running on a worker; beyond this, 503 at once instead of a queue.
constexpr int kMaxWorkerRequests = 64;

}  // namespace

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string HttpRequest::QueryParam(const std::string& name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (PercentDecode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return "";
}

// One open connection, as the accept loop sees it to decide whom to shed. Lives on the server
// thread only.
struct Conn {
  beast::tcp_stream* stream = nullptr;
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
  asio::thread_pool workers{kWorkers};
  std::atomic<int> worker_requests{0};

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

  // Runs the matching handler on its lane; every exception becomes a 500.
  asio::awaitable<HttpReply> Dispatch(HttpRequest req) {
    HttpReply miss;
    const RouteEntry* route = Match(req, miss);
    if (route == nullptr) co_return miss;
    if (route->lane == Lane::kInline) co_return Call(*route, req);
    if (worker_requests.load() >= kMaxWorkerRequests) {
      if (auto n = busy_warnings.Allow(std::chrono::steady_clock::now()))
        spdlog::warn("{} {}: all workers busy ({} requests), answered 503{}", req.method, req.path,
                     kMaxWorkerRequests, Swallowed(*n));
      co_return HttpReply{
          503,
          "text/plain; charset=utf-8",
          "busy: " + std::to_string(kMaxWorkerRequests) + " requests in progress; try again\n",
          {{"Retry-After", "1"}}};
    }
    ++worker_requests;
    struct Done {
      std::atomic<int>& n;
      ~Done() { --n; }
    } done{worker_requests};
    co_return co_await clients::Offload(workers.get_executor(),
                                        [this, route, &req] { return Call(*route, req); });
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
    beast::tcp_stream stream(std::move(socket));
    auto self = conns.insert(conns.end(),
                             Conn{&stream, client, true, std::chrono::steady_clock::now(), false});
    ++per_client[client];
    co_await Serve(stream, *self);
    boost::system::error_code ec;
    if (!self->shed) stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (self->shed) --shedding;
    if (--per_client[client] == 0) per_client.erase(client);
    conns.erase(self);
  }

  asio::awaitable<void> Serve(beast::tcp_stream& stream, Conn& conn) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
      conn.idle = true;
      conn.since = std::chrono::steady_clock::now();
      // Wait up to the keep-alive timeout for a request to begin, then give it kRequestTimeout
      // to arrive whole: a client that dribbles bytes cannot hold the connection for long.
      if (buffer.size() == 0) {
        stream.expires_after(kIdleTimeout);
        const std::size_t n = co_await stream.async_read_some(
            buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        buffer.commit(n);
      }
      stream.expires_after(kRequestTimeout);
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBody);
      parser.header_limit(kMaxHeader);
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      conn.idle = false;
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
          ec == asio::error::eof) {
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
        HttpRequest req;
        req.method = std::string(msg.method_string());
        head = req.method == "HEAD";
        std::string_view target = msg.target();
        auto q = target.find('?');
        req.path = std::string(target.substr(0, q));
        if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
        for (const auto& field : msg) {
          std::string name(field.name_string());
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          req.headers[name] = std::string(field.value());
        }
        req.body = std::move(msg.body());
        reply = co_await Dispatch(std::move(req));
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), version};
      res.set(http::field::server, "reznet-perfd");
      res.set(http::field::content_type, reply.content_type);
      for (const auto& [k, v] : reply.headers) res.set(k, v);
      res.body() = std::move(reply.body);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      if (head) res.body().clear();
      stream.expires_after(kIdleTimeout);
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

void ApiServer::Route(const std::string& method, const std::string& path, Handler handler,
                      bool prefix, Lane lane) {
  impl_->routes.push_back({method, path, prefix, std::move(handler), lane});
}

namespace {

// "host:port" → an endpoint, or why not. Hosts: an IP address, [v6], *, localhost.
std::expected<tcp::endpoint, std::string> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    return std::unexpected("listen address needs host:port: " + listen);
  std::string host = listen.substr(0, colon);
  if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec)
    return std::unexpected("cannot listen on " + listen + ": \"" + host +
                           "\" is not an IP address");
  const std::string port_text = listen.substr(colon + 1);
  unsigned long port = 70000;
  if (!port_text.empty() && port_text.size() <= 5 &&
      std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    port = std::stoul(port_text);
  if (port > 65535) return std::unexpected("bad port in listen address " + listen);
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace

std::optional<std::string> ListenError(const std::string& listen) {
  auto endpoint = ParseListen(listen);
  if (endpoint) return std::nullopt;
  return endpoint.error();
}

int ApiServer::Bind(const std::string& listen) {
  auto parsed = ParseListen(listen);
  if (!parsed) throw std::runtime_error(parsed.error());
  const tcp::endpoint endpoint = *parsed;
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
}

}  // namespace reznet::api
