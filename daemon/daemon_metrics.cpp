#include "daemon/daemon_metrics.hpp"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <mutex>

namespace reznet::daemon {

struct DaemonMetrics::State {
  explicit State(prometheus::Registry& r)
      : build(prometheus::BuildGauge()
                  .Name("reznet_perf_build_info")
                  .Help("Build of the running daemon; always 1.")
                  .Register(r)),
        shard(prometheus::BuildGauge()
                  .Name("reznet_perf_shard_info")
                  .Help("The shard this daemon runs (index of `of`; 0 of 1 unsharded); always 1.")
                  .Register(r)),
        reload_ok(prometheus::BuildGauge()
                      .Name("reznet_perf_config_last_reload_successful")
                      .Help("1 when the last config reload (or the start) succeeded, 0 when it "
                            "was refused.")
                      .Register(r)),
        reload_time(prometheus::BuildGauge()
                        .Name("reznet_perf_config_last_reload_success_timestamp_seconds")
                        .Help("Unix time of the last successful config load.")
                        .Register(r)) {}
  prometheus::Family<prometheus::Gauge>& build;
  prometheus::Family<prometheus::Gauge>& shard;
  prometheus::Family<prometheus::Gauge>& reload_ok;
  prometheus::Family<prometheus::Gauge>& reload_time;
  std::mutex mutex;
  prometheus::Gauge* shard_series = nullptr;  // guarded by mutex
};

DaemonMetrics::DaemonMetrics(common::MetricsRegistry& registry, const std::string& version,
                             const std::string& revision)
    : registry_(registry), state_(std::make_unique<State>(registry.families())) {
  state_->build.Add({{"version", version}, {"revision", revision}}).Set(1);
  SetShard(0, 1);
  RecordReload(true, std::chrono::system_clock::now());
}

DaemonMetrics::~DaemonMetrics() = default;

void DaemonMetrics::RecordReload(bool ok, std::chrono::system_clock::time_point wall) {
  const common::ChangedOnReturn changed(registry_);
  state_->reload_ok.Add({}).Set(ok ? 1 : 0);
  if (ok)
    state_->reload_time.Add({}).Set(std::chrono::duration<double>(wall.time_since_epoch()).count());
}

void DaemonMetrics::SetShard(int index, int of) {
  std::lock_guard lock(state_->mutex);
  const common::ChangedOnReturn changed(registry_);
  if (state_->shard_series != nullptr) state_->shard.Remove(state_->shard_series);
  state_->shard_series =
      &state_->shard.Add({{"index", std::to_string(index)}, {"of", std::to_string(of)}});
  state_->shard_series->Set(1);
}

}  // namespace reznet::daemon
