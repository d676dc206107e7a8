// Hash and HMAC primitives for the Kerberos enctypes, with key state prepared once.
//
// HmacKey absorbs the key's ipad/opad blocks once (RFC 2104 §2) and keeps the two partial
// digest states; every MAC then starts from a plain struct copy of them. Measured on OpenSSL
// 3.0 (HMAC-SHA1 over 300 bytes): this path ~270 ns; EVP_MD_CTX_copy_ex of prepared contexts
// ~370 ns (it allocates: dupctx); EVP_MAC_init(NULL key) ~520 ns; HMAC_CTX reuse ~400 ns. So it
// uses OpenSSL's low-level digest structs (deprecated in 3.0 but present, with the same
// SHA-NI/AVX code), confined to hmac.cpp.
//
// MD4 (RFC 1320) and RC4 are implemented here rather than taken from OpenSSL: OpenSSL 3 has
// them only in the legacy provider, and loading a provider into the default library context
// changes provider auto-loading for the whole process. They serve RC4-HMAC only (RFC 4757).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "krb/base/bytes.hpp"

namespace kdcperf::krb::crypto {

enum class Digest : std::uint8_t { kMd5, kSha1, kSha256, kSha384 };

constexpr std::size_t digest_bytes(Digest d) {
  switch (d) {
    case Digest::kMd5:
      return 16;
    case Digest::kSha1:
      return 20;
    case Digest::kSha256:
      return 32;
    case Digest::kSha384:
      return 48;
  }
  return 0;
}
inline constexpr std::size_t kMaxDigestBytes = 48;

// One-shot hashes over the concatenation of parts; out receives the first out.size() bytes
// (at most digest_bytes).
void hash(Digest d, std::initializer_list<ByteView> parts, MutableByteView out);
void md4(ByteView data, MutableByteView out16);

// HMAC with a prepared key. Copyable only by move; wipes its states on destruction.
class HmacKey {
 public:
  HmacKey() = default;
  HmacKey(Digest d, ByteView key) { set_key(d, key); }
  HmacKey(const HmacKey&) = delete;
  HmacKey& operator=(const HmacKey&) = delete;
  HmacKey(HmacKey&& o) noexcept;
  HmacKey& operator=(HmacKey&& o) noexcept;
  ~HmacKey();

  void set_key(Digest d, ByteView key);
  bool ready() const { return ready_; }
  Digest digest() const { return digest_; }

  // HMAC over the concatenation of parts, truncated to out.size() (<= digest_bytes()).
  void mac(std::initializer_list<ByteView> parts, MutableByteView out) const;

  // Large enough for OpenSSL's SHA512_CTX (216 bytes) and smaller contexts; 8-byte aligned.
  static constexpr std::size_t kStateBytes = 224;

 private:
  void wipe();
  alignas(16) std::array<unsigned char, kStateBytes> inner_{};
  alignas(16) std::array<unsigned char, kStateBytes> outer_{};
  Digest digest_ = Digest::kSha1;
  bool ready_ = false;
};

// RC4 keystream (RFC 4757 §5 uses it with a per-message key). State lives on the caller's
// stack and is wiped by the destructor.
class Rc4 {
 public:
  explicit Rc4(ByteView key);
  Rc4(const Rc4&) = delete;
  Rc4& operator=(const Rc4&) = delete;
  ~Rc4();
  // XORs the next in.size() keystream bytes into out (in and out may be the same span).
  void apply(ByteView in, MutableByteView out);

 private:
  std::array<std::uint8_t, 256> s_;
  std::uint8_t i_ = 0;
  std::uint8_t j_ = 0;
};

}  // namespace kdcperf::krb::crypto
