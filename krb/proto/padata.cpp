// PA-DATA (RFC 4120 §5.2.7): padata-type [1] Int32, padata-value [2] OCTET STRING.
// PA-ENC-TS-ENC (§5.2.7.2): patimestamp [0] KerberosTime, pausec [1] Microseconds OPTIONAL.
// ETYPE-INFO2-ENTRY (§5.2.7.5): etype [0], salt [1] KerberosString OPT, s2kparams [2] OCTET
// STRING OPT. ETYPE-INFO-ENTRY (§5.2.7.4): etype [0], salt [1] OCTET STRING OPT.
// KERB-PA-PAC-REQUEST (MS-KILE §2.2.3): include-pac [0] BOOLEAN.
#include "krb/proto/padata.hpp"

#include "krb/proto/fields.hpp"

namespace kdcperf::krb::proto {
namespace {
constexpr der::Tag kPaDataType = der::ctx(1);
constexpr der::Tag kPaDataValue = der::ctx(2);

constexpr der::Tag kPaTimestamp = der::ctx(0);
constexpr der::Tag kPaUsec = der::ctx(1);

constexpr der::Tag kInfo2Etype = der::ctx(0);
constexpr der::Tag kInfo2Salt = der::ctx(1);
constexpr der::Tag kInfo2S2kParams = der::ctx(2);

constexpr der::Tag kInfoEtype = der::ctx(0);
constexpr der::Tag kInfoSalt = der::ctx(1);

constexpr der::Tag kIncludePac = der::ctx(0);

Status decode_ts_enc(der::Reader& r, PaEncTsEnc* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kPaTimestamp, &out->patimestamp, &der::Reader::read_kerberos_time));
  KRB_RETURN_IF_ERROR(detail::optional_field(seq, kPaUsec, &out->pausec, &der::Reader::read_int32));
  return seq.expect_end();
}

Status decode_info2_entry(der::Reader& r, EtypeInfo2Entry* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kInfo2Etype, &out->etype, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(
      detail::optional_field(seq, kInfo2Salt, &out->salt, &der::Reader::read_general_string));
  KRB_RETURN_IF_ERROR(detail::optional_field(seq, kInfo2S2kParams, &out->s2kparams,
                                             &der::Reader::read_octet_string));
  return seq.expect_end();
}

Status decode_info2(der::Reader& r, EtypeInfo2* out) {
  return detail::sequence_of(r, out, decode_info2_entry);
}

Status decode_info_entry(der::Reader& r, EtypeInfoEntry* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kInfoEtype, &out->etype, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(
      detail::optional_field(seq, kInfoSalt, &out->salt, &der::Reader::read_octet_string));
  return seq.expect_end();
}

Status decode_info(der::Reader& r, EtypeInfo* out) {
  return detail::sequence_of(r, out, decode_info_entry);
}

Status decode_pac_request(der::Reader& r, PaPacRequest* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kIncludePac, &out->include_pac, &der::Reader::read_boolean_ber));
  return seq.expect_end();
}
}  // namespace

const PaData* find_pa_data(std::span<const PaData> padata, PaDataType type) {
  for (const PaData& pa : padata) {
    if (pa.padata_type == type) return &pa;
  }
  return nullptr;
}

Status decode_pa_data(der::Reader& r, PaData* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kPaDataType, &out->padata_type, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kPaDataValue, &out->padata_value, &der::Reader::read_octet_string));
  return seq.expect_end();
}

Status decode_method_data(der::Reader& r, MethodData* out) {
  return detail::sequence_of(r, out, decode_pa_data);
}

Status decode_method_data(ByteView in, MethodData* out) {
  return detail::decode_whole<MethodData>(in, out, decode_method_data);
}

void encode_pa_data(der::Writer& w, const PaData& pa) {
  const std::size_t end = w.mark();
  detail::put_octets(w, kPaDataValue, pa.padata_value);
  detail::put_int(w, kPaDataType, static_cast<std::int32_t>(pa.padata_type));
  w.wrap(der::kSequence, end);
}

void encode_method_data(der::Writer& w, std::span<const PaData> padata) {
  detail::put_sequence_of(w, padata, encode_pa_data);
}

Status decode_pa_enc_timestamp(ByteView padata_value, EncryptedData* out) {
  return detail::decode_whole<EncryptedData>(padata_value, out, decode_encrypted_data);
}

Status decode_pa_enc_ts_enc(ByteView plaintext, PaEncTsEnc* out) {
  return detail::decode_whole<PaEncTsEnc>(plaintext, out, decode_ts_enc);
}

void encode_pa_enc_ts_enc(der::Writer& w, const PaEncTsEnc& ts) {
  const std::size_t end = w.mark();
  if (ts.pausec) detail::put_int(w, kPaUsec, *ts.pausec);
  detail::put_time(w, kPaTimestamp, ts.patimestamp);
  w.wrap(der::kSequence, end);
}

Status decode_etype_info2(ByteView padata_value, EtypeInfo2* out) {
  return detail::decode_whole<EtypeInfo2>(padata_value, out, decode_info2);
}

void encode_etype_info2(der::Writer& w, std::span<const EtypeInfo2Entry> entries) {
  detail::put_sequence_of(w, entries, [](der::Writer& ww, const EtypeInfo2Entry& e) {
    const std::size_t end = ww.mark();
    if (e.s2kparams) detail::put_octets(ww, kInfo2S2kParams, *e.s2kparams);
    if (e.salt) detail::put_string(ww, kInfo2Salt, *e.salt);
    detail::put_int(ww, kInfo2Etype, e.etype);
    ww.wrap(der::kSequence, end);
  });
}

Status decode_etype_info(ByteView padata_value, EtypeInfo* out) {
  return detail::decode_whole<EtypeInfo>(padata_value, out, decode_info);
}

void encode_etype_info(der::Writer& w, std::span<const EtypeInfoEntry> entries) {
  detail::put_sequence_of(w, entries, [](der::Writer& ww, const EtypeInfoEntry& e) {
    const std::size_t end = ww.mark();
    if (e.salt) detail::put_octets(ww, kInfoSalt, *e.salt);
    detail::put_int(ww, kInfoEtype, e.etype);
    ww.wrap(der::kSequence, end);
  });
}

Status decode_pa_pac_request(ByteView padata_value, PaPacRequest* out) {
  return detail::decode_whole<PaPacRequest>(padata_value, out, decode_pac_request);
}

void encode_pa_pac_request(der::Writer& w, const PaPacRequest& req) {
  const std::size_t end = w.mark();
  detail::put_explicit(w, kIncludePac, [&] { w.boolean(req.include_pac); });
  w.wrap(der::kSequence, end);
}

}  // namespace kdcperf::krb::proto
