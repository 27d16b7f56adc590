#include "daemon/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/read_file.hpp"

namespace reznet::daemon {

common::Result<StateDirLock> StateDirLock::Acquire(const std::string& state_dir) {
  const std::string dir = state_dir.empty() ? "." : state_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return common::Invalid("daemon.state_dir: cannot create " + dir + ": " + ec.message());
  const std::string path = dir + "/lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0)
    return common::Invalid("daemon.state_dir: cannot open " + path + ": " + std::strerror(errno));
  StateDirLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK)
      return common::Invalid("daemon.state_dir: cannot lock " + path + ": " + std::strerror(err));
    auto text = common::ReadFileBounded(path, 64);
    const std::string pid = text ? common::FirstLine(*text) : "";
    return common::Fail(common::ErrorKind::kConflict,
                        "daemon.state_dir " + dir + " is in use by another reznet-perfd (pid " +
                            (pid.empty() ? "unknown" : pid) + ", holding " + path +
                            "): give each daemon its own state_dir");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    return common::Invalid("daemon.state_dir: cannot write " + path + ": " + std::strerror(errno));
  return lock;
}

StateDirLock::~StateDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace reznet::daemon
