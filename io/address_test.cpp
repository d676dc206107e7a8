#include "io/address.hpp"

#include <gtest/gtest.h>

namespace kdcperf::io {
namespace {

TEST(Address, ParsesV4AndV6WithAndWithoutPort) {
  auto a = parse_address("127.0.0.1:88");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), AF_INET);
  EXPECT_EQ(a->port(), 88);
  EXPECT_EQ(a->to_string(), "127.0.0.1:88");
  EXPECT_TRUE(a->is_loopback());

  auto b = parse_address("[::1]:1088");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->family(), AF_INET6);
  EXPECT_EQ(b->port(), 1088);
  EXPECT_EQ(b->to_string(), "[::1]:1088");
  EXPECT_TRUE(b->is_loopback());

  auto c = parse_address("::1", 88);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port(), 88);

  auto d = parse_address("10.1.2.3:88");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->is_loopback());
  EXPECT_TRUE(parse_address("127.255.0.9")->is_loopback());
}

TEST(Address, RejectsMalformed) {
  for (const char* bad : {"", "localhost:88", "127.0.0.1:99999", "127.0.0.1:", "[::1", "[::1]x",
                          "1.2.3.4:8a", "300.1.1.1:5"}) {
    EXPECT_FALSE(parse_address(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace kdcperf::io
