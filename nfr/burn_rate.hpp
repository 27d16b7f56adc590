#pragma once
// Burn-rate alerting of an NFR rule (`alert: burn_rate`, config/nfr.hpp): the promise as an SLO.
// Every sample of the rule's phase (every run, for error_rate) is an event, bad when it breaks
// the threshold; the burn rate over a window is the bad share in it divided by the error budget
// (1 − q for a percentile, the threshold for error_rate). The rule fires while either pair of
// windows (config::kFastBurn: 1 h and 5 m over 14.4; config::kSlowBurn: 6 h and 30 m over 6) has
// both burn rates over its factor: the long window says the budget is really going, the short
// one that it still is, so a short spike does not page and recovery clears within minutes.
//
// BurnRing keeps the counts in one-minute buckets over the longest window (6 h, 360 buckets of
// two counters: 8.6 KiB per rule). A window of W reads the current minute's bucket and the
// W/1min − 1 before it, so "5m" covers between 4 and 5 minutes of events. Time is a parameter
// (steady time, as the windows of stats/window.hpp), so tests move it by hand.

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>

#include "config/nfr.hpp"

namespace reznet::nfr {

using SteadyTime = std::chrono::steady_clock::time_point;

// What some runs add to a rule's SLO: events (samples, or runs for error_rate) and the bad ones.
struct SloEvents {
  std::uint64_t events = 0;
  std::uint64_t bad = 0;
  SloEvents& operator+=(const SloEvents& o) {
    events += o.events;
    bad += o.bad;
    return *this;
  }
  bool operator==(const SloEvents&) const = default;
};

// The samples of one run's phase, classified against the rule's threshold: a sample is bad when
// it does not keep "sample op threshold" (for p95 < 1s: a sample of 1 s or more). `weighted`:
// (value, count) pairs, a histogram's buckets (probes/outcome.hpp).
SloEvents SampleEvents(
    const config::NfrRule& rule, std::span<const std::chrono::nanoseconds> samples,
    std::span<const std::pair<std::chrono::nanoseconds, std::uint64_t>> weighted);
// One run for an error_rate rule: bad when it failed.
inline SloEvents RunEvents(bool failed) { return {1, failed ? 1u : 0u}; }

// The burn rates of a rule at one time, and the events behind the short windows.
struct BurnRates {
  double burn_5m = 0, burn_30m = 0, burn_1h = 0, burn_6h = 0;
  double share_1h = 0, share_6h = 0;  // bad / events over 1 h and 6 h
  std::uint64_t events_5m = 0;        // no_data below min_samples
  bool fast() const;                  // 1 h and 5 m both over 14.4
  bool slow() const;                  // 6 h and 30 m both over 6
  bool firing() const { return fast() || slow(); }
  // The value the rule reports: the bad share over the long window of the pair that fires (the
  // fast one first), over 1 h while neither does; what the generated Prometheus rule reports.
  double value() const { return !fast() && slow() ? share_6h : share_1h; }
  // "1h/5m", "6h/30m", "1h/5m and 6h/30m", or "" while neither pair fires.
  const char* pairs() const;
  bool operator==(const BurnRates&) const = default;
};

class BurnRing {
 public:
  static constexpr std::chrono::minutes kBucket{1};
  static constexpr std::size_t kBuckets = 360;  // 6 h: config::kSlowBurn.long_window

  void Add(SteadyTime now, SloEvents e);
  // The events of the window of `length` ending at `now` (at most 6 h).
  SloEvents Sum(std::chrono::nanoseconds length, SteadyTime now) const;
  // The four burn rates against `budget` (> 0) at `now`.
  BurnRates Burn(double budget, SteadyTime now) const;

 private:
  static std::int64_t MinuteOf(SteadyTime t);
  struct Bucket {
    std::int64_t minute =
        std::numeric_limits<std::int64_t>::min();  // the minute it counts; another: empty
    SloEvents counts;
  };
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace reznet::nfr
