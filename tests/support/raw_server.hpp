#pragma once
// A hostile (or merely odd) TCP server for unit tests: 127.0.0.1, port 0, one thread per accepted
// connection running the test's handler, which writes exactly the bytes it wants (a body with no
// end, a reset, a truncated TLS handshake); the connection is closed when the handler returns. For
// behaviours a real HTTP server cannot be made to show (STYLE 23). Everything stops at destruction:
// blocked reads return, threads are joined.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace reznet::testing {

class RawConn {
 public:
  explicit RawConn(int fd) : fd_(fd) {}
  // Reads until the end of a request head ("\r\n\r\n"); false when the peer closed first.
  bool ReadHead();
  // Reads at least one byte; false when the peer closed.
  bool ReadSome();
  void Write(std::string_view bytes);
  // Blocks until the peer closes the connection (or the server stops).
  void WaitForClose();
  // Makes the close that follows the handler's return a TCP reset (SO_LINGER 0), not a FIN.
  void Reset();
  // Sends a FIN now (a clean end of the stream for the peer); the handler may still read.
  void Close();

 private:
  int fd_;
  std::string pending_;
};

class RawServer {
 public:
  using Handler = std::function<void(RawConn&)>;
  explicit RawServer(Handler handler);
  ~RawServer();
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT"; https:// with `tls` (for clients that should try TLS on it).
  std::string url(bool tls = false) const;

 private:
  void Accept();

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<int> fds_;  // open connections, shut down at destruction
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// A server that answers every request head on a connection with `reply` (the same bytes each
// time; with `close`, once per connection), counting connections and requests.
struct CountingServer {
  std::atomic<int> connections{0}, requests{0};
  RawServer server;
  explicit CountingServer(std::string reply, bool close = false)
      : server([this, reply = std::move(reply), close](RawConn& c) {
          ++connections;
          while (c.ReadHead()) {
            ++requests;
            c.Write(reply);
            if (close) return;
          }
        }) {}
};

}  // namespace reznet::testing
