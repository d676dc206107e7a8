// Heimdal 7.8 (Debian 12, 7.8.git20221117.28daf24+dfsg-2, unpacked by scripts/heimdal.sh) as a
// real peer: its kinit/klist against its own KDC (the harness works), then the `kdcperf` load
// generator against Heimdal's KDC, where kdcperf's counts of AS-REPs and of each KRB-ERROR code
// must equal what the KDC's log says it did.
//
// What Heimdal's kdc logs ([logging] kdc = FILE:...), one line each after a
// "2026-12-03T07:44:26 " stamp; R is the realm (observed on loopback, UDP and TCP alike):
//   every request        AS-REQ alice@R from IPv4:127.0.0.1 for krbtgt/R@R
//   every reply          sending 683 bytes to IPv4:127.0.0.1
//   ticket issued        AS-REQ authtime: <time> starttime: unset endtime: <time> renew till: unset
//                        with, before it, for a pre-authenticated request:
//                          ENC-TS Pre-authentication succeeded -- alice@R using <etype>
//                          ENC-TS pre-authentication succeeded -- alice@R
//                        and after it (reply key etype / ticket etype):
//                          Client supported enctypes: <request's list>, using <etype>/<etype>
//   PREAUTH_REQUIRED 25  Need to use PA-ENC-TIMESTAMP/PA-PK-AS-REQ
//   PREAUTH_FAILED 24    Failed to decrypt PA-DATA -- alice@R (enctype aes256-cts-hmac-sha1-96)
//                        error Decrypt integrity check failed for checksum type
//                        hmac-sha1-96-aes256, key type aes256-cts-hmac-sha1-96
//   C_PRINCIPAL_UNKNOWN 6  UNKNOWN -- nobody@R: no such entry found in hdb
//   ETYPE_NOSUPP 14      Client (alice@R) from IPv4:127.0.0.1 has no common enctypes with KDC to
//                        use for the session key
// (and "Looking for PK-INIT(ietf) pa-data -- alice@R", "Looking for PK-INIT(win2k) ...",
// "Looking for ENC-TS pa-data ...", "Client sent patypes: ENC-TS", "Requested flags: ..." per
// request of a known principal). The log is written line by line before the reply is sent.
//
// Etypes: this Debian "7.8" is a snapshot of Heimdal's master branch and DOES implement RFC 8009
// (aes128-cts-hmac-sha256-128 = 19, aes256-cts-hmac-sha384-192 = 20), next to 17, 18 and 23; all
// five are covered below. Its kadmin gives 19/20 keys a random salt (base64 of 16 random bytes,
// then the default salt), so a client must take the salt from PA-ETYPE-INFO2: kdcperf does with
// --flow login or --probe.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/heimdal_realm.hpp"
#include "tests/support/kdcperf_run.hpp"
#include "tests/support/process.hpp"

namespace kdcperf::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kRealm = "KDCPERF.TEST";

// The log needles (see the top of this file).
constexpr std::string_view kLogRequest = " from IPv4:127.0.0.1 for krbtgt/";
constexpr std::string_view kLogReply = " bytes to IPv4:127.0.0.1";
constexpr std::string_view kLogIssued = "AS-REQ authtime: ";
constexpr std::string_view kLogPreauthRequired = "Need to use PA-ENC-TIMESTAMP/PA-PK-AS-REQ";
constexpr std::string_view kLogPreauthFailed = "Failed to decrypt PA-DATA -- ";
constexpr std::string_view kLogUnknown = ": no such entry found in hdb";
constexpr std::string_view kLogNoCommonEtype = "has no common enctypes with KDC";

struct LogCounts {
  std::size_t requests, replies, issued, preauth_required, preauth_failed, unknown, no_etype;
};

