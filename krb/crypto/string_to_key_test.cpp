#include "krb/crypto/string_to_key.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/testdata.hpp"

namespace kdcperf::krb::crypto {
namespace {

using testing::hex;

Buffer be32(std::uint32_t v) {
  Buffer b(4);
  store_be32(b.data(), v);
  return b;
}

// Vectors of exact RFC outputs live in vectors_test.cpp; these are the parameter rules.

TEST(StringToKey, S2kParamsShapeAndRange) {
  const auto e = Enctype::AES256_CTS_HMAC_SHA1_96;
  EXPECT_EQ(*s2k_iterations(e, {}), 4096u);
  EXPECT_EQ(*s2k_iterations(Enctype::AES128_CTS_HMAC_SHA256_128, {}), 32768u);
  EXPECT_EQ(*s2k_iterations(e, be32(1)), 1u);  // RFC 3962 Appendix B uses 1
  EXPECT_EQ(*s2k_iterations(e, be32(kMaxS2kIterations)), kMaxS2kIterations);
  EXPECT_EQ(s2k_iterations(e, be32(0)).err(), Err::kBadS2kParams);
  EXPECT_EQ(s2k_iterations(e, be32(0x1000000)).err(), Err::kBadS2kParams);
  EXPECT_EQ(s2k_iterations(e, hex("001000")).err(), Err::kBadS2kParams);
  EXPECT_EQ(s2k_iterations(e, hex("0000100000")).err(), Err::kBadS2kParams);
  EXPECT_EQ(s2k_iterations(Enctype::RC4_HMAC, be32(1)).err(), Err::kBadS2kParams);
  EXPECT_EQ(s2k_iterations(static_cast<Enctype>(3), {}).err(), Err::kUnknownEnctype);
  EXPECT_EQ(string_to_key(e, "pw", "salt", be32(0)).err(), Err::kBadS2kParams);
  EXPECT_EQ(string_to_key(e, "pw", "salt", hex("01")).err(), Err::kBadS2kParams);
}

TEST(StringToKey, MitPolicyForKdcSuppliedParams) {
  // KERBEROS-INTEROP.md §1.3: 0x800 rejected, 0x1000 and 0x2000 accepted for aes256-sha1.
  const auto e = Enctype::AES256_CTS_HMAC_SHA1_96;
  EXPECT_TRUE(check_s2kparams_policy(e, {}).ok());
  EXPECT_EQ(check_s2kparams_policy(e, be32(0x800)).err(), Err::kBadS2kParams);
  EXPECT_TRUE(check_s2kparams_policy(e, be32(0x1000)).ok());
  EXPECT_TRUE(check_s2kparams_policy(e, be32(0x2000)).ok());
  EXPECT_TRUE(check_s2kparams_policy(e, be32(0xffffff)).ok());
  EXPECT_EQ(check_s2kparams_policy(e, be32(0x1000000)).err(), Err::kBadS2kParams);
  EXPECT_EQ(check_s2kparams_policy(e, be32(0)).err(), Err::kBadS2kParams);
  EXPECT_EQ(check_s2kparams_policy(e, hex("1000")).err(), Err::kBadS2kParams);
  // RFC 8009 enctypes default to 32768, so 4096 is too weak for them.
  const auto e2 = Enctype::AES256_CTS_HMAC_SHA384_192;
  EXPECT_EQ(check_s2kparams_policy(e2, be32(0x1000)).err(), Err::kBadS2kParams);
  EXPECT_TRUE(check_s2kparams_policy(e2, be32(0x8000)).ok());
  EXPECT_TRUE(check_s2kparams_policy(Enctype::RC4_HMAC, {}).ok());
  EXPECT_EQ(check_s2kparams_policy(Enctype::RC4_HMAC, be32(4096)).err(), Err::kBadS2kParams);
  EXPECT_EQ(check_s2kparams_policy(static_cast<Enctype>(1), {}).err(), Err::kUnknownEnctype);
}

TEST(StringToKey, DefaultIterationsEqualExplicitDefault) {
  for (auto e : {Enctype::AES128_CTS_HMAC_SHA1_96, Enctype::AES256_CTS_HMAC_SHA1_96}) {
    auto a = string_to_key(e, "secret", "EXAMPLE.TESTalice");
    auto b = string_to_key(e, "secret", "EXAMPLE.TESTalice", be32(4096));
    auto c = string_to_key(e, "secret", "EXAMPLE.TESTalice", be32(4097));
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_TRUE(equal(a->bytes.view(), b->bytes.view()));
    EXPECT_FALSE(equal(a->bytes.view(), c->bytes.view()));
    EXPECT_EQ(a->bytes.size(), enctype_info(e)->key_bytes);
  }
}

TEST(StringToKey, Rc4IgnoresSaltAndNeedsValidUtf8) {
  auto a = string_to_key(Enctype::RC4_HMAC, "password", "A");
  auto b = string_to_key(Enctype::RC4_HMAC, "password", "B");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(to_hex(a->bytes.view()), "8846f7eaee8fb117ad06bdd830b7586c");
  EXPECT_TRUE(equal(a->bytes.view(), b->bytes.view()));
  auto empty = string_to_key(Enctype::RC4_HMAC, "", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(to_hex(empty->bytes.view()), "31d6cfe0d16ae931b73c59d7e0c089c0");  // MD4("")
  for (const char* bad : {"\xc0\x80", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80", "\xff",
                          "a\x80", "\xe0\x80\xaf"}) {
    EXPECT_EQ(string_to_key(Enctype::RC4_HMAC, bad, "").err(), Err::kBadString)
        << to_hex(as_bytes(bad));
  }
}

TEST(StringToKey, DefaultSaltIsRealmThenComponents) {
  const std::string_view comps[] = {"host", "kdc.example.test"};
  EXPECT_EQ(default_salt("EXAMPLE.TEST", comps), "EXAMPLE.TESThostkdc.example.test");
  EXPECT_EQ(default_salt("R", {}), "R");
}

TEST(StringToKey, RandomKeys) {
  EXPECT_EQ(random_to_key(Enctype::AES128_CTS_HMAC_SHA1_96, Buffer(32)).err(), Err::kBadKeyLength);
  EXPECT_EQ(random_to_key(static_cast<Enctype>(2), Buffer(8)).err(), Err::kUnknownEnctype);
  const Buffer r = hex("000102030405060708090a0b0c0d0e0f");
  auto k = random_to_key(Enctype::AES128_CTS_HMAC_SHA256_128, r);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(equal(k->bytes.view(), r));  // identity for AES (RFC 3962 §6, RFC 8009 §5)

  DeterministicRng r1(42), r2(42);
  auto a = make_random_key(Enctype::AES256_CTS_HMAC_SHA384_192, r1);
  auto b = make_random_key(Enctype::AES256_CTS_HMAC_SHA384_192, r2);
  auto c = make_random_key(Enctype::AES256_CTS_HMAC_SHA384_192, r2);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->bytes.size(), 32u);
  EXPECT_TRUE(equal(a->bytes.view(), b->bytes.view()));
  EXPECT_FALSE(equal(b->bytes.view(), c->bytes.view()));
}

}  // namespace
}  // namespace kdcperf::krb::crypto
