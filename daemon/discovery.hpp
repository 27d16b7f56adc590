#pragma once
// File-based target discovery in the daemon (config/discovery.hpp): the config in force is the
// config as loaded with each `targets_from` probe expanded into one probe per discovered target.
// A reload (SIGHUP, POST /-/reload) loads the file and expands it; between reloads a timer
// (the smallest `refresh:`) asks the reload thread to read the files again and, when one
// changed, to expand the config last loaded anew and apply it like a reload (added, removed,
// unchanged keep running with their windows). Reading and parsing run on the reload thread.
//
// Thread-safe: Expand runs on the reload thread (and once at start), loaded() on any.

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "common/metrics_registry.hpp"
#include "config/config.hpp"
#include "config/discovery.hpp"

namespace reznet::telemetry {
class Telemetry;
}

namespace reznet::daemon {

class Discovery {
 public:
  Discovery();
  ~Discovery();

  // Its series (reznet_perf_discovery_targets, _skipped_targets{reason}, _errors_total, by
  // template probe) are on `registry` from Attach on (at start the registry may not exist yet).
  void Attach(common::MetricsRegistry& registry);

  // `loaded` expanded with the targets its probes' files list now; reports new problems (log,
  // metrics). With `only_if_changed`: null when no file changed since the last call.
  std::shared_ptr<const config::Config> Expand(const std::shared_ptr<const config::Config>& loaded,
                                               bool only_if_changed);

  // The config as loaded from the file that the config in force was expanded from; set when a
  // reload is applied.
  std::shared_ptr<const config::Config> loaded() const;
  void SetLoaded(std::shared_ptr<const config::Config> loaded);

  // How often to read the files again: the smallest refresh of the loaded config's probes;
  // nullopt when none takes targets from files.
  std::optional<config::Duration> Refresh() const;

 private:
  void Publish();  // under mutex_
  struct Metrics;

  // Two locks: the probe thread's Refresh and SetLoaded never wait for files being parsed.
  mutable std::mutex loaded_mutex_;
  std::shared_ptr<const config::Config> loaded_;  // guarded by loaded_mutex_
  std::mutex mutex_;                              // guards the rest
  std::unique_ptr<Metrics> metrics_;
  std::map<std::string, config::FileSdReader> readers_;  // by template probe
  std::map<std::string, config::DiscoveryStats> stats_;  // of the last expansion
  std::map<std::string, int> new_errors_;                // not yet published
};

// reznet_perf_probe_target_info of every discovered probe of `config`.
void ExportTargetInfo(telemetry::Telemetry& sink, const config::Config& config);

}  // namespace reznet::daemon
