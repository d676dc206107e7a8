#include "loadgen/net/blocked_time.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace kdcperf::loadgen::net {
namespace {

TEST(BlockedTime, CountsOnlyTheWaitsAfterFrom) {
  BlockedTime b;
  b.add(10, 20);
  b.add(30, 35);
  b.add(50, 60);
  EXPECT_EQ(b.since(0), 25);
  EXPECT_EQ(b.since(15), 20);  // from inside the first wait: its last 5
  EXPECT_EQ(b.since(20), 15);
  EXPECT_EQ(b.since(32), 13);
  EXPECT_EQ(b.since(40), 10);
  EXPECT_EQ(b.since(60), 0);
  EXPECT_EQ(b.waits(), 0u);  // history before the oldest query is gone
  b.add(70, 71);
  EXPECT_EQ(b.since(60), 1);
}

TEST(BlockedTime, MatchesAScanOfEveryWait) {
  BlockedTime b;
  std::vector<std::pair<std::int64_t, std::int64_t>> all;
  std::int64_t t = 0, from = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t start = t + (i * 7) % 13, end = start + 1 + (i * 11) % 17;
    b.add(start, end);
    all.emplace_back(start, end);
    t = end;
    from += (i * 5) % 9;
    if (from > t) from = t;
    std::int64_t want = 0;
    for (auto [s, e] : all) {
      if (e > from) want += e - std::max(s, from);
    }
    ASSERT_EQ(b.since(from), want) << i;
  }
}

// An endless backlog (no query moves `from` forward) keeps memory bounded.
TEST(BlockedTime, AnEndlessBacklogStaysBounded) {
  BlockedTime b;
  for (std::int64_t i = 0; i < 1'000'000; ++i) b.add(10 * i, 10 * i + 9);
  EXPECT_LE(b.waits(), BlockedTime::kMaxWaits);
  // Merging counted some gaps as blocked: never less than the true total, never more than
  // the whole span.
  const std::int64_t blocked = b.since(0);
  EXPECT_GE(blocked, 9'000'000);
  EXPECT_LE(blocked, 10'000'000);
}

}  // namespace
}  // namespace kdcperf::loadgen::net