// One realm for the suite. alice (+requires-pre-auth), bob (no pre-auth), aesonly
// (+requires-pre-auth) and user1..user20 (+requires-pre-auth) get the realm's keys (18, 17, 23),
// and aesonly then loses all but 18; e1..e5 (+requires-pre-auth) get keys in all five etypes
// (Heimdal's kadmin takes ~30 ms to derive each RFC 8009 key, so only five principals have them).
class HeimdalInterop : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { realm_.reset(); }

  void SetUp() override {
    KDCPERF_REQUIRE_HEIMDAL();
    ASSERT_TRUE(std::filesystem::exists(kdcperf_binary()))
        << kdcperf_binary() << " is missing: build the kdcperf target";
    ASSERT_TRUE(write_text_file(dir_.file("alice.pw"), "alice-pw\n"));
    ASSERT_TRUE(write_text_file(dir_.file("bob.pw"), "bob-pw\n"));
    ASSERT_TRUE(write_text_file(dir_.file("aesonly.pw"), "aesonly-pw\n"));
    if (realm_) return;
    HeimdalRealmOptions opts;
    const std::string all_keys = opts.default_keys;
    opts.default_keys =
        "aes256-cts-hmac-sha1-96:pw-salt aes128-cts-hmac-sha1-96:pw-salt arcfour-hmac-md5:pw-salt";
    auto realm = std::make_unique<HeimdalRealm>(opts);
    ASSERT_TRUE(realm->create());
    const std::vector<std::string> preauth = {"--attributes=requires-pre-auth"};
    ASSERT_TRUE(realm->add_principal("alice", "alice-pw", preauth));
    ASSERT_TRUE(realm->add_principal("bob", "bob-pw"));
    ASSERT_TRUE(realm->add_principal("aesonly", "aesonly-pw", preauth));
    ASSERT_TRUE(realm->del_enctypes("aesonly", {"aes128-cts-hmac-sha1-96", "arcfour-hmac-md5"}));
    EXPECT_EQ(realm->key_types("aesonly").value_or(""), "aes256-cts-hmac-sha1-96(pw-salt)[1]");
    std::vector<HeimdalPrincipal> users, etype_users;
    for (int i = 1; i <= kUsers; ++i) {
      users.push_back({"user" + std::to_string(i), "pw-" + std::to_string(i), preauth});
    }
    for (int i = 1; i <= kEtypeUsers; ++i) {
      etype_users.push_back({"e" + std::to_string(i), "pw-" + std::to_string(i), preauth});
    }
    ASSERT_TRUE(realm->add_principals(users));
    ASSERT_TRUE(realm->add_principals(etype_users, all_keys));
    // kadmin lists the RFC 8009 keys with their random salts, "(pw-salt(<base64>KDCPERF.TESTe1))".
    const std::string e1 = realm->key_types("e1").value_or("");
    for (const char* name : {"aes256-cts-hmac-sha1-96(pw-salt)", "aes128-cts-hmac-sha1-96(pw-salt)",
                             "aes256-cts-hmac-sha384-192(pw-salt(",
                             "aes128-cts-hmac-sha256-128(pw-salt(", "arcfour-hmac-md5(pw-salt)"}) {
      EXPECT_NE(e1.find(name), std::string::npos) << name << " not in " << e1;
    }
    EXPECT_NE(e1.find("==" + kRealm + "e1))"), std::string::npos) << e1;
    ASSERT_TRUE(realm->start());
    realm_ = std::move(realm);
  }

  std::string kdc() const { return "127.0.0.1:" + std::to_string(realm_->port()); }

  // The population flags: user1..user20 (or e1..e5), password pw-<i>.
  static std::vector<std::string> users() {
    return {"--pattern", "user{i}", "--password-pattern",
            "pw-{i}",    "--range", "1-" + std::to_string(kUsers)};
  }
  static std::vector<std::string> etype_users() {
    return {"--pattern", "e{i}",    "--password-pattern",
            "pw-{i}",    "--range", "1-" + std::to_string(kEtypeUsers)};
  }
  std::vector<std::string> base() const { return {"--kdc", kdc(), "--realm", kRealm}; }
  static std::vector<std::string> cat(std::vector<std::string> a,
                                      const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  // Log counts once the KDC has written everything. Heimdal writes a request's lines (the
  // "sending N bytes" one too) before it sends the reply, so this only guards against a reply
  // still in flight when kdcperf exits.
  LogCounts log_counts() {
    std::error_code ec;
    auto last = std::filesystem::file_size(realm_->kdc_log_path(), ec);
    for (int i = 0; i < 50; ++i) {
      std::this_thread::sleep_for(10ms);
      const auto now = std::filesystem::file_size(realm_->kdc_log_path(), ec);
      if (now == last) break;
      last = now;
    }
    const auto c = realm_->count_kdc_log({kLogRequest, kLogReply, kLogIssued, kLogPreauthRequired,
                                          kLogPreauthFailed, kLogUnknown, kLogNoCommonEtype});
    return {c[0], c[1], c[2], c[3], c[4], c[5], c[6]};
  }

  static constexpr int kUsers = 20;
  static constexpr int kEtypeUsers = 5;
  static std::unique_ptr<HeimdalRealm> realm_;
  TempDir dir_{"kdcperf-heimdal-test"};
};
std::unique_ptr<HeimdalRealm> HeimdalInterop::realm_;

