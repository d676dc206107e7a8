// Randomness for the load generator's hot path. Two kinds, kept apart on purpose:
//   - FastRng: a seeded, reproducible, non-cryptographic generator (xoshiro256**, seeded through
//     splitmix64) for choosing clients and sampling ratios. Same seed, same run.
//   - BufferedRng: a krb::Rng for confounders that hands out a ChaCha20 keystream in blocks,
//     keyed once from the system CSPRNG and rekeyed from its own output at every block ("fast
//     key erasure", D. J. Bernstein 2017: a later compromise cannot recover earlier output).
//     Neither a getrandom() per PA-ENC-TIMESTAMP (libsodium 1.0.18 makes one per call, see
//     krb/base/rng.hpp) nor the kernel's ChaCha per byte: that was 12 % of building a request.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "krb/base/bytes.hpp"
#include "krb/base/rng.hpp"

namespace kdcperf::loadgen::clients {

// splitmix64: expands a seed into well-mixed words (used to seed FastRng and to derive
// independent per-worker seeds from one run seed).
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A seed for stream `stream` of a run seeded `seed` (workers get distinct, independent streams).
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t s = seed ^ (stream * 0xd1b54a32d192ed03ULL);
  splitmix64(s);
  return splitmix64(s);
}

// xoshiro256** (Blackman and Vigna, 2018): 256 bits of state, period 2^256-1, no allocation.
// NOT for secrets.
class FastRng {
 public:
  explicit FastRng(std::uint64_t seed = 0) { reseed(seed); }
  void reseed(std::uint64_t seed);

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n), n > 0, without modulo bias (Lemire's multiply-and-reject, 2019).
  std::uint64_t below(std::uint64_t n);

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> s_{};
};

// A krb::Rng that refills a block and hands it out in pieces: from ChaCha20 (above) by
// default, or from an upstream Rng. Key and block are wiped on use and on destruction.
class BufferedRng final : public krb::Rng {
 public:
  static constexpr std::size_t kBlockBytes = 4096;
  static constexpr std::size_t kKeyBytes = 32;
  BufferedRng();                                   // ChaCha20 keyed from krb::SystemRng
  explicit BufferedRng(krb::ByteView chacha_key);  // ChaCha20 from this key (tests)
  explicit BufferedRng(krb::Rng& upstream);        // blocks from upstream (a DeterministicRng)
  ~BufferedRng() override;
  BufferedRng(const BufferedRng&) = delete;
  BufferedRng& operator=(const BufferedRng&) = delete;

  void fill(krb::MutableByteView out) override;

 private:
  void refill();
  krb::Rng* upstream_ = nullptr;
  // One keystream: the next key, then the block handed out.
  std::array<std::byte, kKeyBytes + kBlockBytes> stream_{};
  std::array<std::byte, kKeyBytes> key_{};
  std::size_t pos_ = kBlockBytes;
  std::byte* block() { return stream_.data() + kKeyBytes; }
};

}  // namespace kdcperf::loadgen::clients
