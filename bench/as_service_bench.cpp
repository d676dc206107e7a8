// The KDC's AS service without the network: a batch of pre-authenticated AS-REQs in, AS-REPs
// out (decode, lookup, PA-ENC-TIMESTAMP open, session keys, PAC, ticket and reply seal,
// encode). Time per request, by batch size and with the PAC on or off.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "kdc/as/as_service.hpp"
#include "kdc/db/principal_db.hpp"
#include "krb/base/rng.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/padata.hpp"

namespace {

using namespace kdcperf;
using krb::crypto::Enctype;

constexpr std::string_view kRealm = "KDCPERF.TEST";
constexpr krb::KerberosTimestamp kNow{1'800'000'000, 0};
constexpr int kUsers = 64;

kdc::db::PrincipalDb realm(bool pac) {
  kdc::db::RealmPolicy pol;
  pol.realm = std::string(kRealm);
  pol.pac = pac;
  kdc::db::PrincipalDb::Builder b(pol);
  kdc::db::Principal tgs;
  tgs.components = {"krbtgt", std::string(kRealm)};
  kdc::db::PrincipalKey tk;
  tk.key = krb::crypto::Key{Enctype::AES256_CTS_HMAC_SHA1_96, krb::SecretBytes(32)};
  tgs.keys.push_back(std::move(tk));
  (void)b.add(std::move(tgs));
  for (int i = 0; i < kUsers; ++i) {
    kdc::db::Principal p;
    p.components = {"user" + std::to_string(i)};
    kdc::db::PrincipalKey k;
    k.key = krb::crypto::Key{Enctype::AES256_CTS_HMAC_SHA1_96,
                             krb::SecretBytes(krb::as_bytes(std::string(32, char('a' + i % 26))))};
    p.keys.push_back(std::move(k));
    (void)b.add(std::move(p));
  }
  return std::move(b).build().value();
}

// user{i}'s AS-REQ with PA-ENC-TIMESTAMP, as MIT kinit sends it (etypes 18 17 20 19 23).
krb::Buffer request(int i) {
  const krb::crypto::Key key{Enctype::AES256_CTS_HMAC_SHA1_96,
                             krb::SecretBytes(krb::as_bytes(std::string(32, char('a' + i % 26))))};
  krb::der::Writer ts;
  krb::proto::encode_pa_enc_ts_enc(ts, {kNow.seconds, 0});
  krb::Buffer sealed(128);
  krb::DeterministicRng rng(i);
  const std::size_t n = krb::crypto::seal_once(key, krb::crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP,
                                               ts.view(), sealed, rng)
                            .value();
  krb::der::Writer ed;
  krb::proto::encode_encrypted_data(ed, {18, std::nullopt, krb::ByteView(sealed.data(), n)});
  const krb::Buffer pa(ed.view().begin(), ed.view().end());
  krb::proto::AsReq req;
  krb::proto::MethodData md;
  (void)md.push_back({krb::proto::PaDataType::PA_ENC_TIMESTAMP, pa});
  req.padata = md;
  auto& body = req.req_body;
  body.kdc_options = krb::proto::KdcOptions::RENEWABLE_OK;
  const std::string name = "user" + std::to_string(i);
  body.cname = krb::proto::PrincipalName{krb::proto::NameType::NT_PRINCIPAL, {name}};
  body.realm = kRealm;
  body.sname = krb::proto::PrincipalName{krb::proto::NameType::NT_SRV_INST, {"krbtgt", kRealm}};
  body.till = kNow.seconds + 86400;
  body.nonce = 1000 + i;
  body.etypes = {18, 17, 20, 19, 23};
  krb::der::Writer w;
  krb::proto::encode_as_req(w, req);
  return krb::Buffer(w.view().begin(), w.view().end());
}

void BM_AsServiceBatch(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const kdc::db::PrincipalDb db = realm(state.range(1) != 0);
  kdc::as::AsOptions opts;
  opts.max_batch = batch;
  kdc::as::AsService service(db, opts);
  krb::SystemRng rng;
  std::vector<krb::Buffer> reqs, out;
  std::vector<kdc::as::AsRequest> in;
  std::vector<kdc::as::AsReply> replies(batch);
  for (std::size_t i = 0; i < batch; ++i) reqs.push_back(request(static_cast<int>(i % kUsers)));
  out.assign(batch, krb::Buffer(4096));
  for (std::size_t i = 0; i < batch; ++i) {
    in.push_back({reqs[i], kdc::as::Transport::kUdp});
    replies[i].buffer = out[i];
  }
  for (auto _ : state) {
    service.handle(in, kNow, rng, replies);
    benchmark::DoNotOptimize(replies.data());
  }
  if (service.counters().as_rep != service.counters().requests) state.SkipWithError("not AS-REPs");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_AsServiceBatch)
    ->ArgNames({"batch", "pac"})
    ->ArgsProduct({{1, 8, 32, 64}, {1}})
    ->Args({64, 0});

}  // namespace
