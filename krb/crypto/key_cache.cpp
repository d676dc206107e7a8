#include "krb/crypto/key_cache.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <list>
#include <unordered_map>

#include "krb/base/secret.hpp"
#include "krb/crypto/dk.hpp"

namespace kdcperf::krb::crypto {
namespace {

struct Entry {
  std::uint64_t hash = 0;
  Enctype etype{};
  KeyUsage usage{};
  SecretBytes key;  // kept only to confirm a hash match byte for byte
  UsageKey usage_key;
};

// Keys of every implemented enctype fit (AES-256 and SHA-384 keys are the longest).
constexpr std::size_t kMaxKeyBytes = 32;

}  // namespace

struct KeyCache::Impl {
  std::size_t capacity = 1;
  std::size_t hits = 0;
  std::size_t misses = 0;
  std::array<std::uint64_t, 2> secret{};
  std::list<Entry> lru;  // front: most recently used
  std::unordered_multimap<std::uint64_t, std::list<Entry>::iterator> index;

  ~Impl() { sodium_memzero(secret.data(), sizeof secret); }

  // Keys are uniformly random bytes (string-to-key and random keys alike), so their first 16
  // bytes, mixed with a per-cache secret, etype and usage, spread evenly; a keyed SipHash over
  // the whole key cost more than the rest of a lookup. The hash only finds candidates: the
  // bytes decide.
  std::uint64_t hash_of(const Key& key, KeyUsage usage) const {
    std::uint64_t w[2] = {0, 0};
    std::memcpy(w, key.bytes.data(), std::min<std::size_t>(key.bytes.size(), sizeof w));
    const std::uint64_t tag =
        (static_cast<std::uint64_t>(static_cast<std::uint32_t>(key.etype)) << 32) |
        static_cast<std::uint32_t>(usage);
    // Two rounds of a 64-bit multiply-xorshift mix (splitmix64's finalizer).
    auto mix = [](std::uint64_t x) {
      x ^= x >> 30;
      x *= 0xbf58476d1ce4e5b9ULL;
      x ^= x >> 27;
      x *= 0x94d049bb133111ebULL;
      return x ^ (x >> 31);
    };
    const std::uint64_t h = mix(mix(w[0] ^ secret[0] ^ tag) ^ w[1] ^ secret[1]);
    sodium_memzero(w, sizeof w);
    return h;
  }

  void evict_oldest() {
    auto victim = std::prev(lru.end());
    auto [b, e] = index.equal_range(victim->hash);
    for (auto it = b; it != e; ++it) {
      if (it->second == victim) {
        index.erase(it);
        break;
      }
    }
    lru.erase(victim);
  }
};

KeyCache::KeyCache(std::size_t capacity) : impl_(std::make_unique<Impl>()) {
  if (sodium_init() < 0) std::abort();  // no CSPRNG for the hash secret: nothing safe to do
  impl_->capacity = capacity == 0 ? 1 : capacity;
  randombytes_buf(impl_->secret.data(), sizeof impl_->secret);
}

KeyCache::~KeyCache() = default;

Result<const UsageKey*> KeyCache::get(const Key& key, KeyUsage usage) {
  KRB_ASSIGN_OR_RETURN(const EnctypeInfo* info, check_key(key));
  if (info->key_bytes > kMaxKeyBytes) return Err::kBadKeyLength;
  Impl& m = *impl_;
  const std::uint64_t h = m.hash_of(key, usage);
  auto [b, e] = m.index.equal_range(h);
  for (auto it = b; it != e; ++it) {
    Entry& entry = *it->second;
    // The hash only finds candidates; the bytes decide (constant time, so probing the cache
    // reveals nothing about a stored key).
    if (entry.etype == key.etype && entry.usage == usage &&
        constant_time_equal(entry.key.view(), key.bytes.view())) {
      ++m.hits;
      m.lru.splice(m.lru.begin(), m.lru, it->second);
      return &m.lru.front().usage_key;
    }
  }
  ++m.misses;
  KRB_ASSIGN_OR_RETURN(UsageKey uk, UsageKey::make(key, usage));
  if (m.lru.size() >= m.capacity) m.evict_oldest();
  m.lru.push_front(Entry{h, key.etype, usage, key.bytes.clone(), std::move(uk)});
  m.index.emplace(h, m.lru.begin());
  return &m.lru.front().usage_key;
}

std::size_t KeyCache::size() const {
  return impl_->lru.size();
}
std::size_t KeyCache::hits() const {
  return impl_->hits;
}
std::size_t KeyCache::misses() const {
  return impl_->misses;
}

}  // namespace kdcperf::krb::crypto
