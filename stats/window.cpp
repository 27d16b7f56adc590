#include "stats/window.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace reznet::stats {

RollingWindow::RollingWindow(Duration length)
    : length_(length), width_(length / kSlices), ring_(kSlices + 1) {
  if (width_ <= Duration::zero()) width_ = Duration(1);
}

std::int64_t RollingWindow::EpochOf(SteadyClock::time_point t) const {
  return t.time_since_epoch().count() / width_.count();
}

SparseHistogram& RollingWindow::SliceFor(SteadyClock::time_point t) {
  const std::int64_t epoch = EpochOf(t);
  Slice& slice = ring_[static_cast<std::size_t>(epoch % static_cast<std::int64_t>(ring_.size()))];
  if (slice.epoch != epoch) {
    slice.hist.Clear();
    slice.epoch = epoch;
  }
  return slice.hist;
}

void RollingWindow::Record(Duration value, SteadyClock::time_point now) {
  SliceFor(now).Record(value.count());
}

void RollingWindow::AddBatch(const std::vector<SparseHistogram::Entry>& entries,
                             const Summary& summary, SteadyClock::time_point at) {
  SliceFor(at).AddSorted(entries, summary);
}

void RollingWindow::Merge(SteadyClock::time_point now, DenseHistogram& scratch) const {
  const std::int64_t epoch = EpochOf(now);
  for (const Slice& slice : ring_) {
    if (slice.epoch >= 0 && slice.epoch <= epoch && epoch - slice.epoch <= kSlices) {
      slice.hist.MergeInto(scratch);
    }
  }
}

WindowStats RollingWindow::Stats(SteadyClock::time_point now, DenseHistogram& scratch) const {
  scratch.Clear();
  Merge(now, scratch);
  return StatsOf(scratch);
}

WindowIntervals IntervalsOf(const DenseHistogram& h) {
  static constexpr std::array<double, 4> kQuantiles = {0.5, 0.9, 0.95, 0.99};
  WindowIntervals out;
  const Summary& sum = h.summary();
  if (sum.count == 0) return out;
  std::array<RankInterval, 4> ranks;
  for (std::size_t i = 0; i < ranks.size(); ++i) ranks[i] = QuantileRanks(sum.count, kQuantiles[i]);
  std::array<Interval*, 4> into = {&out.p50, &out.p90, &out.p95, &out.p99};
  // One pass: each bound is the edge of the bucket holding its rank, clamped to what was seen.
  const double mean = sum.sum_ns / static_cast<double>(sum.count);
  double squares = 0;
  std::uint64_t cumulative = 0;
  for (int b = 0; b < Bucketing::kCount; ++b) {
    const std::uint64_t c = h.BucketCount(b);
    if (c == 0) continue;
    // The spread inside a bucket counts too (a uniform bucket's variance, width² / 12): samples
    // that share one bucket do not make a mean certain to the nanosecond.
    const double mid = static_cast<double>(Bucketing::Mid(b)) - mean;
    const auto width = static_cast<double>(Bucketing::Width(b));
    squares += static_cast<double>(c) * (mid * mid + width * width / 12);
    const std::uint64_t first = cumulative + 1;
    cumulative += c;
    const auto lower_edge = static_cast<double>(std::max(Bucketing::Lower(b), sum.min_ns));
    const auto upper_edge =
        static_cast<double>(std::min(Bucketing::Lower(b) + Bucketing::Width(b) - 1, sum.max_ns));
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      if (ranks[i].lower >= first && ranks[i].lower <= cumulative) into[i]->low = lower_edge;
      if (ranks[i].upper >= first && ranks[i].upper <= cumulative) into[i]->high = upper_edge;
    }
  }
  out.mean =
      MeanInterval(sum.count, mean,
                   sum.count > 1 ? std::sqrt(squares / static_cast<double>(sum.count - 1)) : 0.0);
  return out;
}

WindowStats StatsOf(const DenseHistogram& scratch, bool intervals) {
  static constexpr std::array<double, 4> kQuantiles = {0.5, 0.9, 0.95, 0.99};
  WindowStats s;
  const Summary& sum = scratch.summary();
  s.count = sum.count;
  if (s.count == 0) return s;
  auto q = scratch.Quantiles(kQuantiles);
  s.p50 = q[0];
  s.p90 = q[1];
  s.p95 = q[2];
  s.p99 = q[3];
  s.mean_ns = sum.sum_ns / static_cast<double>(sum.count);
  s.min = sum.min_ns;
  s.max = sum.max_ns;
  if (intervals) s.intervals = IntervalsOf(scratch);
  return s;
}

