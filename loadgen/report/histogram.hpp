// A log-linear latency histogram in the manner of HdrHistogram: values below 2^(kSubBits+1)
// are exact; above, each power of two is split into 2^kSubBits equal buckets, so any value is
// stored within 1/2^kSubBits (0.78%) of itself, from nanoseconds to centuries, in a fixed
// array. Recording is an index computation and an increment (no allocation); histograms with
// the same layout merge by adding counts, which is how per-worker and per-host results combine.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace kdcperf::loadgen::report {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr std::size_t kSubCount = std::size_t{1} << kSubBits;
  static constexpr std::size_t kBuckets = (65 - kSubBits) * kSubCount;
  // Non-empty buckets as (bucket index, count), ascending.
  using Buckets = std::vector<std::pair<std::size_t, std::uint64_t>>;

  static std::size_t index_of(std::uint64_t v);
  // The smallest and largest values that fall into bucket i.
  static std::uint64_t lower_bound(std::size_t i);
  static std::uint64_t upper_bound(std::size_t i);

  void record(std::uint64_t v) { record_n(v, 1); }
  void record_n(std::uint64_t v, std::uint64_t n);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  // The value at quantile q in [0, 1]: the upper bound of the bucket holding the
  // ceil(q * count)-th value, never above the exact maximum (HdrHistogram's "highest
  // equivalent value"). 0 when empty.
  std::uint64_t quantile(double q) const;

  // Non-empty buckets as (bucket index, count), for JSON and for merging across processes.
  Buckets nonzero() const;
  // Rebuilds from nonzero() output plus the exact extremes and sum; false on a bad index.
  bool restore(const Buckets& buckets, std::uint64_t min, std::uint64_t max, std::uint64_t sum);
  // Adds buckets (as nonzero() gives them) without exact extremes: min and max become the
  // bucket bounds, the sum the bucket midpoints. For per-second rows. False on a bad index.
  bool add_buckets(const Buckets& buckets);
  std::uint64_t sum() const { return sum_; }

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
};

}  // namespace kdcperf::loadgen::report
