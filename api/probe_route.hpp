#pragma once
// GET /probe?target=…&module=NAME[&debug=true] — the blackbox_exporter multi-target pattern:
// Prometheus service discovery and relabelling decide what is probed; the daemon runs one probe
// of a configured module (config/module.hpp) against the target now and answers its result in
// the exposition format, so existing relabelling recipes work. An `http` module answers in
// blackbox_exporter's names (api/blackbox_format.hpp), so its dashboards and alerts work
// unchanged; other kinds answer:
//
//   probe_success 1
//   probe_duration_seconds 0.0123
//   probe_phase_duration_seconds{phase="connect"} 0.0004   (the mean of its samples)
//   probe_error{kind="timeout"} 1                          (on failure only)
//   probe_<kind>_<counter> …                               (the kind's counters, e.g.
//                                                           probe_llm_tokens_out)
//
// The run gets the module's timeout, or Prometheus's X-Prometheus-Scrape-Timeout-Seconds minus
// daemon.probe_endpoint.timeout_margin when that is shorter. Answers:
//   200  the run's result (a failed run is still 200: probe_success 0)
//   400  unknown module, missing or malformed target, a scrape timeout that leaves < 100 ms
//   403  a target the module's allow list does not name (the SSRF guard; none listed: none)
//   503  daemon.probe_endpoint.max_concurrent runs already in progress (Retry-After: 1)
// debug=true answers text/plain: what the run did, then the metrics (api/blackbox_format.hpp).
// Configured secrets never appear in either answer. Each is counted in
// reznet_perf_probe_requests_total{module, result}. The run happens on the probe io_context like a
// scheduled run; the server thread only waits for its reply, so /metrics is served meanwhile.

#include <boost/asio/any_io_executor.hpp>
#include <string>

#include "api/api_server.hpp"
#include "config/holder.hpp"
#include "probes/outcome.hpp"

namespace reznet::probes {
class ProbeRegistry;
}
namespace reznet::common {
class MetricsRegistry;
}

namespace reznet::api {

struct ProbeRouteDeps {
  const config::ConfigHolder& config;
  const probes::ProbeRegistry& registry;
  boost::asio::any_io_executor executor;  // where runs happen (the probe io_context)
  boost::asio::any_io_executor blocking;  // for kinds with blocking drivers (postgres, redis)
  // reznet_perf_probe_requests_total{module,result} is registered here.
  common::MetricsRegistry& metrics;
};

void AddProbeRoute(ApiServer& server, ProbeRouteDeps deps);

}  // namespace reznet::api
