// The load generator's Kerberos side against a real MIT krb5kdc (a throwaway
// realm on loopback): the request factory's AS-REQs, sent over a plain UDP
// socket, get AS-REPs the reply checker verifies for every etype kdcperf
// implements; a wrong password gives PREAUTH_FAILED (24), an unknown principal
// C_PRINCIPAL_UNKNOWN (6); the login flow takes the salt MIT's PREAUTH_REQUIRED
// names in ETYPE-INFO2; and `kdcperf kinit` writes a ccache MIT's klist lists
// and MIT's kvno uses. The KDC's own log is the independent count of what it
// did.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "krb/crypto/string_to_key.hpp"
#include "krb/files/ccache.hpp"
#include "krb/proto/krb_error.hpp"
#include "loadgen/clients/file_io.hpp"
#include "loadgen/clients/kerberos_workload.hpp"
#include "loadgen/clients/probe.hpp"
#include "loadgen/kinit/kinit.hpp"
#include "tests/support/mit_realm.hpp"
#include "tests/support/process.hpp"

namespace kdcperf::testing {
namespace {

namespace clients = loadgen::clients;
namespace kinit = loadgen::kinit;
using krb::crypto::Enctype;
using loadgen::CheckFailure;
using loadgen::Leg;
using loadgen::ReplyKind;
using loadgen::RequestToken;
using loadgen::Verdict;

struct EtypeUser {
  Enctype etype;
  std::string mit_name;  // kadmin's enctype name
};
const std::vector<EtypeUser>& etype_users() {
  static const std::vector<EtypeUser> v = {
      {Enctype::AES128_CTS_HMAC_SHA1_96, "aes128-cts-hmac-sha1-96"},
      {Enctype::AES256_CTS_HMAC_SHA1_96, "aes256-cts-hmac-sha1-96"},
      {Enctype::AES128_CTS_HMAC_SHA256_128, "aes128-cts-hmac-sha256-128"},
      {Enctype::AES256_CTS_HMAC_SHA384_192, "aes256-cts-hmac-sha384-192"},
      {Enctype::RC4_HMAC, "arcfour-hmac"}};
  return v;
}
std::string user_for(Enctype e) {
  return "user" + std::to_string(static_cast<int>(e));
}
std::string password_for(Enctype e) {
  return "pw-" + std::to_string(static_cast<int>(e));
}

krb::KerberosTimestamp wall_now() {
  const auto t = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t).count();
  return {us / 1000000, static_cast<std::int32_t>(us % 1000000)};
}

// One request over a fresh UDP socket on loopback, one reply (empty on
// timeout).
krb::Buffer udp_exchange(int port, krb::ByteView request) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  krb::Buffer reply;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 &&
      ::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) == 1) {
      reply.resize(65536);
      const ssize_t n = ::recv(fd, reply.data(), reply.size(), 0);
      reply.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    }
  }
  ::close(fd);
  return reply;
}

class LoadgenMitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KDCPERF_REQUIRE_MIT();
    realm_ = std::make_unique<MitRealm>();
    ASSERT_TRUE(realm_->create());
    for (const auto& u : etype_users()) {
      ASSERT_TRUE(realm_->add_principal(user_for(u.etype), password_for(u.etype),
                                        "+requires_preauth -e " + u.mit_name + ":normal"));
    }
    // MIT's "norealm" salt type: the salt is the name alone, not realm||name,
    // so a key from the default salt is wrong and only ETYPE-INFO2 tells the
    // right one (as with AD UPNs, §3).
    ASSERT_TRUE(realm_->add_principal("saltuser", "salt-pw",
                                      "+requires_preauth -e aes256-cts-hmac-sha1-96:norealm"));
    ASSERT_TRUE(realm_->add_random_principal("host/service.test"));
    ASSERT_TRUE(realm_->start());
  }

  // One exchange through a workload: start, send, check; the login flow's
  // second leg too.
  Verdict exchange(clients::KerberosWorkload& wl, RequestToken* token = nullptr) {
    std::array<std::byte, clients::kMaxRequestBytes> req{};
    RequestToken t;
    auto n = wl.start(req, wall_now(), &t);
    EXPECT_TRUE(n.ok());
    if (!n.ok()) return {};
    krb::Buffer reply = udp_exchange(realm_->port(), krb::ByteView(req.data(), *n));
    Verdict v = wl.check(t, reply);
    if (v.login_continues) {
      RequestToken t2;
      n = wl.follow_up(t, reply, req, wall_now(), &t2);
      EXPECT_TRUE(n.ok());
      if (!n.ok()) return {};
      reply = udp_exchange(realm_->port(), krb::ByteView(req.data(), *n));
      v = wl.check(t2, reply);
      t = t2;
    }
    if (token != nullptr) *token = t;
    return v;
  }

  std::unique_ptr<MitRealm> realm_;
};

