// Fuzzes the KDC's AS service (kdc/as): arbitrary bytes as one request, in a batch with a
// valid one, against a realm holding the principals of the captured MIT exchanges
// (krb/testdata/mit/principals.txt), so seeds from those captures reach pre-authentication,
// ticket building and sealing. The KDC's clock is the request's till minus MIT's 24 h default
// lifetime, which puts a captured timestamp inside the skew.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/roundtrip.hpp"
#include "kdc/as/as_service.hpp"
#include "kdc/db/principal_db.hpp"
#include "krb/base/rng.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/proto/kdc_req.hpp"

namespace {

using namespace kdcperf;
using krb::crypto::Enctype;

kdc::db::PrincipalDb make_realm() {
  kdc::db::RealmPolicy pol;
  pol.realm = "KDCPERF.TEST";
  kdc::db::PrincipalDb::Builder b(pol);
  struct User {
    const char* name;
    const char* password;
    std::vector<Enctype> etypes;
    bool preauth;
  };
  const std::vector<User> users = {
      {"alice", "secret", {Enctype::AES256_CTS_HMAC_SHA1_96}, true},
      {"aes128user", "secret-17", {Enctype::AES128_CTS_HMAC_SHA1_96}, true},
      {"aes128sha256user", "secret-19", {Enctype::AES128_CTS_HMAC_SHA256_128}, true},
      {"aes256sha384user", "secret-20", {Enctype::AES256_CTS_HMAC_SHA384_192}, true},
      {"rc4user", "secret-23", {Enctype::RC4_HMAC}, true},
      {"bob",
       "bobsecret",
       {Enctype::AES256_CTS_HMAC_SHA1_96, Enctype::AES128_CTS_HMAC_SHA1_96,
        Enctype::AES256_CTS_HMAC_SHA384_192, Enctype::AES128_CTS_HMAC_SHA256_128,
        Enctype::RC4_HMAC},
       false},
  };
  kdc::db::Principal tgs;
  tgs.components = {"krbtgt", "KDCPERF.TEST"};
  kdc::db::PrincipalKey tk;
  tk.key = krb::crypto::Key{Enctype::AES256_CTS_HMAC_SHA1_96, krb::SecretBytes(32)};
  tgs.keys.push_back(std::move(tk));
  (void)b.add(std::move(tgs));
  for (const User& u : users) {
    kdc::db::Principal p;
    p.components = {u.name};
    p.policy.requires_preauth = u.preauth;
    const std::string salt = std::string("KDCPERF.TEST") + u.name;
    for (Enctype e : u.etypes) {
      kdc::db::PrincipalKey k;
      k.key = krb::crypto::string_to_key(e, u.password, salt).value();
      k.salt = salt;
      p.keys.push_back(std::move(k));
    }
    (void)b.add(std::move(p));
  }
  return std::move(b).build().value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const kdc::db::PrincipalDb db = make_realm();
  static kdc::as::AsOptions opts = [] {
    kdc::as::AsOptions o;
    o.max_batch = 4;  // the 5-request batch below runs in two chunks
    o.max_udp_reply = 700;
    return o;
  }();
  static kdc::as::AsService service(db, opts);
  static krb::DeterministicRng rng(1);

  const krb::ByteView in = kdcperf::fuzz::view_of(data, size);
  krb::KerberosTimestamp now{1'795'000'000, 0};
  krb::proto::AsReq req;
  if (krb::proto::decode_as_req(in, &req, {.allow_trailing_bytes = true}).ok() &&
      req.req_body.till > 86400) {
    now.seconds = req.req_body.till - 86400;
  }
  // The input in both transports and in different batch positions, each with its own buffer;
  // one buffer is too small for any AS-REP.
  std::vector<krb::Buffer> out = {krb::Buffer(8192), krb::Buffer(8192), krb::Buffer(100),
                                  krb::Buffer(8192), krb::Buffer(8192)};
  const kdc::as::AsRequest reqs[5] = {{in, kdc::as::Transport::kUdp},
                                      {in, kdc::as::Transport::kTcp},
                                      {in, kdc::as::Transport::kUdp},
                                      {in.first(size / 2), kdc::as::Transport::kUdp},
                                      {in, kdc::as::Transport::kUdp}};
  kdc::as::AsReply replies[5];
  for (std::size_t i = 0; i < 5; ++i) replies[i].buffer = out[i];
  service.handle(reqs, now, rng, replies);
  for (const auto& r : replies) {
    // Every reply lies inside its own buffer.
    if (!r.bytes.empty() && (r.bytes.data() < r.buffer.data() ||
                             r.bytes.data() + r.bytes.size() > r.buffer.data() + r.buffer.size())) {
      __builtin_trap();
    }
  }
  return 0;
}
