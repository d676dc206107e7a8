// Every published or independently computed vector in krb/testdata/crypto/, run through the
// public API (string_to_key, derive_usage_key, UsageKey seal/open, checksums, prf).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <map>
#include <string>
#include <vector>

#include "krb/crypto/cipher.hpp"
#include "krb/crypto/dk.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::crypto {
namespace {

using testing::read_vector_file;
using testing::source_path;

Enctype etype_of(const std::string& s) {
  return static_cast<Enctype>(std::stoi(s));
}
KeyUsage usage_of(const std::string& s) {
  return static_cast<KeyUsage>(std::stoi(s));
}
std::string str(const Buffer& b) {
  return std::string(as_chars(b));
}

Key key_of(Enctype e, const Buffer& bytes) {
  return Key{e, SecretBytes(ByteView(bytes))};
}

Buffer pbkdf2_sha1(const Buffer& pw, const Buffer& salt, int iter, std::size_t len) {
  Buffer out(len);
  EXPECT_EQ(PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(pw.data()), static_cast<int>(pw.size()),
                              u8(salt), static_cast<int>(salt.size()), iter, EVP_sha1(),
                              static_cast<int>(len), u8(MutableByteView(out))),
            1);
  return out;
}

Buffer iterations_param(std::uint32_t n) {
  Buffer p(4);
  store_be32(p.data(), n);
  return p;
}

// Encrypts with the given confounder through a cached UsageKey, compares, and decrypts back.
void check_encrypt(const Key& key, KeyUsage usage, const Buffer& conf, const Buffer& pt,
                   const Buffer& ct) {
  auto uk = UsageKey::make(key, usage);
  ASSERT_TRUE(uk.ok());
  Buffer out(pt.size() + uk->overhead());
  auto n = seal_with_confounder(*uk, conf, pt, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, ct.size());
  EXPECT_EQ(to_hex(out), to_hex(ct));
  Buffer back(ct.size());
  auto m = open(*uk, ct, back);
  ASSERT_TRUE(m.ok());
  back.resize(*m);
  EXPECT_EQ(to_hex(back), to_hex(pt));
}

TEST(Vectors, Rfc3962StringToKey) {
  auto blocks = read_vector_file(source_path("krb/testdata/crypto/rfc3962_s2k.txt"));
  ASSERT_EQ(blocks.size(), 7u);
  for (auto& v : blocks) {
    SCOPED_TRACE("vector at line " + std::to_string(v.line()));
    EXPECT_EQ(v.take("Test"), "s2k");
    const int iter = std::stoi(v.take("Iterations"));
    const Buffer pw = v.take_hex("PasswordHex");
    const Buffer salt = v.take_hex("SaltHex");
    // The intermediate PBKDF2 outputs (OpenSSL's PBKDF2, as string_to_key uses it).
    EXPECT_EQ(to_hex(pbkdf2_sha1(pw, salt, iter, 16)), to_hex(v.take_hex("Pbkdf2_128")));
    EXPECT_EQ(to_hex(pbkdf2_sha1(pw, salt, iter, 32)), to_hex(v.take_hex("Pbkdf2_256")));
    const Buffer params = iterations_param(static_cast<std::uint32_t>(iter));
    for (auto [etype, attr] : {std::pair{Enctype::AES128_CTS_HMAC_SHA1_96, "Key128"},
                               std::pair{Enctype::AES256_CTS_HMAC_SHA1_96, "Key256"}}) {
      auto key = string_to_key(etype, str(pw), str(salt), params);
      ASSERT_TRUE(key.ok());
      EXPECT_EQ(key->etype, etype);
      EXPECT_EQ(to_hex(key->bytes.view()), to_hex(v.take_hex(attr)));
    }
  }
}

