#pragma once
// The window gauges of one (probe, phase) series (reznet_perf_probe_window_seconds and
// _window_samples) under a cardinality budget: gauges exist only for the budget's windows and
// statistics. Internal to the exporter; not thread-safe (the exporter's lock guards it).

#include <array>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "config/export.hpp"
#include "stats/window.hpp"

namespace prometheus {
class Gauge;
}

namespace reznet::telemetry {

class Families;

// The `stat` label values, in the order of WindowGaugeValues.
inline constexpr const char* kStats[] = {"p50", "p90", "p95", "p99", "mean", "max"};
inline constexpr std::size_t kStatCount = std::size(kStats);

// Which windows (by index into the configured lengths) and stats (by kStats index) are gauges.
struct Budget {
  std::vector<bool> windows;
  std::array<bool, kStatCount> stats{};
};

// `chosen` over the configured `lengths`; nullopt: every window and stat. Windows not among
// the lengths are ignored.
Budget BudgetOf(const std::vector<stats::Duration>& lengths,
                const std::optional<config::ExportBudget>& chosen);

class WindowGauges {
 public:
  // Adds the gauges `budget` wants (NaN until Set) and removes those it no longer wants.
  void Sync(Families& f, const std::vector<std::string>& window_names, const Budget& budget,
            const std::string& probe, const std::string& phase);
  // Values of the windows that have gauges (one WindowStats per configured window).
  void Set(const std::vector<stats::WindowStats>& windows);
  void Remove(Families& f);

 private:
  std::vector<std::array<prometheus::Gauge*, kStatCount>> stats_;  // [window][stat], null: off
  std::vector<prometheus::Gauge*> samples_;                        // [window], null: off
};

}  // namespace reznet::telemetry