// The run's counts against the KDC log's, for one scenario. With `verified`, every AS-REP must
// have passed kdcperf's checks.
void expect_counts_match(const KdcperfRun& r, const LogCounts& before, const LogCounts& after,
                         bool verified = true) {
  ASSERT_TRUE(r.report.is_object()) << r.process.describe();
  EXPECT_EQ(r.count("sent"), after.requests - before.requests);
  EXPECT_EQ(r.count("replies"), after.replies - before.replies);
  EXPECT_EQ(r.count("as_rep"), after.issued - before.issued);
  EXPECT_EQ(r.code(24), after.preauth_failed - before.preauth_failed);  // KDC_ERR_PREAUTH_FAILED
  EXPECT_EQ(r.code(6), after.unknown - before.unknown);  // KDC_ERR_C_PRINCIPAL_UNKNOWN
  EXPECT_EQ(r.code(25), after.preauth_required - before.preauth_required);  // PREAUTH_REQUIRED
  EXPECT_EQ(r.code(14), after.no_etype - before.no_etype);                  // ETYPE_NOSUPP
  EXPECT_EQ(r.count("timeouts"), 0u);
  EXPECT_EQ(r.count("malformed"), 0u);
  if (verified) {
    EXPECT_EQ(r.count("verified_failed"), 0u);
    EXPECT_EQ(r.count("verified_ok"), r.count("as_rep"));
  }
}

TEST_F(HeimdalInterop, KinitGetsATgtForAPreauthUserAndKlistShowsIt) {
  const auto before = log_counts();
  const RunResult k = realm_->kinit("alice", "alice-pw");
  ASSERT_TRUE(k.ok()) << k.describe();
  const RunResult l = realm_->klist();
  ASSERT_TRUE(l.ok()) << l.describe();
  EXPECT_NE(l.out.find("Principal: alice@" + kRealm), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("krbtgt/" + kRealm + "@" + kRealm), std::string::npos) << l.out;
  // As kinit does it: one AS-REQ without pre-auth (PREAUTH_REQUIRED), one with ENC-TS.
  const auto after = log_counts();
  EXPECT_EQ(after.requests - before.requests, 2u);
  EXPECT_EQ(after.preauth_required - before.preauth_required, 1u);
  EXPECT_EQ(after.issued - before.issued, 1u);
  EXPECT_EQ(realm_->count_kdc_log("ENC-TS Pre-authentication succeeded -- alice@" + kRealm), 1u);

  // A wrong password: no ticket, and the KDC says why.
  const RunResult bad = realm_->kinit("alice", "not-alice-pw");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.out_err.find("Password incorrect"), std::string::npos) << bad.describe();
  const auto after_bad = log_counts();
  EXPECT_GE(after_bad.preauth_failed - after.preauth_failed, 1u);
  EXPECT_EQ(after_bad.issued, after.issued);
}

TEST_F(HeimdalInterop, ClosedLoopEveryReplyVerifiedEqualsTheKdcLog) {
  const auto before = log_counts();
  const KdcperfRun r =
      run_kdcperf(dir_, cat(cat(base(), users()), {"--requests", "300", "--window", "8"}));
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  EXPECT_EQ(r.count("as_rep"), 300u);
  EXPECT_EQ(r.count("verified_ok"), 300u);
  EXPECT_EQ(r.report["result"]["status"], "ok");
}