TEST(Vectors, Rfc8009AppendixA) {
  auto blocks = read_vector_file(source_path("krb/testdata/crypto/rfc8009.txt"));
  std::map<std::string, int> seen;
  for (auto& v : blocks) {
    SCOPED_TRACE("vector at line " + std::to_string(v.line()));
    const std::string test = v.take("Test");
    ++seen[test];
    const Enctype etype = etype_of(v.take("Etype"));
    if (test == "s2k") {
      const auto iter = static_cast<std::uint32_t>(std::stoul(v.take("Iterations")));
      const Buffer pw = v.take_hex("PasswordHex");
      const Buffer salt = v.take_hex("SaltHex");
      const Buffer want = v.take_hex("Key");
      auto key = string_to_key(etype, str(pw), str(salt), iterations_param(iter));
      ASSERT_TRUE(key.ok());
      EXPECT_EQ(to_hex(key->bytes.view()), to_hex(want));
      // 32768 is the default: absent s2kparams give the same key.
      auto dflt = string_to_key(etype, str(pw), str(salt));
      ASSERT_TRUE(dflt.ok());
      EXPECT_EQ(to_hex(dflt->bytes.view()), to_hex(want));
      continue;
    }
    const Key key = key_of(etype, v.take_hex("Key"));
    if (test == "derive") {
      const auto usage = static_cast<std::uint32_t>(std::stoul(v.take("Usage")));
      const auto which = static_cast<DerivedKey>(std::stoul(v.take("Which"), nullptr, 16));
      auto got = derive_usage_key(key, usage, which);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(to_hex(got->view()), to_hex(v.take_hex("Derived")));
    } else if (test == "encrypt") {
      const KeyUsage usage = usage_of(v.take("Usage"));
      const auto u = static_cast<std::uint32_t>(usage);
      auto ke = derive_usage_key(key, u, DerivedKey::kEncryption);
      auto ki = derive_usage_key(key, u, DerivedKey::kIntegrity);
      ASSERT_TRUE(ke.ok() && ki.ok());
      EXPECT_EQ(to_hex(ke->view()), to_hex(v.take_hex("Ke")));
      EXPECT_EQ(to_hex(ki->view()), to_hex(v.take_hex("Ki")));
      const Buffer pt = v.take_hex("Plaintext");
      const Buffer conf = v.take_hex("Confounder");
      check_encrypt(key, usage, conf, pt, v.take_hex("Ciphertext"));
    } else if (test == "checksum") {
      const KeyUsage usage = usage_of(v.take("Usage"));
      auto kc = derive_usage_key(key, static_cast<std::uint32_t>(usage), DerivedKey::kChecksum);
      ASSERT_TRUE(kc.ok());
      EXPECT_EQ(to_hex(kc->view()), to_hex(v.take_hex("Kc")));
      const Buffer data = v.take_hex("Data");
      const Buffer want = v.take_hex("Checksum");
      auto uk = UsageKey::make(key, usage);
      ASSERT_TRUE(uk.ok());
      Buffer got(want.size());
      auto n = make_checksum(*uk, data, got);
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(*n, want.size());
      EXPECT_EQ(to_hex(got), to_hex(want));
      EXPECT_TRUE(verify_checksum(*uk, data, want).ok());
    } else {
      ASSERT_EQ(test, "prf");
      auto got = prf(key, v.take_hex("Input"));
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(to_hex(*got), to_hex(v.take_hex("Output")));
    }
  }
  EXPECT_EQ(seen["s2k"], 2);
  EXPECT_EQ(seen["derive"], 6);
  EXPECT_EQ(seen["encrypt"], 8);
  EXPECT_EQ(seen["checksum"], 2);
  EXPECT_EQ(seen["prf"], 2);
}

