// Named bounds on every SEQUENCE OF a decoder accepts. A count over its bound is
// Err::kTooMany. Each bound is several times what real peers send (noted per line), so a
// legitimate message never hits one, while a hostile one cannot make a decoded struct grow:
// StaticVector storage is sized by these constants and never allocates.
#pragma once

#include <cstddef>

namespace kdcperf::krb::proto {

// KDC-REQ-BODY etype: MIT 1.20 sends 8, Heimdal 6, Windows 5-6, impacket 1.
inline constexpr std::size_t kMaxEtypes = 32;
// padata / METHOD-DATA / encrypted-pa-data: MIT sends up to 5 in an AS-REQ, AD up to 6 in
// PREAUTH_REQUIRED e-data.
inline constexpr std::size_t kMaxPaData = 16;
// PrincipalName name-string: 1 (users), 2 (krbtgt/REALM, host/fqdn), 3 at most in practice.
inline constexpr std::size_t kMaxNameComponents = 8;
// HostAddresses: kinit sends none by default; with noaddresses = false a client lists every
// interface address, v4 and v6, and hosts with bridges and VPNs pass 16.
inline constexpr std::size_t kMaxAddresses = 64;
// AuthorizationData: MIT and AD put one AD-IF-RELEVANT; a few more with CAMMAC/indicators.
inline constexpr std::size_t kMaxAuthorizationData = 16;
// LastReq: MIT sends 1 entry, Heimdal up to 3.
inline constexpr std::size_t kMaxLastReq = 8;
// ETYPE-INFO2 / ETYPE-INFO: MIT sends 1 entry, AD 2 (AES + RC4).
inline constexpr std::size_t kMaxEtypeInfo = 16;
// additional-tickets (TGS only: user-to-user, S4U2Proxy): 1 in practice.
inline constexpr std::size_t kMaxAdditionalTickets = 4;

}  // namespace kdcperf::krb::proto
