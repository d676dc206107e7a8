// Randomness as pure code sees it: an interface passed in. Production uses libsodium's CSPRNG;
// tests use a deterministic stream so outputs can be compared byte for byte.
#pragma once

#include <cstdint>

#include "krb/base/bytes.hpp"

namespace kdcperf::krb {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(MutableByteView out) = 0;
};

// libsodium randombytes_buf. Callers batch: one call for all the session keys and confounders
// of a batch (each call of libsodium 1.0.18 is a getrandom syscall).
class SystemRng final : public Rng {
 public:
  SystemRng();
  void fill(MutableByteView out) override;
};

// Deterministic, NOT secure: a counter run through a small mixer. Tests and fuzzing only.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(std::uint64_t seed = 0) : state_(seed) {}
  void fill(MutableByteView out) override;

 private:
  std::uint64_t state_;
};

}  // namespace kdcperf::krb
