#include "krb/crypto/key_cache.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

#include "krb/base/secret.hpp"
#include "krb/crypto/dk.hpp"

namespace kdcperf::krb::crypto {
namespace {

constexpr std::uint32_t kNil = ~std::uint32_t{0};

struct Entry {
  std::uint64_t hash = 0;
  Enctype etype{};
  KeyUsage usage{};
  SecretBytes key;  // kept only to confirm a hash match byte for byte
  std::optional<UsageKey> usage_key;
  std::uint64_t pinned = 0;                  // the pin epoch it was last returned under
  std::uint32_t newer = kNil, older = kNil;  // the LRU list, by entry index
};

// Keys of every implemented enctype fit (AES-256 and SHA-384 keys are the longest).
constexpr std::size_t kMaxKeyBytes = 32;

}  // namespace

// Entries live in a deque (stable addresses: a returned pointer stays valid until its entry is
// reused) and are found through an open-addressing index of entry numbers, linear probing,
// at most half full; eviction reuses the least recently used entry in place.
struct KeyCache::Impl {
  std::size_t capacity = 1;
  std::size_t hits = 0;
  std::size_t misses = 0;
  std::array<std::uint64_t, 2> secret{};
  std::deque<Entry> entries;
  std::vector<std::uint32_t> index;  // entry number or kNil; size a power of two
  std::uint32_t newest = kNil, oldest = kNil;
  // Pins: while pin_depth > 0 every entry returned is marked with pin_epoch. Returned entries
  // become the newest, so when the oldest is marked, every entry is.
  unsigned pin_depth = 0;
  std::uint64_t pin_epoch = 0;  // 0: no pin has been taken

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

  std::size_t mask() const { return index.size() - 1; }

  void unlink(std::uint32_t e) {
    Entry& x = entries[e];
    if (x.newer != kNil)
      entries[x.newer].older = x.older;
    else
      newest = x.older;
    if (x.older != kNil)
      entries[x.older].newer = x.newer;
    else
      oldest = x.newer;
    x.newer = x.older = kNil;
  }
  void push_newest(std::uint32_t e) {
    Entry& x = entries[e];
    x.older = newest;
    x.newer = kNil;
    if (newest != kNil) entries[newest].newer = e;
    newest = e;
    if (oldest == kNil) oldest = e;
  }

  // Removes entry e from the index (backward-shift deletion keeps probe runs unbroken).
  void unindex(std::uint32_t e) {
    std::size_t i = entries[e].hash & mask();
    while (index[i] != e) i = (i + 1) & mask();
    for (std::size_t j = (i + 1) & mask();; j = (j + 1) & mask()) {
      if (index[j] == kNil) break;
      const std::size_t home = entries[index[j]].hash & mask();
      // Move index[j] back into the hole at i unless its home lies cyclically in (i, j].
      if (((j - home) & mask()) >= ((j - i) & mask())) {
        index[i] = index[j];
        i = j;
      }
    }
    index[i] = kNil;
  }
  void insert(std::uint32_t e) {
    std::size_t i = entries[e].hash & mask();
    while (index[i] != kNil) i = (i + 1) & mask();
    index[i] = e;
  }
  // Doubles the index (kept at most half full) when pins grow the cache past its capacity.
  void grow_index() {
    index.assign(index.size() * 2, kNil);
    for (std::uint32_t e = 0; e < entries.size(); ++e) {
      if (entries[e].usage_key) insert(e);
    }
  }
};

KeyCache::KeyCache(std::size_t capacity) : impl_(std::make_unique<Impl>()) {
  if (sodium_init() < 0) std::abort();  // no CSPRNG for the hash secret: nothing safe to do
  impl_->capacity = capacity == 0 ? 1 : capacity;
  std::size_t slots = 16;
  while (slots < 2 * impl_->capacity) slots <<= 1;
  impl_->index.assign(slots, kNil);
  randombytes_buf(impl_->secret.data(), sizeof impl_->secret);
}

KeyCache::~KeyCache() = default;

Result<const UsageKey*> KeyCache::get(const Key& key, KeyUsage usage) {
  KRB_ASSIGN_OR_RETURN(const EnctypeInfo* info, check_key(key));
  if (info->key_bytes > kMaxKeyBytes) return Err::kBadKeyLength;
  Impl& m = *impl_;
  const std::uint64_t h = m.hash_of(key, usage);
  for (std::size_t i = h & m.mask(); m.index[i] != kNil; i = (i + 1) & m.mask()) {
    const std::uint32_t e = m.index[i];
    Entry& entry = m.entries[e];
    // The hash only finds candidates; the bytes decide (constant time, so probing the cache
    // reveals nothing about a stored key).
    if (entry.hash == h && entry.etype == key.etype && entry.usage == usage &&
        constant_time_equal(entry.key.view(), key.bytes.view())) {
      ++m.hits;
      if (m.newest != e) {
        m.unlink(e);
        m.push_newest(e);
      }
      if (m.pin_depth > 0) entry.pinned = m.pin_epoch;
      return &*entry.usage_key;
    }
  }
  ++m.misses;
  KRB_ASSIGN_OR_RETURN(UsageKey uk, UsageKey::make(key, usage));
  std::uint32_t e;
  // Below capacity, or every entry pinned (the oldest is): a new entry; else the oldest goes.
  if (m.entries.size() < m.capacity ||
      (m.pin_depth > 0 && m.entries[m.oldest].pinned == m.pin_epoch)) {
    e = static_cast<std::uint32_t>(m.entries.size());
    m.entries.emplace_back();
  } else {
    e = m.oldest;  // the least recently used entry is reused in place
    m.unindex(e);
    m.unlink(e);
  }
  Entry& entry = m.entries[e];
  entry.hash = h;
  entry.etype = key.etype;
  entry.usage = usage;
  entry.key = key.bytes.clone();
  entry.usage_key.emplace(std::move(uk));
  entry.pinned = m.pin_depth > 0 ? m.pin_epoch : 0;
  if (m.entries.size() * 2 > m.index.size()) {
    m.grow_index();  // indexes every entry, this one included
  } else {
    m.insert(e);
  }
  m.push_newest(e);
  return &*entry.usage_key;
}

KeyCache::Pin::Pin(KeyCache& cache) : cache_(cache) {
  if (cache_.impl_->pin_depth++ == 0) ++cache_.impl_->pin_epoch;
}

KeyCache::Pin::~Pin() {
  --cache_.impl_->pin_depth;
}

std::size_t KeyCache::capacity() const {
  return impl_->capacity;
}

std::size_t KeyCache::size() const {
  return impl_->entries.size();
}
std::size_t KeyCache::hits() const {
  return impl_->hits;
}
std::size_t KeyCache::misses() const {
  return impl_->misses;
}

}  // namespace kdcperf::krb::crypto
