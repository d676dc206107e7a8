#include "krb/crypto/cipher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "krb/crypto/string_to_key.hpp"

namespace kdcperf::krb::crypto {
namespace {

constexpr std::array<Enctype, 5> kAll = {
    Enctype::AES128_CTS_HMAC_SHA1_96, Enctype::AES256_CTS_HMAC_SHA1_96,
    Enctype::AES128_CTS_HMAC_SHA256_128, Enctype::AES256_CTS_HMAC_SHA384_192, Enctype::RC4_HMAC};

std::string name(Enctype e) {
  return std::string(enctype_info(e)->name);
}

Key random_key(Enctype e, std::uint64_t seed) {
  DeterministicRng rng(seed);
  auto k = make_random_key(e, rng);
  EXPECT_TRUE(k.ok());
  return std::move(k).value();
}

Buffer pattern(std::size_t n, unsigned salt = 0) {
  Buffer b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = std::byte((i * 31 + salt) & 0xff);
  return b;
}

bool all_zero(ByteView v) {
  return std::all_of(v.begin(), v.end(), [](std::byte b) { return b == std::byte{0}; });
}

// Counts fill() calls, to check batching draws all confounders at once.
class CountingRng final : public Rng {
 public:
  explicit CountingRng(std::uint64_t seed) : inner_(seed) {}
  void fill(MutableByteView out) override {
    ++calls;
    inner_.fill(out);
  }
  int calls = 0;

 private:
  DeterministicRng inner_;
};

TEST(Cipher, OverheadMatchesTheRfcs) {
  EXPECT_EQ(seal_overhead(Enctype::AES128_CTS_HMAC_SHA1_96), 16u + 12u);
  EXPECT_EQ(seal_overhead(Enctype::AES256_CTS_HMAC_SHA1_96), 16u + 12u);
  EXPECT_EQ(seal_overhead(Enctype::AES128_CTS_HMAC_SHA256_128), 16u + 16u);
  EXPECT_EQ(seal_overhead(Enctype::AES256_CTS_HMAC_SHA384_192), 16u + 24u);
  EXPECT_EQ(seal_overhead(Enctype::RC4_HMAC), 8u + 16u);
  EXPECT_EQ(enctype_info(99), nullptr);
}

TEST(Cipher, RoundTripEveryLengthUpTo100) {
  DeterministicRng rng(7);
  for (Enctype e : kAll) {
    SCOPED_TRACE(name(e));
    const Key key = random_key(e, 1);
    auto uk = UsageKey::make(key, KeyUsage::AS_REP_ENC_PART);
    ASSERT_TRUE(uk.ok());
    EXPECT_EQ(uk->etype(), e);
    EXPECT_EQ(uk->usage(), KeyUsage::AS_REP_ENC_PART);
    for (std::size_t len = 0; len <= 100; ++len) {
      const Buffer pt = pattern(len, static_cast<unsigned>(len));
      Buffer ct(len + uk->overhead());
      auto n = seal(*uk, pt, ct, rng);
      ASSERT_TRUE(n.ok()) << len;
      ASSERT_EQ(*n, ct.size());
      Buffer back(len);
      auto m = open(*uk, ct, back);
      ASSERT_TRUE(m.ok()) << len << " " << err_name(m.err());
      ASSERT_EQ(*m, len);
      EXPECT_EQ(back, pt) << len;
      // The one-shot path decrypts what the cached path sealed.
      Buffer back2(len);
      auto m2 = open_once(key, KeyUsage::AS_REP_ENC_PART, ct, back2);
      ASSERT_TRUE(m2.ok());
      EXPECT_EQ(back2, pt);
    }
  }
}

TEST(Cipher, InPlaceSealAndOpen) {
  DeterministicRng rng(3);
  for (Enctype e : kAll) {
    SCOPED_TRACE(name(e));
    auto uk = UsageKey::make(random_key(e, 2), KeyUsage::KDC_REP_TICKET);
    ASSERT_TRUE(uk.ok());
    for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 32u, 33u, 100u, 1000u}) {
      const Buffer pt = pattern(len);
      Buffer buf(len + uk->overhead());
      std::copy(pt.begin(), pt.end(), buf.begin());
      auto n = seal(*uk, ByteView(buf).first(len), buf, rng);
      ASSERT_TRUE(n.ok()) << len;
      Buffer copy = buf;
      auto m = open(*uk, buf, buf);
      ASSERT_TRUE(m.ok()) << len;
      EXPECT_EQ(Buffer(buf.begin(), buf.begin() + static_cast<long>(len)), pt);
      // The bytes past the plaintext held ciphertext/plaintext remnants: wiped.
      EXPECT_TRUE(all_zero(ByteView(buf).subspan(len)));
      // Out-of-place open of the same ciphertext agrees.
      Buffer out(len);
      ASSERT_TRUE(open(*uk, copy, out).ok());
      EXPECT_EQ(out, pt);
    }
  }
}

