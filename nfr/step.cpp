#include "nfr/step.hpp"

#include <algorithm>

namespace reznet::nfr {

const char* StateName(NfrState s) {
  switch (s) {
    case NfrState::kNoData:
      return "no_data";
    case NfrState::kOk:
      return "ok";
    case NfrState::kPending:
      return "pending";
    case NfrState::kFiring:
      return "firing";
  }
  return "no_data";
}

std::chrono::nanoseconds EvidenceSpan(const config::NfrRule& rule) {
  if (rule.burn_rate())
    return std::max<std::chrono::nanoseconds>(config::kFastBurn.short_window,
                                              config::kSlowBurn.short_window);
  return rule.window;
}

bool SuspectAt(bool overloaded, std::chrono::system_clock::time_point ended,
               std::chrono::nanoseconds span, std::chrono::system_clock::time_point now) {
  if (overloaded) return true;
  return ended != std::chrono::system_clock::time_point{} &&
         now - std::chrono::duration_cast<std::chrono::system_clock::duration>(span) < ended;
}

StepResult Step(const config::NfrRule& rule, const RuleState& before, const Observation& obs,
                std::chrono::steady_clock::time_point now,
                std::chrono::system_clock::time_point wall) {
  StepResult out{before, std::nullopt};
  RuleState& s = out.state;
  s.samples = obs.samples;
  s.interval = obs.interval;
  if (!obs.value || (rule.burn_rate() && !obs.burn) ||
      obs.samples < static_cast<std::uint64_t>(rule.min_samples)) {
    s.state = NfrState::kNoData;
    if (before.state == NfrState::kFiring) {
      out.notification = Notification{Notification::Kind::kResolved, before.value.value_or(0),
                                      before.active_since, wall, obs.burn};
    }
    s.value = obs.value;
    return out;
  }
  const double v = *obs.value;
  s.value = v;
  ++s.events;
  bool met = false;
  if (rule.burn_rate()) {
    met = !obs.burn->firing();
    if (met) ++s.good;
  } else {
    if (rule.Met(v, rule.threshold)) ++s.good;
    const bool violated_before =
        before.state == NfrState::kPending || before.state == NfrState::kFiring;
    const double limit =
        violated_before && rule.clear_threshold ? *rule.clear_threshold : rule.threshold;
    // Met unless the breach is established: with an interval, while either end keeps the
    // promise the samples do not show a breach (an open side always keeps it).
    met = rule.Met(v, limit) || (obs.interval && (rule.Met(obs.interval->low, limit) ||
                                                  rule.Met(obs.interval->high, limit)));
  }
  switch (before.state) {
    case NfrState::kNoData:
    case NfrState::kOk:
      if (met) {
        s.state = NfrState::kOk;
      } else if (rule.for_ <= std::chrono::nanoseconds::zero()) {
        s.state = NfrState::kFiring;
        s.active_since = wall;
        out.notification = Notification{Notification::Kind::kFiring, v, wall, {}, obs.burn};
      } else {
        s.state = NfrState::kPending;
        s.pending_since = now;
        s.active_since = wall;
      }
      break;
    case NfrState::kPending:
      if (met) {
        s.state = NfrState::kOk;
      } else if (now - before.pending_since >= rule.for_) {
        s.state = NfrState::kFiring;
        out.notification =
            Notification{Notification::Kind::kFiring, v, before.active_since, {}, obs.burn};
      }
      break;
    case NfrState::kFiring:
      if (met) {
        s.state = NfrState::kOk;
        out.notification =
            Notification{Notification::Kind::kResolved, v, before.active_since, wall, obs.burn};
      }
      break;
  }
  return out;
}

}  // namespace reznet::nfr
