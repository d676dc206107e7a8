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
  // entry is evicted, which can happen on the next get() that misses: a caller holding several
  // pointers at once (a batch) must use a capacity of at least the batch's distinct keys.
  Result<const UsageKey*> get(const Key& key, KeyUsage usage);

  std::size_t size() const;
  std::size_t hits() const;
  std::size_t misses() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kdcperf::krb::crypto
