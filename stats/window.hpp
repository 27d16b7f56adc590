#pragma once
// Rolling percentile windows (docs/design.md §4).
//
// A RollingWindow of length W is a ring of kSlices + 1 slices, each W / kSlices wide and aligned to
// multiples of that width on the clock. A query merges the current slice and the kSlices before it,
// so it covers the last W plus the elapsed part of the current slice: between W and W·(1 + 1/10).
// Rotation is lazy (a slice is cleared when its slot is reused), so Record is O(1) and a window
// with no traffic costs nothing. Time is always a parameter: tests move it by hand.
//
// SeriesWindows holds one RollingWindow per configured window length for one (probe, phase).
// Not thread-safe; the owner (telemetry::WindowStore) serialises access.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "stats/histogram.hpp"
#include "stats/interval.hpp"

namespace reznet::stats {

using SteadyClock = std::chrono::steady_clock;
using Duration = std::chrono::nanoseconds;

// The 95 % intervals of a window's statistics (stats/interval.hpp), in ns: for a percentile the
// bucket edges of its bracketing order statistics (so never narrower than the histogram can
// tell), an open side ±inf; for the mean Student's t from the buckets' spread.
struct WindowIntervals {
  Interval p50, p90, p95, p99, mean;
};

// The statistics exported per window; durations in ns, quantiles nearest-rank. `intervals` only
// when asked for (the status JSON, verdicts): the window gauges never pay for them.
struct WindowStats {
  std::uint64_t count = 0;
  double mean_ns = 0;
  std::int64_t p50 = 0, p90 = 0, p95 = 0, p99 = 0, min = 0, max = 0;
  std::optional<WindowIntervals> intervals;
};

class RollingWindow {
 public:
  static constexpr int kSlices = 10;

  explicit RollingWindow(Duration length);
  Duration length() const { return length_; }

  void Record(Duration value, SteadyClock::time_point now);
  // Adds a batch of samples (sorted bucket counts + summary) that all belong to time `at`.
  void AddBatch(const std::vector<SparseHistogram::Entry>& entries, const Summary& summary,
                SteadyClock::time_point at);
  Duration slice_width() const { return width_; }
  // Adds the live slices to `scratch` (not cleared).
  void Merge(SteadyClock::time_point now, DenseHistogram& scratch) const;
  WindowStats Stats(SteadyClock::time_point now, DenseHistogram& scratch) const;
  std::size_t MemoryBytes() const;

 private:
  struct Slice {
    std::int64_t epoch = -1;  // which slice-width interval of the clock this slot holds
    SparseHistogram hist;
  };
  std::int64_t EpochOf(SteadyClock::time_point t) const;
  SparseHistogram& SliceFor(SteadyClock::time_point t);

  Duration length_;
  Duration width_;
  std::vector<Slice> ring_;
};

// Recording goes to one "pending" slice shared by all windows of the series; when the clock passes
// the finest slice boundary the batch is folded into every window's current slice in one linear
// pass. The pending slice starts sparse (up to kSparsePending distinct buckets, a short scan: what
// a scheduled probe records in a slice) and turns dense (an O(1) increment, 9 KiB) only when a
// series records more distinct values than that in one slice (a load test): 1,000 probes of 4
// phases then hold 4,000 small vectors instead of 37 MiB of dense counts. A sample's time is
// thereby rounded down to the finest slice boundary (6 s for a 1m window); with the default windows
// every coarse slice width is a multiple of the finest, so no sample lands in another window slice
// than its own.
class SeriesWindows {
 public:
  explicit SeriesWindows(std::span<const Duration> lengths);
  void Record(Duration value, SteadyClock::time_point now);
  std::size_t size() const { return windows_.size(); }
  Duration length(std::size_t i) const { return windows_[i].length(); }
  WindowStats Stats(std::size_t i, SteadyClock::time_point now, DenseHistogram& scratch,
                    bool intervals = false);
  std::size_t MemoryBytes() const;

 private:
  void Flush();

  std::vector<RollingWindow> windows_;
  Duration fine_width_;
  static constexpr std::size_t kSparsePending = 64;
  std::vector<std::uint32_t> pending_;  // dense counts, once sparse is not enough
  std::vector<std::uint16_t> touched_;  // buckets of pending_ that are non-zero
  // While pending_ is empty: the pending (bucket, count) pairs, unsorted. Else scratch for Flush.
  std::vector<SparseHistogram::Entry> batch_;
  Summary pending_summary_;
  SteadyClock::time_point pending_begin_{}, pending_end_{};
};

// Statistics of a merged histogram.
WindowStats StatsOf(const DenseHistogram& merged, bool intervals = false);
// The intervals of `merged`'s statistics (WindowIntervals).
WindowIntervals IntervalsOf(const DenseHistogram& merged);

// Two sums over a rolling window with the same slicing as RollingWindow: run outcomes
// (failures, runs) for error rates, or counter values (sum, count) for ratio means.
class CountWindow {
 public:
  explicit CountWindow(Duration length);
  Duration length() const { return length_; }
  void Add(double a, double b, SteadyClock::time_point now);
  std::pair<double, double> Sum(SteadyClock::time_point now) const;

 private:
  struct Slice {
    std::int64_t epoch = -1;
    double a = 0, b = 0;
  };
  Duration length_;
  Duration width_;
  std::vector<Slice> ring_;
};

}  // namespace reznet::stats
