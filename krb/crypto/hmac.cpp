// The low-level digest structs are deprecated in OpenSSL 3.0 but are the only OpenSSL digest
// state that can be copied without a heap allocation (see hmac.hpp for the measurements).
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "krb/crypto/hmac.hpp"

#include <openssl/md5.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "krb/base/secret.hpp"

namespace kdcperf::krb::crypto {
namespace {

static_assert(sizeof(MD5_CTX) <= HmacKey::kStateBytes);
static_assert(sizeof(SHA_CTX) <= HmacKey::kStateBytes);
static_assert(sizeof(SHA256_CTX) <= HmacKey::kStateBytes);
static_assert(sizeof(SHA512_CTX) <= HmacKey::kStateBytes);

// One table entry per digest: the low-level functions behind a uniform signature.
template <class Ctx, int (*Init)(Ctx*), int (*Update)(Ctx*, const void*, size_t),
          int (*Final)(unsigned char*, Ctx*)>
struct Ops {
  static void init(unsigned char* state) {
    Ctx c;
    Init(&c);
    std::memcpy(state, &c, sizeof c);
    secure_wipe(&c, sizeof c);
  }
  static void update(unsigned char* state, const void* p, std::size_t n) {
    Ctx c;
    std::memcpy(&c, state, sizeof c);
    Update(&c, p, n);
    std::memcpy(state, &c, sizeof c);
    secure_wipe(&c, sizeof c);
  }
  // Digest of (state-so-far | parts) into out (full digest length).
  static void finish(const unsigned char* state, std::initializer_list<ByteView> parts,
                     unsigned char* out) {
    Ctx c;
    std::memcpy(&c, state, sizeof c);
    for (ByteView p : parts) {
      if (!p.empty()) Update(&c, p.data(), p.size());
    }
    Final(out, &c);
    secure_wipe(&c, sizeof c);
  }
};

using Md5Ops = Ops<MD5_CTX, MD5_Init, MD5_Update, MD5_Final>;
using Sha1Ops = Ops<SHA_CTX, SHA1_Init, SHA1_Update, SHA1_Final>;
using Sha256Ops = Ops<SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final>;
using Sha384Ops = Ops<SHA512_CTX, SHA384_Init, SHA384_Update, SHA384_Final>;

constexpr std::size_t block_bytes(Digest d) {
  return d == Digest::kSha384 ? 128 : 64;
}

void state_init(Digest d, unsigned char* s) {
  switch (d) {
    case Digest::kMd5:
      return Md5Ops::init(s);
    case Digest::kSha1:
      return Sha1Ops::init(s);
    case Digest::kSha256:
      return Sha256Ops::init(s);
    case Digest::kSha384:
      return Sha384Ops::init(s);
  }
}
void state_update(Digest d, unsigned char* s, const void* p, std::size_t n) {
  switch (d) {
    case Digest::kMd5:
      return Md5Ops::update(s, p, n);
    case Digest::kSha1:
      return Sha1Ops::update(s, p, n);
    case Digest::kSha256:
      return Sha256Ops::update(s, p, n);
    case Digest::kSha384:
      return Sha384Ops::update(s, p, n);
  }
}
void state_finish(Digest d, const unsigned char* s, std::initializer_list<ByteView> parts,
                  unsigned char* out) {
  switch (d) {
    case Digest::kMd5:
      return Md5Ops::finish(s, parts, out);
    case Digest::kSha1:
      return Sha1Ops::finish(s, parts, out);
    case Digest::kSha256:
      return Sha256Ops::finish(s, parts, out);
    case Digest::kSha384:
      return Sha384Ops::finish(s, parts, out);
  }
}

// ---- MD4 (RFC 1320 §3) ----
inline std::uint32_t rotl(std::uint32_t x, int s) {
  return (x << s) | (x >> (32 - s));
}

void md4_block(std::uint32_t h[4], const unsigned char* p) {
  std::uint32_t x[16];
  for (int i = 0; i < 16; ++i) {
    x[i] = std::uint32_t(p[4 * i]) | std::uint32_t(p[4 * i + 1]) << 8 |
           std::uint32_t(p[4 * i + 2]) << 16 | std::uint32_t(p[4 * i + 3]) << 24;
  }
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  auto f = [](std::uint32_t u, std::uint32_t v, std::uint32_t w) { return (u & v) | (~u & w); };
  auto g = [](std::uint32_t u, std::uint32_t v, std::uint32_t w) {
    return (u & v) | (u & w) | (v & w);
  };
  auto hh = [](std::uint32_t u, std::uint32_t v, std::uint32_t w) { return u ^ v ^ w; };
  // Round 1: word order 0..15, shifts 3 7 11 19.
  static constexpr int kS1[4] = {3, 7, 11, 19};
  for (int i = 0; i < 16; i += 4) {
    a = rotl(a + f(b, c, d) + x[i], kS1[0]);
    d = rotl(d + f(a, b, c) + x[i + 1], kS1[1]);
    c = rotl(c + f(d, a, b) + x[i + 2], kS1[2]);
    b = rotl(b + f(c, d, a) + x[i + 3], kS1[3]);
  }
  // Round 2: word order columns (0,4,8,12), (1,5,9,13)...; shifts 3 5 9 13.
  static constexpr int kS2[4] = {3, 5, 9, 13};
  for (int i = 0; i < 4; ++i) {
    a = rotl(a + g(b, c, d) + x[i] + 0x5a827999u, kS2[0]);
    d = rotl(d + g(a, b, c) + x[i + 4] + 0x5a827999u, kS2[1]);
    c = rotl(c + g(d, a, b) + x[i + 8] + 0x5a827999u, kS2[2]);
    b = rotl(b + g(c, d, a) + x[i + 12] + 0x5a827999u, kS2[3]);
  }
  // Round 3: word order 0 8 4 12, 2 10 6 14, 1 9 5 13, 3 11 7 15; shifts 3 9 11 15.
  static constexpr int kOrder3[4] = {0, 2, 1, 3};
  static constexpr int kS3[4] = {3, 9, 11, 15};
  for (int k : kOrder3) {
    a = rotl(a + hh(b, c, d) + x[k] + 0x6ed9eba1u, kS3[0]);
    d = rotl(d + hh(a, b, c) + x[k + 8] + 0x6ed9eba1u, kS3[1]);
    c = rotl(c + hh(d, a, b) + x[k + 4] + 0x6ed9eba1u, kS3[2]);
    b = rotl(b + hh(c, d, a) + x[k + 12] + 0x6ed9eba1u, kS3[3]);
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  secure_wipe(x, sizeof x);
}

}  // namespace

void hash(Digest d, std::initializer_list<ByteView> parts, MutableByteView out) {
  alignas(16) unsigned char state[HmacKey::kStateBytes];
  unsigned char full[kMaxDigestBytes];
  state_init(d, state);
  state_finish(d, state, parts, full);
  const std::size_t n = std::min(out.size(), digest_bytes(d));
  std::memcpy(out.data(), full, n);
  secure_wipe(full, sizeof full);
  secure_wipe(state, sizeof state);
}

void md4(ByteView data, MutableByteView out16) {
  std::uint32_t h[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
  const auto* p = u8(data);
  std::size_t n = data.size();
  const std::uint64_t bits = std::uint64_t(n) * 8;
  while (n >= 64) {
    md4_block(h, p);
    p += 64;
    n -= 64;
  }
  // Padding (RFC 1320 §3.1-3.2): 0x80, zeros to 56 mod 64, then the bit length little-endian.
  unsigned char tail[128] = {};
  if (n != 0) std::memcpy(tail, p, n);
  tail[n] = 0x80;
  const std::size_t total = n + 1 + 8 <= 64 ? 64 : 128;
  for (int i = 0; i < 8; ++i) tail[total - 8 + i] = static_cast<unsigned char>(bits >> (8 * i));
  md4_block(h, tail);
  if (total == 128) md4_block(h, tail + 64);
  secure_wipe(tail, sizeof tail);
  auto* o = u8(out16);
  for (int i = 0; i < 4; ++i) {
    for (int b = 0; b < 4; ++b) o[4 * i + b] = static_cast<unsigned char>(h[i] >> (8 * b));
  }
  secure_wipe(h, sizeof h);
}

HmacKey::HmacKey(HmacKey&& o) noexcept
    : inner_(o.inner_), outer_(o.outer_), digest_(o.digest_), ready_(o.ready_) {
  o.wipe();
}

HmacKey& HmacKey::operator=(HmacKey&& o) noexcept {
  if (this != &o) {
    inner_ = o.inner_;
    outer_ = o.outer_;
    digest_ = o.digest_;
    ready_ = o.ready_;
    o.wipe();
  }
  return *this;
}

HmacKey::~HmacKey() {
  wipe();
}

void HmacKey::wipe() {
  secure_wipe(inner_.data(), inner_.size());
  secure_wipe(outer_.data(), outer_.size());
  ready_ = false;
}

void HmacKey::set_key(Digest d, ByteView key) {
  // RFC 2104 §2: keys longer than the block are hashed first; then zero-padded to the block.
  const std::size_t block = block_bytes(d);
  unsigned char k0[128] = {};
  if (key.size() > block) {
    hash(d, {key}, MutableByteView(reinterpret_cast<std::byte*>(k0), digest_bytes(d)));
  } else if (!key.empty()) {
    std::memcpy(k0, key.data(), key.size());
  }
  unsigned char pad[128];
  for (std::size_t i = 0; i < block; ++i) pad[i] = k0[i] ^ 0x36;
  state_init(d, inner_.data());
  state_update(d, inner_.data(), pad, block);
  for (std::size_t i = 0; i < block; ++i) pad[i] = k0[i] ^ 0x5c;
  state_init(d, outer_.data());
  state_update(d, outer_.data(), pad, block);
  secure_wipe(k0, sizeof k0);
  secure_wipe(pad, sizeof pad);
  digest_ = d;
  ready_ = true;
}

void HmacKey::mac(std::initializer_list<ByteView> parts, MutableByteView out) const {
  unsigned char inner_digest[kMaxDigestBytes];
  unsigned char full[kMaxDigestBytes];
  const std::size_t dlen = digest_bytes(digest_);
  state_finish(digest_, inner_.data(), parts, inner_digest);
  state_finish(digest_, outer_.data(),
               {ByteView(reinterpret_cast<const std::byte*>(inner_digest), dlen)}, full);
  std::memcpy(out.data(), full, std::min(out.size(), dlen));
  secure_wipe(inner_digest, sizeof inner_digest);
  secure_wipe(full, sizeof full);
}

Rc4::Rc4(ByteView key) {
  for (int i = 0; i < 256; ++i) s_[i] = static_cast<std::uint8_t>(i);
  // RC4 is defined for 1..256-byte keys; an empty key is treated as one zero byte rather
  // than read out of bounds (callers here always pass 16 bytes).
  static constexpr unsigned char kZero = 0;
  const auto* k = key.empty() ? &kZero : u8(key);
  const std::size_t n = key.empty() ? 1 : key.size();
  std::uint8_t j = 0;
  for (std::size_t i = 0, ki = 0; i < 256; ++i) {
    j = static_cast<std::uint8_t>(j + s_[i] + k[ki]);
    std::swap(s_[i], s_[j]);
    if (++ki == n) ki = 0;
  }
}

Rc4::~Rc4() {
  secure_wipe(s_.data(), s_.size());
  i_ = j_ = 0;
}

void Rc4::apply(ByteView in, MutableByteView out) {
  const auto* src = u8(in);
  auto* dst = u8(out);
  std::uint8_t i = i_, j = j_;
  for (std::size_t n = 0; n < in.size(); ++n) {
    i = static_cast<std::uint8_t>(i + 1);
    j = static_cast<std::uint8_t>(j + s_[i]);
    std::swap(s_[i], s_[j]);
    dst[n] = src[n] ^ s_[static_cast<std::uint8_t>(s_[i] + s_[j])];
  }
  i_ = i;
  j_ = j;
}

}  // namespace kdcperf::krb::crypto
