// AES in CBC mode with ciphertext stealing as Kerberos uses it (RFC 3962 §5, RFC 8009 §5):
// NIST SP 800-38A-addendum variant CS3, i.e. the last two blocks are always swapped, and a
// single block is plain CBC.
//
// Built on OpenSSL AES-CBC contexts keyed once, with the stealing done here. Per message there
// is no re-keying, no allocation and no EVP_CipherInit: on OpenSSL 3.0 an IV-only re-init goes
// through OSSL_PARAM name lookups that cost more than encrypting a 64-byte message (perf:
// strcmp/OSSL_PARAM_locate on top). Instead each context's CBC chaining value (the last
// ciphertext block it processed, which OpenSSL carries across EVP_CipherUpdate calls) is
// tracked here, and the wanted IV is applied by XOR-ing (chain ^ IV) into the first block.
#pragma once

#include <array>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/secret.hpp"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX

namespace kdcperf::krb::crypto {

inline constexpr std::size_t kAesBlock = 16;

class AesCts {
 public:
  AesCts() = default;
  AesCts(const AesCts&) = delete;
  AesCts& operator=(const AesCts&) = delete;
  AesCts(AesCts&& o) noexcept;
  AesCts& operator=(AesCts&& o) noexcept;
  ~AesCts();

  // 16 or 32 key bytes (else Err::kBadKeyLength). The encrypt and decrypt contexts are made
  // on first use, so a key used only one way pays for one key schedule.
  Status set_key(ByteView key);

  // in.size() >= 16 (CTS needs one whole block); out.size() >= in.size(); in and out either
  // identical or disjoint. iv is 16 bytes.
  Status encrypt(ByteView iv, ByteView in, MutableByteView out);
  Status decrypt(ByteView iv, ByteView in, MutableByteView out);

 private:
  Status check(ByteView iv, ByteView in, MutableByteView out) const;
  Status context(bool encrypt, evp_cipher_ctx_st*& ctx);
  // Plain CBC over whole blocks with the context's running chain, in place or disjoint.
  bool cbc(evp_cipher_ctx_st* ctx, const std::byte* in, std::byte* out, std::size_t n);
  void drop(bool encrypt);
  void reset();
  SecretBytes key_;
  evp_cipher_ctx_st* enc_ = nullptr;
  evp_cipher_ctx_st* dec_ = nullptr;
  // The chaining value each context will XOR into the next block it processes.
  std::array<std::byte, 16> enc_chain_{};
  std::array<std::byte, 16> dec_chain_{};
};

}  // namespace kdcperf::krb::crypto
