// Pre-authentication data and the padata-value types of the AS exchange.
//
//   PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }  (RFC 4120
//   §5.2.7;
//                                                                    the first tag is [1])
//   METHOD-DATA ::= SEQUENCE OF PA-DATA                                (RFC 4120 §5.9.1)
//   PA-ENC-TIMESTAMP ::= EncryptedData -- PA-ENC-TS-ENC                 (§5.2.7.2)
//   PA-ENC-TS-ENC ::= SEQUENCE { patimestamp [0] KerberosTime, pausec [1] Microseconds OPTIONAL }
//   ETYPE-INFO2-ENTRY ::= SEQUENCE { etype [0] Int32, salt [1] KerberosString OPTIONAL,
//                                    s2kparams [2] OCTET STRING OPTIONAL }   (§5.2.7.5)
//   ETYPE-INFO-ENTRY ::= SEQUENCE { etype [0] Int32, salt [1] OCTET STRING OPTIONAL } (§5.2.7.4)
//   KERB-PA-PAC-REQUEST ::= SEQUENCE { include-pac [0] BOOLEAN }          (MS-KILE §2.2.3)
//
// A padata-value is an OCTET STRING holding the DER of its own type; the value decoders below
// take those bytes and decode them with a fresh reader (own depth, nothing may follow).
// Unknown padata-types are kept as they are: a KDC ignores what it does not know.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/der/reader.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/encrypted_data.hpp"
#include "krb/proto/limits.hpp"
#include "krb/proto/static_vector.hpp"
#include "krb/proto/types.hpp"

namespace kdcperf::krb::proto {

struct PaData {
  PaDataType padata_type = PaDataType::PA_NONE;
  ByteView padata_value;
};

using MethodData = StaticVector<PaData, kMaxPaData>;

// The first entry of that type, or nullptr.
const PaData* find_pa_data(std::span<const PaData> padata, PaDataType type);

Status decode_pa_data(der::Reader& r, PaData* out);
// One SEQUENCE OF PA-DATA read from r. More than kMaxPaData is kTooMany.
Status decode_method_data(der::Reader& r, MethodData* out);
// A whole input that is exactly one METHOD-DATA (KRB-ERROR e-data).
Status decode_method_data(ByteView in, MethodData* out);
void encode_pa_data(der::Writer& w, const PaData& pa);
void encode_method_data(der::Writer& w, std::span<const PaData> padata);

// PA-ENC-TIMESTAMP (2): the padata-value is an EncryptedData (key usage 1).
Status decode_pa_enc_timestamp(ByteView padata_value, EncryptedData* out);

// PA-ENC-TS-ENC: the plaintext of PA-ENC-TIMESTAMP.
struct PaEncTsEnc {
  std::int64_t patimestamp = 0;  // Unix seconds
  std::optional<std::int32_t> pausec;
};
Status decode_pa_enc_ts_enc(ByteView plaintext, PaEncTsEnc* out);
void encode_pa_enc_ts_enc(der::Writer& w, const PaEncTsEnc& ts);

// PA-ETYPE-INFO2 (19).
struct EtypeInfo2Entry {
  std::int32_t etype = 0;
  std::optional<std::string_view> salt;  // absent: the default salt (realm || components)
  std::optional<ByteView> s2kparams;     // absent: the etype's default iteration count
};
using EtypeInfo2 = StaticVector<EtypeInfo2Entry, kMaxEtypeInfo>;
// More than kMaxEtypeInfo entries is kTooMany. An empty list decodes (MIT's decoder accepts
// it although the ASN.1 says SIZE (1..MAX)); the encoder writes what it is given.
Status decode_etype_info2(ByteView padata_value, EtypeInfo2* out);
void encode_etype_info2(der::Writer& w, std::span<const EtypeInfo2Entry> entries);

// PA-ETYPE-INFO (11): the pre-RFC 4120 form (AD still sends it for RC4-only requests). The
// salt is an OCTET STRING here, not a KerberosString.
struct EtypeInfoEntry {
  std::int32_t etype = 0;
  std::optional<ByteView> salt;
};
using EtypeInfo = StaticVector<EtypeInfoEntry, kMaxEtypeInfo>;
Status decode_etype_info(ByteView padata_value, EtypeInfo* out);
void encode_etype_info(der::Writer& w, std::span<const EtypeInfoEntry> entries);

// PA-PAC-REQUEST (128).
struct PaPacRequest {
  bool include_pac = true;
};
Status decode_pa_pac_request(ByteView padata_value, PaPacRequest* out);
void encode_pa_pac_request(der::Writer& w, const PaPacRequest& req);

}  // namespace kdcperf::krb::proto