std::shared_ptr<clients::Population> population(const std::string& name,
                                                const std::string& password, Enctype e) {
  auto pop = std::make_shared<clients::Population>("KDCPERF.TEST");
  EXPECT_TRUE(pop->add(name, std::string_view(password)).ok());
  clients::DeriveOptions o;
  o.etype = e;
  EXPECT_TRUE(pop->derive_keys(o).ok());
  return pop;
}

TEST_F(LoadgenMitTest, PreauthRequestsGetVerifiedAsRepsForEveryEtype) {
  for (const auto& u : etype_users()) {
    SCOPED_TRACE(u.mit_name);
    auto pop = population(user_for(u.etype), password_for(u.etype), u.etype);
    clients::WorkloadOptions o;
    o.flow = clients::Flow::kPreauth;  // default etype list 18 17 20 19 23, MIT
                                       // picks the key's
    clients::KerberosWorkload wl(pop, o);
    for (int i = 0; i < 3; ++i) {
      const Verdict v = exchange(wl);
      EXPECT_EQ(v.kind, ReplyKind::kAsRep);
      EXPECT_TRUE(v.checked);
      EXPECT_EQ(v.failure, CheckFailure::kNone);
    }
    // The same with only the key's etype in the request.
    o.request.etypes = {static_cast<std::int32_t>(u.etype)};
    clients::KerberosWorkload only(pop, o);
    const Verdict v = exchange(only);
    if (u.etype == Enctype::RC4_HMAC) {
      // Observed: MIT 1.20 will not make a deprecated enctype the session key,
      // so a request listing rc4 alone gets BAD_ENCRYPTION_TYPE (14) although
      // the client has an rc4 key.
      EXPECT_EQ(v.kind, ReplyKind::kKrbError);
      EXPECT_EQ(v.error_code, 14);
      EXPECT_EQ(realm_->count_kdc_log("BAD_ENCRYPTION_TYPE: user23@KDCPERF.TEST"), 1u);
    } else {
      EXPECT_EQ(v.kind, ReplyKind::kAsRep);
      EXPECT_EQ(v.failure, CheckFailure::kNone);
    }
    // The KDC says which reply key it used.
    // (rc4 is logged as "DEPRECATED:arcfour-hmac(23)", hence no "rep=" in the
    // needle.)
    EXPECT_EQ(realm_->count_kdc_log(u.mit_name + "(" + std::to_string(static_cast<int>(u.etype)) +
                                    "), tkt="),
              u.etype == Enctype::RC4_HMAC ? 3u : 4u);
  }
  EXPECT_EQ(realm_->count_kdc_log("ISSUE: authtime"), 19u);
  EXPECT_EQ(realm_->count_kdc_log("PREAUTH_FAILED"), 0u);
}

TEST_F(LoadgenMitTest, WrongPasswordAndUnknownPrincipal) {
  auto wrong = population("user18", "not-the-password", Enctype::AES256_CTS_HMAC_SHA1_96);
  clients::WorkloadOptions o;
  clients::KerberosWorkload wl(wrong, o);
  for (int i = 0; i < 4; ++i) {
    const Verdict v = exchange(wl);
    EXPECT_EQ(v.kind, ReplyKind::kKrbError);
    EXPECT_EQ(v.error_code, 24);  // KDC_ERR_PREAUTH_FAILED
  }
  EXPECT_EQ(realm_->count_kdc_log("PREAUTH_FAILED: user18@KDCPERF.TEST"), 4u);

  auto unknown = population("nobody", "whatever", Enctype::AES256_CTS_HMAC_SHA1_96);
  clients::KerberosWorkload wl2(unknown, o);
  for (int i = 0; i < 3; ++i) {
    const Verdict v = exchange(wl2);
    EXPECT_EQ(v.kind, ReplyKind::kKrbError);
    EXPECT_EQ(v.error_code, 6);  // KDC_ERR_C_PRINCIPAL_UNKNOWN
  }
  EXPECT_EQ(realm_->count_kdc_log("CLIENT_NOT_FOUND: nobody@KDCPERF.TEST"), 3u);
}

