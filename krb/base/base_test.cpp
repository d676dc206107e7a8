#include <gtest/gtest.h>

#include <array>
#include <string>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/rng.hpp"
#include "krb/base/secret.hpp"

namespace kdcperf::krb {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Error{Err::kBadInteger, 7};
  return v;
}

Result<int> twice(int v) {
  KRB_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  KRB_RETURN_IF_ERROR(parse_positive(v));
  return ok_status();
}

TEST(Result, CarriesValueOrErrorWithOffset) {
  auto good = twice(21);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  auto bad = twice(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err(), Err::kBadInteger);
  EXPECT_EQ(bad.error().offset, 7u);
  EXPECT_TRUE(check(1).ok());
  EXPECT_EQ(check(0).err(), Err::kBadInteger);
  EXPECT_EQ(err_name(Err::kTrailingData), "trailing_data");
}

TEST(ResultDeathTest, ReadingTheValueOfAnErrorAborts) {
  Result<std::string> r(Err::kTruncated);
  EXPECT_DEATH((void)r.value(), "");
}

TEST(Result, MoveOnlyValues) {
  Result<SecretBytes> r(SecretBytes(as_bytes("key")));
  ASSERT_TRUE(r.ok());
  SecretBytes s = std::move(r).value();
  EXPECT_EQ(as_chars(s.view()), "key");
}

TEST(SecretBytes, MoveLeavesSourceEmptyAndCloneCopies) {
  SecretBytes a(as_bytes("0123456789abcdef"));
  SecretBytes b = std::move(a);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_EQ(b.size(), 16u);
  SecretBytes c = b.clone();
  EXPECT_TRUE(equal(b.view(), c.view()));
  EXPECT_NE(b.data(), c.data());
}

TEST(SecretBytes, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal(as_bytes("abc"), as_bytes("abc")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abd")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("ab")));
  EXPECT_TRUE(constant_time_equal({}, {}));
  // A difference in any bit of any byte, in the 8-byte words and in the tail, for MAC and key
  // lengths (12, 16, 24, 32) and around the word size.
  for (std::size_t n : {1u, 7u, 8u, 9u, 12u, 15u, 16u, 17u, 24u, 32u, 33u}) {
    std::vector<std::byte> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = b[i] = static_cast<std::byte>(i * 37 + 1);
    EXPECT_TRUE(constant_time_equal(a, b)) << n;
    for (std::size_t i = 0; i < n; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        b[i] ^= static_cast<std::byte>(1 << bit);
        EXPECT_FALSE(constant_time_equal(a, b)) << n << " " << i << " " << bit;
        b[i] ^= static_cast<std::byte>(1 << bit);
      }
    }
  }
}

// The krb/testdata *.hex format: '#' lines are comments, a '#' anywhere else is not hex.
TEST(Bytes, HexTextSkipsCommentLines) {
  auto b = from_hex_text("# captured from MIT krb5 1.20\n6a 81\n# more\r\n  0a ff\n");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(to_hex(*b), "6a810aff");
  EXPECT_EQ(from_hex_text("").value().size(), 0u);
  EXPECT_FALSE(from_hex_text("6a # trailing comment\n").has_value());
  EXPECT_FALSE(from_hex_text("6a8\n").has_value());
}

TEST(Bytes, HexRoundTripAndErrors) {
  auto b = from_hex("00 ff\n7A");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(to_hex(*b), "00ff7a");
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
  std::byte p[4];
  store_be32(p, 0x01020304);
  EXPECT_EQ(load_be32(p), 0x01020304u);
  store_be16(p, 0xbeef);
  EXPECT_EQ(load_be16(p), 0xbeef);
}

TEST(Rng, DeterministicStreamIsReproducibleAndSystemRngFills) {
  std::byte a[32], b[32];
  DeterministicRng r1(5), r2(5);
  r1.fill(a);
  r2.fill(b);
  EXPECT_TRUE(equal(a, b));
  SystemRng sys;
  std::byte z[32] = {};
  sys.fill(z);
  EXPECT_FALSE(equal(z, std::array<std::byte, 32>{}));  // 2^-256 to fail by chance
}

}  // namespace
}  // namespace kdcperf::krb
