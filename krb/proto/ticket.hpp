// Ticket, EncTicketPart and what they carry (RFC 4120 §5.3, §5.2.6).
//
//   Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] INTEGER (5), realm [1] Realm,
//                                         sname [2] PrincipalName, enc-part [3] EncryptedData }
//   EncTicketPart ::= [APPLICATION 3] SEQUENCE {
//       flags [0] TicketFlags, key [1] EncryptionKey, crealm [2] Realm, cname [3] PrincipalName,
//       transited [4] TransitedEncoding, authtime [5] KerberosTime,
//       starttime [6] KerberosTime OPTIONAL, endtime [7] KerberosTime,
//       renew-till [8] KerberosTime OPTIONAL, caddr [9] HostAddresses OPTIONAL,
//       authorization-data [10] AuthorizationData OPTIONAL }
//   TransitedEncoding ::= SEQUENCE { tr-type [0] Int32, contents [1] OCTET STRING }
//   AuthorizationData ::= SEQUENCE OF SEQUENCE { ad-type [0] Int32, ad-data [1] OCTET STRING }
//   AD-IF-RELEVANT ::= AuthorizationData   (the ad-data of an ad-type 1 entry)
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/der/reader.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/encrypted_data.hpp"
#include "krb/proto/host_address.hpp"
#include "krb/proto/limits.hpp"
#include "krb/proto/principal.hpp"
#include "krb/proto/static_vector.hpp"
#include "krb/proto/types.hpp"

namespace kdcperf::krb::proto {

struct Ticket {
  Realm realm;
  PrincipalName sname;
  EncryptedData enc_part;
  // Decode only (the encoder ignores it): the whole [APPLICATION 1] element as received, for
  // a ccache, which must store the ticket byte for byte.
  ByteView raw;
};

// Reads one Ticket element from r; tkt-vno != 5 is kBadPvno.
Status decode_ticket(der::Reader& r, Ticket* out);
// A whole input that is exactly one Ticket (a ccache entry).
Status decode_ticket(ByteView in, Ticket* out);
Status decode_ticket(const Buffer&& in, Ticket* out) = delete;  // would dangle
void encode_ticket(der::Writer& w, const Ticket& t);

struct TransitedEncoding {
  TransitedType tr_type = TransitedType::DOMAIN_X500_COMPRESS;
  ByteView contents;
};

struct AuthorizationDataEntry {
  AuthorizationDataType ad_type = AuthorizationDataType::AD_IF_RELEVANT;
  ByteView ad_data;
};
using AuthorizationData = StaticVector<AuthorizationDataEntry, kMaxAuthorizationData>;

// One AuthorizationData element read from r. More than kMaxAuthorizationData is kTooMany.
Status decode_authorization_data(der::Reader& r, AuthorizationData* out);
void encode_authorization_data(der::Writer& w, std::span<const AuthorizationDataEntry> ad);

// AD-IF-RELEVANT: the ad-data of an AD_IF_RELEVANT entry is the DER of another
// AuthorizationData (where MIT and AD put the PAC, AD_WIN2K_PAC).
Status decode_ad_if_relevant(ByteView ad_data, AuthorizationData* out);
// Writes the ad-data bytes of an AD_IF_RELEVANT entry holding `inner`. Encode it into a
// scratch writer (reused, so it stops allocating) and pass view() as the entry's ad_data.
inline void encode_ad_if_relevant(der::Writer& w, std::span<const AuthorizationDataEntry> inner) {
  encode_authorization_data(w, inner);
}

struct EncTicketPart {
  std::uint32_t flags = 0;  // TicketFlags bits
  EncryptionKey key;        // the session key, see EncryptionKey about key bytes
  Realm crealm;
  PrincipalName cname;
  TransitedEncoding transited;
  std::int64_t authtime = 0;
  std::optional<std::int64_t> starttime;
  std::int64_t endtime = 0;
  std::optional<std::int64_t> renew_till;
  std::optional<HostAddresses> caddr;
  std::optional<AuthorizationData> authorization_data;
};

// The decrypted Ticket enc-part (key usage 2): exactly one [APPLICATION 3] element.
Status decode_enc_ticket_part(ByteView plaintext, EncTicketPart* out);
Status decode_enc_ticket_part(const Buffer&& plaintext, EncTicketPart* out) = delete;
void encode_enc_ticket_part(der::Writer& w, const EncTicketPart& part);

}  // namespace kdcperf::krb::proto
