// Request nonces: 31-bit positive, never repeated within a run (KERBEROS-INTEROP.md §1.1: MIT
// and Heimdal send 0x7fffffff & random; §5.2: a KDC's lookaside cache answers identical request
// bytes from memory, so every request must differ).
//
// A counter run through a keyed bijection of [0, 2^31): distinct counters give distinct nonces,
// and the sequence looks random to a KDC. Workers of one run share the key and own disjoint
// counter ranges, so no two workers repeat each other either. A worker wraps (and may repeat)
// only after 2^31 / workers requests: over three hours at 180k requests/s for two workers.
#pragma once

#include <cstdint>

namespace kdcperf::loadgen::clients {

class NonceGenerator {
 public:
  static constexpr std::uint32_t kMask = 0x7fffffff;

  // key: a run-wide secret (random per run). worker < workers.
  NonceGenerator(std::uint64_t key, unsigned worker = 0, unsigned workers = 1);

  // The next nonce, in [1, 2^31 - 1].
  std::int32_t next() {
    for (;;) {
      const std::uint32_t c = first_ + count_;
      count_ = count_ + 1 == span_ ? 0 : count_ + 1;
      const std::uint32_t v = permute(c);
      if (v != 0) return static_cast<std::int32_t>(v);  // the one counter that maps to 0 is skipped
    }
  }

  // The keyed bijection of [0, 2^31) (exposed for its test).
  std::uint32_t permute(std::uint32_t x) const;

 private:
  std::uint32_t k0_, k1_, k2_;
  std::uint32_t first_;
  std::uint32_t span_;
  std::uint32_t count_ = 0;
};

}  // namespace kdcperf::loadgen::clients
