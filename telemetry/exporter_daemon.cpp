// The daemon's own series (telemetry/exporter.hpp): reloads, the shard, history write failures,
// GET /probe requests and target discovery.
#include "telemetry/exporter_state.hpp"

namespace reznet::telemetry {

using exporter_detail::UnixSeconds;

void Exporter::RecordReload(bool ok, std::chrono::system_clock::time_point wall) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  state->families.reload_ok.Add({}).Set(ok ? 1 : 0);
  if (ok) state->families.reload_time.Add({}).Set(UnixSeconds(wall));
}

void Exporter::SetShard(int index, int of) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  auto& family = state->families.shard;
  if (state->shard != nullptr) family.Remove(state->shard);
  state->shard = &family.Add({{"index", std::to_string(index)}, {"of", std::to_string(of)}});
  state->shard->Set(1);
}

void Exporter::CountHistoryWriteFailure() {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  state->families.history_write_failures.Add({}).Increment();
}

void Exporter::CountProbeRequest(const std::string& module, const std::string& result) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  state->families.probe_requests.Add({{"module", module}, {"result", result}}).Increment();
}

void Exporter::RecordDiscovery(const std::string& probe, int targets,
                               const std::map<std::string, int>& skipped, int new_errors) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  auto& f = state->families;
  f.discovery_targets.Add({{"probe", probe}}).Set(targets);
  for (const char* reason : {"invalid", "duplicate", "over_limit"}) {
    auto it = skipped.find(reason);
    f.discovery_skipped.Add({{"probe", probe}, {"reason", reason}})
        .Set(it == skipped.end() ? 0 : it->second);
  }
  f.discovery_errors.Add({{"probe", probe}}).Increment(new_errors);
}

void Exporter::RemoveDiscovery(const std::string& probe) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  auto& f = state->families;  // Add finds the series to remove (or makes it, to remove it)
  f.discovery_targets.Remove(&f.discovery_targets.Add({{"probe", probe}}));
  for (const char* reason : {"invalid", "duplicate", "over_limit"})
    f.discovery_skipped.Remove(&f.discovery_skipped.Add({{"probe", probe}, {"reason", reason}}));
  f.discovery_errors.Remove(&f.discovery_errors.Add({{"probe", probe}}));
}

}  // namespace reznet::telemetry
