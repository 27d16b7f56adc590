#pragma once
// Log-linear histograms for latency (HDR style, written here).
//
// Values are integer nanoseconds clamped to [0, 1 h]. Below 128 ns every value has its own bucket;
// above, each power of two is split into 64 equal buckets, so a bucket is at most 1/64 of its
// lower bound wide and its midpoint is within 0.79 % of any value in it (the ≤ 1 % promise).
// 2,368 buckets in all. Record is O(1); merge is bucket addition.
//
// SparseHistogram is the storage of one window slice: sorted (bucket, count) pairs, switching to a
// dense array once that is smaller — so its memory is bounded by the bucket count, never by the
// number of samples. DenseHistogram is the scratch space a query merges slices into.
// Neither type is thread-safe; WindowStore guards them.

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace reznet::stats {

struct Bucketing {
  static constexpr int kLinearBits = 7;                         // 128 exact buckets below 128 ns
  static constexpr int kSubBuckets = 1 << (kLinearBits - 1);    // 64 per power of two above
  static constexpr std::int64_t kMaxValue = 3'600'000'000'000;  // 1 h in ns
  static constexpr int kMaxExponent = 41;                       // 2^41 ≤ 1 h < 2^42
  static constexpr int kCount = (1 << kLinearBits) + (kMaxExponent - kLinearBits + 1) * kSubBuckets;

  static int Index(std::int64_t ns);
  static std::int64_t Lower(int index);
  static std::int64_t Width(int index);
  // Representative value of a bucket: its midpoint (exact below 128 ns).
  static std::int64_t Mid(int index) { return Lower(index) + Width(index) / 2; }
};

struct Summary {
  std::uint64_t count = 0;
  double sum_ns = 0;
  std::int64_t min_ns = 0;
  std::int64_t max_ns = 0;
  void Add(const Summary& other);
  void Add(std::int64_t ns);
};

class DenseHistogram {
 public:
  DenseHistogram() : counts_(Bucketing::kCount, 0) {}
  void Record(std::int64_t ns);
  void AddBucket(int index, std::uint64_t count) {
    counts_[static_cast<std::size_t>(index)] += count;
  }
  void AddSummary(const Summary& s) { summary_.Add(s); }
  void Clear();
  const Summary& summary() const { return summary_; }
  std::uint64_t BucketCount(int index) const { return counts_[static_cast<std::size_t>(index)]; }

  // Nearest-rank quantiles (q in (0, 1], ascending or not) in one pass; each result is the
  // bucket midpoint clamped to the observed [min, max]. Empty histogram: all zeros.
  std::vector<std::int64_t> Quantiles(std::span<const double> qs) const;

 private:
  std::vector<std::uint64_t> counts_;
  Summary summary_;
};

class SparseHistogram {
 public:
  void Record(std::int64_t ns) { Record(ns, Bucketing::Index(ns)); }
  // With the bucket already computed (one Index() serves every window of a series).
  void Record(std::int64_t ns, int index);
  void MergeInto(DenseHistogram& out) const;
  using Entry = std::pair<std::uint16_t, std::uint32_t>;
  // Adds (bucket, count) pairs sorted by bucket, and their summary, in one linear merge.
  void AddSorted(const std::vector<Entry>& entries, const Summary& summary);
  void Clear();
  const Summary& summary() const { return summary_; }
  std::size_t MemoryBytes() const;

 private:
  static constexpr std::size_t kDenseThreshold =
      Bucketing::kCount * sizeof(std::uint32_t) / sizeof(std::pair<std::uint16_t, std::uint32_t>);
  void ToDense();

  std::vector<Entry> sparse_;         // sorted by bucket
  std::vector<std::uint32_t> dense_;  // used once non-empty
  Summary summary_;
};

}  // namespace reznet::stats