TEST_F(HeimdalInterop, WrongPasswordsAndUnknownPrincipalsAreCountedByCode) {
  // Identities: alice, an unknown principal, and the users; a quarter of the requests carry a
  // wrong key (Heimdal's default database has no lockout).
  std::string ids = "alice:alice-pw\nnobody@" + kRealm + ":whatever\n";
  for (int i = 1; i <= kUsers; ++i) {
    ids += "user" + std::to_string(i) + ":pw-" + std::to_string(i) + "\n";
  }
  ASSERT_TRUE(write_text_file(dir_.file("ids.txt"), ids));
  const auto before = log_counts();
  const KdcperfRun r = run_kdcperf(
      dir_, cat(base(), {"--identities", dir_.file("ids.txt"), "--requests", "220", "--window", "8",
                         "--bad-password-ratio", "0.25", "--select", "uniform"}));
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  EXPECT_GT(r.code(24), 0u);
  EXPECT_GT(r.code(6), 0u);
  EXPECT_EQ(r.count("as_rep") + r.code(24) + r.code(6), 220u);
}

TEST_F(HeimdalInterop, NoPreauthGetsPreauthRequiredUnlessThePrincipalWaivesIt) {
  auto before = log_counts();
  const KdcperfRun users_run = run_kdcperf(
      dir_, cat(cat(base(), users()), {"--requests", "50", "--window", "4", "--no-preauth"}));
  EXPECT_EQ(users_run.process.exit_code, kExitOk) << users_run.process.describe();
  expect_counts_match(users_run, before, log_counts());
  EXPECT_EQ(users_run.code(25), 50u);

  // bob has no requires-pre-auth attribute and the realm sets [kdc] require-preauth = false:
  // the AS-REP comes at once, sealed in bob's key.
  before = log_counts();
  const KdcperfRun bob =
      run_kdcperf(dir_, cat(base(), {"bob", "--password-file", dir_.file("bob.pw"), "--requests",
                                     "20", "--no-preauth"}));
  EXPECT_EQ(bob.process.exit_code, kExitOk) << bob.process.describe();
  expect_counts_match(bob, before, log_counts());
  EXPECT_EQ(bob.count("verified_ok"), 20u);
}

TEST_F(HeimdalInterop, EveryEtypeHeimdalImplementsLoginsAndProbes) {
  // The reply key etype is in the "using <reply etype>/<ticket etype>" log line.
  const std::vector<std::pair<std::string, std::string>> etypes = {
      {"17", "aes128-cts-hmac-sha1-96"},
      {"18", "aes256-cts-hmac-sha1-96"},
      {"19", "aes128-cts-hmac-sha256-128"},
      {"20", "aes256-cts-hmac-sha384-192"},
      {"23", "arcfour-hmac-md5"}};
  for (const auto& [number, name] : etypes) {
    SCOPED_TRACE(name);
    const std::string sealed = ", using " + name + "/";
    {
      // As kinit does it: a probe AS-REQ, PREAUTH_REQUIRED with ETYPE-INFO2 (the salt), then
      // the pre-authenticated AS-REQ.
      const auto before = log_counts();
      const std::size_t sealed_before = realm_->count_kdc_log(sealed);
      const KdcperfRun r = run_kdcperf(
          dir_, cat(cat(base(), etype_users()),
                    {"--requests", "20", "--window", "2", "--flow", "login", "--etypes", number}));
      EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
      expect_counts_match(r, before, log_counts());
      EXPECT_EQ(r.count("logins_ok"), 20u);
      EXPECT_EQ(r.count("sent"), 40u);
      EXPECT_EQ(r.code(25), 20u);
      EXPECT_EQ(realm_->count_kdc_log(sealed) - sealed_before, 20u);
    }
    {
      // --probe learns each client's etype and salt once, before the measured run (those probes
      // are not in the run's counts, but the KDC logged each as PREAUTH_REQUIRED).
      const auto before = log_counts();
      const std::size_t sealed_before = realm_->count_kdc_log(sealed);
      const KdcperfRun r = run_kdcperf(
          dir_, cat(cat(base(), etype_users()),
                    {"--requests", "20", "--window", "4", "--probe", "--etypes", number}));
      EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
      ASSERT_TRUE(r.report.is_object()) << r.process.describe();
      EXPECT_EQ(r.report["workload"]["population"]["probe"]["learned"], 5u);
      const auto after = log_counts();
      EXPECT_EQ(after.preauth_required - before.preauth_required, 5u);
      EXPECT_EQ(r.count("sent"), after.requests - before.requests - 5);
      EXPECT_EQ(r.count("as_rep"), after.issued - before.issued);
      EXPECT_EQ(r.count("verified_ok"), 20u);
      EXPECT_EQ(realm_->count_kdc_log(sealed) - sealed_before, 20u);
    }
  }
}