TEST_F(LoadgenMitTest, BadPasswordRatioMatchesTheKdcLog) {
  auto pop = std::make_shared<clients::Population>("KDCPERF.TEST");
  for (const auto& u : etype_users()) {
    ASSERT_TRUE(pop->add(user_for(u.etype), std::string_view(password_for(u.etype))).ok());
    ASSERT_TRUE(pop->apply_salt_info(pop->size() - 1, {u.etype, std::nullopt, 0}).ok());
  }
  ASSERT_TRUE(pop->derive_keys({}).ok());
  clients::WorkloadOptions o;
  o.bad_password_ratio = 0.3;
  clients::KerberosWorkload wl(pop, o);
  int ok = 0, failed = 0;
  for (int i = 0; i < 60; ++i) {
    const Verdict v = exchange(wl);
    if (v.kind == ReplyKind::kAsRep && v.failure == CheckFailure::kNone) ++ok;
    if (v.kind == ReplyKind::kKrbError && v.error_code == 24) ++failed;
  }
  EXPECT_EQ(ok + failed, 60);
  EXPECT_EQ(static_cast<std::uint64_t>(failed), wl.stats().bad_password_sent);
  EXPECT_EQ(wl.stats().bad_password_rejected, wl.stats().bad_password_sent);
  EXPECT_EQ(realm_->count_kdc_log("PREAUTH_FAILED"), static_cast<std::size_t>(failed));
  EXPECT_EQ(realm_->count_kdc_log("ISSUE: authtime"), static_cast<std::size_t>(ok));
  EXPECT_GT(failed, 0);
  EXPECT_GT(ok, 0);
}

TEST_F(LoadgenMitTest, LoginFlowAppliesTheSaltFromEtypeInfo2) {
  // Keys from the default salt are wrong for saltuser.
  auto pop = population("saltuser", "salt-pw", Enctype::AES256_CTS_HMAC_SHA1_96);
  clients::WorkloadOptions direct;
  clients::KerberosWorkload pre(pop, direct);
  EXPECT_EQ(exchange(pre).error_code, 24);

  clients::WorkloadOptions login;
  login.flow = clients::Flow::kLogin;
  clients::KerberosWorkload wl(pop, login);
  for (int i = 0; i < 3; ++i) {
    const Verdict v = exchange(wl);
    EXPECT_EQ(v.kind, ReplyKind::kAsRep);
    EXPECT_EQ(v.failure, CheckFailure::kNone);
  }
  EXPECT_EQ(wl.stats().salt_keys_derived, 1u);
  EXPECT_EQ(realm_->count_kdc_log("NEEDED_PREAUTH: saltuser@KDCPERF.TEST"), 3u);

  // --probe: learn the salt up front, derive, then the pre-authenticated flow
  // works.
  auto probed = std::make_shared<clients::Population>("KDCPERF.TEST");
  ASSERT_TRUE(probed->add("saltuser", std::string_view("salt-pw")).ok());
  std::array<std::byte, clients::kMaxRequestBytes> req{};
  auto n = clients::build_probe_request(*probed, 0, 12345, wall_now(), req);
  ASSERT_TRUE(n.ok());
  const krb::Buffer reply = udp_exchange(realm_->port(), krb::ByteView(req.data(), *n));
  ASSERT_TRUE(clients::apply_probe_reply(*probed, 0, reply).ok());
  EXPECT_FALSE(probed->uses_default_salt(0));
  EXPECT_TRUE(probed->salt_equals(0, "saltuser")) << "norealm: the name alone";
  ASSERT_TRUE(probed->derive_keys({}).ok());
  clients::KerberosWorkload after(probed, direct);
  const Verdict v = exchange(after);
  EXPECT_EQ(v.kind, ReplyKind::kAsRep);
  EXPECT_EQ(v.failure, CheckFailure::kNone);
}

TEST_F(LoadgenMitTest, ProbeOnlyFlowCountsPreauthRequired) {
  auto pop = population("user17", "pw-17", Enctype::AES128_CTS_HMAC_SHA1_96);
  clients::WorkloadOptions o;
  o.flow = clients::Flow::kProbeOnly;
  clients::KerberosWorkload wl(pop, o);
  for (int i = 0; i < 5; ++i) {
    const Verdict v = exchange(wl);
    EXPECT_EQ(v.error_code, 25);
    EXPECT_FALSE(v.login_continues);
  }
  EXPECT_EQ(realm_->count_kdc_log("NEEDED_PREAUTH: user17@KDCPERF.TEST"), 5u);
}

