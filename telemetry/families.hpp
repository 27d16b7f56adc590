#pragma once
// The exporter's metric families (docs/design.md §5): names, types and HELP texts in one table,
// registered in this order (the order of their part of /metrics). The per-probe series are not
// here: telemetry/probe_metrics.hpp and telemetry/window_store.hpp write them.
//
// The families are thread-safe (prometheus-cpp locks each family when series are added, removed
// or collected).

#include <prometheus/family.h>

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

  prometheus::Family<prometheus::Gauge>& build;
  prometheus::Family<prometheus::Gauge>& shard;
  prometheus::Family<prometheus::Gauge>& nfr_ok;
  prometheus::Family<prometheus::Gauge>& nfr_value;
  prometheus::Family<prometheus::Gauge>& nfr_threshold;
  prometheus::Family<prometheus::Gauge>& nfr_state;
  prometheus::Family<prometheus::Counter>& nfr_good;
  prometheus::Family<prometheus::Counter>& nfr_events;
  prometheus::Family<prometheus::Counter>& alerts_sent;
  prometheus::Family<prometheus::Counter>& alerts_failed;
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
};

}  // namespace reznet::telemetry
