#include "krb/crypto/key.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "krb/crypto/string_to_key.hpp"

namespace kdcperf::krb::crypto {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

TEST(Key, DebugStringNamesTheEnctypeButNeverTheBytes) {
  DeterministicRng rng(1);
  for (auto e : {Enctype::AES128_CTS_HMAC_SHA1_96, Enctype::AES256_CTS_HMAC_SHA1_96,
                 Enctype::AES128_CTS_HMAC_SHA256_128, Enctype::AES256_CTS_HMAC_SHA384_192,
                 Enctype::RC4_HMAC}) {
    for (int i = 0; i < 50; ++i) {
      auto key = make_random_key(e, rng);
      ASSERT_TRUE(key.ok());
      const std::string s = key->debug_string();
      const std::string hex = to_hex(key->bytes.view());
      EXPECT_NE(s.find(enctype_info(e)->name), std::string::npos) << s;
      EXPECT_NE(s.find(std::to_string(key->bytes.size()) + " bytes"), std::string::npos) << s;
      // Neither the whole key nor any 4-byte window of it, in either hex case or raw.
      for (std::size_t off = 0; off + 8 <= hex.size(); off += 2) {
        const std::string window = hex.substr(off, 8);
        EXPECT_EQ(s.find(window), std::string::npos) << s;
        EXPECT_EQ(s.find(upper(window)), std::string::npos) << s;
      }
      for (std::size_t off = 0; off + 4 <= key->bytes.size(); ++off) {
        EXPECT_EQ(s.find(as_chars(key->bytes.view().subspan(off, 4))), std::string::npos);
      }
    }
  }
  Key unknown{static_cast<Enctype>(99), SecretBytes(8)};
  EXPECT_EQ(unknown.debug_string(), "Key{etype 99, 8 bytes}");
}

TEST(Key, CloneCopiesBytesAndEnctype) {
  Key a{Enctype::RC4_HMAC, SecretBytes(as_bytes("0123456789abcdef"))};
  Key b = a.clone();
  EXPECT_EQ(b.etype, a.etype);
  EXPECT_TRUE(equal(a.bytes.view(), b.bytes.view()));
  EXPECT_NE(a.bytes.data(), b.bytes.data());
}

}  // namespace
}  // namespace kdcperf::krb::crypto
