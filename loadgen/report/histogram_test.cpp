#include "loadgen/report/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace kdcperf::loadgen::report {
namespace {

TEST(Histogram, IndexIsMonotonicAndBoundsContainTheValue) {
  std::size_t prev = 0;
  for (std::uint64_t v = 0; v < 100000; v += 1 + v / 50) {
    const auto i = Histogram::index_of(v);
    EXPECT_GE(i, prev);
    prev = i;
    EXPECT_LE(Histogram::lower_bound(i), v);
    EXPECT_GE(Histogram::upper_bound(i), v);
  }
  const std::uint64_t big = ~std::uint64_t{0};
  EXPECT_LT(Histogram::index_of(big), Histogram::kBuckets);
  EXPECT_EQ(Histogram::upper_bound(Histogram::index_of(big)), big);
}

TEST(Histogram, RelativeErrorIsBounded) {
  std::mt19937_64 rng(1);
  for (int k = 0; k < 10000; ++k) {
    const std::uint64_t v = rng() >> (rng() % 60);
    const auto i = Histogram::index_of(v);
    const double width = static_cast<double>(Histogram::upper_bound(i) - Histogram::lower_bound(i));
    EXPECT_LE(width, static_cast<double>(v) / Histogram::kSubCount + 1) << v;
  }
}

// Quantiles agree with the exact order statistic of the recorded values within the bucket
// precision.
TEST(Histogram, QuantilesMatchSortedValues) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> lat(11.0, 1.0);  // ~60 µs median, long tail
  std::vector<std::uint64_t> values;
  Histogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<std::uint64_t>(lat(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    const std::size_t rank =
        std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * values.size())));
    const double exact = static_cast<double>(values[rank - 1]);
    const double got = static_cast<double>(h.quantile(q));
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(got, exact * (1.0 + 1.0 / Histogram::kSubCount) + 1) << q;
  }
  EXPECT_EQ(h.quantile(1.0), values.back());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, MergeEqualsRecordingIntoOne) {
  Histogram a, b, all;
  for (std::uint64_t v = 1; v < 5000; v += 7) {
    (v % 2 ? a : b).record(v * 13);
    all.record(v * 13);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.sum(), all.sum());
  EXPECT_EQ(a.nonzero(), all.nonzero());
  for (double q : {0.5, 0.99}) EXPECT_EQ(a.quantile(q), all.quantile(q));
  Histogram restored;
  ASSERT_TRUE(restored.restore(all.nonzero(), all.min(), all.max(), all.sum()));
  EXPECT_EQ(restored.quantile(0.99), all.quantile(0.99));
  EXPECT_FALSE(restored.restore({{Histogram::kBuckets, 1}}, 0, 0, 0));
}

// Per-second rows keep only buckets: adding them back gives the same buckets and quantiles
// (within the bucket), with extremes widened to the bucket bounds.
TEST(Histogram, AddBucketsRebuildsFromBucketsAlone) {
  Histogram all;
  for (std::uint64_t v = 1000; v < 2'000'000; v += 997) all.record(v);
  Histogram rebuilt;
  ASSERT_TRUE(rebuilt.add_buckets(all.nonzero()));
  EXPECT_EQ(rebuilt.count(), all.count());
  EXPECT_EQ(rebuilt.nonzero(), all.nonzero());
  for (double q : {0.5, 0.9, 0.99}) {
    EXPECT_EQ(Histogram::index_of(rebuilt.quantile(q)), Histogram::index_of(all.quantile(q))) << q;
  }
  EXPECT_LE(rebuilt.min(), all.min());
  EXPECT_GE(rebuilt.max(), all.max());
  EXPECT_NEAR(rebuilt.mean(), all.mean(), all.mean() / 128);
  ASSERT_TRUE(rebuilt.add_buckets(all.nonzero()));  // adds, like merge
  EXPECT_EQ(rebuilt.count(), 2 * all.count());
  Histogram bad;
  EXPECT_FALSE(bad.add_buckets({{3, 1}, {Histogram::kBuckets, 1}}));
  EXPECT_EQ(bad.count(), 0u);  // nothing added when any index is bad
}

TEST(Histogram, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.quantile(0.99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

}  // namespace
}  // namespace kdcperf::loadgen::report
