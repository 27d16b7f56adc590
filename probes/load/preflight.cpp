#include "probes/load/preflight.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/fd_limit.hpp"

namespace reznet::probes::load {

int Threads(const LoadSettings& s) {
  return s.threads > 0 ? s.threads
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Each user holds a connection, each thread's io_context three descriptors (epoll, eventfd,
// timerfd), and the process holds what it holds already (logs, listeners, other probes). The soft
// limit is raised to the hard one (as the daemon does at start); past the hard one the test would
// be a storm of connect errors ("Too many open files"), so it does not start and the error names
// the limit.
common::Result<void> CheckFdLimit(const LoadSettings& s) {
  const std::int64_t users = s.executor == Executor::kConstantArrivalRate ? s.max_vus : s.users;
  const std::uint64_t need =
      static_cast<std::uint64_t>(users) + common::OpenFds() + 4 * Threads(s) + 16;
  const common::FdLimit raised = common::RaiseFdLimit();
  if (raised.soft >= need) return {};
  const std::string n = std::to_string(need);
  return common::Fail(
      common::ErrorKind::kUnavailable,
      std::to_string(users) + " users need " + n +
          " open files (a connection each), but the open files limit (RLIMIT_NOFILE) is " +
          std::to_string(raised.soft) + " (hard limit " + std::to_string(raised.hard) + ")" +
          (raised.error.empty() ? "" : " and cannot be raised: " + raised.error) +
          ": raise the hard limit (`ulimit -n " + n +
          "` as root before starting, LimitNOFILE=" + n +
          " in a systemd unit, nofile in /etc/security/limits.conf), or run fewer users per "
          "process "
          "(--segment)");
}

}  // namespace reznet::probes::load
