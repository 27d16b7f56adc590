#pragma once
// The daemon's own routes besides suite runs (suite_routes.hpp):
//   GET /metrics         Prometheus text exposition
//   GET /healthz         liveness: 200 while the process serves
//   GET /readyz          readiness: 200 after start-up, 503 while starting or stopping, or
//                        while the last history write failed (the body says why)
//   GET /api/v1/status   probes, windows, NFR states as JSON
//   GET /                the status page
//   POST /-/reload       reload the config (authorised like POST /run-suite)

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "api/api_server.hpp"
#include "api/readiness.hpp"
#include "config/holder.hpp"

namespace reznet::telemetry {
class Telemetry;
}
namespace reznet::suite {
class SuiteService;
}

namespace reznet::api {

// GET /readyz: 200 "ready", or 503 with what `ready` says is wrong.
void AddMetricsRoutes(ApiServer& server, telemetry::Telemetry& sink, const Readiness& ready);

// `started_wall`: Unix seconds the daemon started.
void AddStatusPageRoute(ApiServer& server, telemetry::Telemetry& sink, suite::SuiteService& suites,
                        std::string version, double started_wall);

// What a reload did; `ok` false: refused with `errors`, nothing changed.
struct ReloadOutcome {
  bool ok = false;
  std::vector<std::string> errors;
  std::vector<std::string> added, changed, removed;
  std::size_t kept = 0;
};
// `reload` runs the reload where it must run (the probe thread) and waits for it; nullopt when
// the daemon did not get to it in time (busy or stopping).
using ReloadRunner = std::function<std::optional<ReloadOutcome>()>;
void AddReloadRoute(ApiServer& server, const config::ConfigHolder& config, std::string listen_host,
                    ReloadRunner reload);

}  // namespace reznet::api
