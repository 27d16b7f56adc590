#include "tests/support/raw_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace reznet::testing {

bool RawConn::ReadHead() {
  while (pending_.find("\r\n\r\n") == std::string::npos) {
    if (!ReadSome()) return false;
  }
  pending_.erase(0, pending_.find("\r\n\r\n") + 4);
  return true;
}

bool RawConn::ReadSome() {
  char buf[4096];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  pending_.append(buf, static_cast<std::size_t>(n));
  return true;
}

void RawConn::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // the peer is gone: the test sees that on its side
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void RawConn::WaitForClose() {
  while (ReadSome()) pending_.clear();
}

void RawConn::Reset() {
  const linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

void RawConn::Close() { ::shutdown(fd_, SHUT_WR); }

RawServer::RawServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("raw server: cannot listen on 127.0.0.1:0");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

void RawServer::Accept() {
  for (;;) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0 || stop_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    std::lock_guard lock(mutex_);
    fds_.push_back(fd);
    threads_.emplace_back([this, fd] {
      RawConn conn(fd);
      handler_(conn);
      std::lock_guard done(mutex_);
      std::erase(fds_, fd);
      ::close(fd);
    });
  }
}

RawServer::~RawServer() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes the blocked accept()
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);  // wakes handlers blocked in a read
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

std::string RawServer::url(bool tls) const {
  return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

}  // namespace reznet::testing
