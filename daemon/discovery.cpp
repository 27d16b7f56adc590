#include "daemon/discovery.hpp"

#include <fmt/ranges.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include "telemetry/telemetry.hpp"

namespace reznet::daemon {

struct Discovery::Metrics {
  Metrics(common::MetricsRegistry& r)
      : registry(r),
        targets(prometheus::BuildGauge()
                    .Name("reznet_perf_discovery_targets")
                    .Help("Probes made from the targets a probe's targets_from files list.")
                    .Register(r.families())),
        skipped(prometheus::BuildGauge()
                    .Name("reznet_perf_discovery_skipped_targets")
                    .Help("Targets listed in a probe's targets_from files but not probed, by "
                          "reason: invalid, duplicate, over_limit (max_targets).")
                    .Register(r.families())),
        errors(prometheus::BuildCounter()
                   .Name("reznet_perf_discovery_errors_total")
                   .Help("Failed reads of a probe's targets_from files (unreadable, unparsable, "
                         "vanished); the file keeps its last good targets.")
                   .Register(r.families())) {}

  // A template's target count, skipped targets by reason, and `new_errors` more failed reads.
  void Record(const std::string& probe, int n, const std::map<std::string, int>& skips,
              int new_errors) {
    const common::ChangedOnReturn changed(registry);
    targets.Add({{"probe", probe}}).Set(n);
    for (const char* reason : kReasons) {
      auto it = skips.find(reason);
      skipped.Add({{"probe", probe}, {"reason", reason}}).Set(it == skips.end() ? 0 : it->second);
    }
    errors.Add({{"probe", probe}}).Increment(new_errors);
  }
  void Remove(const std::string& probe) {
    const common::ChangedOnReturn changed(registry);
    // Add finds the series to remove (or makes it, to remove it).
    targets.Remove(&targets.Add({{"probe", probe}}));
    for (const char* reason : kReasons)
      skipped.Remove(&skipped.Add({{"probe", probe}, {"reason", reason}}));
    errors.Remove(&errors.Add({{"probe", probe}}));
  }

  static constexpr const char* kReasons[] = {"invalid", "duplicate", "over_limit"};
  common::MetricsRegistry& registry;
  prometheus::Family<prometheus::Gauge>& targets;
  prometheus::Family<prometheus::Gauge>& skipped;
  prometheus::Family<prometheus::Counter>& errors;
};

Discovery::Discovery() = default;

Discovery::~Discovery() = default;

void Discovery::Attach(common::MetricsRegistry& registry) {
  std::lock_guard lock(mutex_);
  metrics_ = std::make_unique<Metrics>(registry);
  Publish();
}

std::shared_ptr<const config::Config> Discovery::Expand(
    const std::shared_ptr<const config::Config>& loaded, bool only_if_changed) {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::vector<config::DiscoveredTarget>> found;
  std::map<std::string, config::FileSdReader> readers;
  bool changed = false;
  for (const auto& p : loaded->probes) {
    if (!p.targets_from) continue;
    auto& reader = readers[p.name];
    if (auto it = readers_.find(p.name); it != readers_.end())
      reader = std::move(it->second);
    else
      changed = true;
    auto read = reader.Read(*p.targets_from);
    changed = changed || read.changed;
    for (const auto& m : read.messages) spdlog::warn("probe {}: targets_from: {}", p.name, m);
    new_errors_[p.name] += read.errors;
    found.emplace(p.name, std::move(read.targets));
  }
  for (const auto& [name, reader] : readers_) {
    if (!readers.count(name)) {
      changed = true;
      stats_.erase(name);
      new_errors_.erase(name);
      if (metrics_) metrics_->Remove(name);
    }
  }
  readers_ = std::move(readers);
  if (only_if_changed && !changed) {
    Publish();
    return nullptr;
  }
  std::map<std::string, config::DiscoveryStats> stats;
  auto expanded =
      std::make_shared<const config::Config>(config::ExpandDiscovered(*loaded, found, stats));
  for (const auto& [name, st] : stats) {
    int skipped = 0;
    for (const auto& [reason, n] : st.skipped) skipped += n;
    auto was = stats_.find(name);
    const bool news = was == stats_.end() || was->second.targets != st.targets ||
                      was->second.skipped != st.skipped;
    if (skipped > 0 && news) {
      spdlog::warn("probe {}: targets_from: {} target(s) probed, {} skipped: {}{}", name,
                   st.targets, skipped, fmt::join(st.problems, "; "),
                   static_cast<int>(st.problems.size()) < skipped ? "; …" : "");
    } else if (news) {
      spdlog::info("probe {}: targets_from: {} target(s) probed", name, st.targets);
    }
  }
  stats_ = std::move(stats);
  Publish();
  return expanded;
}

void Discovery::Publish() {
  if (!metrics_) return;
  for (const auto& [name, st] : stats_) {
    auto e = new_errors_.find(name);
    metrics_->Record(name, st.targets, st.skipped, e == new_errors_.end() ? 0 : e->second);
  }
  new_errors_.clear();
}

std::shared_ptr<const config::Config> Discovery::loaded() const {
  std::lock_guard lock(loaded_mutex_);
  return loaded_;
}

void Discovery::SetLoaded(std::shared_ptr<const config::Config> loaded) {
  std::lock_guard lock(loaded_mutex_);
  loaded_ = std::move(loaded);
}

std::optional<config::Duration> Discovery::Refresh() const {
  std::lock_guard lock(loaded_mutex_);
  std::optional<config::Duration> out;
  if (!loaded_) return out;
  for (const auto& p : loaded_->probes) {
    if (p.targets_from && (!out || p.targets_from->refresh < *out)) out = p.targets_from->refresh;
  }
  return out;
}

void ExportTargetInfo(telemetry::Telemetry& sink, const config::Config& config) {
  for (const auto& p : config.probes) {
    if (!p.discovered_from.empty())
      sink.probe_metrics().SetTargetInfo(p.name, p.discovered_address, p.discovered_labels);
  }
}

}  // namespace reznet::daemon
