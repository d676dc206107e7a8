// AS-REP [APPLICATION 11] KDC-REP (RFC 4120 §5.4.2): pvno [0], msg-type [1], padata [2] OPT,
// crealm [3], cname [4], ticket [5], enc-part [6].
// EncKDCRepPart ([APPLICATION 25] or 26): key [0], last-req [1], nonce [2],
// key-expiration [3] OPT, flags [4], authtime [5], starttime [6] OPT, endtime [7],
// renew-till [8] OPT, srealm [9], sname [10], caddr [11] OPT, encrypted-pa-data [12] OPT
// (RFC 6806 §11). LastReq entry: lr-type [0], lr-value [1].
#include "krb/proto/kdc_rep.hpp"

#include "krb/proto/fields.hpp"

namespace kdcperf::krb::proto {
namespace {
constexpr der::Tag kAsRepTag = der::app(static_cast<unsigned>(MessageType::AS_REP));
constexpr std::int32_t kPvno = 5;

constexpr der::Tag kRepPvno = der::ctx(0);
constexpr der::Tag kRepMsgType = der::ctx(1);
constexpr der::Tag kRepPadata = der::ctx(2);
constexpr der::Tag kRepCrealm = der::ctx(3);
constexpr der::Tag kRepCname = der::ctx(4);
constexpr der::Tag kRepTicket = der::ctx(5);
constexpr der::Tag kRepEncPart = der::ctx(6);

constexpr der::Tag kEncRepKey = der::ctx(0);
constexpr der::Tag kEncRepLastReq = der::ctx(1);
constexpr der::Tag kEncRepNonce = der::ctx(2);
constexpr der::Tag kEncRepKeyExpiration = der::ctx(3);
constexpr der::Tag kEncRepFlags = der::ctx(4);
constexpr der::Tag kEncRepAuthtime = der::ctx(5);
constexpr der::Tag kEncRepStarttime = der::ctx(6);
constexpr der::Tag kEncRepEndtime = der::ctx(7);
constexpr der::Tag kEncRepRenewTill = der::ctx(8);
constexpr der::Tag kEncRepSrealm = der::ctx(9);
constexpr der::Tag kEncRepSname = der::ctx(10);
constexpr der::Tag kEncRepCaddr = der::ctx(11);
constexpr der::Tag kEncRepEncryptedPaData = der::ctx(12);

constexpr der::Tag kLrType = der::ctx(0);
constexpr der::Tag kLrValue = der::ctx(1);

Status decode_ticket_element(der::Reader& r, Ticket* out) {
  return decode_ticket(r, out);
}

Status decode_last_req_entry(der::Reader& r, LastReqEntry* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kLrType, &out->lr_type, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kLrValue, &out->lr_value, &der::Reader::read_kerberos_time));
  return seq.expect_end();
}

Status decode_last_req(der::Reader& r, LastReq* out) {
  return detail::sequence_of(r, out, decode_last_req_entry);
}

void encode_last_req_entry(der::Writer& w, const LastReqEntry& e) {
  const std::size_t end = w.mark();
  detail::put_time(w, kLrValue, e.lr_value);
  detail::put_int(w, kLrType, static_cast<std::int32_t>(e.lr_type));
  w.wrap(der::kSequence, end);
}

constexpr der::Tag tag_of(EncRepPartTag t) {
  return der::app(static_cast<unsigned>(t));
}
}  // namespace

Status decode_as_rep(ByteView in, AsRep* out, const DecodeOptions& opts) {
  der::Reader top(in);
  KRB_ASSIGN_OR_RETURN(der::Reader app, top.read(kAsRepTag));
  out->raw = detail::consumed(in, top);
  if (!opts.allow_trailing_bytes) KRB_RETURN_IF_ERROR(top.expect_end());
  KRB_ASSIGN_OR_RETURN(der::Reader seq, app.read(der::kSequence));
  KRB_RETURN_IF_ERROR(app.expect_end());

  KRB_RETURN_IF_ERROR(detail::fixed_int_field(seq, kRepPvno, kPvno, Err::kBadPvno));
  KRB_RETURN_IF_ERROR(detail::fixed_int_field(
      seq, kRepMsgType, static_cast<std::int32_t>(MessageType::AS_REP), Err::kBadMsgType));
  KRB_RETURN_IF_ERROR(
      detail::optional_struct_field(seq, kRepPadata, &out->padata, decode_method_data));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kRepCrealm, &out->crealm, &der::Reader::read_general_string));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kRepCname, &out->cname, decode_principal_name));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kRepTicket, &out->ticket, decode_ticket_element));
  KRB_RETURN_IF_ERROR(
      detail::struct_field(seq, kRepEncPart, &out->enc_part, decode_encrypted_data));
  return seq.expect_end();
}

