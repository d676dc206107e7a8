// Ticket [APPLICATION 1] (RFC 4120 §5.3): tkt-vno [0], realm [1], sname [2], enc-part [3].
// EncTicketPart [APPLICATION 3]: flags [0], key [1], crealm [2], cname [3], transited [4],
// authtime [5], starttime [6] OPT, endtime [7], renew-till [8] OPT, caddr [9] OPT,
// authorization-data [10] OPT.
// TransitedEncoding: tr-type [0], contents [1]. AuthorizationData entry (§5.2.6): ad-type [0],
// ad-data [1].
#include "krb/proto/ticket.hpp"

#include "krb/proto/fields.hpp"

namespace kdcperf::krb::proto {
namespace {
constexpr der::Tag kTicketTag = der::app(static_cast<unsigned>(ApplicationTag::TICKET));
constexpr der::Tag kTktVno = der::ctx(0);
constexpr der::Tag kTktRealm = der::ctx(1);
constexpr der::Tag kTktSname = der::ctx(2);
constexpr der::Tag kTktEncPart = der::ctx(3);
constexpr std::int32_t kTktVnoValue = 5;

constexpr der::Tag kEncTicketPartTag =
    der::app(static_cast<unsigned>(ApplicationTag::ENC_TICKET_PART));
constexpr der::Tag kEtpFlags = der::ctx(0);
constexpr der::Tag kEtpKey = der::ctx(1);
constexpr der::Tag kEtpCrealm = der::ctx(2);
constexpr der::Tag kEtpCname = der::ctx(3);
constexpr der::Tag kEtpTransited = der::ctx(4);
constexpr der::Tag kEtpAuthtime = der::ctx(5);
constexpr der::Tag kEtpStarttime = der::ctx(6);
constexpr der::Tag kEtpEndtime = der::ctx(7);
constexpr der::Tag kEtpRenewTill = der::ctx(8);
constexpr der::Tag kEtpCaddr = der::ctx(9);
constexpr der::Tag kEtpAuthorizationData = der::ctx(10);

constexpr der::Tag kTrType = der::ctx(0);
constexpr der::Tag kTrContents = der::ctx(1);

constexpr der::Tag kAdType = der::ctx(0);
constexpr der::Tag kAdData = der::ctx(1);

Status decode_transited(der::Reader& r, TransitedEncoding* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kTrType, &out->tr_type, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kTrContents, &out->contents, &der::Reader::read_octet_string));
  return seq.expect_end();
}

void encode_transited(der::Writer& w, const TransitedEncoding& t) {
  const std::size_t end = w.mark();
  detail::put_octets(w, kTrContents, t.contents);
  detail::put_int(w, kTrType, static_cast<std::int32_t>(t.tr_type));
  w.wrap(der::kSequence, end);
}

Status decode_ad_entry(der::Reader& r, AuthorizationDataEntry* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kAdType, &out->ad_type, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(detail::field(seq, kAdData, &out->ad_data, &der::Reader::read_octet_string));
  return seq.expect_end();
}

void encode_ad_entry(der::Writer& w, const AuthorizationDataEntry& e) {
  const std::size_t end = w.mark();
  detail::put_octets(w, kAdData, e.ad_data);
  detail::put_int(w, kAdType, static_cast<std::int32_t>(e.ad_type));
  w.wrap(der::kSequence, end);
}

