// KRB-ERROR [APPLICATION 30] (RFC 4120 §5.9.1): pvno [0], msg-type [1], ctime [2] OPT,
// cusec [3] OPT, stime [4], susec [5], error-code [6], crealm [7] OPT, cname [8] OPT,
// realm [9], sname [10], e-text [11] OPT, e-data [12] OPT.
#include "krb/proto/krb_error.hpp"

#include "krb/proto/fields.hpp"

namespace kdcperf::krb::proto {
namespace {
constexpr der::Tag kKrbErrorTag = der::app(static_cast<unsigned>(MessageType::KRB_ERROR));
constexpr std::int32_t kPvno = 5;

constexpr der::Tag kErrPvno = der::ctx(0);
constexpr der::Tag kErrMsgType = der::ctx(1);
constexpr der::Tag kErrCtime = der::ctx(2);
constexpr der::Tag kErrCusec = der::ctx(3);
constexpr der::Tag kErrStime = der::ctx(4);
constexpr der::Tag kErrSusec = der::ctx(5);
constexpr der::Tag kErrErrorCode = der::ctx(6);
constexpr der::Tag kErrCrealm = der::ctx(7);
constexpr der::Tag kErrCname = der::ctx(8);
constexpr der::Tag kErrRealm = der::ctx(9);
constexpr der::Tag kErrSname = der::ctx(10);
constexpr der::Tag kErrEtext = der::ctx(11);
constexpr der::Tag kErrEdata = der::ctx(12);
}  // namespace

Status decode_krb_error(ByteView in, KrbError* out, const DecodeOptions& opts) {
  der::Reader top(in);
  KRB_ASSIGN_OR_RETURN(der::Reader app, top.read(kKrbErrorTag));
  out->raw = detail::consumed(in, top);
  if (!opts.allow_trailing_bytes) KRB_RETURN_IF_ERROR(top.expect_end());
  KRB_ASSIGN_OR_RETURN(der::Reader seq, app.read(der::kSequence));
  KRB_RETURN_IF_ERROR(app.expect_end());

  KRB_RETURN_IF_ERROR(detail::fixed_int_field(seq, kErrPvno, kPvno, Err::kBadPvno));
  KRB_RETURN_IF_ERROR(detail::fixed_int_field(
      seq, kErrMsgType, static_cast<std::int32_t>(MessageType::KRB_ERROR), Err::kBadMsgType));
  KRB_RETURN_IF_ERROR(
      detail::optional_field(seq, kErrCtime, &out->ctime, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(
      detail::optional_field(seq, kErrCusec, &out->cusec, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(detail::field(seq, kErrStime, &out->stime, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(detail::field(seq, kErrSusec, &out->susec, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kErrErrorCode, &out->error_code, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(detail::optional_field(seq, kErrCrealm, &out->crealm,
                                             &der::Reader::read_general_string_nul_terminated));
  KRB_RETURN_IF_ERROR(
      detail::optional_struct_field(seq, kErrCname, &out->cname, decode_principal_name));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kErrRealm, &out->realm, &der::Reader::read_general_string));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kErrSname, &out->sname, decode_principal_name));
  KRB_RETURN_IF_ERROR(
      detail::optional_field(seq, kErrEtext, &out->e_text, &der::Reader::read_general_string));
  KRB_RETURN_IF_ERROR(
      detail::optional_field(seq, kErrEdata, &out->e_data, &der::Reader::read_octet_string));
  return seq.expect_end();
}

Result<KrbError> decode_krb_error(ByteView in, const DecodeOptions& opts) {
  KrbError err;
  KRB_RETURN_IF_ERROR(decode_krb_error(in, &err, opts));
  return err;
}

void encode_krb_error(der::Writer& w, const KrbError& e) {
  const std::size_t end = w.mark();
  if (e.e_data) detail::put_octets(w, kErrEdata, *e.e_data);
  if (e.e_text) detail::put_string(w, kErrEtext, *e.e_text);
  detail::put_explicit(w, kErrSname, [&] { encode_principal_name(w, e.sname); });
  detail::put_string(w, kErrRealm, e.realm);
  if (e.cname) detail::put_explicit(w, kErrCname, [&] { encode_principal_name(w, *e.cname); });
  if (e.crealm) detail::put_string(w, kErrCrealm, *e.crealm);
  detail::put_int(w, kErrErrorCode, static_cast<std::int32_t>(e.error_code));
  detail::put_int(w, kErrSusec, e.susec);
  detail::put_time(w, kErrStime, e.stime);
  if (e.cusec) detail::put_int(w, kErrCusec, *e.cusec);
  if (e.ctime) detail::put_time(w, kErrCtime, *e.ctime);
  detail::put_int(w, kErrMsgType, static_cast<std::int32_t>(MessageType::KRB_ERROR));
  detail::put_int(w, kErrPvno, kPvno);
  w.wrap(der::kSequence, end);
  w.wrap(kKrbErrorTag, end);
}

Status decode_error_method_data(const KrbError& err, MethodData* out) {
  if (!err.e_data) return Err::kMissingField;
  return decode_method_data(*err.e_data, out);
}

}  // namespace kdcperf::krb::proto
