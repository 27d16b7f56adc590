#include "nfr/burn_rate.hpp"

#include <algorithm>

namespace reznet::nfr {
namespace {

constexpr auto kSlots = static_cast<std::int64_t>(BurnRing::kBuckets);

// The bucket of a minute; a minute before the clock's epoch has a negative modulo: shifted.
std::size_t SlotOf(std::int64_t minute) {
  return static_cast<std::size_t>(((minute % kSlots) + kSlots) % kSlots);
}

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

// bad / events / budget; 0 without events (no evidence of burning).
double Rate(SloEvents e, double budget) {
  return e.events == 0 ? 0.0 : static_cast<double>(e.bad) / static_cast<double>(e.events) / budget;
}

double Share(SloEvents e) {
  return e.events == 0 ? 0.0 : static_cast<double>(e.bad) / static_cast<double>(e.events);
}

}  // namespace

SloEvents SampleEvents(
    const config::NfrRule& rule, std::span<const std::chrono::nanoseconds> samples,
    std::span<const std::pair<std::chrono::nanoseconds, std::uint64_t>> weighted) {
  SloEvents out;
  for (auto d : samples) {
    ++out.events;
    if (!rule.Met(Seconds(d), rule.threshold)) ++out.bad;
  }
  for (const auto& [d, count] : weighted) {
    out.events += count;
    if (!rule.Met(Seconds(d), rule.threshold)) out.bad += count;
  }
  return out;
}

bool BurnRates::fast() const {
  return burn_1h > config::kFastBurn.factor && burn_5m > config::kFastBurn.factor;
}

bool BurnRates::slow() const {
  return burn_6h > config::kSlowBurn.factor && burn_30m > config::kSlowBurn.factor;
}

const char* BurnRates::pairs() const {
  if (fast() && slow()) return "1h/5m and 6h/30m";
  if (fast()) return config::kFastBurn.name;
  if (slow()) return config::kSlowBurn.name;
  return "";
}

std::int64_t BurnRing::MinuteOf(SteadyTime t) {
  return std::chrono::floor<std::chrono::minutes>(t.time_since_epoch()).count();
}

void BurnRing::Add(SteadyTime now, SloEvents e) {
  const std::int64_t minute = MinuteOf(now);
  Bucket& b = buckets_[SlotOf(minute)];
  if (b.minute != minute) b = {minute, {}};
  b.counts += e;
}

SloEvents BurnRing::Sum(std::chrono::nanoseconds length, SteadyTime now) const {
  const std::int64_t minute = MinuteOf(now);
  const std::int64_t n = std::clamp<std::int64_t>(length / kBucket, 1, kSlots);
  SloEvents out;
  for (std::int64_t m = minute - n + 1; m <= minute; ++m) {
    const Bucket& b = buckets_[SlotOf(m)];
    if (b.minute == m) out += b.counts;
  }
  return out;
}

BurnRates BurnRing::Burn(double budget, SteadyTime now) const {
  const SloEvents e5m = Sum(config::kFastBurn.short_window, now);
  const SloEvents e30m = Sum(config::kSlowBurn.short_window, now);
  const SloEvents e1h = Sum(config::kFastBurn.long_window, now);
  const SloEvents e6h = Sum(config::kSlowBurn.long_window, now);
  BurnRates r;
  r.burn_5m = Rate(e5m, budget);
  r.burn_30m = Rate(e30m, budget);
  r.burn_1h = Rate(e1h, budget);
  r.burn_6h = Rate(e6h, budget);
  r.share_1h = Share(e1h);
  r.share_6h = Share(e6h);
  r.events_5m = e5m.events;
  return r;
}

}  // namespace reznet::nfr