std::size_t RollingWindow::MemoryBytes() const {
  std::size_t bytes = sizeof(*this) + ring_.capacity() * sizeof(Slice);
  for (const auto& s : ring_) bytes += s.hist.MemoryBytes() - sizeof(SparseHistogram);
  return bytes;
}

CountWindow::CountWindow(Duration length)
    : length_(length),
      width_(std::max(Duration(1), length / RollingWindow::kSlices)),
      ring_(RollingWindow::kSlices + 1) {}

void CountWindow::Add(double a, double b, SteadyClock::time_point now) {
  const std::int64_t epoch = now.time_since_epoch().count() / width_.count();
  Slice& s = ring_[static_cast<std::size_t>(epoch % static_cast<std::int64_t>(ring_.size()))];
  if (s.epoch != epoch) s = Slice{epoch, 0, 0};
  s.a += a;
  s.b += b;
}

std::pair<double, double> CountWindow::Sum(SteadyClock::time_point now) const {
  const std::int64_t epoch = now.time_since_epoch().count() / width_.count();
  double a = 0, b = 0;
  for (const auto& s : ring_) {
    if (s.epoch >= 0 && s.epoch <= epoch && epoch - s.epoch <= RollingWindow::kSlices) {
      a += s.a;
      b += s.b;
    }
  }
  return {a, b};
}

SeriesWindows::SeriesWindows(std::span<const Duration> lengths) {
  windows_.reserve(lengths.size());
  for (auto l : lengths) windows_.emplace_back(l);
  fine_width_ = Duration::max();
  for (const auto& w : windows_) fine_width_ = std::min(fine_width_, w.slice_width());
  if (windows_.empty()) fine_width_ = std::chrono::seconds(1);
}

void SeriesWindows::Flush() {
  if (pending_summary_.count == 0) return;
  if (pending_.empty()) {
    // Sparse: batch_ holds the pending (bucket, count) pairs, unsorted.
    std::sort(batch_.begin(), batch_.end());
  } else {
    std::sort(touched_.begin(), touched_.end());
    batch_.clear();
    for (auto b : touched_) {
      batch_.emplace_back(b, pending_[b]);
      pending_[b] = 0;
    }
    touched_.clear();
  }
  for (auto& w : windows_) w.AddBatch(batch_, pending_summary_, pending_begin_);
  batch_.clear();
  pending_summary_ = {};
}

void SeriesWindows::Record(Duration value, SteadyClock::time_point now) {
  if (now >= pending_end_ || now < pending_begin_) {
    Flush();
    pending_begin_ = SteadyClock::time_point(fine_width_ * (now.time_since_epoch() / fine_width_));
    pending_end_ = pending_begin_ + fine_width_;
  }
  const auto bucket = static_cast<std::uint16_t>(Bucketing::Index(value.count()));
  pending_summary_.Add(value.count());
  if (!pending_.empty()) {
    if (pending_[bucket]++ == 0) touched_.push_back(bucket);
    return;
  }
  for (auto& entry : batch_) {
    if (entry.first == bucket) {
      ++entry.second;
      return;
    }
  }
  if (batch_.size() < kSparsePending) {
    batch_.emplace_back(bucket, 1);
    return;
  }
  // Many distinct buckets in one slice (a load test): counting goes dense from here on.
  pending_.assign(Bucketing::kCount, 0);
  for (const auto& [b, count] : batch_) {
    pending_[b] = count;
    touched_.push_back(b);
  }
  batch_.clear();
  pending_[bucket] = 1;
  touched_.push_back(bucket);
}

WindowStats SeriesWindows::Stats(std::size_t i, SteadyClock::time_point now,
                                 DenseHistogram& scratch, bool intervals) {
  if (now >= pending_end_) Flush();  // the batch belongs to a finished slice: file it first
  scratch.Clear();
  windows_[i].Merge(now, scratch);
  if (pending_summary_.count > 0 && now >= pending_begin_) {
    for (auto b : touched_) scratch.AddBucket(b, pending_[b]);
    for (const auto& [b, count] : batch_) scratch.AddBucket(b, count);
    scratch.AddSummary(pending_summary_);
  }
  return StatsOf(scratch, intervals);
}

std::size_t SeriesWindows::MemoryBytes() const {
  std::size_t bytes = sizeof(*this) + pending_.capacity() * sizeof(std::uint32_t) +
                      touched_.capacity() * sizeof(std::uint16_t) +
                      batch_.capacity() * sizeof(SparseHistogram::Entry);
  for (const auto& w : windows_) bytes += w.MemoryBytes();
  return bytes;
}

}  // namespace reznet::stats
