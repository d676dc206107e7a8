// Per-thread cache of UsageKeys for (long-term key, usage), so the hot path neither re-derives
// keys nor re-initialises cipher and MAC state per message. Keyed by a keyed hash of the key
// bytes (mixed with a random per-cache secret), confirmed by a constant-time
// comparison of the bytes, so a freed and reused Key address can never return another key's
// state. Bounded: least recently used entries are evicted past `capacity`.
#pragma once

#include <cstddef>
#include <memory>

#include "krb/base/result.hpp"
#include "krb/crypto/cipher.hpp"

namespace kdcperf::krb::crypto {

class KeyCache {
 public:
  // A UsageKey holds derived keys, HMAC states and AES contexts: 1-3 KiB. The default bounds a
  // worker's cache near 16-48 MiB; callers with a known working set pass their own.
  explicit KeyCache(std::size_t capacity = 16384);
  ~KeyCache();
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  // The prepared state for (key, usage), made on first use. The pointer stays valid until the
  // entry is evicted, which can happen on the next get() that misses, unless a Pin is alive.
  Result<const UsageKey*> get(const Key& key, KeyUsage usage);

  // While a Pin lives, no entry get() has returned since it was taken is evicted: a batch that
  // holds several pointers at once (one seal_batch or open_batch) keeps them all, however many
  // distinct keys it uses. A miss with every entry pinned grows the cache past its capacity;
  // it stays at that size afterwards (evicting as usual), so it is bounded by the largest
  // batch. Pins nest; a Pin must not outlive its cache.
  class Pin {
   public:
    explicit Pin(KeyCache& cache);
    ~Pin();
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;

   private:
    KeyCache& cache_;
  };

  std::size_t size() const;
  std::size_t hits() const;
  std::size_t misses() const;
  std::size_t capacity() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kdcperf::krb::crypto
