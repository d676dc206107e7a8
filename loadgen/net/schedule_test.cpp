#include "loadgen/net/schedule.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace kdcperf::loadgen::net {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

TEST(RateSchedule, ConstantRateIsEvenlySpacedAndExact) {
  auto s = RateSchedule::constant(1000, 2 * kSecond);
  std::int64_t prev = -1;
  int n = 0;
  while (auto t = s.next()) {
    if (prev >= 0) {
      EXPECT_EQ(*t - prev, 1'000'000);
    }
    prev = *t;
    ++n;
  }
  EXPECT_EQ(n, 2000);
  EXPECT_EQ(prev, 2 * kSecond - 1'000'000);
}

// A linear ramp from 0 to 2000/s over 1 s sends the integral, 1000 requests, with the gaps
// shrinking as the rate rises.
TEST(RateSchedule, LinearRampSendsTheIntegral) {
  RateSchedule s({{0, 2000, kSecond}});
  std::vector<std::int64_t> times;
  while (auto t = s.next()) times.push_back(*t);
  EXPECT_NEAR(static_cast<double>(times.size()), 1000.0, 1.0);
  EXPECT_GT(times[10] - times[9], times[900] - times[899]);
  EXPECT_NEAR(s.rate_at(kSecond / 2), 1000.0, 1e-9);
}

TEST(RateSchedule, StepsAndPausesAddUp) {
  RateSchedule s({{100, 100, kSecond}, {0, 0, kSecond}, {300, 300, kSecond}});
  int first = 0, paused = 0, third = 0;
  while (auto t = s.next()) {
    if (*t < kSecond)
      ++first;
    else if (*t < 2 * kSecond)
      ++paused;
    else
      ++third;
  }
  EXPECT_EQ(first, 100);
  EXPECT_EQ(paused, 0);
  EXPECT_EQ(third, 300);
  EXPECT_EQ(s.total_duration_ns(), 3 * kSecond);
  EXPECT_EQ(s.rate_at(10 * kSecond), 0.0);
}

}  // namespace
}  // namespace kdcperf::loadgen::net
