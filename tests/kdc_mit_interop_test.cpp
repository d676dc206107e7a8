// kdcperf-kdc against real MIT clients (issue 5): MIT kinit gets a TGT over UDP and TCP for
// every enctype, klist and our ccache reader show the expected names, flags, times and
// enctypes; wrong passwords, unknown users and a skewed KDC clock give MIT's own messages;
// and the load generator's counts equal the KDC's counters.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "krb/files/ccache.hpp"
#include "tests/support/kdcperf_kdc.hpp"
#include "tests/support/kdcperf_run.hpp"
#include "tests/support/mit_realm.hpp"
#include "tests/support/process.hpp"

namespace kdcperf::testing {
namespace {

using nlohmann::json;

// MIT names of the enctypes kdcperf implements, with their numbers.
struct Etype {
  const char* mit_name;
  int number;
};
constexpr Etype kEtypes[] = {{"aes256-cts-hmac-sha1-96", 18},
                             {"aes128-cts-hmac-sha1-96", 17},
                             {"aes256-cts-hmac-sha384-192", 20},
                             {"aes128-cts-hmac-sha256-128", 19},
                             {"arcfour-hmac", 23}};

class KdcMit : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kdc_ = new KdcperfKdc();
    // Three users with keys of every enctype; krbtgt's first key is aes256 (18).
    const auto started = kdc_->start({"--users", "3", "--etypes", "18,17,20,19,23", "--workers",
                                      "2", "--tcp-idle-timeout", "5s"});
    if (!started) {
      start_error_ = new std::string(started.message());
    }
  }
  static void TearDownTestSuite() {
    delete kdc_;
    kdc_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    KDCPERF_REQUIRE_MIT();
    ASSERT_EQ(start_error_, nullptr) << *start_error_;
  }

  static std::optional<krb::files::Ccache> read_cache(const MitClientOptions& c) {
    const auto text = read_text_file(kdc_->dir().file(c.ccache_name));
    if (!text) return std::nullopt;
    auto cache = krb::files::read_ccache(krb::as_bytes(*text));
    if (!cache.ok()) return std::nullopt;
    return std::move(cache).value();
  }

  static KdcperfKdc* kdc_;
  static std::string* start_error_;
};
KdcperfKdc* KdcMit::kdc_ = nullptr;
std::string* KdcMit::start_error_ = nullptr;

TEST_F(KdcMit, KinitGetsATgtForEveryEtypeOverUdpAndTcp) {
  for (const Etype& e : kEtypes) {
    for (bool tcp : {false, true}) {
      SCOPED_TRACE(std::string(e.mit_name) + (tcp ? " tcp" : " udp"));
      MitClientOptions c;
      c.enctypes = e.mit_name;
      c.tcp = tcp;
      c.ccache_name = std::string("cc-") + std::to_string(e.number) + (tcp ? "-tcp" : "-udp");
      const RunResult k = kdc_->kinit("user1", "pw-1", c);
      ASSERT_TRUE(k.ok()) << k.describe() << "\n" << kdc_->log();
      const RunResult l = kdc_->klist(c);
      ASSERT_TRUE(l.ok()) << l.describe();
      EXPECT_NE(l.out.find("Default principal: user1@KDCPERF.TEST"), std::string::npos) << l.out;
      EXPECT_NE(l.out.find("krbtgt/KDCPERF.TEST@KDCPERF.TEST"), std::string::npos) << l.out;
      // The session key has the requested enctype; the ticket is sealed with krbtgt's aes256.
      // (klist marks rc4 "DEPRECATED:".)
      const std::size_t etypes = l.out.find("Etype (skey, tkt): ");
      ASSERT_NE(etypes, std::string::npos) << l.out;
      const std::string line = l.out.substr(etypes, l.out.find('\n', etypes) - etypes);
      EXPECT_NE(line.find(std::string(e.mit_name) + ", aes256-cts-hmac-sha1-96"), std::string::npos)
          << line;
      // MIT's default request is RENEWABLE-OK with till = now + 24 h; the realm allows 10 h,
      // so the ticket is renewable up to the requested till.
      EXPECT_NE(l.out.find("Flags: RIA"), std::string::npos) << l.out;

      const auto cache = read_cache(c);
      ASSERT_TRUE(cache.has_value());
      const krb::files::Credential* tgt = nullptr;
      for (const auto& cred : cache->creds) {
        if (!krb::files::is_config_entry(cred)) tgt = &cred;
      }
      ASSERT_NE(tgt, nullptr);
      EXPECT_EQ(tgt->enctype, e.number);
      EXPECT_EQ(tgt->endtime - tgt->authtime, 10u * 3600);
      // The till kinit asked for is its own clock + 24 h: a second earlier than the KDC's
      // authtime when a second boundary falls between the two.
      EXPECT_LE(tgt->renew_till - tgt->authtime, 24u * 3600);
      EXPECT_GE(tgt->renew_till - tgt->authtime, 24u * 3600 - 2);
      EXPECT_EQ(tgt->ticket_flags & krb::files::ticket_flags::kInitial,
                krb::files::ticket_flags::kInitial);
      EXPECT_EQ(tgt->ticket_flags & krb::files::ticket_flags::kPreAuthent,
                krb::files::ticket_flags::kPreAuthent);
    }
  }
}

