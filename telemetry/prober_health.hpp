#pragma once
// ProberHealth: how far the daemon's own measurements can be trusted right now (issue #26 item 5,
// "the prober's own health is a signal"). A prober on a starved machine measures its own delays
// and calls them the target's; this keeps three signals of that noise and judges them:
//   cpu pressure  /proc/pressure/cpu `some avg10` (Linux PSI), a ratio 0..1: the share of the last
//                 10 s in which a runnable task waited for a CPU. Absent where the kernel has no
//                 PSI (the daemon then exports no series; it is not an error);
//   self-probe    the round trip of the daemon's own GET /healthz over loopback, sent from the
//                 probe io_context through the API server's thread and back: what a probe's own
//                 clock adds to what it measures (daemon/prober_monitor.hpp sends it);
//   lateness      how late scheduled runs start (the scheduler reports each run here, as it does
//                 to reznet_perf_scheduler_lateness_seconds), and the monitor its own ticks.
//
// Check() judges the signals against daemon.overload (config::OverloadConfig; OverloadReasons):
// over any one threshold is overloaded, and the state holds until kHold has passed with every
// signal under its threshold — a sample taken just before a burst was seen, or just after it,
// is suspect too, and the state does not flap. While overloaded, and afterwards for as long as a
// rule's window still holds samples of the overload (Suspect), its state on /api/v1/status and
// the status page is marked suspect, and so are the alerts the daemon sends on it.
//
// Series, written at scrape time: reznet_perf_prober_cpu_pressure_ratio (gauge, while PSI is
// read), reznet_perf_prober_self_probe_seconds (histogram of answered round trips),
// reznet_perf_prober_self_probe_errors_total (self-probes without an answer: timeouts and
// failures), reznet_perf_prober_overloaded (0/1).
//
// Thread-safe: one lock, held to record a value, to check, or to copy the state; Overloaded()
// reads an atomic.

#include <array>
#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/guarded.hpp"
#include "common/metrics_registry.hpp"
#include "config/config.hpp"

namespace reznet::telemetry {

// The `some avg10` of /proc/pressure/cpu as a ratio 0..1 ("some avg10=6.25 …" → 0.0625);
// nullopt when the text has no well-formed `some` line with an avg10 between 0 and 100.
std::optional<double> ParseCpuPressure(std::string_view text);

// The signals as one check sees them; nullopt: not measured (no PSI, no self-probe answered yet,
// no run started since the last check).
struct OverloadSignals {
  std::optional<double> cpu_pressure;
  // The middle one of the last three self-probe round trips (of fewer, the smallest): one slow
  // round trip is not a slow machine; two in a row are. A self-probe that timed out counts as
  // its deadline.
  std::optional<std::chrono::nanoseconds> self_probe;
  // The largest lateness reported since the last check.
  std::optional<std::chrono::nanoseconds> lateness;
  bool operator==(const OverloadSignals&) const = default;
};

// The signals over their thresholds (strictly), one phrase each, in a fixed order: "cpu pressure
// 62% > 50%", "self-probe 140ms > 100ms", "scheduler lateness 1.5s > 1s". Empty: not overloaded.
std::vector<std::string> OverloadReasons(const config::OverloadConfig& limits,
                                         const OverloadSignals& signals);

// What /api/v1/status and the status page show.
struct ProberHealthSnapshot {
  bool checked = false;  // a check happened (the monitor runs)
  bool overloaded = false;
  common::WallTime overloaded_since{};  // while overloaded
  common::WallTime overload_ended{};    // when the last overload ended; the epoch: never
  // Why it is overloaded: the reasons of the last check that found any (kept while the state
  // holds), empty when not overloaded.
  std::vector<std::string> reasons;
  OverloadSignals signals;  // of the last check
  std::optional<std::chrono::nanoseconds> last_self_probe;
  std::uint64_t self_probe_errors = 0;
  config::OverloadConfig limits;  // of the last check
};

// {"checked", "overloaded", "overloaded_since", "overload_ended" (Unix seconds or null), "reasons",
//  "cpu_pressure", "self_probe_seconds", "lateness_seconds" (null when not measured),
//  "last_self_probe_seconds", "self_probe_errors", "thresholds": {…}}.
boost::json::object ProberHealthJson(const ProberHealthSnapshot& s);

// Whether a verdict on samples reaching `span` back from `now` is suspect: the prober is
// overloaded, or its last overload ended within the span — the window still holds samples
// measured on a starved machine, so the state they gave is still theirs.
bool Suspect(const ProberHealthSnapshot& s, std::chrono::nanoseconds span, common::WallTime now);

// The /api/v1/status document `status_json` (Telemetry::StatusJson) with the prober's health
// under "prober" and every NFR marked "suspect" (Suspect over its "evidence_seconds") at `now`.
std::string WithProberHealth(const std::string& status_json, const ProberHealthSnapshot& s,
                             common::WallTime now);

class ProberHealth : public common::Collectable {
 public:
  // How long the state stays overloaded after the last check that found a signal over.
  static constexpr std::chrono::seconds kHold{30};

  ProberHealth();
  ~ProberHealth() override;

  // A scheduled run (or the monitor's tick) started `late` after it was due.
  void ObserveLateness(std::chrono::nanoseconds late);
  // The latest PSI reading; nullopt: not available (no series is exported then).
  void ObserveCpuPressure(std::optional<double> ratio);
  // An answered self-probe.
  void ObserveSelfProbe(std::chrono::nanoseconds round_trip);
  // A self-probe without an answer; one that timed out after `waited` counts as that long in
  // the check (a loop too slow to answer itself is the clearest sign there is).
  void CountSelfProbeError(std::optional<std::chrono::nanoseconds> timed_out_after);

  struct Verdict {
    bool overloaded = false;
    bool changed = false;              // the state changed with this check
    std::vector<std::string> reasons;  // of this check
  };
  // Judges the signals against `limits` at `now`, then starts the next lateness period.
  Verdict Check(const config::OverloadConfig& limits, common::SteadyTime now,
                common::WallTime wall);
  bool Overloaded() const { return overloaded_.load(std::memory_order_acquire); }
  ProberHealthSnapshot Snapshot() const;

  void Collect(std::string& out, std::chrono::steady_clock::time_point now) override;
  std::uint64_t Generation() const override { return generation_.load(std::memory_order_acquire); }
  std::vector<std::string> FamilyNames() const override;

 private:
  struct State {
    ProberHealthSnapshot shown;
    std::deque<std::chrono::nanoseconds> recent;  // the last three self-probes, newest last
    std::optional<std::chrono::nanoseconds> late_max;
    std::optional<common::SteadyTime> last_over;  // the last check that found a signal over
    std::array<std::uint64_t, 13> rtt_counts{};   // per bucket bound, then +Inf
    double rtt_sum = 0;
    bool rtt_seen = false;
  };
  void Changed() { generation_.fetch_add(1, std::memory_order_acq_rel); }

  std::unique_ptr<common::Guarded<State>> state_;
  std::atomic<bool> overloaded_{false};
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace reznet::telemetry