TEST_F(LoadgenMitTest, KinitCcacheIsListedByKlistAndUsedByKvno) {
  for (const auto transport : {kinit::Transport::kUdp, kinit::Transport::kTcp}) {
    SCOPED_TRACE(transport == kinit::Transport::kUdp ? "udp" : "tcp");
    const std::string cc = realm_->dir() + "/kdcperf.ccache";
    std::ostringstream out, err;
    kinit::KinitOptions o;
    o.principal = "user18@KDCPERF.TEST";
    o.password = "pw-18";
    o.kdc = "127.0.0.1:" + std::to_string(realm_->port());
    o.ccache = "FILE:" + cc;
    o.transport = transport;
    o.out = &out;
    o.err = &err;
    ASSERT_EQ(kinit::run_kinit(o), 0) << err.str();

    const RunResult l = realm_->client({"klist", "-f", "-e", "-c", cc});
    ASSERT_TRUE(l.ok()) << l.describe();
    EXPECT_NE(l.out.find("Default principal: user18@KDCPERF.TEST"), std::string::npos) << l.out;
    EXPECT_NE(l.out.find("krbtgt/KDCPERF.TEST@KDCPERF.TEST"), std::string::npos) << l.out;
    // MIT's own kinit with library defaults gets "RIA" from this KDC
    // (renewable-ok, initial, pre-authenticated;
    // krb/testdata/mit/alice.ccache.klist.txt).
    EXPECT_NE(l.out.find("Flags: RIA"), std::string::npos) << l.out;
    EXPECT_NE(l.out.find("Etype (skey, tkt): aes256-cts-hmac-sha1-96, "
                         "aes256-cts-hmac-sha1-96"),
              std::string::npos)
        << l.out;

    const RunResult v = realm_->client({"kvno", "-c", cc, "host/service.test@KDCPERF.TEST"});
    EXPECT_TRUE(v.ok()) << v.describe();
    EXPECT_NE(v.out.find("host/service.test@KDCPERF.TEST: kvno = 1"), std::string::npos) << v.out;
  }
  EXPECT_EQ(realm_->count_kdc_log("TGS_REQ"), 2u);
  EXPECT_EQ(realm_->count_kdc_log("NEEDED_PREAUTH: user18@KDCPERF.TEST"), 2u);

  // Forwardable and proxiable as Debian's krb5.conf asks: F P R I A.
  kinit::KinitOptions o;
  o.principal = "user17";
  o.realm = "KDCPERF.TEST";
  o.password = "pw-17";
  o.kdc = "127.0.0.1:" + std::to_string(realm_->port());
  o.ccache = realm_->dir() + "/fp.ccache";
  o.forwardable = o.proxiable = true;
  std::ostringstream err;
  o.err = &err;
  ASSERT_EQ(kinit::run_kinit(o), 0) << err.str();
  const RunResult l = realm_->client({"klist", "-f", "-c", o.ccache});
  ASSERT_TRUE(l.ok()) << l.describe();
  EXPECT_NE(l.out.find("Flags: FPRIA"), std::string::npos) << l.out;
}

TEST_F(LoadgenMitTest, KinitFailuresSayWhy) {
  kinit::KinitOptions o;
  o.principal = "user18@KDCPERF.TEST";
  o.password = "wrong";
  o.kdc = "127.0.0.1:" + std::to_string(realm_->port());
  o.ccache = realm_->dir() + "/never.ccache";
  kinit::KinitResult r = kinit::kinit(o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.kdc_error.value_or(0), 24);
  EXPECT_NE(r.message.find("Preauthentication failed"), std::string::npos) << r.message;
  o.principal = "nobody@KDCPERF.TEST";
  r = kinit::kinit(o);
  EXPECT_EQ(r.kdc_error.value_or(0), 6);
  EXPECT_NE(r.message.find("not found in Kerberos database"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("CLIENT_NOT_FOUND"), std::string::npos) << "MIT's e-text is shown";
  EXPECT_FALSE(read_text_file(o.ccache).has_value());
  // The salt from ETYPE-INFO2, not the default: kinit for saltuser works.
  o.principal = "saltuser@KDCPERF.TEST";
  o.password = "salt-pw";
  o.ccache = realm_->dir() + "/salt.ccache";
  r = kinit::kinit(o);
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace
}  // namespace kdcperf::testing
