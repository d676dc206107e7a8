#include "io/index_queue.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace kdcperf::io {
namespace {

// Against std::deque through growth, wrap-around and clears.
TEST(IndexQueue, BehavesLikeADeque) {
  IndexQueue q;
  std::deque<std::uint32_t> model;
  std::uint32_t next = 0;
  for (int step = 0; step < 20000; ++step) {
    const int op = (step * 7919) % 11;
    if (op < 6) {
      q.push_back(next);
      model.push_back(next++);
    } else if (op < 10 && !model.empty()) {
      ASSERT_EQ(q.front(), model.front());
      q.pop_front();
      model.pop_front();
    } else if (step % 997 == 0) {
      q.clear();
      model.clear();
    }
    ASSERT_EQ(q.size(), model.size());
    ASSERT_EQ(q.empty(), model.empty());
  }
  std::deque<std::uint32_t> seen;
  q.for_each([&](std::uint32_t v) { seen.push_back(v); });
  EXPECT_EQ(seen, model);
}

TEST(IndexQueue, ReserveKeepsOrderAndRoom) {
  IndexQueue q;
  q.push_back(7);
  q.push_back(8);
  q.pop_front();
  q.push_back(9);
  q.reserve(100);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.front(), 8u);
  q.pop_front();
  EXPECT_EQ(q.front(), 9u);
}

}  // namespace
}  // namespace kdcperf::io