Status decode_enc_ticket_part_element(der::Reader& r, EncTicketPart* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader app, r.read(kEncTicketPartTag));
  KRB_ASSIGN_OR_RETURN(der::Reader seq, app.read(der::kSequence));
  KRB_RETURN_IF_ERROR(app.expect_end());
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kEtpFlags, &out->flags, &der::Reader::read_kerberos_flags));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kEtpKey, &out->key, decode_encryption_key));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kEtpCrealm, &out->crealm, &der::Reader::read_general_string));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kEtpCname, &out->cname, decode_principal_name));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kEtpTransited, &out->transited, decode_transited));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kEtpAuthtime, &out->authtime, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(detail::optional_field(seq, kEtpStarttime, &out->starttime,
                                             &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kEtpEndtime, &out->endtime, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(detail::optional_field(seq, kEtpRenewTill, &out->renew_till,
                                             &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(
      detail::optional_struct_field(seq, kEtpCaddr, &out->caddr, decode_host_addresses));
  KRB_RETURN_IF_ERROR(detail::optional_struct_field(
      seq, kEtpAuthorizationData, &out->authorization_data, decode_authorization_data));
  return seq.expect_end();
}
}  // namespace

Status decode_ticket(der::Reader& r, Ticket* out) {
  const ByteView before = r.rest();
  KRB_ASSIGN_OR_RETURN(der::Reader app, r.read(kTicketTag));
  out->raw = detail::consumed(before, r);
  KRB_ASSIGN_OR_RETURN(der::Reader seq, app.read(der::kSequence));
  KRB_RETURN_IF_ERROR(app.expect_end());
  KRB_RETURN_IF_ERROR(detail::fixed_int_field(seq, kTktVno, kTktVnoValue, Err::kBadPvno));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kTktRealm, &out->realm, &der::Reader::read_general_string));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kTktSname, &out->sname, decode_principal_name));
  KRB_RETURN_IF_ERROR(
      detail::struct_field(seq, kTktEncPart, &out->enc_part, decode_encrypted_data));
  return seq.expect_end();
}

Status decode_ticket(ByteView in, Ticket* out) {
  return detail::decode_whole<Ticket>(in, out, decode_ticket);
}

void encode_ticket(der::Writer& w, const Ticket& t) {
  const std::size_t end = w.mark();
  detail::put_explicit(w, kTktEncPart, [&] { encode_encrypted_data(w, t.enc_part); });
  detail::put_explicit(w, kTktSname, [&] { encode_principal_name(w, t.sname); });
  detail::put_string(w, kTktRealm, t.realm);
  detail::put_int(w, kTktVno, kTktVnoValue);
  w.wrap(der::kSequence, end);
  w.wrap(kTicketTag, end);
}

Status decode_authorization_data(der::Reader& r, AuthorizationData* out) {
  return detail::sequence_of(r, out, decode_ad_entry);
}

void encode_authorization_data(der::Writer& w, std::span<const AuthorizationDataEntry> ad) {
  detail::put_sequence_of(w, ad, encode_ad_entry);
}

Status decode_ad_if_relevant(ByteView ad_data, AuthorizationData* out) {
  return detail::decode_whole<AuthorizationData>(ad_data, out, decode_authorization_data);
}

Status decode_enc_ticket_part(ByteView plaintext, EncTicketPart* out) {
  return detail::decode_whole<EncTicketPart>(plaintext, out, decode_enc_ticket_part_element);
}

void encode_enc_ticket_part(der::Writer& w, const EncTicketPart& p) {
  const std::size_t end = w.mark();
  if (p.authorization_data) {
    detail::put_explicit(w, kEtpAuthorizationData,
                         [&] { encode_authorization_data(w, *p.authorization_data); });
  }
  if (p.caddr) detail::put_explicit(w, kEtpCaddr, [&] { encode_host_addresses(w, *p.caddr); });
  if (p.renew_till) detail::put_time(w, kEtpRenewTill, *p.renew_till);
  detail::put_time(w, kEtpEndtime, p.endtime);
  if (p.starttime) detail::put_time(w, kEtpStarttime, *p.starttime);
  detail::put_time(w, kEtpAuthtime, p.authtime);
  detail::put_explicit(w, kEtpTransited, [&] { encode_transited(w, p.transited); });
  detail::put_explicit(w, kEtpCname, [&] { encode_principal_name(w, p.cname); });
  detail::put_string(w, kEtpCrealm, p.crealm);
  detail::put_explicit(w, kEtpKey, [&] { encode_encryption_key(w, p.key); });
  detail::put_flags(w, kEtpFlags, p.flags);
  w.wrap(der::kSequence, end);
  w.wrap(kEncTicketPartTag, end);
}

}  // namespace kdcperf::krb::proto