TEST(Cipher, SealOnceAndCachedPathGiveIdenticalBytes) {
  for (Enctype e : kAll) {
    SCOPED_TRACE(name(e));
    const Key key = random_key(e, 5);
    auto uk = UsageKey::make(key, KeyUsage::AS_REQ_PA_ENC_TIMESTAMP);
    ASSERT_TRUE(uk.ok());
    const Buffer pt = pattern(57);
    DeterministicRng r1(99), r2(99), r3(99);
    Buffer a(pt.size() + uk->overhead()), b(a.size()), c(a.size());
    ASSERT_TRUE(seal_once(key, KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, pt, a, r1).ok());
    ASSERT_TRUE(seal(*uk, pt, b, r2).ok());
    Buffer conf(enctype_info(e)->confounder_bytes);
    r3.fill(conf);
    ASSERT_TRUE(seal_with_confounder(*uk, conf, pt, c).ok());
    EXPECT_EQ(a, b);
    EXPECT_EQ(b, c);
  }
}

TEST(Cipher, EveryFlippedByteIsRejectedAndOutIsZeroed) {
  DeterministicRng rng(11);
  for (Enctype e : kAll) {
    SCOPED_TRACE(name(e));
    auto uk = UsageKey::make(random_key(e, 3), KeyUsage::AS_REP_ENC_PART);
    ASSERT_TRUE(uk.ok());
    const Buffer pt = pattern(40);
    Buffer ct(pt.size() + uk->overhead());
    ASSERT_TRUE(seal(*uk, pt, ct, rng).ok());
    for (std::size_t i = 0; i < ct.size(); ++i) {
      Buffer bad = ct;
      bad[i] ^= std::byte{0x01};
      Buffer out(pt.size(), std::byte{0xaa});
      auto r = open(*uk, bad, out);
      ASSERT_FALSE(r.ok()) << "byte " << i;
      EXPECT_EQ(r.err(), Err::kIntegrityFailed) << "byte " << i;
      EXPECT_TRUE(all_zero(out)) << "byte " << i;
    }
    // Truncated or extended ciphertexts fail too.
    Buffer out(ct.size() + 1, std::byte{0xaa});
    EXPECT_EQ(open(*uk, ByteView(ct).first(ct.size() - 1), out).err(), Err::kIntegrityFailed);
    EXPECT_TRUE(all_zero(out));
    Buffer longer = ct;
    longer.push_back(std::byte{0});
    EXPECT_EQ(open(*uk, longer, out).err(), Err::kIntegrityFailed);
  }
}

TEST(Cipher, WrongUsageOrKeyFails) {
  DeterministicRng rng(12);
  for (Enctype e : kAll) {
    SCOPED_TRACE(name(e));
    const Key key = random_key(e, 4);
    const Buffer pt = pattern(30);
    Buffer ct(pt.size() + seal_overhead(e));
    ASSERT_TRUE(seal_once(key, KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, pt, ct, rng).ok());
    Buffer out(pt.size(), std::byte{0xaa});
    EXPECT_EQ(open_once(key, KeyUsage::KDC_REP_TICKET, ct, out).err(), Err::kIntegrityFailed);
    EXPECT_TRUE(all_zero(out));
    EXPECT_EQ(open_once(random_key(e, 5), KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, ct, out).err(),
              Err::kIntegrityFailed);
    ASSERT_TRUE(open_once(key, KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, ct, out).ok());
    EXPECT_EQ(out, pt);
  }
}

