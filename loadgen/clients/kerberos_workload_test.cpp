#include "loadgen/clients/kerberos_workload.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>
#include <vector>

#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/padata.hpp"
#include "loadgen/check/fake_kdc_testing.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::loadgen::clients {
namespace {

namespace proto = krb::proto;
namespace crypto = krb::crypto;
using crypto::Enctype;
using loadgen::testing::FakeKdc;

constexpr krb::KerberosTimestamp kNow{1764080000, 5000};
constexpr std::string_view kRealm = "KDCPERF.TEST";

// A population of user1..userN (password pw-i) and a fake KDC that knows them.
struct World {
  std::shared_ptr<Population> pop = std::make_shared<Population>(std::string(kRealm));
  FakeKdc kdc{std::string(kRealm)};
  std::array<std::byte, kMaxRequestBytes> req{};

  explicit World(int n, Enctype e = Enctype::AES128_CTS_HMAC_SHA1_96) {
    EXPECT_TRUE(pop->add_pattern("user{i}", "pw-{i}", 1, static_cast<std::uint64_t>(n)).ok());
    DeriveOptions o;
    o.etype = e;
    EXPECT_TRUE(pop->derive_keys(o).ok());
    for (int i = 1; i <= n; ++i) {
      kdc.add_password("user" + std::to_string(i), e, "pw-" + std::to_string(i));
    }
  }
};

WorkloadOptions options(Flow flow) {
  WorkloadOptions o;
  o.flow = flow;
  o.request.etypes = {17};
  return o;
}

bool has_timestamp(krb::ByteView req) {
  proto::AsReq r;
  EXPECT_TRUE(proto::decode_as_req(req, &r).ok());
  return r.padata && proto::find_pa_data(*r.padata, proto::PaDataType::PA_ENC_TIMESTAMP);
}

TEST(KerberosWorkload, PreauthFlowVerifiesEveryReply) {
  World w(20);
  KerberosWorkload wl(w.pop, options(Flow::kPreauth));
  std::set<std::int64_t> nonces;
  for (int i = 0; i < 60; ++i) {
    RequestToken t;
    auto n = wl.start(w.req, kNow, &t);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(t.leg, Leg::kPreauth);
    EXPECT_TRUE(t.verify);
    EXPECT_EQ(t.client, static_cast<std::uint32_t>(i % 20)) << "round-robin by default";
    EXPECT_TRUE(nonces.insert(t.nonce).second);
    const krb::ByteView req(w.req.data(), *n);
    EXPECT_TRUE(has_timestamp(req));
    const krb::Buffer rep = w.kdc.handle(req, kNow);
    const Verdict v = wl.check(t, rep);
    EXPECT_EQ(v.kind, ReplyKind::kAsRep);
    EXPECT_TRUE(v.checked);
    EXPECT_EQ(v.failure, CheckFailure::kNone);
  }
  EXPECT_EQ(wl.stats().preauth_built, 60u);
  EXPECT_EQ(wl.stats().probes_built, 0u);
  // The prepared usage-1 and usage-3 state of 20 clients, reused after the first round.
  EXPECT_EQ(wl.key_cache().misses(), 40u);
}

// The engine's path: start_batch seals every timestamp of a batch in one seal_batch and
// check_batch opens every reply in one open_batch (more than one chunk of 64 here), with a
// share of wrong passwords. Each request is a valid, distinct AS-REQ the KDC accepts or (wrong
// key) refuses with PREAUTH_FAILED, exactly as start()/check() make and judge them.
TEST(KerberosWorkload, BatchesBuildAndCheckAsSingleRequestsDo) {
  for (const Enctype e :
       {Enctype::AES128_CTS_HMAC_SHA1_96, Enctype::AES256_CTS_HMAC_SHA384_192, Enctype::RC4_HMAC}) {
    SCOPED_TRACE(static_cast<int>(e));
    World w(30, e);
    WorkloadOptions o = options(Flow::kPreauth);
    o.request.etypes = {static_cast<std::int32_t>(e)};
    o.bad_password_ratio = 0.2;
    KerberosWorkload wl(w.pop, o);
    constexpr std::size_t kBatch = 150;
    std::vector<std::array<std::byte, kMaxRequestBytes>> outs(kBatch);
    std::vector<RequestStart> starts(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i) starts[i].out = outs[i];
    wl.start_batch(starts, kNow);
    std::set<std::int64_t> nonces;
    std::set<std::string> timestamps;
    std::vector<krb::Buffer> replies(kBatch);
    std::vector<ReplyCheck> checks(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i) {
      const RequestStart& r = starts[i];
      ASSERT_GT(r.len, 0u) << i;
      EXPECT_EQ(r.token.client, i % 30) << "round-robin, as start() picks";
      EXPECT_TRUE(nonces.insert(r.token.nonce).second);
      const krb::ByteView req(r.out.data(), r.len);
      proto::AsReq decoded;
      ASSERT_TRUE(proto::decode_as_req(req, &decoded).ok());
      EXPECT_EQ(decoded.req_body.nonce, r.token.nonce);
      const auto* ts = proto::find_pa_data(*decoded.padata, proto::PaDataType::PA_ENC_TIMESTAMP);
      ASSERT_NE(ts, nullptr);
      // Fresh confounders: no two sealed timestamps alike.
      EXPECT_TRUE(timestamps.insert(std::string(krb::as_chars(ts->padata_value))).second);
      replies[i] = w.kdc.handle(req, kNow);
      checks[i] = ReplyCheck{&r.token, replies[i], {}};
    }
    wl.check_batch(checks);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < kBatch; ++i) {
      const RequestToken& t = starts[i].token;
      const Verdict alone = wl.check(t, replies[i]);
      EXPECT_EQ(checks[i].verdict.kind, alone.kind);
      EXPECT_EQ(checks[i].verdict.failure, alone.failure);
      EXPECT_EQ(checks[i].verdict.error_code, alone.error_code);
      if (wl.bad_password(t)) {
        ++bad;
        EXPECT_EQ(checks[i].verdict.error_code, 24) << i;  // PREAUTH_FAILED
      } else {
        EXPECT_EQ(checks[i].verdict.kind, ReplyKind::kAsRep) << i;
        EXPECT_TRUE(checks[i].verdict.checked);
        EXPECT_EQ(checks[i].verdict.failure, CheckFailure::kNone) << i;
      }
    }
    EXPECT_GT(bad, 0u);
    EXPECT_EQ(wl.stats().preauth_built, kBatch);
    EXPECT_EQ(wl.stats().bad_password_sent, bad);
    EXPECT_EQ(wl.stats().bad_password_rejected, 2 * bad);  // check_batch, then check()
  }
}

