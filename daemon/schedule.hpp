#pragma once
// The timing rules of the scheduler, as pure code so tests can drive them with a hand-moved clock.
//
// - The first run of a probe falls at a fixed offset inside its first interval, derived from the
//   probe's name (so probes with the same interval do not fire together, and a restart keeps the
//   same phase).
// - Each following due time is the previous one plus interval × (1 ± jitter), jitter 10 %.
// - A run that is due while the previous run of the same probe is still going is skipped and
//   counted as an overrun; a due time that is already in the past after a long stall is moved to
//   now (missed runs are not replayed in a burst; each one skipped is counted as an overrun).

#include <chrono>
#include <cstdint>
#include <string_view>

namespace reznet::daemon {

class ProbeSchedule {
 public:
  using SteadyClock = std::chrono::steady_clock;
  using Duration = std::chrono::nanoseconds;
  static constexpr double kJitter = 0.10;

  ProbeSchedule(std::string_view probe_name, Duration interval, SteadyClock::time_point start);

  SteadyClock::time_point due() const { return due_; }

  enum class Action { kStart, kSkipOverrun };
  // Call when the clock reaches due(). Decides, and moves due() to the next time.
  Action OnDue(SteadyClock::time_point now);
  void OnFinished() { running_ = false; }
  bool running() const { return running_; }
  std::uint64_t overruns() const { return overruns_; }

  // Offset of the first run inside [0, interval), from the name alone.
  static Duration FirstOffset(std::string_view probe_name, Duration interval);

 private:
  Duration interval_;
  SteadyClock::time_point due_;
  bool running_ = false;
  std::uint64_t overruns_ = 0;
  // splitmix64's state, seeded from the name: 8 bytes per probe where a Mersenne Twister took
  // 2.5 KB (250 MB at 100,000 discovered probes) and 312 words of seeding each.
  std::uint64_t rng_;
  double NextUnit();  // uniform in [0, 1)
};

}  // namespace reznet::daemon
