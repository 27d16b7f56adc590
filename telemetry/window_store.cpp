#include "telemetry/window_store.hpp"

#include <algorithm>
#include <limits>
#include <string_view>

#include "common/exposition.hpp"
#include "config/units.hpp"

namespace reznet::telemetry {

using common::AppendHelpType;
using common::AppendHistogram;
using common::AppendSample;
using common::Label;

struct WindowStore::ProbeWindows {
  Budget budget;
  std::map<std::string, stats::SeriesWindows> phases;
  std::vector<stats::CountWindow> runs;                             // (failures, runs)
  std::map<std::string, std::vector<stats::CountWindow>> counters;  // (sum, count)
};

namespace {

std::vector<stats::CountWindow> CountWindows(const std::vector<Duration>& lengths) {
  std::vector<stats::CountWindow> windows;
  for (auto length : lengths) windows.emplace_back(length);
  return windows;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

constexpr const char* kWindowSeconds = "reznet_perf_probe_window_seconds";
constexpr const char* kWindowSamples = "reznet_perf_probe_window_samples";

}  // namespace

Budget BudgetOf(const std::vector<Duration>& lengths,
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

std::vector<double> WindowGaugeValues(const stats::WindowStats& s) {
  if (s.count == 0) return std::vector<double>(kStatCount, kNaN);
  return {Seconds(s.p50), Seconds(s.p90),  Seconds(s.p95),
          Seconds(s.p99), s.mean_ns / 1e9, Seconds(s.max)};
}

nfr::Observation LatencyObservation(const stats::WindowStats& s, config::NfrStat stat) {
  nfr::Observation obs;
  obs.samples = s.count;
  if (s.count == 0) return obs;
  std::int64_t ns = 0;
  switch (stat) {
    case config::NfrStat::kP50:
      ns = s.p50;
      break;
    case config::NfrStat::kP90:
      ns = s.p90;
      break;
    case config::NfrStat::kP95:
      ns = s.p95;
      break;
    case config::NfrStat::kP99:
      ns = s.p99;
      break;
    case config::NfrStat::kMax:
      ns = s.max;
      break;
    default:
      break;
  }
  obs.value = stat == config::NfrStat::kMean ? s.mean_ns / 1e9 : static_cast<double>(ns) / 1e9;
  if (s.intervals) {
    const stats::WindowIntervals& ci = *s.intervals;
    const stats::Interval* i = stat == config::NfrStat::kP50    ? &ci.p50
                               : stat == config::NfrStat::kP90  ? &ci.p90
                               : stat == config::NfrStat::kP95  ? &ci.p95
                               : stat == config::NfrStat::kP99  ? &ci.p99
                               : stat == config::NfrStat::kMean ? &ci.mean
                                                                : nullptr;
    if (i != nullptr) obs.interval = stats::Interval{i->low / 1e9, i->high / 1e9};
  }
  return obs;
}

nfr::Observation MeanObservation(std::pair<double, double> sum_count) {
  nfr::Observation obs;
  const auto [sum, count] = sum_count;
  obs.samples = static_cast<std::uint64_t>(count);
  if (count > 0) obs.value = sum / count;
  return obs;
}

WindowStore::WindowStore(std::vector<Duration> lengths) : lengths_(std::move(lengths)) {
  for (auto length : lengths_) window_names_.push_back(config::FormatDuration(length));
}

WindowStore::~WindowStore() = default;

void WindowStore::AddProbe(const std::string& name,
                           const std::optional<config::ExportBudget>& budget) {
  const Shared probe = probes_.GetOrAdd(name);
  probe->Lock()->budget = BudgetOf(lengths_, budget);
  Changed();
}

void WindowStore::SetBudget(const std::string& name,
                            const std::optional<config::ExportBudget>& budget) {
  const Shared probe = probes_.Find(name);
  if (!probe) return;
  probe->Lock()->budget = BudgetOf(lengths_, budget);
  Changed();
}

void WindowStore::RemoveProbe(const std::string& name) {
  if (probes_.Remove(name)) Changed();
}

std::optional<std::size_t> WindowStore::IndexOf(Duration length) const {
  for (std::size_t w = 0; w < lengths_.size(); ++w) {
    if (lengths_[w] == length) return w;
  }
  return std::nullopt;
}

void WindowStore::Record(const std::string& name, const probes::Outcome& outcome,
                         SteadyClock::time_point now) {
  const Shared probe = probes_.Find(name);
  if (!probe) return;  // removed meanwhile
  auto windows = probe->Lock();
  for (const auto& phase : outcome.phases) {
    auto& series = windows->phases.try_emplace(phase.name, lengths_).first->second;
    for (auto sample : phase.samples) series.Record(sample, now);
    for (const auto& [sample, count] : phase.weighted) {
      for (std::uint64_t i = 0; i < count; ++i) series.Record(sample, now);
    }
  }
  if (!outcome.skipped) {
    if (windows->runs.empty()) windows->runs = CountWindows(lengths_);
    for (auto& w : windows->runs) w.Add(outcome.ok() ? 0 : 1, 1, now);
  }
  for (const auto& [counter, value] : outcome.counters) {
    auto& counter_windows = windows->counters[counter];
    if (counter_windows.empty()) counter_windows = CountWindows(lengths_);
    for (auto& w : counter_windows) w.Add(value, 1, now);
  }
  Changed();
}

nfr::Observation WindowStore::Observe(const config::NfrRule& rule, SteadyClock::time_point now) {
  const auto w = IndexOf(rule.window);
  const Shared probe = probes_.Find(rule.probe);
  if (!w || !probe) return {};
  stats::DenseHistogram scratch;  // allocated before taking the lock
  auto windows = probe->Lock();
  if (rule.stat == config::NfrStat::kErrorRate) {
    if (windows->runs.empty()) return {};
    const auto [failures, runs] = windows->runs[*w].Sum(now);
    nfr::Observation obs = MeanObservation({failures, runs});
    if (runs > 0) obs.interval = stats::WilsonInterval(failures, runs);
    return obs;
  }
  if (rule.stat == config::NfrStat::kRatio) {
    auto c = windows->counters.find(rule.phase);
    if (c == windows->counters.end()) return {};
    return MeanObservation(c->second[*w].Sum(now));
  }
  auto ph = windows->phases.find(rule.phase);
  if (ph == windows->phases.end()) return {};
  return LatencyObservation(ph->second.Stats(*w, now, scratch, /*intervals=*/true), rule.stat);
}

stats::WindowStats WindowStore::Window(const std::string& probe, const std::string& phase,
                                       Duration length, SteadyClock::time_point now) {
  const auto w = IndexOf(length);
  const Shared windows = probes_.Find(probe);
  if (!w || !windows) return {};
  stats::DenseHistogram scratch;
  auto locked = windows->Lock();
  auto ph = locked->phases.find(phase);
  if (ph == locked->phases.end()) return {};
  return ph->second.Stats(*w, now, scratch);
}

std::vector<SeriesStats> WindowStore::Snapshot(SteadyClock::time_point now) {
  const auto probes = probes_.List();
  std::vector<SeriesStats> out;
  stats::DenseHistogram scratch;
  for (const auto& [name, probe] : probes) {
    auto windows = probe->Lock();  // one probe at a time: writers of others go on
    for (auto& [phase, series] : windows->phases) {
      SeriesStats s{name, phase, std::vector<stats::WindowStats>(series.size())};
      for (std::size_t w = 0; w < series.size(); ++w)
        s.windows[w] = series.Stats(w, now, scratch, /*intervals=*/true);
      out.push_back(std::move(s));
    }
  }
  return out;
}

void WindowStore::Collect(std::string& out, SteadyClock::time_point now) {
  const auto probes = probes_.List();
  // Statistics of the budgeted windows, computed one probe at a time (writers of others go on).
  struct Row {
    const std::string* probe;
    std::string phase;
    Budget budget;
    std::vector<stats::WindowStats> windows;
  };
  std::vector<Row> rows;
  stats::DenseHistogram scratch;
  for (const auto& [name, probe] : probes) {
    auto windows = probe->Lock();
    for (auto& [phase, series] : windows->phases) {
      Row row{&name, phase, windows->budget, std::vector<stats::WindowStats>(series.size())};
      bool any = false;
      for (std::size_t w = 0; w < series.size() && w < row.budget.windows.size(); ++w) {
        if (!row.budget.windows[w]) continue;
        row.windows[w] = series.Stats(w, now, scratch);
        any = true;
      }
      if (any) rows.push_back(std::move(row));
    }
  }
  if (rows.empty()) return;
  AppendHelpType(out, kWindowSeconds,
                 "Rolling-window statistic of a probe phase (nearest-rank quantiles, within 1%); "
                 "not aggregatable.",
                 "gauge");
  bool any_stat = false;
  for (const auto& row : rows) {
    for (std::size_t w = 0; w < row.windows.size(); ++w) {
      if (!row.budget.windows[w]) continue;
      const auto values = WindowGaugeValues(row.windows[w]);
      for (std::size_t i = 0; i < kStatCount; ++i) {
        if (!row.budget.stats[i]) continue;
        const Label labels[] = {{"phase", row.phase},
                                {"probe", *row.probe},
                                {"stat", kStats[i]},
                                {"window", window_names_[w]}};
        AppendSample(out, kWindowSeconds, labels, values[i]);
        any_stat = true;
      }
    }
  }
  if (!any_stat) out.resize(out.rfind("# HELP " + std::string(kWindowSeconds)));
  AppendHelpType(out, kWindowSamples, "Samples inside the rolling window.", "gauge");
  for (const auto& row : rows) {
    for (std::size_t w = 0; w < row.windows.size(); ++w) {
      if (!row.budget.windows[w]) continue;
      const Label labels[] = {
          {"phase", row.phase}, {"probe", *row.probe}, {"window", window_names_[w]}};
      AppendSample(out, kWindowSamples, labels, static_cast<double>(row.windows[w].count));
    }
  }
}

std::vector<std::int64_t> WindowStore::Epochs(SteadyClock::time_point now) const {
  std::vector<std::int64_t> epochs;
  for (auto length : lengths_)
    epochs.push_back(now.time_since_epoch() / (length / stats::RollingWindow::kSlices));
  return epochs;
}

}  // namespace reznet::telemetry
