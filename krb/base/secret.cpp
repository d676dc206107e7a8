#include "krb/base/secret.hpp"

#include <sodium.h>

#include <cstring>

namespace kdcperf::krb {

void secure_wipe(void* p, std::size_t n) {
  if (p != nullptr && n != 0) sodium_memzero(p, n);
}

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  // XOR-accumulate eight bytes at a time with no early exit (sodium_memcmp walks byte by byte
  // through volatile pointers: ten times the instructions for a 32-byte key). The empty asm
  // keeps the compiler from turning the loop into a comparison that stops at a difference.
  std::uint64_t diff = 0;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    diff |= x ^ y;
    __asm__ volatile("" : "+r"(diff));
  }
  for (; i < a.size(); ++i) {
    diff |= std::to_integer<std::uint64_t>(a[i] ^ b[i]);
    __asm__ volatile("" : "+r"(diff));
  }
  return diff == 0;
}

SecretBytes::SecretBytes(std::size_t n) : data_(new std::byte[n]()), size_(n) {}

SecretBytes::SecretBytes(ByteView bytes) : data_(new std::byte[bytes.size()]), size_(bytes.size()) {
  if (!bytes.empty()) std::memcpy(data_.get(), bytes.data(), bytes.size());
}

SecretBytes::SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)), size_(o.size_) {
  o.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    wipe();
    data_ = std::move(o.data_);
    size_ = o.size_;
    o.size_ = 0;
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  wipe();
}

void SecretBytes::wipe() {
  secure_wipe(data_.get(), size_);
  data_.reset();
  size_ = 0;
}

}  // namespace kdcperf::krb
