#pragma once
// The daemon's own routes besides suite runs (suite_routes.hpp):
//   GET /metrics         Prometheus text exposition
//   GET /healthz         liveness: 200 while the process serves
//   GET /readyz          readiness: 200 after start-up, 503 while starting or stopping, or
//                        while the last history write failed (the body says why)
//   GET /api/v1/status   probes, windows, NFR states (and the prober's health) as JSON
//   GET /                the status page
//   POST /-/reload       reload the config (authorised like POST /run-suite)
//   GET /-/reload        the running or last reload

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/api_server.hpp"
#include "api/readiness.hpp"
#include "config/holder.hpp"

namespace reznet::telemetry {
class Telemetry;
class ProberHealth;
}  // namespace reznet::telemetry
namespace reznet::suite {
class SuiteService;
}

namespace reznet::api {

// GET /readyz: 200 "ready", or 503 with what `ready` says is wrong. With `prober` (the prober's
// own health, telemetry/prober_health.hpp), /api/v1/status carries it under "prober" and marks
// every NFR "suspect" while it is overloaded.
void AddMetricsRoutes(ApiServer& server, telemetry::Telemetry& sink, const Readiness& ready,
                      const telemetry::ProberHealth* prober = nullptr);

// `started_wall`: Unix seconds the daemon started. With `prober`, the page shows its health and
// marks the NFR states suspect while it is overloaded.
void AddStatusPageRoute(ApiServer& server, telemetry::Telemetry& sink, suite::SuiteService& suites,
                        std::string version, double started_wall,
                        const telemetry::ProberHealth* prober = nullptr);

// What a reload did; `ok` false: refused with `errors`, nothing changed.
struct ReloadOutcome {
  bool ok = false;
  std::vector<std::string> errors;
  std::vector<std::string> added, changed, removed;
  std::size_t kept = 0;
};

// One reload as the API reports it.
struct ReloadRecord {
  std::uint64_t id = 0;    // 1, 2, … in the order reloads started
  std::string trigger;     // "POST /-/reload" or "SIGHUP"
  bool running = false;    // `outcome` is meaningful once this is false
  double started_at = 0;   // Unix seconds
  double finished_at = 0;  // Unix seconds; 0 while running
  ReloadOutcome outcome;
};

// Reloads as the daemon runs them (daemon/reload_control.hpp): one at a time, built off the
// probe thread. Thread-safe.
class ReloadControl {
 public:
  virtual ~ReloadControl() = default;
  // Starts a reload unless one is running. `started` false: `record` is the running one.
  struct Started {
    bool started = false;
    ReloadRecord record;
  };
  virtual Started Start(const std::string& trigger) = 0;
  // Waits until reload `id` has finished or `bound` has passed; its record as it then is.
  virtual ReloadRecord Wait(std::uint64_t id, std::chrono::milliseconds bound) = 0;
  // The running reload, else the last finished one; nullopt before the first.
  virtual std::optional<ReloadRecord> Current() const = 0;
};

// POST /-/reload starts a reload (authorised like POST /run-suite) and waits up to `wait` for it:
// 200 {status: "reloaded", id, added, changed, removed, kept} once applied, 400 {error, errors}
// when refused (nothing changed), 202 {status: "in progress", id, status_url} (+ Location) when
// it is still running at the bound, 409 {error, running, status_url} while another reload runs.
// GET /-/reload: the running reload, else the last one ({status: "none"} before the first).
void AddReloadRoute(ApiServer& server, const config::ConfigHolder& config, std::string listen_host,
                    ReloadControl& reloads, std::chrono::milliseconds wait);

}  // namespace reznet::api
