// Test only: a small realm and an AS-REQ builder for the AsService tests (header-only, compiled
// into the test binary alone).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "kdc/db/principal_db.hpp"
#include "krb/base/clock.hpp"
#include "krb/base/rng.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/padata.hpp"

namespace kdcperf::kdc::as::testing {

namespace proto = krb::proto;
namespace crypto = krb::crypto;
using crypto::Enctype;
using crypto::KeyUsage;
using proto::ErrorCode;
using proto::KdcOptions;
using proto::TicketFlags;

constexpr std::string_view kRealm = "KDCPERF.TEST";
constexpr krb::KerberosTimestamp kNow{1'800'000'000, 123456};

inline crypto::Key key_from(Enctype e, std::string_view password, std::string_view salt) {
  return crypto::string_to_key(e, password, salt).value();
}

inline db::Principal principal(std::vector<std::string> components,
                               std::vector<db::PrincipalKey> keys) {
  db::Principal p;
  p.components = std::move(components);
  p.keys = std::move(keys);
  return p;
}

inline db::PrincipalKey pkey(crypto::Key k, std::string salt, std::uint32_t kvno = 1) {
  db::PrincipalKey pk;
  pk.key = std::move(k);
  pk.salt = std::move(salt);
  pk.kvno = kvno;
  return pk;
}

// A realm: krbtgt (aes256, kvno 3), alice (aes256 + aes128, preauth), bob (no preauth),
// carol (disabled), dave (expired), erin (rc4 only, 8192 iterations advertised on aes).
inline db::PrincipalDb make_db(bool pac = true) {
  db::RealmPolicy pol;
  pol.realm = std::string(kRealm);
  pol.pac = pac;
  db::PrincipalDb::Builder b(pol);
  std::vector<db::PrincipalKey> tgs;
  tgs.push_back(
      pkey(crypto::Key{Enctype::AES256_CTS_HMAC_SHA1_96,
                       krb::SecretBytes(krb::as_bytes("0123456789abcdef0123456789abcdef"))},
           "", 3));
  EXPECT_TRUE(b.add(principal({"krbtgt", std::string(kRealm)}, std::move(tgs))).ok());
  const std::string salt = std::string(kRealm) + "alice";
  std::vector<db::PrincipalKey> ak;
  ak.push_back(pkey(key_from(Enctype::AES256_CTS_HMAC_SHA1_96, "secret", salt), salt));
  ak.push_back(pkey(key_from(Enctype::AES128_CTS_HMAC_SHA1_96, "secret", salt), salt));
  EXPECT_TRUE(b.add(principal({"alice"}, std::move(ak))).ok());
  for (const char* name : {"bob", "carol", "dave"}) {
    const std::string s = std::string(kRealm) + name;
    std::vector<db::PrincipalKey> k;
    k.push_back(pkey(key_from(Enctype::AES256_CTS_HMAC_SHA1_96, "pw", s), s));
    db::Principal p = principal({name}, std::move(k));
    if (std::string_view(name) == "bob") p.policy.requires_preauth = false;
    if (std::string_view(name) == "carol") p.policy.disabled = true;
    if (std::string_view(name) == "dave") p.policy.expiration = kNow.seconds - 1;
    EXPECT_TRUE(b.add(std::move(p)).ok());
  }
  std::vector<db::PrincipalKey> ek;
  ek.push_back(pkey(key_from(Enctype::RC4_HMAC, "pw", ""), ""));
  EXPECT_TRUE(b.add(principal({"erin"}, std::move(ek))).ok());
  auto r = std::move(b).build();
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

struct RequestSpec {
  std::string client = "alice";
  std::vector<std::string> sname = {"krbtgt", std::string(kRealm)};
  std::string realm = std::string(kRealm);
  std::vector<std::int32_t> etypes = {18, 17};
  std::uint32_t options = KdcOptions::RENEWABLE_OK;
  std::int64_t till = kNow.seconds + 86400;
  std::optional<std::int64_t> rtime;
  std::int64_t nonce = 0x12345678;
  // PA-ENC-TIMESTAMP sealed under this key, with this timestamp.
  std::optional<crypto::Key> preauth_key;
  std::int64_t patimestamp = kNow.seconds;
  bool enc_pa_rep = false;
};

inline krb::Buffer build_request(const RequestSpec& s) {
  proto::AsReq req;
  krb::Buffer ts_value, ts_cipher(256);
  proto::MethodData md;
  if (s.preauth_key) {
    krb::der::Writer tw;
    proto::encode_pa_enc_ts_enc(tw, {s.patimestamp, 5});
    krb::DeterministicRng rng(7);
    const std::size_t n = crypto::seal_once(*s.preauth_key, KeyUsage::AS_REQ_PA_ENC_TIMESTAMP,
                                            tw.view(), ts_cipher, rng)
                              .value();
    krb::der::Writer ew;
    proto::encode_encrypted_data(ew, {static_cast<std::int32_t>(s.preauth_key->etype), std::nullopt,
                                      krb::ByteView(ts_cipher.data(), n)});
    ts_value.assign(ew.view().begin(), ew.view().end());
    (void)md.push_back({proto::PaDataType::PA_ENC_TIMESTAMP, ts_value});
  }
  if (s.enc_pa_rep) (void)md.push_back({proto::PaDataType::PA_REQ_ENC_PA_REP, {}});
  if (!md.empty()) req.padata = md;
  proto::KdcReqBody& b = req.req_body;
  b.kdc_options = s.options;
  proto::PrincipalName cname;
  cname.name_type = proto::NameType::NT_PRINCIPAL;
  (void)cname.components.push_back(s.client);
  b.cname = cname;
  b.realm = s.realm;
  proto::PrincipalName sname;
  sname.name_type = proto::NameType::NT_SRV_INST;
  for (const auto& c : s.sname) (void)sname.components.push_back(c);
  b.sname = sname;
  b.till = s.till;
  b.rtime = s.rtime;
  b.nonce = s.nonce;
  for (auto e : s.etypes) (void)b.etypes.push_back(e);
  krb::der::Writer w;
  proto::encode_as_req(w, req);
  return krb::Buffer(w.view().begin(), w.view().end());
}

}  // namespace kdcperf::kdc::as::testing
