#include "telemetry/window_gauges.hpp"

#include <prometheus/gauge.h>

#include <algorithm>
#include <limits>
#include <string_view>
#include <utility>

#include "telemetry/exporter.hpp"
#include "telemetry/families.hpp"

namespace reznet::telemetry {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

Budget BudgetOf(const std::vector<stats::Duration>& lengths,
                const std::optional<config::ExportBudget>& chosen) {
  Budget b;
  b.windows.assign(lengths.size(), !chosen);
  b.stats.fill(!chosen);
  if (!chosen) return b;
  for (std::size_t w = 0; w < lengths.size(); ++w) {
    b.windows[w] = std::find(chosen->windows.begin(), chosen->windows.end(), lengths[w]) !=
                   chosen->windows.end();
  }
  for (auto stat : chosen->stats) {
    for (std::size_t i = 0; i < kStatCount; ++i) {
      if (config::StatName(stat) == std::string_view(kStats[i])) b.stats[i] = true;
    }
  }
  return b;
}

void WindowGauges::Sync(Families& f, const std::vector<std::string>& window_names,
                        const Budget& budget, const std::string& probe, const std::string& phase) {
  stats_.resize(window_names.size());
  samples_.resize(window_names.size(), nullptr);
  for (std::size_t w = 0; w < window_names.size(); ++w) {
    const auto& window = window_names[w];
    auto& samples = samples_[w];
    if (budget.windows[w] && samples == nullptr) {
      samples = &f.window_samples.Add({{"probe", probe}, {"phase", phase}, {"window", window}});
    } else if (!budget.windows[w] && samples != nullptr) {
      f.window_samples.Remove(std::exchange(samples, nullptr));
    }
    for (std::size_t i = 0; i < kStatCount; ++i) {
      auto& gauge = stats_[w][i];
      const bool wanted = budget.windows[w] && budget.stats[i];
      if (wanted && gauge == nullptr) {
        gauge = &f.window.Add(
            {{"probe", probe}, {"phase", phase}, {"window", window}, {"stat", kStats[i]}});
        gauge->Set(kNaN);  // no statistics until the next scrape computes them
      } else if (!wanted && gauge != nullptr) {
        f.window.Remove(std::exchange(gauge, nullptr));
      }
    }
  }
}

void WindowGauges::Set(const std::vector<stats::WindowStats>& windows) {
  for (std::size_t w = 0; w < std::min(windows.size(), samples_.size()); ++w) {
    if (samples_[w] == nullptr) continue;  // not in the budget
    samples_[w]->Set(static_cast<double>(windows[w].count));
    const auto values = WindowGaugeValues(windows[w]);
    for (std::size_t i = 0; i < kStatCount; ++i) {
      if (stats_[w][i]) stats_[w][i]->Set(values[i]);
    }
  }
}

void WindowGauges::Remove(Families& f) {
  for (auto& gauges : stats_) {
    for (auto* g : gauges) {
      if (g) f.window.Remove(g);
    }
  }
  for (auto* g : samples_) {
    if (g) f.window_samples.Remove(g);
  }
  stats_.clear();
  samples_.clear();
}

std::vector<double> WindowGaugeValues(const stats::WindowStats& s) {
  if (s.count == 0) return std::vector<double>(kStatCount, kNaN);
  return {Seconds(s.p50), Seconds(s.p90),  Seconds(s.p95),
          Seconds(s.p99), s.mean_ns / 1e9, Seconds(s.max)};
}

}  // namespace reznet::telemetry
