#include "daemon/window.hpp"

#include <array>

namespace reznet::daemon {

RollingWindow::RollingWindow(Duration length)
    : length_(length), width_(length / kSlices), ring_(kSlices + 1) {
  if (width_ <= Duration::zero()) width_ = Duration(1);
}

std::int64_t RollingWindow::EpochOf(Clock::time_point t) const {
  return t.time_since_epoch().count() / width_.count();
}

void RollingWindow::Record(Duration value, Clock::time_point now) {
  const std::int64_t epoch = EpochOf(now);
  Slice& slice = ring_[static_cast<std::size_t>(epoch % static_cast<std::int64_t>(ring_.size()))];
  if (slice.epoch != epoch) {
    slice.hist.Clear();
    slice.epoch = epoch;
  }
  slice.hist.Record(value.count());
}

void RollingWindow::Merge(Clock::time_point now, DenseHistogram& scratch) const {
  scratch.Clear();
  const std::int64_t epoch = EpochOf(now);
  for (const Slice& slice : ring_) {
    if (slice.epoch >= 0 && slice.epoch <= epoch && epoch - slice.epoch <= kSlices) {
      slice.hist.MergeInto(scratch);
    }
  }
}

WindowStats RollingWindow::Stats(Clock::time_point now, DenseHistogram& scratch) const {
  Merge(now, scratch);
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
  return s;
}

std::size_t RollingWindow::MemoryBytes() const {
  std::size_t bytes = sizeof(*this) + ring_.capacity() * sizeof(Slice);
  for (const auto& s : ring_) bytes += s.hist.MemoryBytes() - sizeof(SparseHistogram);
  return bytes;
}

SeriesWindows::SeriesWindows(std::span<const Duration> lengths) {
  windows_.reserve(lengths.size());
  for (auto l : lengths) windows_.emplace_back(l);
}

void SeriesWindows::Record(Duration value, Clock::time_point now) {
  for (auto& w : windows_) w.Record(value, now);
}

std::size_t SeriesWindows::MemoryBytes() const {
  std::size_t bytes = sizeof(*this);
  for (const auto& w : windows_) bytes += w.MemoryBytes();
  return bytes;
}

}  // namespace reznet::daemon
