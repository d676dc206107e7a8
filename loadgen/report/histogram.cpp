#include "loadgen/report/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace kdcperf::loadgen::report {

std::size_t Histogram::index_of(std::uint64_t v) {
  if (v < 2 * kSubCount) return static_cast<std::size_t>(v);
  const int msb = 63 - std::countl_zero(v);
  const int shift = msb - kSubBits;  // keeps kSubBits bits below the leading one
  return static_cast<std::size_t>(shift + 1) * kSubCount + ((v >> shift) - kSubCount);
}

std::uint64_t Histogram::lower_bound(std::size_t i) {
  if (i < 2 * kSubCount) return i;
  const std::size_t shift = i / kSubCount - 1;
  return (static_cast<std::uint64_t>(i % kSubCount) + kSubCount) << shift;
}

std::uint64_t Histogram::upper_bound(std::size_t i) {
  if (i < 2 * kSubCount) return i;
  const std::size_t shift = i / kSubCount - 1;
  return lower_bound(i) + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::record_n(std::uint64_t v, std::uint64_t n) {
  if (n == 0) return;
  counts_[index_of(v)] += n;
  count_ += n;
  sum_ += v * n;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void Histogram::merge(const Histogram& o) {
  if (o.count_ == 0) return;
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

void Histogram::reset() {
  *this = Histogram();
}

std::uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(upper_bound(i), min_, max_);
  }
  return max_;
}

Histogram::Buckets Histogram::nonzero() const {
  Buckets out;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] != 0) out.emplace_back(i, counts_[i]);
  }
  return out;
}

bool Histogram::restore(const Buckets& buckets, std::uint64_t min, std::uint64_t max,
                        std::uint64_t sum) {
  reset();
  for (const auto& [i, n] : buckets) {
    if (i >= kBuckets) return false;
    counts_[i] += n;
    count_ += n;
  }
  if (count_ != 0) {
    min_ = min;
    max_ = max;
    sum_ = sum;
  }
  return true;
}

bool Histogram::add_buckets(const Buckets& buckets) {
  for (const auto& [i, n] : buckets) {
    if (i >= kBuckets) return false;
  }
  for (const auto& [i, n] : buckets) {
    if (n == 0) continue;
    counts_[i] += n;
    count_ += n;
    const std::uint64_t lo = lower_bound(i), hi = upper_bound(i);
    sum_ += (lo + (hi - lo) / 2) * n;
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  return true;
}

}  // namespace kdcperf::loadgen::report
