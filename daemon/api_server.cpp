#include "daemon/api_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace reznet::daemon {

struct ApiServer::Impl {
  Handlers handlers;
  httplib::Server server;
  std::string host;
  int port = -1;
};

ApiServer::ApiServer(Handlers handlers) : impl_(std::make_unique<Impl>()) {
  impl_->handlers = std::move(handlers);
  auto& s = impl_->server;
  // One pool thread per open connection (keep-alive included): room for scrapers, API clients
  // and browsers; idle keep-alive connections are closed after 5 s.
  s.new_task_queue = [] { return new httplib::ThreadPool(16); };
  s.set_tcp_nodelay(true);
  s.set_keep_alive_timeout(5);
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);
  auto* h = &impl_->handlers;
  s.Get("/metrics", [h](const httplib::Request&, httplib::Response& res) {
    res.set_content(h->metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [h](const httplib::Request&, httplib::Response& res) {
    const bool ready = h->ready();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready\n", "text/plain");
  });
  s.Get("/api/v1/status", [h](const httplib::Request&, httplib::Response& res) {
    res.set_content(h->status(), "application/json");
  });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<!doctype html><title>reznet-perfd</title><h1>reznet-perfd</h1><ul>"
        "<li><a href=\"/metrics\">/metrics</a></li>"
        "<li><a href=\"/api/v1/status\">/api/v1/status</a></li>"
        "<li><a href=\"/healthz\">/healthz</a>, <a href=\"/readyz\">/readyz</a></li></ul>",
        "text/html; charset=utf-8");
  });
  // No exception may escape a handler: answer 500 and log it.
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("internal error serving {}: {}", req.path, what);
    res.status = 500;
    res.set_content("internal error\n", "text/plain");
  });
}

ApiServer::~ApiServer() { Stop(); }

int ApiServer::Bind(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("listen address needs host:port: " + listen);
  impl_->host = listen.substr(0, colon);
  if (impl_->host.starts_with("[") && impl_->host.ends_with("]")) {
    impl_->host = impl_->host.substr(1, impl_->host.size() - 2);
  }
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw std::runtime_error("bad port in listen address " + listen);
  }
  if (port == 0) {
    impl_->port = impl_->server.bind_to_any_port(impl_->host);
  } else {
    impl_->port = impl_->server.bind_to_port(impl_->host, port) ? port : -1;
  }
  if (impl_->port < 0) {
    throw std::runtime_error("cannot listen on " + listen + " (in use, or not an address of this host)");
  }
  return impl_->port;
}

void ApiServer::Run() { impl_->server.listen_after_bind(); }

void ApiServer::Stop() { impl_->server.stop(); }

}  // namespace reznet::daemon
