#pragma once
// The metric families of docs/design.md §5: names, types and HELP texts in one table, registered in
// this order (the order of /metrics). Ratio gauges are looked up by name: the two cache ratios
// exist from the start, any other name is registered on first use.
//
// Not thread-safe: the exporter calls Ratio under its lock. The families themselves are
// (prometheus-cpp locks each family when series are added, removed or collected).

#include <prometheus/family.h>

#include <map>
#include <string>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace reznet::telemetry {

class Families {
 public:
  explicit Families(prometheus::Registry& r);
  Families(const Families&) = delete;
  Families& operator=(const Families&) = delete;

  // The gauge family of a ratio (an outcome counter exported by name); HELP is generic unless
  // the name is one of the cache ratios. Throws std::invalid_argument unless `name` is a valid
  // metric name ending in _ratio.
  prometheus::Family<prometheus::Gauge>& Ratio(const std::string& name);

  prometheus::Family<prometheus::Histogram>& duration;
  prometheus::Family<prometheus::Gauge>& window;
  prometheus::Family<prometheus::Gauge>& window_samples;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Gauge>& build;
  prometheus::Family<prometheus::Gauge>& shard;
  prometheus::Family<prometheus::Counter>& llm_tokens;
  prometheus::Family<prometheus::Gauge>& llm_rate;
  prometheus::Family<prometheus::Gauge>& cache_hit;
  prometheus::Family<prometheus::Gauge>& cache_reduction;
  prometheus::Family<prometheus::Gauge>& nfr_ok;
  prometheus::Family<prometheus::Gauge>& nfr_value;
  prometheus::Family<prometheus::Gauge>& nfr_threshold;
  prometheus::Family<prometheus::Gauge>& nfr_state;
  prometheus::Family<prometheus::Counter>& nfr_good;
  prometheus::Family<prometheus::Counter>& nfr_events;
  prometheus::Family<prometheus::Counter>& alerts_sent;
  prometheus::Family<prometheus::Counter>& alerts_failed;
  prometheus::Family<prometheus::Gauge>& llm_budget;
  prometheus::Family<prometheus::Counter>& suite_runs;
  prometheus::Family<prometheus::Gauge>& suite_last_success;
  prometheus::Family<prometheus::Gauge>& suite_last_duration;
  prometheus::Family<prometheus::Gauge>& suite_last_timestamp;
  prometheus::Family<prometheus::Gauge>& suite_last_failed;
  prometheus::Family<prometheus::Counter>& load_requests;
  prometheus::Family<prometheus::Counter>& load_failed;
  prometheus::Family<prometheus::Counter>& load_iterations;
  prometheus::Family<prometheus::Counter>& load_dropped;
  prometheus::Family<prometheus::Gauge>& load_users;
  prometheus::Family<prometheus::Gauge>& load_running;
  prometheus::Family<prometheus::Gauge>& reload_ok;
  prometheus::Family<prometheus::Gauge>& reload_time;
  prometheus::Family<prometheus::Counter>& history_write_failures;
  prometheus::Family<prometheus::Histogram>& lateness;
  prometheus::Family<prometheus::Counter>& probe_requests;
  prometheus::Family<prometheus::Gauge>& discovery_targets;
  prometheus::Family<prometheus::Gauge>& discovery_skipped;
  prometheus::Family<prometheus::Counter>& discovery_errors;

 private:
  prometheus::Registry& registry_;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*> ratios_;
};

}  // namespace reznet::telemetry
