#pragma once
// The exporter's state (telemetry/exporter.hpp): the series it holds by probe, NFR, load test and
// discovered target. Private to the exporter's sources (exporter.cpp, exporter_daemon.cpp).

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "probes/live.hpp"
#include "telemetry/exporter.hpp"
#include "telemetry/families.hpp"
#include "telemetry/window_gauges.hpp"

namespace reznet::telemetry {
namespace exporter_detail {

inline double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// The `result` values of reznet_perf_probe_runs_total, in ProbeSeries::runs' order.
enum RunResult { kRunSuccess, kRunFailure, kRunSkipped, kRunOverrun };
inline constexpr const char* kRunResults[] = {"success", "failure", "skipped", "overrun"};

struct PhaseSeries {
  prometheus::Histogram* histogram = nullptr;
  WindowGauges gauges;
};

struct RatioSeries {
  std::string counter;
  prometheus::Family<prometheus::Gauge>* family = nullptr;
  prometheus::Gauge* gauge = nullptr;  // created by the first run that has the counter
};

struct ProbeSeries {
  std::string kind;
  Budget budget;
  std::map<std::string, std::string> labels;  // kind-specific (provider, model)
  std::map<std::string, PhaseSeries> phases;
  // reznet_perf_probe_runs_total{result} (by RunResult), _probe_success and
  // _probe_last_run_timestamp_seconds: plain values, written at render (ProbeRunFamilies), not
  // prometheus-cpp series. Those six series a probe were most of the cost of declaring 100,000
  // discovered probes (a family's Add copies its label map twice and hashes it).
  std::array<double, 4> runs{};
  double success = 0;
  double last_run = 0;
  std::map<std::string, prometheus::Counter*> errors;  // by error kind
  prometheus::Counter* llm_tokens = nullptr;
  prometheus::Gauge* llm_rate = nullptr;
  prometheus::Gauge* llm_budget = nullptr;
  std::vector<RatioSeries> ratios;
};

struct LoadSeries {
  const probes::LiveCounters* live = nullptr;
  prometheus::Counter* requests = nullptr;
  prometheus::Counter* failed = nullptr;
  prometheus::Counter* iterations = nullptr;
  prometheus::Counter* dropped = nullptr;
  prometheus::Gauge* users = nullptr;
  prometheus::Gauge* running = nullptr;
  std::uint64_t seen_requests = 0, seen_failed = 0, seen_iterations = 0, seen_dropped = 0;
};

struct NfrSeries {
  prometheus::Gauge* ok = nullptr;
  prometheus::Gauge* value = nullptr;
  prometheus::Gauge* threshold = nullptr;
  std::map<std::string, prometheus::Gauge*> states;
  prometheus::Counter* good = nullptr;
  prometheus::Counter* events = nullptr;
  std::uint64_t good_seen = 0, events_seen = 0;
};

// reznet_perf_probe_target_info{probe, target, <file_sd labels>} 1, written at render (as the
// run series): shared so a render copies a pointer under the lock, not the labels.
struct TargetInfo {
  std::shared_ptr<const prometheus::Labels> labels;
};

}  // namespace exporter_detail

struct Exporter::State {
  explicit State(prometheus::Registry& registry) : families(registry) {}
  Families families;
  std::map<std::string, exporter_detail::ProbeSeries> probes;
  std::map<std::string, exporter_detail::TargetInfo> target_info;  // by discovered probe
  std::map<std::string, exporter_detail::NfrSeries> nfrs;
  std::map<std::string, exporter_detail::LoadSeries> loads;
  prometheus::Histogram* lateness = nullptr;
  prometheus::Gauge* shard = nullptr;
};

}  // namespace reznet::telemetry