Result<AsRep> decode_as_rep(ByteView in, const DecodeOptions& opts) {
  AsRep rep;
  KRB_RETURN_IF_ERROR(decode_as_rep(in, &rep, opts));
  return rep;
}

void encode_as_rep(der::Writer& w, const AsRep& rep) {
  const std::size_t end = w.mark();
  detail::put_explicit(w, kRepEncPart, [&] { encode_encrypted_data(w, rep.enc_part); });
  detail::put_explicit(w, kRepTicket, [&] { encode_ticket(w, rep.ticket); });
  detail::put_explicit(w, kRepCname, [&] { encode_principal_name(w, rep.cname); });
  detail::put_string(w, kRepCrealm, rep.crealm);
  if (rep.padata) detail::put_explicit(w, kRepPadata, [&] { encode_method_data(w, *rep.padata); });
  detail::put_int(w, kRepMsgType, static_cast<std::int32_t>(MessageType::AS_REP));
  detail::put_int(w, kRepPvno, kPvno);
  w.wrap(der::kSequence, end);
  w.wrap(kAsRepTag, end);
}

Status decode_enc_as_rep_part(ByteView plaintext, EncKdcRepPart* out, const DecodeOptions& opts) {
  der::Reader top(plaintext);
  const auto first = top.peek_tag();
  if (first == tag_of(EncRepPartTag::ENC_TGS_REP_PART)) {
    out->tag = EncRepPartTag::ENC_TGS_REP_PART;
  } else {
    out->tag = EncRepPartTag::ENC_AS_REP_PART;  // any other tag fails in read() below
  }
  KRB_ASSIGN_OR_RETURN(der::Reader app, top.read(tag_of(out->tag)));
  if (!opts.allow_trailing_bytes) KRB_RETURN_IF_ERROR(top.expect_end());
  KRB_ASSIGN_OR_RETURN(der::Reader seq, app.read(der::kSequence));
  KRB_RETURN_IF_ERROR(app.expect_end());

  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kEncRepKey, &out->key, decode_encryption_key));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kEncRepLastReq, &out->last_req, decode_last_req));
  KRB_RETURN_IF_ERROR(detail::field(seq, kEncRepNonce, &out->nonce, &der::Reader::read_nonce));
  KRB_RETURN_IF_ERROR(detail::optional_field(seq, kEncRepKeyExpiration, &out->key_expiration,
                                             &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kEncRepFlags, &out->flags, &der::Reader::read_kerberos_flags));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kEncRepAuthtime, &out->authtime, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(detail::optional_field(seq, kEncRepStarttime, &out->starttime,
                                             &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kEncRepEndtime, &out->endtime, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(detail::optional_field(seq, kEncRepRenewTill, &out->renew_till,
                                             &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kEncRepSrealm, &out->srealm, &der::Reader::read_general_string));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kEncRepSname, &out->sname, decode_principal_name));
  KRB_RETURN_IF_ERROR(
      detail::optional_struct_field(seq, kEncRepCaddr, &out->caddr, decode_host_addresses));
  KRB_RETURN_IF_ERROR(detail::optional_struct_field(seq, kEncRepEncryptedPaData,
                                                    &out->encrypted_pa_data, decode_method_data));
  return seq.expect_end();
}

void encode_last_req(der::Writer& w, std::span<const LastReqEntry> entries) {
  detail::put_sequence_of(w, entries, encode_last_req_entry);
}

void encode_enc_kdc_rep_part(der::Writer& w, const EncKdcRepPart& p) {
  const std::size_t end = w.mark();
  if (p.encrypted_pa_data) {
    detail::put_explicit(w, kEncRepEncryptedPaData,
                         [&] { encode_method_data(w, *p.encrypted_pa_data); });
  }
  if (p.caddr) detail::put_explicit(w, kEncRepCaddr, [&] { encode_host_addresses(w, *p.caddr); });
  detail::put_explicit(w, kEncRepSname, [&] { encode_principal_name(w, p.sname); });
  detail::put_string(w, kEncRepSrealm, p.srealm);
  if (p.renew_till) detail::put_time(w, kEncRepRenewTill, *p.renew_till);
  detail::put_time(w, kEncRepEndtime, p.endtime);
  if (p.starttime) detail::put_time(w, kEncRepStarttime, *p.starttime);
  detail::put_time(w, kEncRepAuthtime, p.authtime);
  detail::put_flags(w, kEncRepFlags, p.flags);
  if (p.key_expiration) detail::put_time(w, kEncRepKeyExpiration, *p.key_expiration);
  detail::put_int(w, kEncRepNonce, p.nonce);
  detail::put_explicit(w, kEncRepLastReq, [&] { encode_last_req(w, p.last_req); });
  detail::put_explicit(w, kEncRepKey, [&] { encode_encryption_key(w, p.key); });
  w.wrap(der::kSequence, end);
  w.wrap(tag_of(p.tag), end);
}

}  // namespace kdcperf::krb::proto
