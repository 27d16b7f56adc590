#pragma once
// The systemd notification protocol (Type=notify) through libsystemd's sd_notify: READY=1 once
// the config is loaded and the port bound, WATCHDOG=1 from the probe loop at half of WatchdogSec,
// RELOADING=1 / READY=1 around a reload, STOPPING=1 on shutdown. Outside systemd (no
// NOTIFY_SOCKET) every call is a no-op.

#include <chrono>
#include <optional>
#include <string>

namespace reznet::daemon::systemd {

void Notify(const std::string& state);
// How often to ping the watchdog (half of WatchdogSec), or nullopt when it is off.
std::optional<std::chrono::microseconds> WatchdogPingInterval();

}  // namespace reznet::daemon::systemd
