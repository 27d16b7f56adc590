#include "stats/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace reznet::stats {

int Bucketing::Index(std::int64_t ns) {
  if (ns < 0) ns = 0;
  if (ns > kMaxValue) ns = kMaxValue;
  const auto v = static_cast<std::uint64_t>(ns);
  if (v < (1u << kLinearBits)) return static_cast<int>(v);
  const int exponent = 63 - std::countl_zero(v);  // ≥ kLinearBits
  const int shift = exponent - (kLinearBits - 1);
  const int sub = static_cast<int>(v >> shift) - kSubBuckets;  // 0..63
  return (1 << kLinearBits) + (exponent - kLinearBits) * kSubBuckets + sub;
}

std::int64_t Bucketing::Lower(int index) {
  if (index < (1 << kLinearBits)) return index;
  const int rel = index - (1 << kLinearBits);
  const int exponent = kLinearBits + rel / kSubBuckets;
  const int sub = rel % kSubBuckets + kSubBuckets;
  return static_cast<std::int64_t>(sub) << (exponent - (kLinearBits - 1));
}

std::int64_t Bucketing::Width(int index) {
  if (index < (1 << kLinearBits)) return 1;
  const int exponent = kLinearBits + (index - (1 << kLinearBits)) / kSubBuckets;
  return std::int64_t{1} << (exponent - (kLinearBits - 1));
}

void Summary::Add(std::int64_t ns) {
  if (count == 0 || ns < min_ns) min_ns = ns;
  if (count == 0 || ns > max_ns) max_ns = ns;
  ++count;
  sum_ns += static_cast<double>(ns);
}

void Summary::Add(const Summary& other) {
  if (other.count == 0) return;
  if (count == 0 || other.min_ns < min_ns) min_ns = other.min_ns;
  if (count == 0 || other.max_ns > max_ns) max_ns = other.max_ns;
  count += other.count;
  sum_ns += other.sum_ns;
}

void DenseHistogram::Record(std::int64_t ns) {
  ++counts_[static_cast<std::size_t>(Bucketing::Index(ns))];
  summary_.Add(ns);
}

void DenseHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  summary_ = {};
}

std::vector<std::int64_t> DenseHistogram::Quantiles(std::span<const double> qs) const {
  std::vector<std::int64_t> out(qs.size(), 0);
  const std::uint64_t total = summary_.count;
  if (total == 0) return out;
  // Visit quantiles in ascending order of rank, writing each back to its own slot.
  std::vector<std::size_t> order(qs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return qs[a] < qs[b]; });
  std::uint64_t cumulative = 0;
  std::size_t next = 0;
  for (int b = 0; b < Bucketing::kCount && next < order.size(); ++b) {
    cumulative += counts_[static_cast<std::size_t>(b)];
    while (next < order.size()) {
      const double q = std::clamp(qs[order[next]], 0.0, 1.0);
      const auto rank = std::max<std::uint64_t>(
          1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total))));
      if (cumulative < rank) break;
      out[order[next]] = std::clamp(Bucketing::Mid(b), summary_.min_ns, summary_.max_ns);
      ++next;
    }
  }
  return out;
}

void SparseHistogram::Record(std::int64_t ns, int bucket) {
  summary_.Add(ns);
  const auto index = static_cast<std::uint16_t>(bucket);
  if (!dense_.empty()) {
    ++dense_[index];
    return;
  }
  // Slices hold few distinct buckets at probe rates; a binary search over them is cheap.
  auto it = std::lower_bound(sparse_.begin(), sparse_.end(), index,
                             [](const auto& e, std::uint16_t i) { return e.first < i; });
  if (it != sparse_.end() && it->first == index) {
    ++it->second;
    return;
  }
  sparse_.insert(it, {index, 1});
  if (sparse_.size() > kDenseThreshold) ToDense();
}

void SparseHistogram::ToDense() {
  dense_.assign(Bucketing::kCount, 0);
  for (const auto& [index, count] : sparse_) dense_[index] = count;
  sparse_.clear();
  sparse_.shrink_to_fit();
}

void SparseHistogram::MergeInto(DenseHistogram& out) const {
  if (summary_.count == 0) return;
  if (!dense_.empty()) {
    for (std::size_t i = 0; i < dense_.size(); ++i) {
      if (dense_[i]) out.AddBucket(static_cast<int>(i), dense_[i]);
    }
  } else {
    for (const auto& [index, count] : sparse_) out.AddBucket(index, count);
  }
  out.AddSummary(summary_);
}

void SparseHistogram::AddSorted(const std::vector<Entry>& entries, const Summary& summary) {
  if (summary.count == 0) return;
  summary_.Add(summary);
  if (!dense_.empty()) {
    for (const auto& [index, count] : entries) dense_[index] += count;
    return;
  }
  std::vector<Entry> merged;
  merged.reserve(sparse_.size() + entries.size());
  std::size_t j = 0;
  for (const auto& e : entries) {
    while (j < sparse_.size() && sparse_[j].first < e.first) merged.push_back(sparse_[j++]);
    if (j < sparse_.size() && sparse_[j].first == e.first) {
      merged.emplace_back(e.first, sparse_[j++].second + e.second);
    } else {
      merged.push_back(e);
    }
  }
  while (j < sparse_.size()) merged.push_back(sparse_[j++]);
  sparse_ = std::move(merged);
  if (sparse_.size() > kDenseThreshold) ToDense();
}

void SparseHistogram::Clear() {
  sparse_.clear();
  if (!dense_.empty()) {
    dense_.clear();
    dense_.shrink_to_fit();
  }
  summary_ = {};
}

std::size_t SparseHistogram::MemoryBytes() const {
  return sizeof(*this) + sparse_.capacity() * sizeof(sparse_[0]) +
         dense_.capacity() * sizeof(std::uint32_t);
}

}  // namespace reznet::stats
