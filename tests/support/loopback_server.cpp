#include "tests/support/loopback_server.hpp"

#include <cstdlib>
#include <stdexcept>

namespace reznet::testing {

LoopbackServer::LoopbackServer(const Routes& routes)
    : server_(std::make_unique<httplib::Server>()) {
  Serve(routes);
}

LoopbackServer::LoopbackServer(const Tls& tls, const Routes& routes) {
  certs_.emplace("reznet-tls");
  const std::string key = *certs_ / "key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=reznet-test -addext "
      "subjectAltName=" +
      tls.san + " -keyout " + key + " -out " + cert() + " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed: " + cmd);
  server_ = std::make_unique<httplib::SSLServer>(cert().c_str(), key.c_str());
  Serve(routes);
}

void LoopbackServer::Serve(const Routes& routes) {
  server_->set_tcp_nodelay(true);
  routes(*server_);
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ < 0) throw std::runtime_error("loopback server: cannot bind 127.0.0.1:0");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // A stop() before the accept loop runs is lost (and the destructor's join would hang).
  while (!server_->is_running()) std::this_thread::yield();
}

LoopbackServer::~LoopbackServer() {
  server_->stop();
  thread_.join();
}

std::string LoopbackServer::url(const std::string& host) const {
  return (certs_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
}

}  // namespace reznet::testing
