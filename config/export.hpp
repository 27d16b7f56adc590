#pragma once
// The cardinality budget: which rolling windows and statistics of a probe become
// reznet_perf_probe_window_seconds / _window_samples gauges. Histograms, counters and the NFR
// rules' own reading of the windows are not affected: every configured window is kept inside.
//
//   daemon:
//     export:
//       windows: [5m]            # of daemon.windows; default 5m when configured, else the shortest
//       stats: [p50, p95, p99]   # of p50 p90 p95 p99 mean max; the default
//   probes:
//     - name: api_health
//       export: { windows: [1m, 5m, 1h], stats: [p50, p90, p95, p99, mean, max] }  # per probe
//
// A probe's `export:` replaces each key it sets; the one it leaves takes daemon.export's. Empty
// lists are allowed (no window gauges). A latency NFR on a probe adds its window and stat to that
// probe's budget, so the expressions of `reznet-perfd rules` always have their gauges.

#include <vector>

#include "config/nfr.hpp"
#include "config/units.hpp"

namespace reznet::config {

struct Config;
class MapReader;

struct ExportBudget {
  std::vector<Duration> windows;  // in daemon.windows order, no duplicates
  std::vector<NfrStat> stats;     // latency statistics (kP50 … kMax), in that order
  bool operator==(const ExportBudget&) const = default;
};

// The default budget for `windows` (daemon.windows): 5m when configured, else the shortest;
// p50, p95, p99.
ExportBudget DefaultExportBudget(const std::vector<Duration>& windows);

// Reads an `export:` block over `base` (keys it leaves keep base's values); unknown windows
// (not in `windows`) and statistics are reported with file:line:col.
ExportBudget ParseExportBudget(MapReader r, const std::vector<Duration>& windows,
                               const ExportBudget& base);

// Adds each latency NFR's window and stat to its probe's budget (ProbeConfig::exported);
// burn-rate rules read no window gauge and add nothing.
void AddNfrExports(Config& cfg);

// "p50", "mean", … of a latency statistic.
const char* StatName(NfrStat stat);

}  // namespace reznet::config
