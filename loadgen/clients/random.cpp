#include "loadgen/clients/random.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <sodium.h>

#include "krb/base/secret.hpp"

namespace kdcperf::loadgen::clients {
namespace {
// g++ and clang both have a 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
__extension__ typedef unsigned __int128 u128;
}  // namespace

void FastRng::reseed(std::uint64_t seed) {
  std::uint64_t sm = seed;
  for (auto& w : s_) w = splitmix64(sm);
  // xoshiro's only bad state is all zeros; splitmix64 cannot produce four zero words in a row,
  // but keep the invariant explicit.
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

std::uint64_t FastRng::below(std::uint64_t n) {
  // 128-bit multiply maps a 64-bit draw to [0, n); the few low products that would make some
  // outputs more likely are rejected (Lemire, "Fast Random Integer Generation in an Interval").
  u128 m = static_cast<u128>(next()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

BufferedRng::BufferedRng() {
  krb::SystemRng().fill(key_);
}

BufferedRng::BufferedRng(krb::ByteView chacha_key) {
  if (sodium_init() < 0) std::abort();  // picks libsodium's fastest ChaCha20
  std::memcpy(key_.data(), chacha_key.data(), std::min(chacha_key.size(), key_.size()));
}

BufferedRng::BufferedRng(krb::Rng& upstream) : upstream_(&upstream) {}

BufferedRng::~BufferedRng() {
  krb::secure_wipe(stream_.data(), stream_.size());
  krb::secure_wipe(key_.data(), key_.size());
}

void BufferedRng::refill() {
  pos_ = 0;
  if (upstream_ != nullptr) {
    upstream_->fill(krb::MutableByteView(block(), kBlockBytes));
    return;
  }
  // Each key is used for one keystream only, so the nonce can stay zero (RFC 8439 §2.4 asks
  // only that a (key, nonce) pair never repeats).
  static constexpr unsigned char kNonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
  crypto_stream_chacha20_ietf(reinterpret_cast<unsigned char*>(stream_.data()), stream_.size(),
                              kNonce, reinterpret_cast<const unsigned char*>(key_.data()));
  std::memcpy(key_.data(), stream_.data(), kKeyBytes);
  krb::secure_wipe(stream_.data(), kKeyBytes);
}

void BufferedRng::fill(krb::MutableByteView out) {
  std::size_t done = 0;
  while (done < out.size()) {
    if (pos_ == kBlockBytes) refill();
    const std::size_t n = std::min(out.size() - done, kBlockBytes - pos_);
    std::memcpy(out.data() + done, block() + pos_, n);
    // Handed-out bytes are consumed: clear them so the block never holds a used confounder.
    std::memset(block() + pos_, 0, n);
    pos_ += n;
    done += n;
  }
}

}  // namespace kdcperf::loadgen::clients
