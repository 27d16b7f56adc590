#pragma once
// A real HTTP(S) server for unit tests (STYLE 23): cpp-httplib on 127.0.0.1, port 0, serving on
// its own thread from construction until destruction. Handlers run on that thread: anything they
// share with the test needs a lock or an atomic.

#include <httplib.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "tests/support/scratch_dir.hpp"

namespace reznet::testing {

// Installs the handlers: server.Get("/health", …).
using Routes = std::function<void(httplib::Server& server)>;

// HTTPS with a fresh self-signed certificate (RSA 2048, one day) whose subjectAltName is `san`,
// e.g. "IP:127.0.0.1" or "DNS:localhost", made by the openssl command line in a ScratchDir.
struct Tls {
  std::string san;
};

class LoopbackServer {
 public:
  explicit LoopbackServer(const Routes& routes);
  // Throws std::runtime_error when openssl cannot make the certificate.
  LoopbackServer(const Tls& tls, const Routes& routes);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" (https:// with Tls); `host` replaces 127.0.0.1 ("localhost").
  std::string url(const std::string& host = "127.0.0.1") const;
  // The certificate's PEM file (Tls only): a client's ca_file.
  std::string cert() const { return *certs_ / "cert.pem"; }

 private:
  void Serve(const Routes& routes);

  std::optional<ScratchDir> certs_;  // TLS only
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace reznet::testing
