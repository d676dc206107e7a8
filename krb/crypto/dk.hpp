// Key derivation: RFC 3961 §5.1 DR/DK (with AES as E, RFC 3962 §6), RFC 8009 §3
// KDF-HMAC-SHA2, the per-usage keys Kc/Ke/Ki, and the enctype PRF (RFC 3961 §3).
#pragma once

#include <cstdint>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/secret.hpp"
#include "krb/crypto/enctype.hpp"
#include "krb/crypto/hmac.hpp"
#include "krb/crypto/key.hpp"

namespace kdcperf::krb::crypto {

class AesCts;

// DR(Key, Constant) with AES (RFC 3961 §5.1): the constant n-folded to one block (if it is not
// one already), then encrypted repeatedly, the blocks concatenated to out.size() bytes.
// random-to-key is the identity for AES, so DK == DR. `base` is a cipher already keyed with
// the base key (reused for Kc, Ke and Ki).
Status dr_aes(AesCts& base, ByteView constant, MutableByteView out);
Status dr_aes(ByteView base_key, ByteView constant, MutableByteView out);

// KDF-HMAC-SHA2(key, label, [context,] k) of RFC 8009 §3 with k = 8 * out.size():
// the first k bits of HMAC(key, 00000001 | label | 0x00 | context | k as 4 bytes big-endian).
void kdf_hmac_sha2(Digest d, ByteView key, ByteView label, ByteView context, MutableByteView out);

// The three keys of RFC 3961 §5.3 / RFC 8009 §5, named by their constant's last byte.
enum class DerivedKey : std::uint8_t { kChecksum = 0x99, kEncryption = 0xAA, kIntegrity = 0x55 };

// Kc, Ke or Ki for (base key, usage) for enctypes 17-20 (RC4 has none: Err::kUnsupported).
// Lengths: 17/18 all key_bytes; 19: all 16; 20: Ke 32, Kc and Ki 24.
Result<SecretBytes> derive_usage_key(const Key& base, std::uint32_t usage, DerivedKey which);
std::size_t derived_key_bytes(Enctype etype, DerivedKey which);

// pseudo-random function (RFC 3961 §3): 17/18 per RFC 3962 §6 (16 bytes), 19/20 per RFC 8009
// §5 (32 / 48 bytes). RC4: Err::kUnsupported.
Result<Buffer> prf(const Key& key, ByteView input);

// Checks a key's enctype and length: Err::kUnknownEnctype or Err::kBadKeyLength.
Result<const EnctypeInfo*> check_key(const Key& key);

}  // namespace kdcperf::krb::crypto
