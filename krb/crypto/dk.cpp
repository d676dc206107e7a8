#include "krb/crypto/dk.hpp"

#include <array>
#include <cstring>

#include "krb/crypto/aes_cts.hpp"
#include "krb/crypto/nfold.hpp"

namespace kdcperf::krb::crypto {
namespace {

constexpr std::array<std::byte, kAesBlock> kZeroIv{};

bool is_rfc3962(Enctype e) {
  return e == Enctype::AES128_CTS_HMAC_SHA1_96 || e == Enctype::AES256_CTS_HMAC_SHA1_96;
}
bool is_rfc8009(Enctype e) {
  return e == Enctype::AES128_CTS_HMAC_SHA256_128 || e == Enctype::AES256_CTS_HMAC_SHA384_192;
}
Digest rfc8009_digest(Enctype e) {
  return e == Enctype::AES128_CTS_HMAC_SHA256_128 ? Digest::kSha256 : Digest::kSha384;
}

}  // namespace

Result<const EnctypeInfo*> check_key(const Key& key) {
  const EnctypeInfo* info = enctype_info(key.etype);
  if (info == nullptr) return Err::kUnknownEnctype;
  if (key.bytes.size() != info->key_bytes) return Err::kBadKeyLength;
  return info;
}

Status dr_aes(AesCts& base, ByteView constant, MutableByteView out) {
  std::array<std::byte, kAesBlock> block;
  if (constant.size() == kAesBlock) {
    std::memcpy(block.data(), constant.data(), kAesBlock);
  } else if (!nfold(constant, block)) {
    return Err::kInvalidArgument;
  }
  // K1 = E(Key, n-fold(constant)), K(i+1) = E(Key, Ki); one block each, so CTS is plain CBC
  // with the zero IV, i.e. a single AES block encryption.
  std::size_t done = 0;
  while (done < out.size()) {
    KRB_RETURN_IF_ERROR(base.encrypt(kZeroIv, block, block));
    const std::size_t n = std::min(kAesBlock, out.size() - done);
    std::memcpy(out.data() + done, block.data(), n);
    done += n;
  }
  secure_wipe(block.data(), block.size());
  return ok_status();
}

Status dr_aes(ByteView base_key, ByteView constant, MutableByteView out) {
  AesCts base;
  KRB_RETURN_IF_ERROR(base.set_key(base_key));
  return dr_aes(base, constant, out);
}

void kdf_hmac_sha2(Digest d, ByteView key, ByteView label, ByteView context, MutableByteView out) {
  // k <= the hash length for every use in RFC 8009, so one HMAC block (counter 1) suffices.
  static constexpr std::byte kCounter1[4] = {std::byte{0}, std::byte{0}, std::byte{0},
                                             std::byte{1}};
  static constexpr std::byte kZero[1] = {std::byte{0}};
  std::byte k_bits[4];
  store_be32(k_bits, static_cast<std::uint32_t>(out.size() * 8));
  HmacKey h(d, key);
  h.mac({kCounter1, label, kZero, context, k_bits}, out);
}

std::size_t derived_key_bytes(Enctype etype, DerivedKey which) {
  switch (etype) {
    case Enctype::AES128_CTS_HMAC_SHA1_96:
      return 16;
    case Enctype::AES256_CTS_HMAC_SHA1_96:
      return 32;
    case Enctype::AES128_CTS_HMAC_SHA256_128:
      return 16;
    case Enctype::AES256_CTS_HMAC_SHA384_192:
      return which == DerivedKey::kEncryption ? 32 : 24;
    case Enctype::RC4_HMAC:
      return 0;
  }
  return 0;
}

Result<SecretBytes> derive_usage_key(const Key& base, std::uint32_t usage, DerivedKey which) {
  KRB_ASSIGN_OR_RETURN(const EnctypeInfo* info, check_key(base));
  (void)info;
  std::byte constant[5];
  store_be32(constant, usage);
  constant[4] = static_cast<std::byte>(which);
  SecretBytes out(derived_key_bytes(base.etype, which));
  if (is_rfc3962(base.etype)) {
    KRB_RETURN_IF_ERROR(dr_aes(base.bytes.view(), constant, out.mutable_view()));
  } else if (is_rfc8009(base.etype)) {
    kdf_hmac_sha2(rfc8009_digest(base.etype), base.bytes.view(), constant, {}, out.mutable_view());
  } else {
    return Err::kUnsupported;
  }
  return out;
}

Result<Buffer> prf(const Key& key, ByteView input) {
  KRB_ASSIGN_OR_RETURN(const EnctypeInfo* info, check_key(key));
  static constexpr char kPrf[] = "prf";
  const ByteView label = as_bytes(std::string_view(kPrf, 3));
  if (is_rfc3962(key.etype)) {
    // RFC 3962 §6: E(DK(key, "prf"), truncate-to-block(SHA-1(input))) with the zero IV.
    SecretBytes dk(info->key_bytes);
    KRB_RETURN_IF_ERROR(dr_aes(key.bytes.view(), label, dk.mutable_view()));
    std::array<std::byte, kAesBlock> tmp;
    hash(Digest::kSha1, {input}, tmp);
    AesCts cipher;
    KRB_RETURN_IF_ERROR(cipher.set_key(dk.view()));
    Buffer out(kAesBlock);
    const Status st = cipher.encrypt(kZeroIv, tmp, out);
    secure_wipe(tmp.data(), tmp.size());
    KRB_RETURN_IF_ERROR(st);
    return out;
  }
  if (is_rfc8009(key.etype)) {
    // RFC 8009 §5: KDF-HMAC-SHA2(base-key, "prf", input, 256 or 384).
    const Digest d = rfc8009_digest(key.etype);
    Buffer out(digest_bytes(d));
    kdf_hmac_sha2(d, key.bytes.view(), label, input, out);
    return out;
  }
  return Err::kUnsupported;
}

}  // namespace kdcperf::krb::crypto
