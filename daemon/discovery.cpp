#include "daemon/discovery.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "telemetry/telemetry.hpp"

namespace reznet::daemon {

void Discovery::Attach(telemetry::Telemetry& sink) {
  std::lock_guard lock(mutex_);
  sink_ = &sink;
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
      if (sink_ != nullptr) sink_->RemoveDiscovery(name);
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
  if (sink_ == nullptr) return;
  for (const auto& [name, st] : stats_) {
    auto e = new_errors_.find(name);
    sink_->RecordDiscovery(name, st.targets, st.skipped, e == new_errors_.end() ? 0 : e->second);
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
      sink.SetTargetInfo(p.name, p.discovered_address, p.discovered_labels);
  }
}

}  // namespace reznet::daemon