TEST(KerberosWorkload, LoginFlowProbesThenPreauthenticates) {
  World w(3);
  KerberosWorkload wl(w.pop, options(Flow::kLogin));
  for (int i = 0; i < 6; ++i) {
    RequestToken t1;
    auto n = wl.start(w.req, kNow, &t1);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(t1.leg, Leg::kProbe);
    EXPECT_FALSE(has_timestamp(krb::ByteView(w.req.data(), *n)));
    const krb::Buffer err = w.kdc.handle(krb::ByteView(w.req.data(), *n), kNow);
    const Verdict v1 = wl.check(t1, err);
    EXPECT_EQ(v1.kind, ReplyKind::kKrbError);
    EXPECT_EQ(v1.error_code, 25);
    ASSERT_TRUE(v1.login_continues);

    RequestToken t2;
    n = wl.follow_up(t1, err, w.req, kNow, &t2);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(t2.client, t1.client);
    EXPECT_EQ(t2.leg, Leg::kPreauth);
    EXPECT_NE(t2.nonce, t1.nonce);
    const krb::Buffer rep = w.kdc.handle(krb::ByteView(w.req.data(), *n), kNow);
    const Verdict v2 = wl.check(t2, rep);
    EXPECT_EQ(v2.kind, ReplyKind::kAsRep);
    EXPECT_EQ(v2.failure, CheckFailure::kNone);
    EXPECT_FALSE(v2.login_continues);
  }
  // The KDC's salt is the default one the keys were made with: nothing derived.
  EXPECT_EQ(wl.stats().salt_keys_derived, 0u);
  EXPECT_EQ(wl.stats().probes_built, 6u);
  EXPECT_EQ(wl.stats().preauth_built, 6u);
}

