// Fuzzes the AS-REQ decoder (what the KDC reads from every datagram) and the PA-DATA values
// it looks into: PA-ENC-TIMESTAMP and PA-PAC-REQUEST.
#include <cstddef>
#include <cstdint>

#include "fuzz/roundtrip.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/message.hpp"
#include "krb/proto/padata.hpp"

using namespace kdcperf::krb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in = kdcperf::fuzz::view_of(data, size);
  (void)proto::peek_message_type(in);
  proto::AsReq req;
  const auto decode = [](ByteView b, proto::AsReq* out) { return proto::decode_as_req(b, out); };
  if (!kdcperf::fuzz::check_roundtrip(in, &req, decode, proto::encode_as_req)) {
    proto::AsReq lenient;
    (void)proto::decode_as_req(in, &lenient, {.allow_trailing_bytes = true});
    return 0;
  }
  if (!req.padata) return 0;
  for (const proto::PaData& pa : *req.padata) {
    if (pa.padata_type == proto::PaDataType::PA_ENC_TIMESTAMP) {
      proto::EncryptedData ed;
      (void)proto::decode_pa_enc_timestamp(pa.padata_value, &ed);
    } else if (pa.padata_type == proto::PaDataType::PA_PAC_REQUEST) {
      proto::PaPacRequest pac;
      (void)proto::decode_pa_pac_request(pa.padata_value, &pac);
    }
  }
  return 0;
}