TEST(Cipher, Rc4MapsAsRepUsageToMessageType8) {
  // RFC 4757 §3: usage 3 is sealed as T = 8, so usage 8 opens it; other etypes keep them apart.
  DeterministicRng rng(13);
  const Key key = random_key(Enctype::RC4_HMAC, 6);
  const Buffer pt = pattern(20);
  Buffer ct(pt.size() + seal_overhead(Enctype::RC4_HMAC));
  ASSERT_TRUE(seal_once(key, KeyUsage::AS_REP_ENC_PART, pt, ct, rng).ok());
  Buffer out(pt.size());
  ASSERT_TRUE(open_once(key, KeyUsage::TGS_REP_ENC_PART_SESSKEY, ct, out).ok());
  EXPECT_EQ(out, pt);
}

TEST(Cipher, RejectsBadArguments) {
  DeterministicRng rng(14);
  for (Enctype e : kAll) {
    SCOPED_TRACE(name(e));
    auto uk = UsageKey::make(random_key(e, 7), KeyUsage::AS_REP_ENC_PART);
    ASSERT_TRUE(uk.ok());
    const std::size_t ov = uk->overhead();
    const Buffer pt = pattern(20);
    Buffer small(pt.size() + ov - 1);
    EXPECT_EQ(seal(*uk, pt, small, rng).err(), Err::kBufferTooSmall);
    Buffer ct(pt.size() + ov);
    EXPECT_EQ(seal_with_confounder(*uk, Buffer(3), pt, ct).err(), Err::kInvalidArgument);
    ASSERT_TRUE(seal(*uk, pt, ct, rng).ok());
    Buffer out(pt.size() - 1, std::byte{0xaa});
    EXPECT_EQ(open(*uk, ct, out).err(), Err::kBufferTooSmall);
    EXPECT_TRUE(all_zero(out));
    Buffer tiny(ov - 1);
    Buffer out2(10);
    EXPECT_EQ(open(*uk, tiny, out2).err(), Err::kCiphertextTooShort);
    // Overlapping but not identical spans are refused.
    Buffer buf(pt.size() + 2 * ov);
    EXPECT_EQ(seal(*uk, ByteView(buf).subspan(1, pt.size()), buf, rng).err(),
              Err::kInvalidArgument);
    Buffer c2 = ct;
    c2.resize(ct.size() + 4);
    EXPECT_EQ(open(*uk, ByteView(c2).first(ct.size()), MutableByteView(c2).subspan(2)).err(),
              Err::kInvalidArgument);
    // In place needs out to cover the whole ciphertext.
    EXPECT_EQ(open(*uk, ct, MutableByteView(ct).first(pt.size())).err(), Err::kInvalidArgument);
  }
  EXPECT_EQ(UsageKey::make(Key{static_cast<Enctype>(16), SecretBytes(16)}, KeyUsage::AS_REQ).err(),
            Err::kUnknownEnctype);
  EXPECT_EQ(UsageKey::make(Key{Enctype::AES256_CTS_HMAC_SHA1_96, SecretBytes(16)}, KeyUsage::AS_REQ)
                .err(),
            Err::kBadKeyLength);
}

TEST(Cipher, ChecksumsVerifyAndRejectTampering) {
  for (Enctype e : kAll) {
    SCOPED_TRACE(name(e));
    const Key key = random_key(e, 8);
    auto uk = UsageKey::make(key, KeyUsage::KERB_NON_KERB_CKSUM_SALT);
    ASSERT_TRUE(uk.ok());
    const Buffer data = pattern(77);
    const std::size_t len = checksum_bytes(enctype_info(e)->checksum);
    Buffer mac(len);
    auto n = make_checksum(*uk, data, mac);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, len);
    EXPECT_TRUE(verify_checksum(*uk, data, mac).ok());
    Buffer once(len);
    ASSERT_TRUE(make_checksum_once(key, KeyUsage::KERB_NON_KERB_CKSUM_SALT, data, once).ok());
    EXPECT_EQ(once, mac);
    for (std::size_t i = 0; i < mac.size(); ++i) {
      Buffer bad = mac;
      bad[i] ^= std::byte{0x80};
      EXPECT_EQ(verify_checksum(*uk, data, bad).err(), Err::kIntegrityFailed);
    }
    Buffer bad_data = data;
    bad_data[0] ^= std::byte{1};
    EXPECT_EQ(verify_checksum(*uk, bad_data, mac).err(), Err::kIntegrityFailed);
    EXPECT_EQ(verify_checksum(*uk, data, ByteView(mac).first(len - 1)).err(),
              Err::kIntegrityFailed);
    EXPECT_EQ(verify_checksum_once(key, KeyUsage::AS_REQ, data, mac).err(), Err::kIntegrityFailed);
    Buffer small(len - 1);
    EXPECT_EQ(make_checksum(*uk, data, small).err(), Err::kBufferTooSmall);
  }
}

