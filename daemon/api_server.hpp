#pragma once
// The daemon's HTTP API on cpp-httplib: GET /metrics, /healthz, /readyz, /api/v1/status.
// Handlers run on the server's own thread pool and only call the thread-safe callbacks given.

#include <functional>
#include <memory>
#include <string>

namespace reznet::daemon {

class ApiServer {
 public:
  struct Handlers {
    std::function<std::string()> metrics;  // exposition text
    std::function<std::string()> status;   // JSON
    std::function<bool()> ready;
  };

  explicit ApiServer(Handlers handlers);
  ~ApiServer();

  // Binds "host:port" (port 0 picks a free one) and returns the port. Throws std::runtime_error.
  int Bind(const std::string& listen);
  void Run();  // blocks until Stop()
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reznet::daemon
