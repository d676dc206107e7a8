#include "loadgen/clients/nonce.hpp"

#include "loadgen/clients/random.hpp"

namespace kdcperf::loadgen::clients {

NonceGenerator::NonceGenerator(std::uint64_t key, unsigned worker, unsigned workers) {
  std::uint64_t s = key;
  k0_ = static_cast<std::uint32_t>(splitmix64(s)) & kMask;
  k1_ = static_cast<std::uint32_t>(splitmix64(s)) & kMask;
  k2_ = static_cast<std::uint32_t>(splitmix64(s)) & kMask;
  if (workers == 0) workers = 1;
  if (worker >= workers) worker = workers - 1;
  span_ = (kMask / workers) + (workers == 1 ? 1 : 0);
  // A random starting point inside the worker's own range, so two runs with different keys
  // but the same worker layout do not start at the same counter either.
  const std::uint32_t offset = static_cast<std::uint32_t>(splitmix64(s) % span_);
  first_ = static_cast<std::uint32_t>(worker * static_cast<std::uint64_t>(span_));
  count_ = offset;
}

std::uint32_t NonceGenerator::permute(std::uint32_t x) const {
  // Each step is a bijection of Z/2^31: adding or xoring a constant, multiplying by an odd
  // constant (mod 2^31), and x ^ (x >> k) for k > 0 (invertible from the top bits down).
  x = (x + k0_) & kMask;
  x = (x * 0x2c1b3c6dU) & kMask;
  x ^= x >> 16;
  x ^= k1_;
  x = (x * 0x297a2d39U) & kMask;
  x ^= x >> 13;
  x = (x + k2_) & kMask;
  x = (x * 0x45d9f3b5U) & kMask;
  x ^= x >> 15;
  return x;
}

}  // namespace kdcperf::loadgen::clients
