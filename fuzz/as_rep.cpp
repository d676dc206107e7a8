// Fuzzes the AS-REP decoder (what the load generator reads from a KDC it does not trust) and
// the ETYPE-INFO2 in its padata.
#include <cstddef>
#include <cstdint>

#include "fuzz/roundtrip.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/padata.hpp"

using namespace kdcperf::krb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in = kdcperf::fuzz::view_of(data, size);
  proto::AsRep rep;
  const auto decode = [](ByteView b, proto::AsRep* out) { return proto::decode_as_rep(b, out); };
  if (!kdcperf::fuzz::check_roundtrip(in, &rep, decode, proto::encode_as_rep)) return 0;
  if (!rep.padata) return 0;
  for (const proto::PaData& pa : *rep.padata) {
    if (pa.padata_type == proto::PaDataType::PA_ETYPE_INFO2) {
      proto::EtypeInfo2 info;
      (void)proto::decode_etype_info2(pa.padata_value, &info);
    }
  }
  return 0;
}
