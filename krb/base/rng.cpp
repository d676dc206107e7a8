#include "krb/base/rng.hpp"

#include <sodium.h>

#include <cstdlib>

namespace kdcperf::krb {

SystemRng::SystemRng() {
  if (sodium_init() < 0) std::abort();  // no CSPRNG: nothing safe to do
}

void SystemRng::fill(MutableByteView out) {
  if (!out.empty()) randombytes_buf(out.data(), out.size());
}

void DeterministicRng::fill(MutableByteView out) {
  for (std::byte& b : out) {
    // splitmix64 step; one output byte per step keeps the stream simple to reason about.
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    b = std::byte((z ^ (z >> 31)) & 0xff);
  }
}

}  // namespace kdcperf::krb
