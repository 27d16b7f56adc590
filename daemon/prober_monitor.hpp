#pragma once
// ProberMonitor: measures the prober's own health (issue #26 item 5) on the probe io_context and
// hands it to telemetry::ProberHealth, which judges it. Every kInterval it
//   - reads /proc/pressure/cpu (a procfs read never waits for a disk, so it is done in place); a
//     file that is absent or does not parse gives no series and one log line, never an error;
//   - sends GET /healthz to the daemon's own API over loopback and records the round trip (from
//     the probe loop through the API server's thread and back, on a new connection each time).
//     Any answer is a round trip: a 401 under basic auth went through the server like a 200.
//     No answer within kSelfProbeDeadline is a self-probe error, and counts as that long;
//   - reports how late its own tick fired as a lateness (beside the scheduler's runs), so a
//     stalled loop shows even with no probe due;
//   - checks the overload rule (daemon.overload of the config in force at that moment) and hands
//     a change of state to `on_change` (the alert notifier) and to the log.
// Nothing here blocks the io_context: the self-probe is a coroutine with a deadline, the wait a
// timer of the injected clock. Not thread-safe: Start and Stop on the io_context's thread (or
// before it runs).

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "config/config.hpp"

namespace reznet::telemetry {
class ProberHealth;
}

namespace reznet::daemon {

class ProberMonitor {
 public:
  // Every few seconds: often enough that the middle of the last three self-probes follows a
  // change within 10 s (as PSI's avg10 does), rarely enough to cost nothing (one loopback
  // request, one 100-byte file read).
  static constexpr std::chrono::seconds kInterval{5};
  // The first check, soon after start: /metrics and /api/v1/status have the series at once.
  static constexpr std::chrono::seconds kFirst{1};
  static constexpr std::chrono::seconds kSelfProbeDeadline{5};

  // The overload thresholds in force (read at each check, so a reload applies at the next).
  using Limits = std::function<config::OverloadConfig()>;
  // The state changed: overloaded (with why) or not.
  using OnChange = std::function<void(bool overloaded, const std::string& why)>;

  // `health` and `clock` must outlive every tick (the io_context's run).
  ProberMonitor(boost::asio::any_io_executor executor, telemetry::ProberHealth& health,
                Limits limits, OnChange on_change, common::Clock& clock = common::SystemClock(),
                std::string psi_path = "/proc/pressure/cpu");
  ~ProberMonitor();
  ProberMonitor(const ProberMonitor&) = delete;
  ProberMonitor& operator=(const ProberMonitor&) = delete;

  // Starts the ticks. `self`: the daemon's own API (SelfProbeUrl); an error is logged once and
  // leaves the self-probe out (the other signals still count).
  void Start(const common::Result<config::Url>& self);
  void Stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Where the daemon reaches its own API: the host of `listen` (a wildcard — empty, 0.0.0.0, :: —
// as the loopback address of its family) and the port it bound, https when it serves TLS. An
// error when it cannot: the API requires client certificates (daemon.tls.client_ca_file).
common::Result<config::Url> SelfProbeUrl(const std::string& listen, int port,
                                         const config::TlsConfig& tls);

}  // namespace reznet::daemon