TEST_F(KdcMit, WrongPasswordUnknownUserAndSkewGiveMitsMessages) {
  MitClientOptions c;
  c.ccache_name = "cc-errors";
  const RunResult wrong = kdc_->kinit("user2", "not-the-password", c);
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.out_err.find("Password incorrect"), std::string::npos) << wrong.describe();
  const RunResult unknown = kdc_->kinit("nobody", "x", c);
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.out_err.find("not found in Kerberos database"), std::string::npos)
      << unknown.describe();

  // A KDC whose clock is an hour ahead: a client that does not take the KDC's time from the
  // PREAUTH_REQUIRED error (kdc_timesync = 0) is refused with KRB_AP_ERR_SKEW.
  KdcperfKdc skewed;
  ASSERT_TRUE(skewed.start({"--users", "1", "--workers", "1", "--clock-offset", "3600"}));
  MitClientOptions no_sync;
  no_sync.timesync = false;
  const RunResult skew = skewed.kinit("user1", "pw-1", no_sync);
  EXPECT_FALSE(skew.ok());
  EXPECT_NE(skew.out_err.find("Clock skew too great"), std::string::npos) << skew.describe();
  // With kdc_timesync (MIT's default) the client follows the KDC's clock and succeeds.
  const RunResult synced = skewed.kinit("user1", "pw-1", MitClientOptions{});
  EXPECT_TRUE(synced.ok()) << synced.describe();
  const auto stats = skewed.stop_and_read_stats();
  ASSERT_TRUE(stats.has_value());
  const json j = json::parse(*stats, nullptr, false);
  EXPECT_EQ(j["errors_by_code"].value("KRB_AP_ERR_SKEW", 0), 1);
  EXPECT_EQ(j.value("as_rep", 0), 1);
}

// The load generator against kdcperf-kdc: every reply verified, and its counts of AS-REPs,
// PREAUTH_FAILED, C_PRINCIPAL_UNKNOWN and PREAUTH_REQUIRED equal the KDC's own counters.
TEST(KdcLoadgen, CountsEqualTheKdcsCounters) {
  KdcperfKdc kdc;
  ASSERT_TRUE(kdc.start({"--users", "20", "--workers", "2"}));
  const TempDir dir("kdc-loadgen");
  const std::vector<std::string> base = {
      "--kdc",   kdc.address(),        "--realm", kdc.realm(), "--pattern",
      "user{i}", "--password-pattern", "pw-{i}"};
  auto args = [&](std::vector<std::string> more) {
    std::vector<std::string> a = base;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  // UDP, closed loop, with wrong passwords and users the realm does not have (21..25).
  const KdcperfRun udp =
      run_kdcperf(dir, args({"--range", "1-25", "--requests", "1500", "--window", "16",
                             "--bad-password-ratio", "0.2", "--select", "uniform"}));
  EXPECT_EQ(udp.process.exit_code, kExitOk) << udp.process.describe();
  // TCP with persistent connections, open loop, the default 256 of them: all are opened
  // before the schedule starts, so none delays the first sends. This test is about counts: the
  // shared test machine may stall the generator, so its lateness bounds are loose.
  const KdcperfRun tcp = run_kdcperf(
      dir, args({"--range", "1-20", "--transport", "tcp", "--tcp-persistent", "--rate", "400",
                 "--requests", "400", "--max-lag", "1s", "--late-ratio", "50%"}));
  EXPECT_EQ(tcp.process.exit_code, kExitOk) << tcp.process.describe();
  // Without pre-authentication: every reply is PREAUTH_REQUIRED.
  const KdcperfRun nopa =
      run_kdcperf(dir, args({"--range", "1-20", "--requests", "300", "--no-preauth"}));
  EXPECT_EQ(nopa.process.exit_code, kExitOk) << nopa.process.describe();

  const auto stats = kdc.stop_and_read_stats();
  ASSERT_TRUE(stats.has_value()) << kdc.log();
  const json j = json::parse(*stats, nullptr, false);
  ASSERT_TRUE(j.is_object());
  const json& codes = j["errors_by_code"];
  for (const KdcperfRun* r : {&udp, &tcp, &nopa}) {
    EXPECT_EQ(r->count("verified_failed"), 0u);
    EXPECT_EQ(r->count("verified_ok"), r->count("as_rep"));
    EXPECT_EQ(r->count("timeouts"), 0u);
    EXPECT_EQ(r->count("malformed"), 0u);
  }
  EXPECT_GT(udp.code(24), 0u);
  EXPECT_GT(udp.code(6), 0u);
  EXPECT_EQ(tcp.count("as_rep"), 400u);
  EXPECT_EQ(tcp.count("tcp_connects"), 256u);  // every connection opened before the run, kept
  EXPECT_EQ(nopa.code(25), 300u);
  EXPECT_EQ(j.value("as_rep", std::uint64_t{0}),
            udp.count("as_rep") + tcp.count("as_rep") + nopa.count("as_rep"));
  EXPECT_EQ(codes.value("KDC_ERR_PREAUTH_FAILED", std::uint64_t{0}), udp.code(24));
  EXPECT_EQ(codes.value("KDC_ERR_C_PRINCIPAL_UNKNOWN", std::uint64_t{0}), udp.code(6));
  EXPECT_EQ(codes.value("KDC_ERR_PREAUTH_REQUIRED", std::uint64_t{0}), nopa.code(25));
  EXPECT_EQ(j.value("requests", std::uint64_t{0}), 1500u + 400u + 300u);
  EXPECT_EQ(j.value("malformed", std::uint64_t{1}), 0u);
  EXPECT_EQ(j["engine"].value("send_errors", std::uint64_t{1}), 0u);
}

}  // namespace
}  // namespace kdcperf::testing