TEST(KerberosWorkload, LoginFlowUsesTheSaltTheKdcNames) {
  // An account whose KDC key was made with a salt other than realm||name (AD: the UPN, §3).
  auto pop = std::make_shared<Population>(std::string(kRealm));
  ASSERT_TRUE(pop->add("jdoe", std::string_view("Secret1")).ok());
  DeriveOptions o;
  o.etype = Enctype::AES256_CTS_HMAC_SHA1_96;
  ASSERT_TRUE(pop->derive_keys(o).ok());
  FakeKdc kdc{std::string(kRealm)};
  const std::string salt = std::string(kRealm) + "john.doe";
  kdc.add("jdoe", crypto::string_to_key(Enctype::AES256_CTS_HMAC_SHA1_96, "Secret1", salt).value(),
          salt);
  WorkloadOptions wo = options(Flow::kLogin);
  wo.request.etypes = {18, 17};
  KerberosWorkload wl(pop, wo);
  std::array<std::byte, kMaxRequestBytes> req{};
  for (int i = 0; i < 3; ++i) {
    RequestToken t1, t2;
    auto n = wl.start(req, kNow, &t1);
    ASSERT_TRUE(n.ok());
    const krb::Buffer err = kdc.handle(krb::ByteView(req.data(), *n), kNow);
    ASSERT_TRUE(wl.check(t1, err).login_continues);
    n = wl.follow_up(t1, err, req, kNow, &t2);
    ASSERT_TRUE(n.ok());
    const krb::Buffer rep = kdc.handle(krb::ByteView(req.data(), *n), kNow);
    const Verdict v = wl.check(t2, rep);
    EXPECT_EQ(v.kind, ReplyKind::kAsRep) << "the KDC accepted the timestamp";
    EXPECT_EQ(v.failure, CheckFailure::kNone);
  }
  EXPECT_EQ(wl.stats().salt_keys_derived, 1u) << "derived once, then reused";

  // The pre-authenticated flow with the population's (wrong-salt) key fails as it should.
  KerberosWorkload direct(pop, options(Flow::kPreauth));
  RequestToken t;
  auto n = direct.start(req, kNow, &t);
  ASSERT_TRUE(n.ok());
  const Verdict v = direct.check(t, kdc.handle(krb::ByteView(req.data(), *n), kNow));
  EXPECT_EQ(v.error_code, 24);
}

TEST(KerberosWorkload, ProbeOnlyFlowStopsAtPreauthRequired) {
  World w(2);
  KerberosWorkload wl(w.pop, options(Flow::kProbeOnly));
  RequestToken t;
  auto n = wl.start(w.req, kNow, &t);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(t.leg, Leg::kProbe);
  const Verdict v = wl.check(t, w.kdc.handle(krb::ByteView(w.req.data(), *n), kNow));
  EXPECT_EQ(v.error_code, 25);
  EXPECT_FALSE(v.login_continues);
}

TEST(KerberosWorkload, VerifyOneInK) {
  World w(1);
  WorkloadOptions o = options(Flow::kPreauth);
  o.verify_every = 3;
  KerberosWorkload wl(w.pop, o);
  std::vector<bool> pattern;
  for (int i = 0; i < 9; ++i) {
    RequestToken t;
    ASSERT_TRUE(wl.start(w.req, kNow, &t).ok());
    pattern.push_back(t.verify);
  }
  EXPECT_EQ(pattern,
            (std::vector<bool>{true, false, false, true, false, false, true, false, false}));
  o.verify_every = 0;
  KerberosWorkload none(w.pop, o);
  RequestToken t;
  ASSERT_TRUE(none.start(w.req, kNow, &t).ok());
  EXPECT_FALSE(t.verify);
}

