#include "loadgen/net/port_quarantine.hpp"

#include <gtest/gtest.h>

namespace kdcperf::loadgen::net {
namespace {

TEST(PortQuarantine, BlocksAPortUntilItsGraceEnds) {
  PortQuarantine q;
  EXPECT_FALSE(q.active(0));
  q.add(40000, 1000);
  q.add(40001, 500);
  EXPECT_TRUE(q.active(999));
  EXPECT_TRUE(q.blocked(40000, 999));
  EXPECT_FALSE(q.blocked(40000, 1000));
  EXPECT_TRUE(q.blocked(40001, 499));
  EXPECT_FALSE(q.blocked(40001, 500));
  EXPECT_FALSE(q.blocked(40002, 10));
  EXPECT_FALSE(q.active(1000));
}

TEST(PortQuarantine, ALaterGraceExtendsAndAnEarlierOneDoesNotShorten) {
  PortQuarantine q;
  q.add(65535, 100);
  q.add(65535, 300);
  q.add(65535, 200);
  EXPECT_TRUE(q.blocked(65535, 250));
  EXPECT_FALSE(q.blocked(65535, 300));
  q.add(0, 50);
  EXPECT_TRUE(q.blocked(0, 49));
}

}  // namespace
}  // namespace kdcperf::loadgen::net