TEST(Cipher, SealBatchDrawsAllConfoundersInOneCall) {
  std::vector<Key> keys;
  std::vector<UsageKey> uks;
  for (Enctype e : kAll) {
    keys.push_back(random_key(e, 20));
    auto uk = UsageKey::make(keys.back(), KeyUsage::AS_REP_ENC_PART);
    ASSERT_TRUE(uk.ok());
    uks.push_back(std::move(uk).value());
  }
  std::vector<Buffer> pts, outs;
  std::vector<SealJob> jobs;
  for (std::size_t i = 0; i < 12; ++i) {
    const UsageKey& uk = uks[i % uks.size()];
    pts.push_back(pattern(10 + i * 7));
    outs.emplace_back(pts.back().size() + uk.overhead());
  }
  for (std::size_t i = 0; i < 12; ++i) {
    jobs.push_back(SealJob{&uks[i % uks.size()], pts[i], outs[i], 0, {}});
  }
  jobs[4].key = nullptr;                            // a job without a key
  jobs[7].out = MutableByteView(outs[7]).first(3);  // a job whose buffer is too small
  CountingRng rng(55);
  seal_batch(jobs, rng);
  EXPECT_EQ(rng.calls, 1);
  // Replay the confounder stream job by job (DeterministicRng is a byte stream, so one big
  // fill equals consecutive small ones) and compare with seal_with_confounder.
  DeterministicRng replay(55);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    SCOPED_TRACE(i);
    if (i == 4) {
      EXPECT_EQ(jobs[i].status.err(), Err::kInvalidArgument);
      continue;
    }
    const UsageKey& uk = *jobs[i].key;
    Buffer conf(enctype_info(uk.etype())->confounder_bytes);
    replay.fill(conf);
    if (i == 7) {
      EXPECT_EQ(jobs[i].status.err(), Err::kBufferTooSmall);
      continue;
    }
    ASSERT_TRUE(jobs[i].status.ok());
    EXPECT_EQ(jobs[i].out_len, outs[i].size());
    Buffer expect(outs[i].size());
    ASSERT_TRUE(seal_with_confounder(uk, conf, pts[i], expect).ok());
    EXPECT_EQ(outs[i], expect);
  }

  // open_batch: every sealed job opens; a tampered one fails alone.
  std::vector<Buffer> plain(jobs.size());
  std::vector<OpenJob> opens;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (i == 4 || i == 7) continue;
    plain[i].resize(pts[i].size());
    opens.push_back(OpenJob{jobs[i].key, outs[i], plain[i], 0, {}});
  }
  outs[2][5] ^= std::byte{1};
  open_batch(opens);
  std::size_t k = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (i == 4 || i == 7) continue;
    const OpenJob& o = opens[k++];
    if (i == 2) {
      EXPECT_EQ(o.status.err(), Err::kIntegrityFailed);
      EXPECT_TRUE(all_zero(plain[i]));
    } else {
      ASSERT_TRUE(o.status.ok()) << i;
      EXPECT_EQ(o.out_len, pts[i].size());
      EXPECT_EQ(plain[i], pts[i]);
    }
  }
}

TEST(Cipher, UsageKeyMovesKeepWorking) {
  DeterministicRng rng(1);
  auto made = UsageKey::make(random_key(Enctype::AES256_CTS_HMAC_SHA1_96, 9), KeyUsage::AS_REQ);
  ASSERT_TRUE(made.ok());
  UsageKey a = std::move(made).value();
  UsageKey b = std::move(a);
  const Buffer pt = pattern(50);
  Buffer ct(pt.size() + b.overhead()), out(pt.size());
  ASSERT_TRUE(seal(b, pt, ct, rng).ok());
  ASSERT_TRUE(open(b, ct, out).ok());
  EXPECT_EQ(out, pt);
}

}  // namespace
}  // namespace kdcperf::krb::crypto