TEST(KerberosWorkload, BadPasswordRatioSealsThatShareWithAWrongKey) {
  World w(10);
  WorkloadOptions o = options(Flow::kPreauth);
  o.bad_password_ratio = 0.25;
  o.selection.kind = SelectionKind::kUniform;
  KerberosWorkload wl(w.pop, o);
  constexpr int kRequests = 4000;
  int bad = 0;
  for (int i = 0; i < kRequests; ++i) {
    RequestToken t;
    auto n = wl.start(w.req, kNow, &t);
    ASSERT_TRUE(n.ok());
    const bool is_bad = wl.bad_password(t);
    bad += is_bad;
    const Verdict v = wl.check(t, w.kdc.handle(krb::ByteView(w.req.data(), *n), kNow));
    if (is_bad) {
      EXPECT_EQ(v.error_code, 24);  // PREAUTH_FAILED: the KDC could not open the timestamp
    } else {
      EXPECT_EQ(v.kind, ReplyKind::kAsRep);
      EXPECT_EQ(v.failure, CheckFailure::kNone);
    }
  }
  // Binomial(4000, 0.25): mean 1000, sd 27.4; 6 sd either side.
  EXPECT_GT(bad, 1000 - 165);
  EXPECT_LT(bad, 1000 + 165);
  EXPECT_EQ(wl.stats().bad_password_sent, static_cast<std::uint64_t>(bad));
  EXPECT_EQ(wl.stats().bad_password_rejected, static_cast<std::uint64_t>(bad));
  EXPECT_EQ(wl.stats().bad_password_accepted, 0u);
}

TEST(KerberosWorkload, CheckFailuresAreNeverSuccess) {
  World w(2);
  KerberosWorkload wl(w.pop, options(Flow::kPreauth));
  RequestToken t;
  auto n = wl.start(w.req, kNow, &t);
  ASSERT_TRUE(n.ok());
  const krb::Buffer first(w.req.begin(), w.req.begin() + static_cast<std::ptrdiff_t>(*n));
  // A replayed reply (the fake KDC's answer to this request) against the next request.
  const krb::Buffer rep = w.kdc.handle(first, kNow);
  RequestToken t2;
  ASSERT_TRUE(wl.start(w.req, kNow, &t2).ok());
  RequestToken same_client = t2;
  same_client.client = t.client;
  EXPECT_EQ(wl.check(same_client, rep).failure, CheckFailure::kNonce);
  EXPECT_EQ(wl.check(t2, rep).failure, CheckFailure::kDecrypt) << "another client's key";
  w.kdc.cname_override = "user2";
  const krb::Buffer wrong_name = w.kdc.handle(first, kNow);
  EXPECT_EQ(wl.check(t, wrong_name).failure, CheckFailure::kClientName);
}

TEST(KerberosWorkload, ParseFlowAndVerify) {
  EXPECT_EQ(parse_flow("login"), Flow::kLogin);
  EXPECT_EQ(parse_flow("preauth"), Flow::kPreauth);
  EXPECT_EQ(parse_flow("no-preauth"), Flow::kProbeOnly);
  EXPECT_FALSE(parse_flow("fast"));
  EXPECT_EQ(parse_verify("all"), 1u);
  EXPECT_EQ(parse_verify("none"), 0u);
  EXPECT_EQ(parse_verify("1/10"), 10u);
  EXPECT_EQ(parse_verify("7"), 7u);
  EXPECT_FALSE(parse_verify("0"));
  EXPECT_FALSE(parse_verify("1/x"));
}

TEST(KerberosWorkload, EmptyPopulationAndMissingKeys) {
  auto empty = std::make_shared<Population>(std::string(kRealm));
  KerberosWorkload wl(empty, options(Flow::kPreauth));
  std::array<std::byte, kMaxRequestBytes> req{};
  RequestToken t;
  EXPECT_FALSE(wl.start(req, kNow, &t).ok());
  auto nokey = std::make_shared<Population>(std::string(kRealm));
  ASSERT_TRUE(nokey->add("x", std::nullopt).ok());
  KerberosWorkload wl2(nokey, options(Flow::kPreauth));
  EXPECT_EQ(wl2.start(req, kNow, &t).err(), krb::Err::kNotFound);
}

}  // namespace
}  // namespace kdcperf::loadgen::clients
