// Fuzzes the KRB-ERROR decoder and its e-data (METHOD-DATA, with ETYPE-INFO2 inside): the
// load generator's salt probe reads exactly this from untrusted KDCs.
#include <cstddef>
#include <cstdint>

#include "fuzz/roundtrip.hpp"
#include "krb/proto/krb_error.hpp"
#include "krb/proto/padata.hpp"

using namespace kdcperf::krb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in = kdcperf::fuzz::view_of(data, size);
  proto::KrbError err;
  const auto decode = [](ByteView b, proto::KrbError* out) {
    return proto::decode_krb_error(b, out);
  };
  if (!kdcperf::fuzz::check_roundtrip(in, &err, decode, proto::encode_krb_error)) return 0;
  proto::MethodData md;
  if (!proto::decode_error_method_data(err, &md).ok()) return 0;
  for (const proto::PaData& pa : md) {
    if (pa.padata_type == proto::PaDataType::PA_ETYPE_INFO2) {
      proto::EtypeInfo2 info;
      (void)proto::decode_etype_info2(pa.padata_value, &info);
    } else if (pa.padata_type == proto::PaDataType::PA_ETYPE_INFO) {
      proto::EtypeInfo info;
      (void)proto::decode_etype_info(pa.padata_value, &info);
    }
  }
  return 0;
}
