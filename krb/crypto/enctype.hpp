// Encryption types, checksum types and key usages (RFC 3961 §8, RFC 3962, RFC 8009, RFC 4757,
// RFC 4120 §7.5.1). Wire values are int32 and may be negative or unknown: decoders keep the raw
// number and ask enctype_info() whether this library implements it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kdcperf::krb::crypto {

enum class Enctype : std::int32_t {
  AES128_CTS_HMAC_SHA1_96 = 17,     // RFC 3962
  AES256_CTS_HMAC_SHA1_96 = 18,     // RFC 3962
  AES128_CTS_HMAC_SHA256_128 = 19,  // RFC 8009
  AES256_CTS_HMAC_SHA384_192 = 20,  // RFC 8009
  RC4_HMAC = 23,                    // RFC 4757 (Active Directory)
};

enum class ChecksumType : std::int32_t {
  HMAC_SHA1_96_AES128 = 15,     // RFC 3962
  HMAC_SHA1_96_AES256 = 16,     // RFC 3962
  HMAC_SHA256_128_AES128 = 19,  // RFC 8009
  HMAC_SHA384_192_AES256 = 20,  // RFC 8009
  HMAC_MD5 = -138,              // RFC 4757 (KERB_CHECKSUM_HMAC_MD5)
};

// RFC 4120 §7.5.1 key usage numbers (plus the ones later RFCs added that the AS exchange uses).
enum class KeyUsage : std::int32_t {
  AS_REQ_PA_ENC_TIMESTAMP = 1,  // PA-ENC-TIMESTAMP, encrypted with the client key
  KDC_REP_TICKET = 2,           // Ticket enc-part, encrypted with the service (krbtgt) key
  AS_REP_ENC_PART = 3,          // AS-REP enc-part, encrypted with the client (reply) key
  TGS_REQ_AD_SESSKEY = 4,
  TGS_REQ_AD_SUBKEY = 5,
  TGS_REQ_AUTH_CKSUM = 6,
  TGS_REQ_AUTH = 7,
  TGS_REP_ENC_PART_SESSKEY = 8,
  TGS_REP_ENC_PART_SUBKEY = 9,
  AP_REQ_AUTH_CKSUM = 10,
  AP_REQ_AUTH = 11,
  AP_REP_ENC_PART = 12,
  KRB_PRIV_ENC_PART = 13,
  KRB_CRED_ENC_PART = 14,
  KRB_SAFE_CKSUM = 15,
  APP_DATA_ENCRYPT = 16,
  KERB_NON_KERB_CKSUM_SALT = 17,  // PAC server/KDC checksums (MS-PAC §2.8)
  AS_REQ = 56,                    // PA-REQ-ENC-PA-REP checksum over the AS-REQ (RFC 6806 §11)
};

struct EnctypeInfo {
  Enctype etype;
  std::string_view name;             // MIT's name, e.g. "aes256-cts-hmac-sha1-96"
  std::size_t key_bytes;             // protocol key length
  std::size_t confounder_bytes;      // 16 for AES, 8 for RC4
  std::size_t mac_bytes;             // HMAC output kept: 12, 16, 24 (AES); 16 (RC4)
  std::uint32_t default_iterations;  // PBKDF2 iterations when s2kparams are absent (0: no s2k)
  ChecksumType checksum;             // the keyed checksum that goes with this enctype
};

// nullptr when the number is not an enctype this library implements.
const EnctypeInfo* enctype_info(std::int32_t etype);
inline const EnctypeInfo* enctype_info(Enctype e) {
  return enctype_info(static_cast<std::int32_t>(e));
}
// Bytes that seal() adds to a plaintext: confounder + MAC (AES-CTS adds no padding).
std::size_t seal_overhead(Enctype e);
std::size_t checksum_bytes(ChecksumType t);

}  // namespace kdcperf::krb::crypto
