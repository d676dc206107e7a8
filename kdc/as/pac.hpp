// The minimal PAC MIT krb5 1.20 puts in every TGT (KERBEROS-INTEROP.md §5.4; MS-PAC §2.3-2.8):
// PACTYPE with three buffers, each 8-byte aligned:
//   PAC_CLIENT_INFO (10)       FILETIME authtime, u16 name length, UTF-16LE name (no realm)
//   SERVER_CHECKSUM (6)        u32 checksum type, checksum over the whole PAC with both
//                              signatures zeroed, under the ticket's server key (krbtgt)
//   PRIVSVR_CHECKSUM (7)       u32 checksum type, checksum over the server signature bytes,
//                              under the KDC's key (krbtgt too, for a TGT)
// Both checksums use key usage 17 (KERB_NON_KERB_CKSUM_SALT) and the krbtgt key's checksum type.
// The caller wraps the result as AD-IF-RELEVANT { AD-WIN2K-PAC (128) }.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/crypto/cipher.hpp"

namespace kdcperf::kdc::as {

enum class PacBufferType : std::uint32_t {
  LOGON_INFO = 1,
  SERVER_CHECKSUM = 6,
  PRIVSVR_CHECKSUM = 7,
  CLIENT_INFO = 10,
};

// Longest client name (UTF-8 bytes) the PAC carries; MS-PAC's NameLength is a u16 of bytes.
inline constexpr std::size_t kMaxPacNameBytes = 1024;

// Bytes build_minimal_pac() writes for this name and checksum key.
std::size_t minimal_pac_size(std::string_view client_name, const krb::crypto::UsageKey& key);

// Writes the PAC into out (at least minimal_pac_size() bytes) and returns its length. `key`
// is the krbtgt key prepared for KERB_NON_KERB_CKSUM_SALT. client_name is the principal
// without the realm, as MIT's KRB5_PRINCIPAL_UNPARSE_NO_REALM gives it; invalid UTF-8 bytes
// become U+FFFD. kBufferTooSmall, kInvalidArgument (name over kMaxPacNameBytes or a key of
// the wrong usage).
krb::Result<std::size_t> build_minimal_pac(std::string_view client_name, std::int64_t authtime,
                                           const krb::crypto::UsageKey& key,
                                           krb::MutableByteView out);

}  // namespace kdcperf::kdc::as
