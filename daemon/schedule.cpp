#include "daemon/schedule.hpp"

namespace reznet::daemon {
namespace {

// FNV-1a: stable across runs and builds (std::hash is not).
std::uint64_t StableHash(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

ProbeSchedule::Duration ProbeSchedule::FirstOffset(std::string_view name, Duration interval) {
  if (interval <= Duration::zero()) return Duration::zero();
  return Duration(
      static_cast<std::int64_t>(StableHash(name) % static_cast<std::uint64_t>(interval.count())));
}

ProbeSchedule::ProbeSchedule(std::string_view name, Duration interval, Clock::time_point start)
    : interval_(interval), due_(start + FirstOffset(name, interval)), rng_(StableHash(name)) {}

ProbeSchedule::Action ProbeSchedule::OnDue(Clock::time_point now) {
  const Action action = running_ ? Action::kSkipOverrun : Action::kStart;
  if (action == Action::kSkipOverrun) {
    ++overruns_;
  } else {
    running_ = true;
  }
  std::uniform_real_distribution<double> jitter(1.0 - kJitter, 1.0 + kJitter);
  const auto step =
      Duration(static_cast<std::int64_t>(static_cast<double>(interval_.count()) * jitter(rng_)));
  due_ += step;
  if (due_ < now) {
    // Stalled for more than an interval (suspend, overload): skip what was missed, count it.
    const auto missed = (now - due_) / interval_ + 1;
    overruns_ += static_cast<std::uint64_t>(missed);
    due_ = now + step;
  }
  return action;
}

}  // namespace reznet::daemon
