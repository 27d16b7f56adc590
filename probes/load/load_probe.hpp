#pragma once
// The `load` probe kind: a load test (load_config.hpp) as a probe, so suites (`load`, `full`),
// NFR rules and `reznet-perfd load` share one definition. The daemon never schedules it: load
// tests run on demand only.
//
// Outcome: phases `request` (every request, corrected latency), `request_raw` (open model: from
// the actual start), `step:<name>` per step, `late_start` (open model) — as histogram buckets,
// not one sample per request; `tls` (https: handshake time of new connections); counters
// requests, failed, error_rate, throughput_rps, iterations, dropped, interrupted, and with https
// tls_handshakes, tls_resumed. The run fails only when no request succeeded; error rates are for
// rules.

#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>

#include "probes/load/engine.hpp"
#include "probes/load/load_config.hpp"
#include "probes/probe.hpp"

namespace reznet::probes::load {

class LoadProbe : public Probe {
 public:
  static constexpr std::string_view kKind = "load";
  static config::KindTraits Traits();
  static std::shared_ptr<const config::KindSettings> ParseSettings(config::MapReader& r,
                                                                   const config::TargetConfig* t,
                                                                   const config::ProbeConfig& p) {
    return ParseLoadSettings(r, t, p);
  }
  static std::unique_ptr<Probe> Create(const CreateArgs& args);

  LoadProbe(std::string name, std::shared_ptr<const LoadSettings> settings);
  ~LoadProbe() override;
  boost::asio::awaitable<Outcome> Run(RunContext ctx) override;
  std::chrono::nanoseconds RunTimeout(std::chrono::nanoseconds configured) const override;

  // What is going on now (for live metrics and progress); valid while the probe lives.
  const LiveCounters* Live() const override { return &state_->live; }

 private:
  struct State {
    std::atomic<bool> stop{false};
    LiveCounters live;
    std::mutex mutex;
    bool abandoned = false;  // the probe is gone: do not post the result
  };
  std::string name_;
  std::shared_ptr<const LoadSettings> settings_;
  std::shared_ptr<State> state_;
};

// The Outcome of a finished test (also used by `reznet-perfd load`).
Outcome ToOutcome(const LoadStats& stats);

}  // namespace reznet::probes::load
