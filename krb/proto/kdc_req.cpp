// AS-REQ [APPLICATION 10] KDC-REQ (RFC 4120 §5.4.1): pvno [1], msg-type [2], padata [3] OPT,
// req-body [4]. KDC-REQ-BODY: kdc-options [0], cname [1] OPT, realm [2], sname [3] OPT,
// from [4] OPT, till [5], rtime [6] OPT, nonce [7], etype [8], addresses [9] OPT,
// enc-authorization-data [10] OPT, additional-tickets [11] OPT.
#include "krb/proto/kdc_req.hpp"

#include "krb/proto/fields.hpp"

namespace kdcperf::krb::proto {
namespace {
constexpr der::Tag kAsReqTag = der::app(static_cast<unsigned>(MessageType::AS_REQ));
constexpr std::int32_t kPvno = 5;

constexpr der::Tag kReqPvno = der::ctx(1);
constexpr der::Tag kReqMsgType = der::ctx(2);
constexpr der::Tag kReqPadata = der::ctx(3);
constexpr der::Tag kReqBody = der::ctx(4);

constexpr der::Tag kReqBodyKdcOptions = der::ctx(0);
constexpr der::Tag kReqBodyCname = der::ctx(1);
constexpr der::Tag kReqBodyRealm = der::ctx(2);
constexpr der::Tag kReqBodySname = der::ctx(3);
constexpr der::Tag kReqBodyFrom = der::ctx(4);
constexpr der::Tag kReqBodyTill = der::ctx(5);
constexpr der::Tag kReqBodyRtime = der::ctx(6);
constexpr der::Tag kReqBodyNonce = der::ctx(7);
constexpr der::Tag kReqBodyEtype = der::ctx(8);
constexpr der::Tag kReqBodyAddresses = der::ctx(9);
constexpr der::Tag kReqBodyEncAuthorizationData = der::ctx(10);
constexpr der::Tag kReqBodyAdditionalTickets = der::ctx(11);

Status decode_etype(der::Reader& seq, std::int32_t* out) {
  KRB_ASSIGN_OR_RETURN(*out, seq.read_int32());
  return ok_status();
}

Status decode_etypes(der::Reader& r, EtypeList* out) {
  return detail::sequence_of(r, out, decode_etype);
}

Status decode_additional_tickets(der::Reader& r, AdditionalTickets* out) {
  return detail::sequence_of(r, out,
                             [](der::Reader& seq, Ticket* t) { return decode_ticket(seq, t); });
}

Status decode_req_body(der::Reader& r, KdcReqBody* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kReqBodyKdcOptions, &out->kdc_options, &der::Reader::read_kerberos_flags));
  KRB_RETURN_IF_ERROR(
      detail::optional_struct_field(seq, kReqBodyCname, &out->cname, decode_principal_name));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kReqBodyRealm, &out->realm, &der::Reader::read_general_string));
  KRB_RETURN_IF_ERROR(
      detail::optional_struct_field(seq, kReqBodySname, &out->sname, decode_principal_name));
  KRB_RETURN_IF_ERROR(
      detail::optional_field(seq, kReqBodyFrom, &out->from, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kReqBodyTill, &out->till, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(
      detail::optional_field(seq, kReqBodyRtime, &out->rtime, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(detail::field(seq, kReqBodyNonce, &out->nonce, &der::Reader::read_nonce));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kReqBodyEtype, &out->etypes, decode_etypes));
  KRB_RETURN_IF_ERROR(detail::optional_struct_field(seq, kReqBodyAddresses, &out->addresses,
                                                    decode_host_addresses));
  KRB_RETURN_IF_ERROR(detail::optional_struct_field(
      seq, kReqBodyEncAuthorizationData, &out->enc_authorization_data, decode_encrypted_data));
  KRB_RETURN_IF_ERROR(detail::optional_struct_field(
      seq, kReqBodyAdditionalTickets, &out->additional_tickets, decode_additional_tickets));
  return seq.expect_end();
}
}  // namespace