TEST(Vectors, MitKnownAnswers) {
  auto blocks = read_vector_file(source_path("krb/testdata/crypto/mit_known_answers.txt"));
  std::map<std::string, int> seen;
  for (auto& v : blocks) {
    SCOPED_TRACE("vector at line " + std::to_string(v.line()));
    const std::string test = v.take("Test");
    ++seen[test];
    const Enctype etype = etype_of(v.take("Etype"));
    if (test == "s2k") {
      // Principal "name[/inst]@REALM" -> MIT's default salt REALM + name + inst.
      const std::string princ = v.take("Principal");
      const std::string realm = princ.substr(princ.find('@') + 1);
      std::vector<std::string> comps;
      std::string name = princ.substr(0, princ.find('@'));
      for (std::size_t p; (p = name.find('/')) != std::string::npos; name.erase(0, p + 1)) {
        comps.push_back(name.substr(0, p));
      }
      comps.push_back(name);
      std::vector<std::string_view> views(comps.begin(), comps.end());
      const std::string salt = default_salt(realm, views);
      auto key = string_to_key(etype, str(v.take_hex("PasswordHex")), salt);
      ASSERT_TRUE(key.ok());
      EXPECT_EQ(to_hex(key->bytes.view()), to_hex(v.take_hex("Key")));
      continue;
    }
    const Key key = key_of(etype, v.take_hex("Key"));
    if (test == "decrypt") {
      const KeyUsage usage = usage_of(v.take("Usage"));
      const Buffer pt = v.take_hex("Plaintext");
      const Buffer ct = v.take_hex("Ciphertext");
      Buffer out(ct.size());
      auto n = open_once(key, usage, ct, out);
      ASSERT_TRUE(n.ok()) << err_name(n.err());
      out.resize(*n);
      EXPECT_EQ(to_hex(out), to_hex(pt));
    } else if (test == "checksum") {
      const auto ctype = static_cast<ChecksumType>(std::stoi(v.take("ChecksumType")));
      EXPECT_EQ(enctype_info(etype)->checksum, ctype);
      const KeyUsage usage = usage_of(v.take("Usage"));
      const Buffer data = v.take_hex("Data");
      const Buffer want = v.take_hex("Checksum");
      Buffer got(checksum_bytes(ctype));
      auto n = make_checksum_once(key, usage, data, got);
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(to_hex(got), to_hex(want));
      EXPECT_TRUE(verify_checksum_once(key, usage, data, want).ok());
    } else if (test == "prf") {
      auto got = prf(key, v.take_hex("Input"));
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(to_hex(*got), to_hex(v.take_hex("Output")));
    } else {
      ASSERT_EQ(test, "derive");
      const auto usage = static_cast<std::uint32_t>(std::stoul(v.take("Usage")));
      const auto which = static_cast<DerivedKey>(std::stoul(v.take("Which"), nullptr, 16));
      auto got = derive_usage_key(key, usage, which);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(to_hex(got->view()), to_hex(v.take_hex("Derived")));
    }
  }
  EXPECT_EQ(seen["decrypt"], 15);
  EXPECT_EQ(seen["checksum"], 3);
  EXPECT_EQ(seen["derive"], 6);
  EXPECT_EQ(seen["s2k"], 15);
  EXPECT_EQ(seen["prf"], 4);
}

TEST(Vectors, Rc4HmacPythonKnownAnswers) {
  auto blocks = read_vector_file(source_path("krb/testdata/crypto/rc4_hmac.txt"));
  std::map<std::string, int> seen;
  for (auto& v : blocks) {
    SCOPED_TRACE("vector at line " + std::to_string(v.line()));
    const std::string test = v.take("Test");
    ++seen[test];
    if (test == "s2k") {
      auto key = string_to_key(Enctype::RC4_HMAC, str(v.take_hex("PasswordHex")), "ignored");
      ASSERT_TRUE(key.ok());
      EXPECT_EQ(to_hex(key->bytes.view()), to_hex(v.take_hex("Key")));
      continue;
    }
    const KeyUsage usage = usage_of(v.take("Usage"));
    const Key key = key_of(Enctype::RC4_HMAC, v.take_hex("Key"));
    if (test == "encrypt") {
      const Buffer conf = v.take_hex("Confounder");
      const Buffer pt = v.take_hex("Plaintext");
      check_encrypt(key, usage, conf, pt, v.take_hex("Ciphertext"));
    } else {
      ASSERT_EQ(test, "checksum");
      const Buffer data = v.take_hex("Data");
      const Buffer want = v.take_hex("Checksum");
      Buffer got(16);
      ASSERT_TRUE(make_checksum_once(key, usage, data, got).ok());
      EXPECT_EQ(to_hex(got), to_hex(want));
    }
  }
  EXPECT_EQ(seen["s2k"], 1);
  EXPECT_EQ(seen["encrypt"], 4);
  EXPECT_EQ(seen["checksum"], 2);
}

}  // namespace
}  // namespace kdcperf::krb::crypto
