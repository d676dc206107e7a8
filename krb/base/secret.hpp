// SecretBytes: the one type that holds key material. Move-only; wiped with sodium_memzero on
// destruction, on move-from and on resize, so a key never lingers in freed memory. It has no
// stream operator: printing a key is a compile error.
#pragma once

#include <cstddef>
#include <memory>

#include "krb/base/bytes.hpp"

namespace kdcperf::krb {

void secure_wipe(void* p, std::size_t n);  // sodium_memzero
// Equality of two equal-length MACs or keys in time that depends only on the length. Unequal
// lengths: false.
bool constant_time_equal(ByteView a, ByteView b);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n);
  explicit SecretBytes(ByteView bytes);
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept;
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  ~SecretBytes();

  SecretBytes clone() const { return SecretBytes(view()); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return {data_.get(), size_}; }
  MutableByteView mutable_view() { return {data_.get(), size_}; }
  const std::byte* data() const { return data_.get(); }
  std::byte* data() { return data_.get(); }

 private:
  void wipe();
  std::unique_ptr<std::byte[]> data_;
  std::size_t size_ = 0;
};

// A scratch buffer on the stack or heap that holds plaintext or key material for one call and
// must be wiped when the call returns.
class WipeOnExit {
 public:
  WipeOnExit(void* p, std::size_t n) : p_(p), n_(n) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { secure_wipe(p_, n_); }

 private:
  void* p_;
  std::size_t n_;
};

}  // namespace kdcperf::krb
