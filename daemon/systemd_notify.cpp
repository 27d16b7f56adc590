#include "daemon/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

namespace reznet::daemon::systemd {

void Notify(const std::string& state) { sd_notify(0, state.c_str()); }

std::optional<std::chrono::microseconds> WatchdogPingInterval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace reznet::daemon::systemd
