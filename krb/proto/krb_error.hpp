// KRB-ERROR (RFC 4120 §5.9.1).
//
//   KRB-ERROR ::= [APPLICATION 30] SEQUENCE {
//       pvno [0] INTEGER (5), msg-type [1] INTEGER (30), ctime [2] KerberosTime OPTIONAL,
//       cusec [3] Microseconds OPTIONAL, stime [4] KerberosTime, susec [5] Microseconds,
//       error-code [6] Int32, crealm [7] Realm OPTIONAL, cname [8] PrincipalName OPTIONAL,
//       realm [9] Realm, sname [10] PrincipalName, e-text [11] KerberosString OPTIONAL,
//       e-data [12] OCTET STRING OPTIONAL }
//
// e-data is typed by the error code (METHOD-DATA for PREAUTH_REQUIRED/PREAUTH_FAILED,
// TYPED-DATA or MS-KILE KERB-ERROR-DATA elsewhere), so it stays bytes here; decode_error_
// method_data() reads it as METHOD-DATA.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/message.hpp"
#include "krb/proto/padata.hpp"
#include "krb/proto/principal.hpp"
#include "krb/proto/types.hpp"

namespace kdcperf::krb::proto {

struct KrbError {
  std::optional<std::int64_t> ctime;
  std::optional<std::int32_t> cusec;
  std::int64_t stime = 0;
  std::int32_t susec = 0;
  ErrorCode error_code = ErrorCode::KRB_ERR_GENERIC;  // unknown codes kept as their number
  std::optional<Realm> crealm;
  std::optional<PrincipalName> cname;
  Realm realm;
  PrincipalName sname;
  std::optional<std::string_view> e_text;
  std::optional<ByteView> e_data;
  ByteView raw;  // decode only: the whole [APPLICATION 30] element
};

// Strict like decode_as_req: pvno 5 (kBadPvno), msg-type 30 (kBadMsgType), fields in order, no
// trailing data inside; after the message only with opts.allow_trailing_bytes.
Status decode_krb_error(ByteView in, KrbError* out, const DecodeOptions& opts = {});
Result<KrbError> decode_krb_error(ByteView in, const DecodeOptions& opts = {});
// The result borrows from the input: decoding a temporary buffer would leave it dangling.
Status decode_krb_error(const Buffer&& in, KrbError* out, const DecodeOptions& opts = {}) = delete;
Result<KrbError> decode_krb_error(const Buffer&& in, const DecodeOptions& opts = {}) = delete;
void encode_krb_error(der::Writer& w, const KrbError& err);

// e-data as METHOD-DATA (the hints of PREAUTH_REQUIRED). No e-data is kMissingField.
Status decode_error_method_data(const KrbError& err, MethodData* out);

}  // namespace kdcperf::krb::proto
