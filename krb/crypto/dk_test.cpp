#include "krb/crypto/dk.hpp"

#include <gtest/gtest.h>

#include "tests/support/testdata.hpp"

namespace kdcperf::krb::crypto {
namespace {

// Known-answer derivations are in vectors_test.cpp (RFC 8009 Appendix A, MIT t_derive.c).

TEST(Dk, DerivedKeyLengths) {
  for (auto w : {DerivedKey::kChecksum, DerivedKey::kEncryption, DerivedKey::kIntegrity}) {
    EXPECT_EQ(derived_key_bytes(Enctype::AES128_CTS_HMAC_SHA1_96, w), 16u);
    EXPECT_EQ(derived_key_bytes(Enctype::AES256_CTS_HMAC_SHA1_96, w), 32u);
    EXPECT_EQ(derived_key_bytes(Enctype::AES128_CTS_HMAC_SHA256_128, w), 16u);
  }
  EXPECT_EQ(derived_key_bytes(Enctype::AES256_CTS_HMAC_SHA384_192, DerivedKey::kEncryption), 32u);
  EXPECT_EQ(derived_key_bytes(Enctype::AES256_CTS_HMAC_SHA384_192, DerivedKey::kChecksum), 24u);
  EXPECT_EQ(derived_key_bytes(Enctype::AES256_CTS_HMAC_SHA384_192, DerivedKey::kIntegrity), 24u);
}

TEST(Dk, StringToKeyConstantIsDkOfKerberos) {
  // RFC 3962 §4: key = DK(tkey, "kerberos"); with tkey the 1-iteration PBKDF2 output of
  // Appendix B, DR gives the appendix's 128-bit AES key.
  const Buffer tkey = testing::hex("cdedb5281bb2f801565a1122b2563515");
  Buffer out(16);
  ASSERT_TRUE(dr_aes(tkey, as_bytes("kerberos"), out).ok());
  EXPECT_EQ(to_hex(out), "42263c6e89f4fc28b8df68ee09799f15");
}

TEST(Dk, Rc4AndBadKeysAreRefused) {
  const Key rc4{Enctype::RC4_HMAC, SecretBytes(16)};
  EXPECT_EQ(derive_usage_key(rc4, 2, DerivedKey::kChecksum).err(), Err::kUnsupported);
  EXPECT_EQ(prf(rc4, as_bytes("test")).err(), Err::kUnsupported);
  const Key short_key{Enctype::AES256_CTS_HMAC_SHA1_96, SecretBytes(16)};
  EXPECT_EQ(derive_usage_key(short_key, 2, DerivedKey::kChecksum).err(), Err::kBadKeyLength);
  EXPECT_EQ(check_key(Key{static_cast<Enctype>(5), SecretBytes(16)}).err(), Err::kUnknownEnctype);
  Buffer out(16);
  EXPECT_EQ(dr_aes(Buffer(20), as_bytes("x"), out).err(), Err::kBadKeyLength);
}

}  // namespace
}  // namespace kdcperf::krb::crypto
