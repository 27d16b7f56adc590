#include "telemetry/window_store.hpp"

namespace reznet::telemetry {

struct WindowStore::ProbeWindows {
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

}  // namespace

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
  return obs;
}

nfr::Observation MeanObservation(std::pair<double, double> sum_count) {
  nfr::Observation obs;
  const auto [sum, count] = sum_count;
  obs.samples = static_cast<std::uint64_t>(count);
  if (count > 0) obs.value = sum / count;
  return obs;
}

WindowStore::WindowStore(std::vector<Duration> lengths) : lengths_(std::move(lengths)) {}

WindowStore::~WindowStore() = default;

void WindowStore::AddProbe(const std::string& name) {
  auto probes = probes_.Lock();
  auto& slot = (*probes)[name];
  if (!slot) slot = std::make_shared<Guarded<ProbeWindows>>();
}

void WindowStore::RemoveProbe(const std::string& name) { probes_.Lock()->erase(name); }

WindowStore::Shared WindowStore::Find(const std::string& name) {
  auto probes = probes_.Lock();
  auto it = probes->find(name);
  return it == probes->end() ? nullptr : it->second;
}

std::optional<std::size_t> WindowStore::IndexOf(Duration length) const {
  for (std::size_t w = 0; w < lengths_.size(); ++w) {
    if (lengths_[w] == length) return w;
  }
  return std::nullopt;
}

void WindowStore::Record(const std::string& name, const probes::Outcome& outcome,
                         Clock::time_point now) {
  const Shared probe = Find(name);
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
}

nfr::Observation WindowStore::Observe(const config::NfrRule& rule, Clock::time_point now) {
  const auto w = IndexOf(rule.window);
  const Shared probe = Find(rule.probe);
  if (!w || !probe) return {};
  stats::DenseHistogram scratch;  // allocated before taking the lock
  auto windows = probe->Lock();
  if (rule.stat == config::NfrStat::kErrorRate) {
    if (windows->runs.empty()) return {};
    return MeanObservation(windows->runs[*w].Sum(now));
  }
  if (rule.stat == config::NfrStat::kRatio) {
    auto c = windows->counters.find(rule.phase);
    if (c == windows->counters.end()) return {};
    return MeanObservation(c->second[*w].Sum(now));
  }
  auto ph = windows->phases.find(rule.phase);
  if (ph == windows->phases.end()) return {};
  return LatencyObservation(ph->second.Stats(*w, now, scratch), rule.stat);
}

stats::WindowStats WindowStore::Window(const std::string& probe, const std::string& phase,
                                       Duration length, Clock::time_point now) {
  const auto w = IndexOf(length);
  const Shared windows = Find(probe);
  if (!w || !windows) return {};
  stats::DenseHistogram scratch;
  auto locked = windows->Lock();
  auto ph = locked->phases.find(phase);
  if (ph == locked->phases.end()) return {};
  return ph->second.Stats(*w, now, scratch);
}

std::vector<SeriesStats> WindowStore::Snapshot(
    Clock::time_point now, const std::map<std::string, std::vector<bool>>* only) {
  std::vector<std::pair<std::string, Shared>> probes;
  {
    auto locked = probes_.Lock();
    probes.assign(locked->begin(), locked->end());
  }
  std::vector<SeriesStats> out;
  stats::DenseHistogram scratch;
  static const std::vector<bool> kNone;
  for (const auto& [name, probe] : probes) {
    const std::vector<bool>* wanted = nullptr;
    if (only) {
      auto it = only->find(name);
      wanted = it == only->end() ? &kNone : &it->second;
    }
    auto windows = probe->Lock();  // one probe at a time: writers of others go on
    for (auto& [phase, series] : windows->phases) {
      SeriesStats s{name, phase, std::vector<stats::WindowStats>(series.size())};
      for (std::size_t w = 0; w < series.size(); ++w) {
        if (!wanted || (w < wanted->size() && (*wanted)[w]))
          s.windows[w] = series.Stats(w, now, scratch);
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<std::int64_t> WindowStore::Epochs(Clock::time_point now) const {
  std::vector<std::int64_t> epochs;
  for (auto length : lengths_)
    epochs.push_back(now.time_since_epoch() / (length / stats::RollingWindow::kSlices));
  return epochs;
}

}  // namespace reznet::telemetry
