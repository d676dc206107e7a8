#include "krb/crypto/key_cache.hpp"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "krb/crypto/string_to_key.hpp"

namespace kdcperf::krb::crypto {
namespace {

Key random_key(Enctype e, std::uint64_t seed) {
  DeterministicRng rng(seed);
  return std::move(make_random_key(e, rng)).value();
}

TEST(KeyCache, HitReturnsTheSamePointerAndCounts) {
  KeyCache cache(16);
  const Key key = random_key(Enctype::AES256_CTS_HMAC_SHA1_96, 1);
  auto a = cache.get(key, KeyUsage::AS_REP_ENC_PART);
  ASSERT_TRUE(a.ok());
  auto b = cache.get(key, KeyUsage::AS_REP_ENC_PART);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  // A different Key object with the same bytes is the same entry: keyed by content.
  const Key copy = key.clone();
  auto c = cache.get(copy, KeyUsage::AS_REP_ENC_PART);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*a, *c);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ((*a)->usage(), KeyUsage::AS_REP_ENC_PART);
  EXPECT_EQ((*a)->etype(), Enctype::AES256_CTS_HMAC_SHA1_96);
}

TEST(KeyCache, DifferentUsageKeyOrEnctypeAreDifferentEntries) {
  KeyCache cache(16);
  const Key k1 = random_key(Enctype::AES128_CTS_HMAC_SHA1_96, 2);
  const Key k2 = random_key(Enctype::AES128_CTS_HMAC_SHA1_96, 3);
  // Same 16 bytes under another enctype.
  const Key k1_sha2{Enctype::AES128_CTS_HMAC_SHA256_128, k1.bytes.clone()};
  auto a = cache.get(k1, KeyUsage::AS_REP_ENC_PART);
  auto b = cache.get(k1, KeyUsage::KDC_REP_TICKET);
  auto c = cache.get(k2, KeyUsage::AS_REP_ENC_PART);
  auto d = cache.get(k1_sha2, KeyUsage::AS_REP_ENC_PART);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_NE(*a, *d);
  EXPECT_NE(*b, *c);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.misses(), 4u);
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(KeyCache, EvictsLeastRecentlyUsed) {
  KeyCache cache(2);
  const Key a = random_key(Enctype::AES256_CTS_HMAC_SHA384_192, 10);
  const Key b = random_key(Enctype::AES256_CTS_HMAC_SHA384_192, 11);
  const Key c = random_key(Enctype::AES256_CTS_HMAC_SHA384_192, 12);
  const auto u = KeyUsage::AS_REQ_PA_ENC_TIMESTAMP;
  ASSERT_TRUE(cache.get(a, u).ok());
  ASSERT_TRUE(cache.get(b, u).ok());
  ASSERT_TRUE(cache.get(a, u).ok());  // a is now the most recent
  ASSERT_TRUE(cache.get(c, u).ok());  // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.misses(), 3u);
  ASSERT_TRUE(cache.get(a, u).ok());
  EXPECT_EQ(cache.hits(), 2u);  // a stayed
  ASSERT_TRUE(cache.get(b, u).ok());
  EXPECT_EQ(cache.misses(), 4u);  // b had gone
  EXPECT_EQ(cache.size(), 2u);
}

TEST(KeyCache, ManyEntriesStayBounded) {
  KeyCache cache(8);
  for (std::uint64_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(cache.get(random_key(Enctype::RC4_HMAC, i), KeyUsage::AS_REP_ENC_PART).ok());
    EXPECT_LE(cache.size(), 8u);
  }
  EXPECT_EQ(cache.misses(), 100u);
}

// Random churn over more keys than the cache holds: every get is a hit exactly when an LRU
// model says the entry is still there (eviction and index deletion never lose or confuse an
// entry), and the state returned is for the key and usage asked for.
TEST(KeyCache, ChurnMatchesAnLruModel) {
  for (std::size_t capacity : {1u, 3u, 16u, 40u}) {
    SCOPED_TRACE(capacity);
    KeyCache cache(capacity);
    std::vector<Key> keys;
    for (std::uint64_t i = 0; i < 30; ++i) {
      keys.push_back(random_key(
          i % 3 == 0 ? Enctype::AES128_CTS_HMAC_SHA1_96 : Enctype::AES256_CTS_HMAC_SHA1_96,
          100 + i));
    }
    const KeyUsage usages[] = {KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, KeyUsage::AS_REP_ENC_PART};
    std::vector<std::pair<std::size_t, int>> lru;  // front: most recent (key index, usage)
    DeterministicRng rng(capacity);
    for (int n = 0; n < 3000; ++n) {
      std::byte r[2];
      rng.fill(r);
      // Skewed so some keys stay hot and others churn through.
      std::size_t k = std::to_integer<std::size_t>(r[0]) % keys.size();
      if (n % 2 == 0) k %= 5;
      const int u = std::to_integer<int>(r[1]) % 2;
      const auto pos = std::find(lru.begin(), lru.end(), std::make_pair(k, u));
      const bool model_hit = pos != lru.end();
      if (model_hit) lru.erase(pos);
      lru.insert(lru.begin(), {k, u});
      if (lru.size() > capacity) lru.pop_back();
      const std::size_t hits = cache.hits();
      auto got = cache.get(keys[k], usages[u]);
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(cache.hits() == hits + 1, model_hit) << "get " << n;
      EXPECT_EQ((*got)->usage(), usages[u]);
      EXPECT_EQ((*got)->etype(), keys[k].etype);
      EXPECT_EQ(cache.size(), lru.size());
    }
  }
}

// A batch holds every pointer it got until its seal_batch/open_batch: under a Pin, a capacity of
// 2 serves 20 distinct keys without invalidating one, each still the state for its own key;
// unpinned, the cache evicts again (at the size it grew to).
TEST(KeyCache, PinnedEntriesOutlastTheCapacity) {
  KeyCache cache(2);
  const auto u = KeyUsage::AS_REP_ENC_PART;
  std::vector<Key> keys;
  for (std::uint64_t i = 0; i < 20; ++i)
    keys.push_back(random_key(Enctype::AES128_CTS_HMAC_SHA1_96, 100 + i));
  ASSERT_TRUE(cache.get(keys[0], u).ok());  // an entry from before the pin, evictable
  std::vector<const UsageKey*> held;
  {
    KeyCache::Pin pin(cache);
    KeyCache::Pin nested(cache);  // pins nest
    for (std::size_t i = 1; i < keys.size(); ++i) {
      auto uk = cache.get(keys[i], u);
      ASSERT_TRUE(uk.ok());
      held.push_back(*uk);
    }
    EXPECT_EQ(cache.size(), 19u);  // grew for the batch, the unpinned entry reused
    // Every pointer is still its key's state: a hit returns it, and it opens what the key seals.
    for (std::size_t i = 1; i < keys.size(); ++i) {
      EXPECT_EQ(*cache.get(keys[i], u), held[i - 1]);
      const Buffer pt(21, static_cast<std::byte>(i));
      Buffer ct(pt.size() + held[i - 1]->overhead()), out(pt.size());
      DeterministicRng rng(i);
      ASSERT_TRUE(seal(*held[i - 1], pt, ct, rng).ok());
      ASSERT_TRUE(open_once(keys[i], u, ct, out).ok()) << i;
      EXPECT_EQ(out, pt);
    }
    EXPECT_EQ(cache.misses(), 20u);
  }
  // Unpinned: a miss evicts the least recently used again instead of growing.
  ASSERT_TRUE(cache.get(keys[0], u).ok());
  EXPECT_EQ(cache.size(), 19u);
  EXPECT_EQ(cache.misses(), 21u);
  EXPECT_EQ(cache.capacity(), 2u);
}

TEST(KeyCache, CachedStateEncryptsLikeAFreshOne) {
  KeyCache cache;
  const Key key = random_key(Enctype::RC4_HMAC, 30);
  auto uk = cache.get(key, KeyUsage::AS_REP_ENC_PART);
  ASSERT_TRUE(uk.ok());
  const Buffer pt(33, std::byte{7});
  Buffer ct(pt.size() + (*uk)->overhead()), out(pt.size());
  DeterministicRng rng(1);
  ASSERT_TRUE(seal(**uk, pt, ct, rng).ok());
  ASSERT_TRUE(open_once(key, KeyUsage::AS_REP_ENC_PART, ct, out).ok());
  EXPECT_EQ(out, pt);
}

TEST(KeyCache, BadKeysAreErrorsAndNotCached) {
  KeyCache cache;
  EXPECT_EQ(
      cache.get(Key{Enctype::AES256_CTS_HMAC_SHA1_96, SecretBytes(16)}, KeyUsage::AS_REQ).err(),
      Err::kBadKeyLength);
  EXPECT_EQ(cache.get(Key{static_cast<Enctype>(1), SecretBytes(8)}, KeyUsage::AS_REQ).err(),
            Err::kUnknownEnctype);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace kdcperf::krb::crypto
