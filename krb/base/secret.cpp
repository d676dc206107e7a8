#include "krb/base/secret.hpp"

#include <sodium.h>

#include <cstring>

namespace kdcperf::krb {

void secure_wipe(void* p, std::size_t n) {
  if (p != nullptr && n != 0) sodium_memzero(p, n);
}

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
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