Status decode_as_req(ByteView in, AsReq* out, const DecodeOptions& opts) {
  der::Reader top(in);
  KRB_ASSIGN_OR_RETURN(der::Reader app, top.read(kAsReqTag));
  out->raw = detail::consumed(in, top);
  if (!opts.allow_trailing_bytes) KRB_RETURN_IF_ERROR(top.expect_end());
  KRB_ASSIGN_OR_RETURN(der::Reader seq, app.read(der::kSequence));
  KRB_RETURN_IF_ERROR(app.expect_end());

  KRB_RETURN_IF_ERROR(detail::fixed_int_field(seq, kReqPvno, kPvno, Err::kBadPvno));
  KRB_RETURN_IF_ERROR(detail::fixed_int_field(
      seq, kReqMsgType, static_cast<std::int32_t>(MessageType::AS_REQ), Err::kBadMsgType));
  KRB_RETURN_IF_ERROR(
      detail::optional_struct_field(seq, kReqPadata, &out->padata, decode_method_data));
  KRB_ASSIGN_OR_RETURN(der::Reader body, detail::open_field(seq, kReqBody));
  const ByteView body_start = body.rest();
  KRB_RETURN_IF_ERROR(decode_req_body(body, &out->req_body));
  out->req_body_raw = detail::consumed(body_start, body);
  KRB_RETURN_IF_ERROR(body.expect_end());
  return seq.expect_end();
}

Result<AsReq> decode_as_req(ByteView in, const DecodeOptions& opts) {
  AsReq req;
  KRB_RETURN_IF_ERROR(decode_as_req(in, &req, opts));
  return req;
}

void encode_kdc_req_body(der::Writer& w, const KdcReqBody& b) {
  const std::size_t end = w.mark();
  if (b.additional_tickets) {
    detail::put_explicit(w, kReqBodyAdditionalTickets, [&] {
      detail::put_sequence_of<Ticket>(w, *b.additional_tickets, encode_ticket);
    });
  }
  if (b.enc_authorization_data) {
    detail::put_explicit(w, kReqBodyEncAuthorizationData,
                         [&] { encode_encrypted_data(w, *b.enc_authorization_data); });
  }
  if (b.addresses) {
    detail::put_explicit(w, kReqBodyAddresses, [&] { encode_host_addresses(w, *b.addresses); });
  }
  detail::put_explicit(w, kReqBodyEtype, [&] {
    detail::put_sequence_of<std::int32_t>(w, b.etypes,
                                          [](der::Writer& ww, std::int32_t e) { ww.integer(e); });
  });
  detail::put_int(w, kReqBodyNonce, b.nonce);
  if (b.rtime) detail::put_time(w, kReqBodyRtime, *b.rtime);
  detail::put_time(w, kReqBodyTill, b.till);
  if (b.from) detail::put_time(w, kReqBodyFrom, *b.from);
  if (b.sname) detail::put_explicit(w, kReqBodySname, [&] { encode_principal_name(w, *b.sname); });
  detail::put_string(w, kReqBodyRealm, b.realm);
  if (b.cname) detail::put_explicit(w, kReqBodyCname, [&] { encode_principal_name(w, *b.cname); });
  detail::put_flags(w, kReqBodyKdcOptions, b.kdc_options);
  w.wrap(der::kSequence, end);
}

void encode_as_req(der::Writer& w, const AsReq& req) {
  const std::size_t end = w.mark();
  detail::put_explicit(w, kReqBody, [&] { encode_kdc_req_body(w, req.req_body); });
  if (req.padata) detail::put_explicit(w, kReqPadata, [&] { encode_method_data(w, *req.padata); });
  detail::put_int(w, kReqMsgType, static_cast<std::int32_t>(MessageType::AS_REQ));
  detail::put_int(w, kReqPvno, kPvno);
  w.wrap(der::kSequence, end);
  w.wrap(kAsReqTag, end);
}

}  // namespace kdcperf::krb::proto
