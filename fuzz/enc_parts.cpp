// Fuzzes the decoders of decrypted plaintexts: EncASRepPart (the load generator after
// decrypting a reply), EncTicketPart (TGS and ticket checks), PA-ENC-TS-ENC (the KDC after
// decrypting pre-authentication), and AD-IF-RELEVANT. In a fuzzing build a hostile peer's
// plaintext is just bytes, so each is fed directly; the first byte picks the decoder.
#include <cstddef>
#include <cstdint>

#include "fuzz/roundtrip.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/padata.hpp"
#include "krb/proto/ticket.hpp"

using namespace kdcperf::krb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ByteView in = kdcperf::fuzz::view_of(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      proto::EncKdcRepPart part;
      const auto decode = [](ByteView b, proto::EncKdcRepPart* out) {
        return proto::decode_enc_as_rep_part(b, out);
      };
      (void)kdcperf::fuzz::check_roundtrip(in, &part, decode, proto::encode_enc_kdc_rep_part);
      break;
    }
    case 1: {
      proto::EncTicketPart part;
      const auto decode = [](ByteView b, proto::EncTicketPart* out) {
        return proto::decode_enc_ticket_part(b, out);
      };
      if (kdcperf::fuzz::check_roundtrip(in, &part, decode, proto::encode_enc_ticket_part) &&
          part.authorization_data) {
        for (const auto& ad : *part.authorization_data) {
          proto::AuthorizationData inner;
          (void)proto::decode_ad_if_relevant(ad.ad_data, &inner);
        }
      }
      break;
    }
    case 2: {
      proto::PaEncTsEnc ts;
      const auto decode = [](ByteView b, proto::PaEncTsEnc* out) {
        return proto::decode_pa_enc_ts_enc(b, out);
      };
      (void)kdcperf::fuzz::check_roundtrip(in, &ts, decode, proto::encode_pa_enc_ts_enc);
      break;
    }
    default: {
      proto::AuthorizationData ad;
      (void)proto::decode_ad_if_relevant(in, &ad);
      break;
    }
  }
  return 0;
}
