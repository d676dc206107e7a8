// AS-REQ (RFC 4120 §5.4.1).
//
//   AS-REQ ::= [APPLICATION 10] KDC-REQ
//   KDC-REQ ::= SEQUENCE { pvno [1] INTEGER (5), msg-type [2] INTEGER (10),
//                          padata [3] SEQUENCE OF PA-DATA OPTIONAL, req-body [4] KDC-REQ-BODY }
//   KDC-REQ-BODY ::= SEQUENCE {
//       kdc-options [0] KDCOptions, cname [1] PrincipalName OPTIONAL, realm [2] Realm,
//       sname [3] PrincipalName OPTIONAL, from [4] KerberosTime OPTIONAL, till [5] KerberosTime,
//       rtime [6] KerberosTime OPTIONAL, nonce [7] UInt32, etype [8] SEQUENCE OF Int32,
//       addresses [9] HostAddresses OPTIONAL, enc-authorization-data [10] EncryptedData OPTIONAL,
//       additional-tickets [11] SEQUENCE OF Ticket OPTIONAL }
//
// The KDC decodes one per request: everything borrows from the datagram and nothing
// allocates. The raw bytes of the message and of req-body are kept, because checksums over
// them (PA-REQ-ENC-PA-REP over the whole AS-REQ, FAST over the body) must be computed over the
// bytes the client sent, never over a re-encoding.
#pragma once

#include <cstdint>
#include <optional>

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

using EtypeList = StaticVector<std::int32_t, kMaxEtypes>;
using AdditionalTickets = StaticVector<Ticket, kMaxAdditionalTickets>;

struct KdcReqBody {
  std::uint32_t kdc_options = 0;  // KdcOptions bits; a BIT STRING of any length decodes
  std::optional<PrincipalName> cname;
  Realm realm;
  std::optional<PrincipalName> sname;
  std::optional<std::int64_t> from;
  std::int64_t till = 0;  // "19700101000000Z" decodes to 0 (Heimdal FAST / anonymous)
  std::optional<std::int64_t> rtime;
  // As sent, in [-2^31, 2^32-1]: Heimdal sends negative int32 nonces, a correct encoder sends
  // values >= 2^31 in 5 bytes. Echoing this value re-encodes the same bytes.
  std::int64_t nonce = 0;
  // In the client's order, unknown and negative numbers kept. Over kMaxEtypes is kTooMany.
  EtypeList etypes;
  std::optional<HostAddresses> addresses;
  std::optional<EncryptedData> enc_authorization_data;
  std::optional<AdditionalTickets> additional_tickets;
};

struct AsReq {
  std::optional<MethodData> padata;
  KdcReqBody req_body;
  // Decode only (encoders ignore them), borrowed from the input:
  ByteView raw;           // the whole [APPLICATION 10] element, without any trailing bytes
  ByteView req_body_raw;  // the KDC-REQ-BODY SEQUENCE element inside req-body [4]
};

// Strict: fields in order, pvno 5 (else kBadPvno), msg-type 10 (else kBadMsgType), no data
// after the last field of any SEQUENCE, and nothing after the message unless
// opts.allow_trailing_bytes. On error *out is unspecified.
Status decode_as_req(ByteView in, AsReq* out, const DecodeOptions& opts = {});
Result<AsReq> decode_as_req(ByteView in, const DecodeOptions& opts = {});
// The result borrows from the input: decoding a temporary buffer would leave it dangling.
Status decode_as_req(const Buffer&& in, AsReq* out, const DecodeOptions& opts = {}) = delete;
Result<AsReq> decode_as_req(const Buffer&& in, const DecodeOptions& opts = {}) = delete;

// Prepend the encoding (the writer runs backwards; reset() it first for a fresh message).
// Encoders write the structs' fields; raw views are ignored. The writer's status() reports
// a fixed buffer that was too small.
void encode_kdc_req_body(der::Writer& w, const KdcReqBody& body);
void encode_as_req(der::Writer& w, const AsReq& req);

}  // namespace kdcperf::krb::proto
