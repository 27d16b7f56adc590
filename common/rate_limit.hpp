#pragma once
// A warning that can repeat is written at most once per period, and says how many it swallowed
// in between ("... (37 more since the last)"). Not thread-safe: one per thread or under a lock.

#include <chrono>
#include <cstdint>
#include <optional>

namespace reznet::common {

class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::nanoseconds period) : period_(period) {}

  // When a line may be written now: how many were swallowed since the last one written.
  // nullopt: swallow this one (it is counted).
  std::optional<std::uint64_t> Allow(std::chrono::steady_clock::time_point now) {
    if (written_ && now - last_ < period_) {
      ++swallowed_;
      return std::nullopt;
    }
    written_ = true;
    last_ = now;
    const std::uint64_t n = swallowed_;
    swallowed_ = 0;
    return n;
  }

 private:
  std::chrono::nanoseconds period_;
  bool written_ = false;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t swallowed_ = 0;
};

}  // namespace reznet::common
