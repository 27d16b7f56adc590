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

ProbeSchedule::ProbeSchedule(std::string_view name, Duration interval,
                             SteadyClock::time_point start)
    : interval_(interval), due_(start + FirstOffset(name, interval)), rng_(StableHash(name)) {}

double ProbeSchedule::NextUnit() {
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

ProbeSchedule::Action ProbeSchedule::OnDue(SteadyClock::time_point now) {
  const Action action = running_ ? Action::kSkipOverrun : Action::kStart;
  if (action == Action::kSkipOverrun) {
    ++overruns_;
  } else {
    running_ = true;
  }
  const double jitter = 1.0 - kJitter + 2.0 * kJitter * NextUnit();
  const auto step =
      Duration(static_cast<std::int64_t>(static_cast<double>(interval_.count()) * jitter));
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
