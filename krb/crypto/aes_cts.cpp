#include "krb/crypto/aes_cts.hpp"

#include <openssl/evp.h>

#include <climits>
#include <cstring>
#include <utility>

namespace kdcperf::krb::crypto {
namespace {

using Block = std::array<std::byte, kAesBlock>;

// Fetched once per process: EVP_CIPHER objects are immutable and safe to share across
// threads, and fetching by name costs a locked provider lookup.
const EVP_CIPHER* cbc_cipher(std::size_t key_bytes) {
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return key_bytes == 16 ? aes128 : key_bytes == 32 ? aes256 : nullptr;
}

bool overlaps_partially(ByteView in, MutableByteView out) {
  const auto* a = in.data();
  const auto* b = out.data();
  if (a == b) return false;
  return a < b + out.size() && b < a + in.size();
}

void xor_into(std::byte* dst, const std::byte* a, std::size_t n = kAesBlock) {
  for (std::size_t i = 0; i < n; ++i) dst[i] ^= a[i];
}

}  // namespace

AesCts::AesCts(AesCts&& o) noexcept
    : key_(std::move(o.key_)),
      enc_(std::exchange(o.enc_, nullptr)),
      dec_(std::exchange(o.dec_, nullptr)),
      enc_chain_(o.enc_chain_),
      dec_chain_(o.dec_chain_) {}

AesCts& AesCts::operator=(AesCts&& o) noexcept {
  if (this != &o) {
    reset();
    key_ = std::move(o.key_);
    enc_ = std::exchange(o.enc_, nullptr);
    dec_ = std::exchange(o.dec_, nullptr);
    enc_chain_ = o.enc_chain_;
    dec_chain_ = o.dec_chain_;
  }
  return *this;
}

AesCts::~AesCts() {
  reset();
}

void AesCts::drop(bool encrypt) {
  // EVP_CIPHER_CTX_free cleanses the key schedule.
  evp_cipher_ctx_st*& ctx = encrypt ? enc_ : dec_;
  EVP_CIPHER_CTX_free(ctx);
  ctx = nullptr;
}

void AesCts::reset() {
  drop(true);
  drop(false);
  key_ = SecretBytes();
}

Status AesCts::set_key(ByteView key) {
  if (key.size() != 16 && key.size() != 32) return Err::kBadKeyLength;
  if (cbc_cipher(key.size()) == nullptr) return Err::kCryptoLibrary;
  reset();
  key_ = SecretBytes(key);
  return ok_status();
}

Status AesCts::check(ByteView iv, ByteView in, MutableByteView out) const {
  if (key_.empty()) return Err::kInvalidArgument;
  if (iv.size() != kAesBlock || in.size() < kAesBlock || out.size() < in.size() ||
      in.size() > static_cast<std::size_t>(INT_MAX) || overlaps_partially(in, out)) {
    return Err::kInvalidArgument;
  }
  return ok_status();
}

Status AesCts::context(bool encrypt, evp_cipher_ctx_st*& ctx) {
  ctx = encrypt ? enc_ : dec_;
  if (ctx != nullptr) return ok_status();
  // First use in this direction: key schedule once, zero IV, no padding (whole blocks only,
  // so OpenSSL never holds a block back).
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  if (c == nullptr) return Err::kCryptoLibrary;
  static constexpr unsigned char kZero[kAesBlock] = {};
  if (EVP_CipherInit_ex2(c, cbc_cipher(key_.size()), u8(key_.view()), kZero, encrypt ? 1 : 0,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(c, 0) != 1) {
    EVP_CIPHER_CTX_free(c);
    return Err::kCryptoLibrary;
  }
  (encrypt ? enc_ : dec_) = c;
  (encrypt ? enc_chain_ : dec_chain_).fill(std::byte{0});
  ctx = c;
  return ok_status();
}

bool AesCts::cbc(evp_cipher_ctx_st* ctx, const std::byte* in, std::byte* out, std::size_t n) {
  int outl = 0;
  return EVP_CipherUpdate(ctx, reinterpret_cast<unsigned char*>(out), &outl,
                          reinterpret_cast<const unsigned char*>(in), static_cast<int>(n)) == 1 &&
         static_cast<std::size_t>(outl) == n;
}

Status AesCts::encrypt(ByteView iv, ByteView in, MutableByteView out) {
  KRB_RETURN_IF_ERROR(check(iv, in, out));
  evp_cipher_ctx_st* ctx = nullptr;
  KRB_RETURN_IF_ERROR(context(true, ctx));
  const std::size_t n = in.size();
  const std::size_t m = (n + kAesBlock - 1) / kAesBlock;  // blocks, the last maybe partial
  const std::size_t r = n - (m - 1) * kAesBlock;          // bytes in the last block, 1..16
  std::byte* o = out.data();
  if (in.data() != o) std::memcpy(o, in.data(), n);
  // The context will XOR its chain into the first block; make that the IV instead.
  xor_into(o, enc_chain_.data());
  xor_into(o, iv.data());
  bool ok;
  if (m == 1) {
    ok = cbc(ctx, o, o, kAesBlock);
    if (ok) std::memcpy(enc_chain_.data(), o, kAesBlock);
  } else {
    // CBC over P1..P(m-1), then the zero-padded Pm; then swap the last two (CS3): output
    // C1..C(m-2), E(pad(Pm) ^ C(m-1)), first r bytes of C(m-1).
    Block last{};
    std::memcpy(last.data(), o + (m - 1) * kAesBlock, r);
    ok = cbc(ctx, o, o, (m - 1) * kAesBlock) && cbc(ctx, last.data(), last.data(), kAesBlock);
    if (ok) {
      std::byte* penult = o + (m - 2) * kAesBlock;
      Block c_prev;
      std::memcpy(c_prev.data(), penult, kAesBlock);
      std::memcpy(penult, last.data(), kAesBlock);
      std::memcpy(o + (m - 1) * kAesBlock, c_prev.data(), r);
      enc_chain_ = last;
    }
  }
  if (!ok) {
    drop(true);  // the chain is unknown now: start over with a fresh context next time
    return Err::kCryptoLibrary;
  }
  return ok_status();
}

Status AesCts::decrypt(ByteView iv, ByteView in, MutableByteView out) {
  KRB_RETURN_IF_ERROR(check(iv, in, out));
  evp_cipher_ctx_st* ctx = nullptr;
  KRB_RETURN_IF_ERROR(context(false, ctx));
  const std::size_t n = in.size();
  const std::size_t m = (n + kAesBlock - 1) / kAesBlock;
  const std::size_t r = n - (m - 1) * kAesBlock;
  std::byte* o = out.data();
  bool ok;
  if (m == 1) {
    Block c1;
    std::memcpy(c1.data(), in.data(), kAesBlock);
    ok = cbc(ctx, c1.data(), o, kAesBlock);
    if (ok) {
      // The context XORed its chain in; the message wants the IV.
      xor_into(o, dec_chain_.data());
      xor_into(o, iv.data());
      dec_chain_ = c1;
    }
  } else {
    // Input: C1..C(m-2), X = E(pad(Pm) ^ C(m-1)), Y = first r bytes of C(m-1).
    Block x, y{}, dx;
    std::memcpy(x.data(), in.data() + (m - 2) * kAesBlock, kAesBlock);
    std::memcpy(y.data(), in.data() + (m - 1) * kAesBlock, r);
    ok = cbc(ctx, x.data(), dx.data(), kAesBlock);  // = D(X) ^ chain; the chain becomes X
    if (ok) {
      xor_into(dx.data(), dec_chain_.data());  // D(X) = pad(Pm) ^ C(m-1)
      // C(m-1) is Y followed by the tail of D(X) (the padding was zeros); Pm = D(X) ^ Y.
      Block c_prev = dx;
      std::memcpy(c_prev.data(), y.data(), r);
      if (in.data() != o) std::memcpy(o, in.data(), (m - 2) * kAesBlock);
      std::memcpy(o + (m - 2) * kAesBlock, c_prev.data(), kAesBlock);
      // CBC-decrypt C1..C(m-1) in place; the chain going in is X, the message wants the IV.
      ok = cbc(ctx, o, o, (m - 1) * kAesBlock);
      if (ok) {
        xor_into(o, x.data());
        xor_into(o, iv.data());
        xor_into(dx.data(), y.data(), r);
        std::memcpy(o + (m - 1) * kAesBlock, dx.data(), r);
        dec_chain_ = c_prev;
      }
      secure_wipe(dx.data(), dx.size());
    }
  }
  if (!ok) {
    drop(false);
    return Err::kCryptoLibrary;
  }
  return ok_status();
}

}  // namespace kdcperf::krb::crypto
