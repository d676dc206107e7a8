// MIT FILE credential caches over byte spans (libkrb opens no files). Reads versions 3 and 4,
// writes version 4.
//
// Format (MIT lib/krb5/ccache/cc_file.c and ccmarshal.c; all integers big-endian in v3/v4):
//   u16 0x0504 (0x0503 for v3)
//   v4 only: u16 headerlen, then tags {u16 tag; u16 len; len bytes} filling headerlen;
//       tag 1 DELTATIME = {s32 seconds; s32 microseconds}, the KDC clock minus ours
//   principal (the default client)
//   credential* until the end of the input
//   principal  := u32 name_type; u32 ncomponents (realm not counted); data realm; data comp*
//   data       := u32 length; bytes
//   credential := principal client; principal server;
//                 u16 enctype [v3: the enctype again]; data key;
//                 u32 authtime, starttime, endtime, renew_till;
//                 u8 is_skey; u32 ticket_flags (TicketFlags bit 0 is the MSB);
//                 u32 n; {u16 addrtype; data address}*n;
//                 u32 n; {u16 ad_type; data contents}*n;
//                 data ticket (the DER Ticket); data second_ticket
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/secret.hpp"
#include "krb/files/principal.hpp"

namespace kdcperf::krb::files {

inline constexpr std::uint16_t kCcacheVersion3 = 0x0503;
inline constexpr std::uint16_t kCcacheVersion4 = 0x0504;
inline constexpr std::uint16_t kCcacheTagDeltaTime = 1;

// The realm of the pseudo-credentials MIT stores configuration in (fast_avail, pa_type, ...),
// and the first component of their server name.
inline constexpr std::string_view kConfigRealm = "X-CACHECONF:";
inline constexpr std::string_view kConfigName = "krb5_ccache_conf_data";

struct CcacheLimits {
  std::size_t max_components = 32;  // per principal
  std::size_t max_credentials = 1 << 16;
  std::size_t max_addresses = 256;  // per credential
  std::size_t max_authdata = 256;   // per credential
  // Any data field (name, ticket, ...): MIT's KDC takes messages of up to 1 MiB.
  std::size_t max_data = 1 << 20;
  std::size_t max_key = 1024;
};
inline constexpr CcacheLimits kDefaultCcacheLimits{};

// KDC time minus local time (MIT's os_context time_offset/usec_offset).
struct TimeOffset {
  std::int32_t seconds = 0;
  std::int32_t usec = 0;
  friend bool operator==(const TimeOffset&, const TimeOffset&) = default;
};

struct HostAddress {
  std::uint16_t type = 0;  // RFC 4120 §7.5.3 address type
  Buffer address;
  friend bool operator==(const HostAddress&, const HostAddress&) = default;
};

struct AuthData {
  std::int32_t type = 0;  // 16 bits in the file, sign-extended as MIT does
  Buffer contents;
  friend bool operator==(const AuthData&, const AuthData&) = default;
};

// TicketFlags (RFC 4120 §5.3) as the ccache stores them: bit 0 is the MSB.
namespace ticket_flags {
inline constexpr std::uint32_t kForwardable = 0x40000000;
inline constexpr std::uint32_t kForwarded = 0x20000000;
inline constexpr std::uint32_t kProxiable = 0x10000000;
inline constexpr std::uint32_t kProxy = 0x08000000;
inline constexpr std::uint32_t kMayPostdate = 0x04000000;
inline constexpr std::uint32_t kPostdated = 0x02000000;
inline constexpr std::uint32_t kInvalid = 0x01000000;
inline constexpr std::uint32_t kRenewable = 0x00800000;
inline constexpr std::uint32_t kInitial = 0x00400000;
inline constexpr std::uint32_t kPreAuthent = 0x00200000;
inline constexpr std::uint32_t kHwAuthent = 0x00100000;
inline constexpr std::uint32_t kTransitPolicyChecked = 0x00080000;
inline constexpr std::uint32_t kOkAsDelegate = 0x00040000;
inline constexpr std::uint32_t kEncPaRep = 0x00010000;  // RFC 6806 §11
inline constexpr std::uint32_t kAnonymous = 0x00008000;
}  // namespace ticket_flags

struct Credential {
  Principal client;
  Principal server;
  std::int32_t enctype = 0;    // session key enctype: 16 bits, zero-extended as MIT does
  SecretBytes key;             // session key
  std::uint32_t authtime = 0;  // Unix seconds, unsigned (good until 2106)
  std::uint32_t starttime = 0;
  std::uint32_t endtime = 0;
  std::uint32_t renew_till = 0;
  std::uint8_t is_skey = 0;  // kept as the byte the file holds (MIT writes 0 or 1)
  std::uint32_t ticket_flags = 0;
  std::vector<HostAddress> addresses;
  std::vector<AuthData> authdata;
  Buffer ticket;  // DER Ticket ([APPLICATION 1]); config entries hold the value here
  Buffer second_ticket;

  // A deep copy (the key is move-only).
  Credential clone() const {
    return Credential{client,    server,   enctype,    key.clone(),  authtime,
                      starttime, endtime,  renew_till, is_skey,      ticket_flags,
                      addresses, authdata, ticket,     second_ticket};
  }
};

struct Ccache {
  std::optional<TimeOffset> time_offset;
  Principal default_principal;
  std::vector<Credential> creds;  // in file order, config entries included
};

// MIT's krb5_is_config_principal on the server name: realm "X-CACHECONF:" and first component
// "krb5_ccache_conf_data". klist hides these.
bool is_config_entry(const Credential& c);

// Decodes a whole FILE ccache (v3 or v4). Credentials run to the end of the input; one cut
// short is an error (MIT's iterator would end quietly before it). In a v4 header unknown tags
// are skipped; the first DELTATIME tag gives time_offset. v3 has no header, so no offset.
// Errors: kTruncated, kBadFileVersion (anything but 0x0503/0x0504), kBadFileFormat (a header
// tag inconsistent with the header length), kTooMany, kElementTooLarge; each with an offset.
Result<Ccache> read_ccache(ByteView file, const CcacheLimits& limits = kDefaultCcacheLimits);

// Encodes as version 4: header length 12 with one DELTATIME tag when time_offset is set, else
// 0 (as MIT's fcc_initialize does). The output holds session keys, so it is SecretBytes.
// kInvalidArgument if a credential is over the limits or an enctype or authdata type does not
// fit 16 bits ([-32768, 65535]; negative values are written as their low 16 bits, as MIT does).
Result<SecretBytes> write_ccache(const Ccache& cache,
                                 const CcacheLimits& limits = kDefaultCcacheLimits);

}  // namespace kdcperf::krb::files
