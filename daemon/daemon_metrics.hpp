#pragma once
// DaemonMetrics: the daemon room's own series on the shared registry (docs/design.md §5):
//   reznet_perf_build_info{version,revision} 1, reznet_perf_shard_info{index,of} 1,
//   reznet_perf_config_last_reload_successful, _config_last_reload_success_timestamp_seconds.
// (Discovery's series are Discovery's, in daemon/discovery.hpp.)
//
// Thread-safe: reloads record from the reload thread while scrapes read.

#include <chrono>
#include <memory>
#include <string>

#include "common/metrics_registry.hpp"

namespace reznet::daemon {

class DaemonMetrics {
 public:
  // Sets build_info, shard 0 of 1, and a successful config load now.
  DaemonMetrics(common::MetricsRegistry& registry, const std::string& version,
                const std::string& revision);
  ~DaemonMetrics();

  // A reload's outcome; when ok, its time.
  void RecordReload(bool ok, std::chrono::system_clock::time_point wall);
  // The shard this daemon runs (replaces the previous series).
  void SetShard(int index, int of);

 private:
  struct State;
  common::MetricsRegistry& registry_;
  std::unique_ptr<State> state_;
};

}  // namespace reznet::daemon
