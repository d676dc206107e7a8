// EncryptedData, EncryptionKey, Checksum (RFC 4120 §5.2.9).
//   EncryptedData: etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING
//   EncryptionKey: keytype [0] Int32, keyvalue [1] OCTET STRING
//   Checksum:      cksumtype [0] Int32, checksum [1] OCTET STRING
#include "krb/proto/encrypted_data.hpp"

#include "krb/proto/fields.hpp"

namespace kdcperf::krb::proto {
namespace {
constexpr der::Tag kEncDataEtype = der::ctx(0);
constexpr der::Tag kEncDataKvno = der::ctx(1);
constexpr der::Tag kEncDataCipher = der::ctx(2);

constexpr der::Tag kKeyType = der::ctx(0);
constexpr der::Tag kKeyValue = der::ctx(1);

constexpr der::Tag kCksumType = der::ctx(0);
constexpr der::Tag kCksumValue = der::ctx(1);
}  // namespace

Status decode_encrypted_data(der::Reader& r, EncryptedData* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kEncDataEtype, &out->etype, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(
      detail::optional_field(seq, kEncDataKvno, &out->kvno, &der::Reader::read_uint32));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kEncDataCipher, &out->cipher, &der::Reader::read_octet_string));
  return seq.expect_end();
}

Status decode_encryption_key(der::Reader& r, EncryptionKey* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kKeyType, &out->keytype, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kKeyValue, &out->keyvalue, &der::Reader::read_octet_string));
  return seq.expect_end();
}

Status decode_checksum(der::Reader& r, Checksum* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kCksumType, &out->cksumtype, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(
      detail::field(seq, kCksumValue, &out->checksum, &der::Reader::read_octet_string));
  return seq.expect_end();
}

Status decode_checksum(ByteView in, Checksum* out) {
  return detail::decode_whole<Checksum>(in, out, decode_checksum);
}

void encode_encrypted_data(der::Writer& w, const EncryptedData& d) {
  const std::size_t end = w.mark();
  detail::put_octets(w, kEncDataCipher, d.cipher);
  if (d.kvno) detail::put_int(w, kEncDataKvno, *d.kvno);
  detail::put_int(w, kEncDataEtype, d.etype);
  w.wrap(der::kSequence, end);
}

void encode_encryption_key(der::Writer& w, const EncryptionKey& k) {
  const std::size_t end = w.mark();
  detail::put_octets(w, kKeyValue, k.keyvalue);
  detail::put_int(w, kKeyType, k.keytype);
  w.wrap(der::kSequence, end);
}

void encode_checksum(der::Writer& w, const Checksum& c) {
  const std::size_t end = w.mark();
  detail::put_octets(w, kCksumValue, c.checksum);
  detail::put_int(w, kCksumType, c.cksumtype);
  w.wrap(der::kSequence, end);
}

}  // namespace kdcperf::krb::proto
