#pragma once
// `reznet-perfd rules`: the config's NFRs as a Prometheus rules file, over the metrics this
// daemon exports, so paging keeps working when the daemon itself is down or unreachable.
//   - one alerting rule per NFR (same name, threshold, `for`, labels, annotations);
//     latency stats read reznet_perf_probe_window_seconds (guarded by min_samples on
//     reznet_perf_probe_window_samples), error_rate is computed from
//     reznet_perf_probe_runs_total over the window, ratio means are avg_over_time of the gauge
//     the probe's kind declares for the ratio (KindTraits::ratios; a ratio without one is left
//     to the daemon, with a comment); a burn-rate rule (alert: burn_rate) reads its SLO counters
//     (nfr/slo_ledger.hpp): the bad share over 1 h and 5 m above 14.4 × the error budget, or
//     over 6 h and 30 m above 6 ×, once the 5 m window holds min_samples events;
//   - rules over on-demand kinds (KindTraits::on_demand: load tests) become comments: suite runs
//     judge them;
//   - ReznetPerfdDown (the scrape job is down or absent for 5m), ReznetProbeFailing (a probe
//     had failures and no success for 10m), ReznetProberOverloaded (for 30s, the daemon counts
//     itself overloaded: reznet_perf_prober_overloaded) and ReznetShardsInconsistent (for 5m,
//     two daemons of the job claim the same shard, or they disagree on the number of shards:
//     daemon.shard).
// Hysteresis (clear_threshold) has no equivalent in a rules file and is not carried over.

#include <string>

#include "config/config.hpp"

namespace reznet::nfr {

std::string PrometheusRules(const config::Config& config, const std::string& job = "reznet-perfd");

}  // namespace reznet::nfr
