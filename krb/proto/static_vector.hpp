// StaticVector<T, N>: up to N elements stored inline, for the SEQUENCE OFs of decoded messages.
// Decoding a request must not allocate, and a hostile element count must stay bounded: the
// capacity is the field's named limit (krb/proto/limits.hpp), push_back reports a full vector,
// and the decoder turns that into Err::kTooMany.
//
// Elements are views, integers and structs of them, so T must be trivially destructible.
// Storage is left uninitialized and only size() elements are ever copied, so a decoded AS-REQ
// with room for 32 etypes costs nothing for the slots it does not use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <span>
#include <type_traits>

namespace kdcperf::krb::proto {

template <class T, std::size_t N>
class StaticVector {
  static_assert(std::is_trivially_destructible_v<T> && std::is_nothrow_copy_constructible_v<T>,
                "StaticVector holds views, integers and structs of them");
  static_assert(N > 0 && N <= 0xffff);

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  StaticVector() {}  // NOLINT: user-provided so the storage stays uninitialized
  // For building messages by hand (encoders, tests). More than N elements is a programming
  // error, not input: abort.
  StaticVector(std::initializer_list<T> init) {
    for (const T& v : init) {
      if (!push_back(v)) std::abort();
    }
  }
  StaticVector(const StaticVector& o) noexcept { copy_from(o); }
  StaticVector& operator=(const StaticVector& o) noexcept {
    if (this != &o) copy_from(o);
    return *this;
  }
  ~StaticVector() = default;

  static constexpr std::size_t capacity() { return N; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == N; }

  T* data() { return items_; }
  const T* data() const { return items_; }
  T* begin() { return items_; }
  T* end() { return items_ + size_; }
  const T* begin() const { return items_; }
  const T* end() const { return items_ + size_; }
  T& operator[](std::size_t i) { return items_[i]; }
  const T& operator[](std::size_t i) const { return items_[i]; }
  T& front() { return items_[0]; }
  const T& front() const { return items_[0]; }
  T& back() { return items_[size_ - 1]; }
  const T& back() const { return items_[size_ - 1]; }

  std::span<const T> view() const { return {items_, size_}; }
  operator std::span<const T>() const { return view(); }  // NOLINT implicit

  // False (and nothing stored) when full.
  [[nodiscard]] bool push_back(const T& v) {
    if (size_ == N) return false;
    ::new (static_cast<void*>(items_ + size_)) T(v);
    ++size_;
    return true;
  }
  // A value-initialized new last element, or nullptr when full.
  [[nodiscard]] T* emplace_back() {
    if (size_ == N) return nullptr;
    T* p = ::new (static_cast<void*>(items_ + size_)) T();
    ++size_;
    return p;
  }
  void clear() { size_ = 0; }

  friend bool operator==(const StaticVector& a, const StaticVector& b) {
    if (a.size_ != b.size_) return false;
    for (std::size_t i = 0; i < a.size_; ++i) {
      if (!(a.items_[i] == b.items_[i])) return false;
    }
    return true;
  }

 private:
  void copy_from(const StaticVector& o) {
    for (std::size_t i = 0; i < o.size_; ++i) ::new (static_cast<void*>(items_ + i)) T(o.items_[i]);
    size_ = o.size_;
  }

  std::uint32_t size_ = 0;
  union {
    T items_[N];
  };
};

}  // namespace kdcperf::krb::proto
