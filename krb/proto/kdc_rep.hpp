// AS-REP and its encrypted part (RFC 4120 §5.4.2; encrypted-pa-data RFC 6806 §11).
//
//   AS-REP ::= [APPLICATION 11] KDC-REP
//   KDC-REP ::= SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER (11),
//                          padata [2] SEQUENCE OF PA-DATA OPTIONAL, crealm [3] Realm,
//                          cname [4] PrincipalName, ticket [5] Ticket, enc-part [6] EncryptedData }
//   EncASRepPart ::= [APPLICATION 25] EncKDCRepPart
//   EncKDCRepPart ::= SEQUENCE {
//       key [0] EncryptionKey, last-req [1] LastReq, nonce [2] UInt32,
//       key-expiration [3] KerberosTime OPTIONAL, flags [4] TicketFlags,
//       authtime [5] KerberosTime, starttime [6] KerberosTime OPTIONAL, endtime [7] KerberosTime,
//       renew-till [8] KerberosTime OPTIONAL, srealm [9] Realm, sname [10] PrincipalName,
//       caddr [11] HostAddresses OPTIONAL, encrypted-pa-data [12] SEQUENCE OF PA-DATA OPTIONAL }
//   LastReq ::= SEQUENCE OF SEQUENCE { lr-type [0] Int32, lr-value [1] KerberosTime }
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/encrypted_data.hpp"
#include "krb/proto/host_address.hpp"
#include "krb/proto/limits.hpp"
#include "krb/proto/message.hpp"
#include "krb/proto/padata.hpp"
#include "krb/proto/principal.hpp"
#include "krb/proto/static_vector.hpp"
#include "krb/proto/ticket.hpp"

namespace kdcperf::krb::proto {

struct AsRep {
  std::optional<MethodData> padata;
  Realm crealm;
  PrincipalName cname;
  Ticket ticket;  // ticket.raw: the Ticket's bytes as received, for the ccache
  EncryptedData enc_part;
  ByteView raw;  // decode only: the whole [APPLICATION 11] element
};

// Strict like decode_as_req: pvno 5, msg-type 11, fields in order, no trailing data inside;
// after the message only with opts.allow_trailing_bytes.
Status decode_as_rep(ByteView in, AsRep* out, const DecodeOptions& opts = {});
Result<AsRep> decode_as_rep(ByteView in, const DecodeOptions& opts = {});
// The result borrows from the input: decoding a temporary buffer would leave it dangling.
Status decode_as_rep(const Buffer&& in, AsRep* out, const DecodeOptions& opts = {}) = delete;
Result<AsRep> decode_as_rep(const Buffer&& in, const DecodeOptions& opts = {}) = delete;
void encode_as_rep(der::Writer& w, const AsRep& rep);

struct LastReqEntry {
  LastReqType lr_type = LastReqType::LR_NONE;
  std::int64_t lr_value = 0;
};
using LastReq = StaticVector<LastReqEntry, kMaxLastReq>;

// RFC 4120 says EncASRepPart is [APPLICATION 25], but MIT's KDC tags both reply parts 26
// (EncTGSRepPart) and MIT, Heimdal and Windows clients accept either (KERBEROS-INTEROP.md
// §1.5). Decoders accept both and record which; encoders write the one chosen.
enum class EncRepPartTag : std::uint8_t {
  ENC_AS_REP_PART = static_cast<std::uint8_t>(ApplicationTag::ENC_AS_REP_PART),    // 25
  ENC_TGS_REP_PART = static_cast<std::uint8_t>(ApplicationTag::ENC_TGS_REP_PART),  // 26
};

struct EncKdcRepPart {
  EncRepPartTag tag = EncRepPartTag::ENC_AS_REP_PART;
  EncryptionKey key;  // the session key, see EncryptionKey about key bytes
  LastReq last_req;
  std::int64_t nonce = 0;  // the request's nonce as decoded (see KdcReqBody::nonce)
  std::optional<std::int64_t> key_expiration;
  std::uint32_t flags = 0;  // TicketFlags bits
  std::int64_t authtime = 0;
  std::optional<std::int64_t> starttime;
  std::int64_t endtime = 0;
  std::optional<std::int64_t> renew_till;
  Realm srealm;
  PrincipalName sname;
  std::optional<HostAddresses> caddr;
  std::optional<MethodData> encrypted_pa_data;
};

using EncAsRepPart = EncKdcRepPart;

// The decrypted AS-REP enc-part (key usage 3): one [APPLICATION 25] or [APPLICATION 26]
// element. Padding after it is refused unless opts.allow_trailing_bytes (no enctype this
// library implements pads).
Status decode_enc_as_rep_part(ByteView plaintext, EncKdcRepPart* out,
                              const DecodeOptions& opts = {});
Status decode_enc_as_rep_part(const Buffer&& plaintext, EncKdcRepPart* out,
                              const DecodeOptions& opts = {}) = delete;
void encode_enc_kdc_rep_part(der::Writer& w, const EncKdcRepPart& part);

void encode_last_req(der::Writer& w, std::span<const LastReqEntry> entries);

}  // namespace kdcperf::krb::proto
