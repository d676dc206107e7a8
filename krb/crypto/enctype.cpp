#include "krb/crypto/enctype.hpp"

namespace kdcperf::krb::crypto {
namespace {

// Names are MIT's (krb5 enctype_to_name); sizes from RFC 3962 §6, RFC 8009 §5 and §8,
// RFC 4757 §4/§5.
constexpr EnctypeInfo kEnctypes[] = {
    {Enctype::AES128_CTS_HMAC_SHA1_96, "aes128-cts-hmac-sha1-96", 16, 16, 12, 4096,
     ChecksumType::HMAC_SHA1_96_AES128},
    {Enctype::AES256_CTS_HMAC_SHA1_96, "aes256-cts-hmac-sha1-96", 32, 16, 12, 4096,
     ChecksumType::HMAC_SHA1_96_AES256},
    {Enctype::AES128_CTS_HMAC_SHA256_128, "aes128-cts-hmac-sha256-128", 16, 16, 16, 32768,
     ChecksumType::HMAC_SHA256_128_AES128},
    {Enctype::AES256_CTS_HMAC_SHA384_192, "aes256-cts-hmac-sha384-192", 32, 16, 24, 32768,
     ChecksumType::HMAC_SHA384_192_AES256},
    {Enctype::RC4_HMAC, "arcfour-hmac", 16, 8, 16, 0, ChecksumType::HMAC_MD5},
};

}  // namespace

const EnctypeInfo* enctype_info(std::int32_t etype) {
  for (const EnctypeInfo& e : kEnctypes) {
    if (static_cast<std::int32_t>(e.etype) == etype) return &e;
  }
  return nullptr;
}

std::size_t seal_overhead(Enctype e) {
  const EnctypeInfo* info = enctype_info(e);
  return info == nullptr ? 0 : info->confounder_bytes + info->mac_bytes;
}

std::size_t checksum_bytes(ChecksumType t) {
  switch (t) {
    case ChecksumType::HMAC_SHA1_96_AES128:
    case ChecksumType::HMAC_SHA1_96_AES256:
      return 12;
    case ChecksumType::HMAC_SHA256_128_AES128:
      return 16;
    case ChecksumType::HMAC_SHA384_192_AES256:
      return 24;
    case ChecksumType::HMAC_MD5:
      return 16;
  }
  return 0;
}

}  // namespace kdcperf::krb::crypto
