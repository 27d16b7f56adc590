#pragma once
// The NFR evaluator: a pure step function (rule, state, observation, now) → (state,
// notification). States: no_data (fewer than min_samples in the window) → ok ⇄ pending → firing
// → ok. A value counts as violating only when its interval, if it has one, lies wholly beyond the
// limit. A violation must last `for` before it fires (for: 0 fires at once); with a
// clear_threshold, a pending or firing rule counts as met only past it (hysteresis), so a value
// hovering at the threshold does not flap. Leaving firing — met again, or no data — notifies the
// resolution. SLO counters: every evaluation with data is one event, good when the value keeps
// the promise against the threshold itself.
//
// A burn-rate rule (config::NfrRule::burn_rate, nfr/burn_rate.hpp) is violated while either pair
// of windows burns over its factor, and has no data while its 5 m window holds fewer than
// min_samples events; its value is the bad share (BurnRates::value). `for` applies as above.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/nfr.hpp"
#include "nfr/burn_rate.hpp"
#include "stats/interval.hpp"

namespace reznet::nfr {

enum class NfrState { kNoData, kOk, kPending, kFiring };
const char* StateName(NfrState s);

struct Observation {
  std::optional<double> value;  // seconds for latency stats, a ratio otherwise
  std::uint64_t samples = 0;
  // The 95 % interval of `value` (stats/interval.hpp), in its unit, where the statistic has one
  // (percentiles, the mean, the error rate). With it a promise counts as broken only when the
  // whole interval breaks it: a breach is called when the evidence holds, not on the point
  // estimate of a few samples (issue #26).
  std::optional<stats::Interval> interval;
  // A burn-rate rule's burn rates (value: their value(), samples: their events_5m); without
  // them a burn-rate rule has no data.
  std::optional<BurnRates> burn;
};

struct RuleState {
  NfrState state = NfrState::kNoData;
  std::chrono::steady_clock::time_point pending_since{};
  std::chrono::system_clock::time_point active_since{};  // when the violation began (startsAt)
  std::optional<double> value;
  std::optional<stats::Interval> interval;  // of `value`, when its statistic has one
  std::uint64_t samples = 0;  // in the window at the last step: "collecting 12 of 30 samples"
  std::uint64_t good = 0;
  std::uint64_t events = 0;
  bool operator==(const RuleState&) const = default;
};

struct Notification {
  enum class Kind { kFiring, kResolved };
  Kind kind;
  double value =
      0;  // the value that caused it (NaN-free: the last value seen when resolving by no data)
  std::chrono::system_clock::time_point starts_at{};
  std::chrono::system_clock::time_point ends_at{};  // resolved: now
  std::optional<BurnRates> burn;                    // a burn-rate rule's, when it had them
  bool operator==(const Notification&) const = default;
};

struct StepResult {
  RuleState state;
  std::optional<Notification> notification;
};

// How far back the samples a rule's verdict rests on reach: its window; for a burn-rate rule the
// longer of its short windows (a pair fires only while both its windows burn, so samples older
// than 30 m cannot fire it on their own). A prober overload within this span makes the verdict
// suspect (telemetry/prober_health.hpp).
std::chrono::nanoseconds EvidenceSpan(const config::NfrRule& rule);
// Whether a verdict on samples reaching `span` back from `now` is suspect: the prober is
// overloaded, or its last overload ended (`ended`; the epoch: never) within the span. The one rule
// behind /api/v1/status, the status page and the alerts' suspect="true".
bool SuspectAt(bool overloaded, std::chrono::system_clock::time_point ended,
               std::chrono::nanoseconds span, std::chrono::system_clock::time_point now);

StepResult Step(const config::NfrRule& rule, const RuleState& before, const Observation& obs,
                std::chrono::steady_clock::time_point now,
                std::chrono::system_clock::time_point wall);

}  // namespace reznet::nfr