TEST_F(HeimdalInterop, KeysAreDerivedInTheRequestedEtype) {
  // Heimdal seals the AS-REP with the key that pre-authenticated, whatever the request listed
  // (MIT answers in the first requested etype). So kdcperf derives its keys in the etypes its
  // requests list: with --etypes 17 and no probe, it pre-authenticates with aes128 and every
  // reply, sealed in aes128, verifies.
  const std::string sealed =
      "Client supported enctypes: aes128-cts-hmac-sha1-96, using "
      "aes128-cts-hmac-sha1-96/";
  const std::size_t sealed_before = realm_->count_kdc_log(sealed);
  const auto before = log_counts();
  const KdcperfRun r = run_kdcperf(
      dir_,
      cat(cat(base(), etype_users()), {"--requests", "20", "--window", "4", "--etypes", "17"}));
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  EXPECT_EQ(r.count("as_rep"), 20u);
  EXPECT_EQ(r.count("verified_ok"), 20u);
  EXPECT_EQ(realm_->count_kdc_log(sealed) - sealed_before, 20u);
}

TEST_F(HeimdalInterop, NoCommonEtypeIsEtypeNosupp) {
  // aesonly has an aes256 key only; a request that lists only rc4 gets KDC_ERR_ETYPE_NOSUPP.
  const auto before = log_counts();
  const KdcperfRun r =
      run_kdcperf(dir_, cat(base(), {"aesonly", "--password-file", dir_.file("aesonly.pw"),
                                     "--requests", "20", "--window", "4", "--etypes", "23"}));
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  EXPECT_EQ(r.code(14), 20u);
  EXPECT_EQ(r.count("as_rep"), 0u);
}

TEST_F(HeimdalInterop, KeytabFromHeimdalsKadminLoadsAndLogsIn) {
  // Keys kdcperf cannot derive (a random-key principal) and keys with Heimdal's random salts,
  // read from the keytab Heimdal's kadmin writes: no string-to-key, every reply opens. (kdcperf
  // takes each client's first key in its default order, 18, so the request keeps that order.)
  ASSERT_TRUE(realm_->add_random_principal("random1", {"--attributes=requires-pre-auth"}));
  const std::string keytab = dir_.file("heimdal.keytab");
  for (const char* p : {"random1", "e1", "e2", "e3", "e4", "e5"}) {
    ASSERT_TRUE(realm_->extract_keytab(p, keytab));
  }
  const auto before = log_counts();
  const KdcperfRun r =
      run_kdcperf(dir_, cat(base(), {"--keytab", keytab, "--requests", "24", "--window", "4"}));
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  ASSERT_TRUE(r.report.is_object());
  EXPECT_EQ(r.report["workload"]["population"]["clients"], 6u);
  EXPECT_EQ(r.report["workload"]["population"]["keys_derived"], 0u);
  EXPECT_EQ(r.count("verified_ok"), 24u);
  EXPECT_EQ(realm_->count_kdc_log("ENC-TS Pre-authentication succeeded -- random1@" + kRealm +
                                  " using aes256-cts-hmac-sha1-96"),
            4u);
}

TEST_F(HeimdalInterop, TcpCountsEqualTheKdcLog) {
  for (const char* mode : {"--transport=tcp", "--tcp-persistent"}) {
    SCOPED_TRACE(mode);
    const auto before = log_counts();
    const KdcperfRun r =
        run_kdcperf(dir_, cat(cat(base(), users()), {"--requests", "30", "--window", "3", mode}));
    EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
    expect_counts_match(r, before, log_counts());
    EXPECT_EQ(r.count("as_rep"), 30u);
    EXPECT_GE(r.count("tcp_connects"), 30u);  // Heimdal closes every connection after its reply
  }
}

}  // namespace
}  // namespace kdcperf::testing
