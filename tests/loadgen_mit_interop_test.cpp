// The `kdcperf` binary against a real MIT krb5kdc on loopback (a throwaway realm), and against
// responders that lie: kdcperf's counts of AS-REPs and of each KRB-ERROR code must equal what
// the KDC's own log says it sent, and a dead port, garbage or a replayed genuine AS-REP must
// never be counted as success.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/kdcperf_run.hpp"
#include "tests/support/mit_realm.hpp"
#include "tests/support/process.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kRealm = "KDCPERF.TEST";

// A UDP responder on 127.0.0.1 that answers every datagram with `reply(i)`.
class FakeKdc {
 public:
  explicit FakeKdc(std::function<std::string(std::uint64_t)> reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeKdc() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::uint64_t received() const { return received_; }

 private:
  void loop() {
    char buf[4096];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      const ssize_t n =
          ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) continue;
      const std::string r = reply_(received_++);
      ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
  std::function<std::string(std::uint64_t)> reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> received_{0};
  std::thread thread_;
};

struct LogCounts {
  std::size_t issue, preauth_failed, not_found, needed_preauth;
};

// One realm for the suite: alice (+requires_preauth), bob (no pre-auth), user1..user300.
class LoadgenMit : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { realm_.reset(); }

  void SetUp() override {
    KDCPERF_REQUIRE_MIT();
    ASSERT_TRUE(std::filesystem::exists(kdcperf_binary()))
        << kdcperf_binary() << " is missing: build the kdcperf target";
    ASSERT_TRUE(write_text_file(dir_.file("alice.pw"), "alice-pw\n"));
    if (realm_) return;
    realm_ = std::make_unique<MitRealm>();
    ASSERT_TRUE(realm_->create());
    ASSERT_TRUE(realm_->add_principal("alice", "alice-pw", "+requires_preauth"));
    ASSERT_TRUE(realm_->add_principal("bob", "bob-pw", "-requires_preauth"));
    std::string batch;
    for (int i = 1; i <= kUsers; ++i) {
      batch += "addprinc -pw pw-" + std::to_string(i) +
               " -e aes256-cts-hmac-sha1-96:normal +requires_preauth user" + std::to_string(i) +
               "\n";
    }
    const RunResult r = realm_->client({"kadmin.local"}, batch);
    ASSERT_TRUE(r.ok()) << r.describe();
    ASSERT_NE(r.out.find("user" + std::to_string(kUsers) + "@"), std::string::npos) << r.out;
    ASSERT_TRUE(realm_->start());
  }

  std::string kdc() const { return "127.0.0.1:" + std::to_string(realm_->port()); }

  // Log lines, once the KDC has written everything (the log trails the replies a little).
  std::size_t log_count(std::string_view needle) {
    std::size_t last = realm_->count_kdc_log("AS_REQ");
    for (int i = 0; i < 30; ++i) {
      std::this_thread::sleep_for(100ms);
      const std::size_t now = realm_->count_kdc_log("AS_REQ");
      if (now == last) break;
      last = now;
    }
    return realm_->count_kdc_log(needle);
  }

  LogCounts log_counts() {
    return {log_count("ISSUE:"), log_count("PREAUTH_FAILED:"), log_count("CLIENT_NOT_FOUND:"),
            log_count("NEEDED_PREAUTH:")};
  }

  static constexpr int kUsers = 300;
  static std::unique_ptr<MitRealm> realm_;
  TempDir dir_{"kdcperf-loadgen"};
};
std::unique_ptr<MitRealm> LoadgenMit::realm_;

// The run's counts against the KDC log's, for one scenario.
void expect_counts_match(const KdcperfRun& r, const LogCounts& before, const LogCounts& after) {
  ASSERT_TRUE(r.report.is_object()) << r.process.describe();
  EXPECT_EQ(r.count("as_rep"), after.issue - before.issue);
  EXPECT_EQ(r.code(24), after.preauth_failed - before.preauth_failed);  // KDC_ERR_PREAUTH_FAILED
  EXPECT_EQ(r.code(6), after.not_found - before.not_found);  // KDC_ERR_C_PRINCIPAL_UNKNOWN
  EXPECT_EQ(r.code(25), after.needed_preauth - before.needed_preauth);  // PREAUTH_REQUIRED
  EXPECT_EQ(r.count("timeouts"), 0u);
  EXPECT_EQ(r.count("malformed"), 0u);
  EXPECT_EQ(r.count("verified_failed"), 0u);
  EXPECT_EQ(r.count("verified_ok"), r.count("as_rep"));
}

TEST_F(LoadgenMit, ClosedLoopPreauthCountsEqualTheKdcLog) {
  const auto before = log_counts();
  const KdcperfRun r =
      run_kdcperf(dir_, {"--kdc", kdc(), "--realm", kRealm, "alice", "--password-file",
                         dir_.file("alice.pw"), "--requests", "80", "--window", "4"});
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  EXPECT_EQ(r.count("as_rep"), 80u);
  EXPECT_EQ(r.report["result"]["status"], "ok");
}

TEST_F(LoadgenMit, WrongPasswordsAndUnknownPrincipalsAreCountedByCode) {
  // Identities: alice, an unknown principal, and users; a quarter of the requests carry a
  // wrong key. Every reply is classified, and the sums equal the KDC's log.
  std::string ids = "alice:alice-pw\nnobody@" + kRealm + ":whatever\n";
  for (int i = 1; i <= 20; ++i)
    ids += "user" + std::to_string(i) + ":pw-" + std::to_string(i) + "\n";
  ASSERT_TRUE(write_text_file(dir_.file("ids.txt"), ids));
  const auto before = log_counts();
  const KdcperfRun r = run_kdcperf(
      dir_, {"--kdc", kdc(), "--realm", kRealm, "--identities", dir_.file("ids.txt"), "--requests",
             "220", "--window", "8", "--bad-password-ratio", "0.25", "--select", "uniform"});
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  EXPECT_GT(r.code(24), 0u);
  EXPECT_GT(r.code(6), 0u);
  EXPECT_EQ(r.count("as_rep") + r.code(24) + r.code(6), 220u);
}

TEST_F(LoadgenMit, NoPreauthGetsPreauthRequired) {
  const auto before = log_counts();
  const KdcperfRun r = run_kdcperf(
      dir_, {"--kdc", kdc(), "--realm", kRealm, "alice", "--password-file", dir_.file("alice.pw"),
             "--requests", "40", "--window", "4", "--no-preauth"});
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  EXPECT_EQ(r.code(25), 40u);
}

TEST_F(LoadgenMit, LoginFlowIsTwoMessagesPerLoginInEveryEtype) {
  // The reply key is the first requested etype the client has (KERBEROS-INTEROP.md §5.3). MIT
  // 1.20 will not make an RC4 session key, so 23 is asked for with 18 behind it: the AS-REP is
  // then sealed with alice's RC4 key and carries an AES session key.
  for (const char* etype : {"17", "18", "19", "20", "23,18"}) {
    SCOPED_TRACE(etype);
    const auto before = log_counts();
    const KdcperfRun r = run_kdcperf(
        dir_, {"--kdc", kdc(), "--realm", kRealm, "alice", "--password-file", dir_.file("alice.pw"),
               "--requests", "20", "--window", "2", "--flow", "login", "--etypes", etype});
    EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
    expect_counts_match(r, before, log_counts());
    EXPECT_EQ(r.count("logins_ok"), 20u);
    EXPECT_EQ(r.count("sent"), 40u);
    EXPECT_EQ(r.code(25), 20u);
    EXPECT_GT(r.report["throughput"]["logins_per_s"].get<double>(), 0);
    EXPECT_EQ(r.report["latency"]["login"]["count"], 20u);
  }
}

// Straight to PA-ENC-TIMESTAMP (no probe) in every etype, over UDP and TCP: the key comes from
// the password with the default salt in the requested etype, and the KDC accepts it.
TEST_F(LoadgenMit, PreauthFlowInEveryEtypeOverUdpAndTcp) {
  for (const char* transport : {"udp", "tcp"}) {
    for (const char* etype : {"17", "18", "19", "20", "23,18"}) {
      SCOPED_TRACE(std::string(transport) + " etypes " + etype);
      const auto before = log_counts();
      const KdcperfRun r =
          run_kdcperf(dir_, {"--kdc", kdc(), "--realm", kRealm, "alice", "--password-file",
                             dir_.file("alice.pw"), "--requests", "12", "--window", "3", "--flow",
                             "preauth", "--etypes", etype, "--transport", transport});
      EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
      expect_counts_match(r, before, log_counts());
      EXPECT_EQ(r.count("sent"), 12u);
      EXPECT_EQ(r.count("verified_ok"), 12u);
      EXPECT_EQ(r.code(25), 0u);  // no first leg
      if (std::string(transport) == "tcp") {
        EXPECT_GE(r.count("tcp_connects"), 12u);
      }
    }
  }
}

TEST_F(LoadgenMit, OpenLoopOverManyPrincipalsEqualsTheKdcLog) {
  const auto before = log_counts();
  const KdcperfRun r = run_kdcperf(
      dir_, {"--kdc", kdc(), "--realm", kRealm, "--pattern", "user{i}", "--password-pattern",
             "pw-{i}", "--range", "1-" + std::to_string(kUsers), "--rate", "300", "--duration",
             "1s", "--bad-password-ratio", "0.1", "--etypes", "18",
             // The shared test machine may stall the generator; this test is about counts.
             "--max-lag", "1s", "--late-ratio", "50%"});
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  EXPECT_EQ(r.count("sent"), 300u);  // the schedule is exact
  EXPECT_EQ(r.count("as_rep") + r.code(24), 300u);
  EXPECT_FALSE(r.report["series"].empty());
  EXPECT_DOUBLE_EQ(r.report["series"][0]["target_rate"].get<double>(), 300);
}

TEST_F(LoadgenMit, ProbeLearnsSaltsAndSavedKeysSkipDerivation) {
  const std::string keys = dir_.file("keys.keytab");
  const auto before = log_counts();
  const KdcperfRun first =
      run_kdcperf(dir_, {"--kdc", kdc(), "--realm", kRealm, "--pattern", "user{i}",
                         "--password-pattern", "pw-{i}", "--range", "1-50", "--probe",
                         "--save-keys", keys, "--requests", "50", "--window", "5"});
  EXPECT_EQ(first.process.exit_code, kExitOk) << first.process.describe();
  const json& pop = first.report["workload"]["population"];
  EXPECT_EQ(pop["clients"], 50u);
  EXPECT_EQ(pop["probe"]["learned"], 50u);
  EXPECT_EQ(pop["keys_derived"], 50u);
  // The probes are AS-REQs without pre-authentication: the KDC logged them as NEEDED_PREAUTH.
  const auto after = log_counts();
  EXPECT_EQ(after.needed_preauth - before.needed_preauth, 50u);
  EXPECT_EQ(first.count("verified_ok"), 50u);

  // A second run takes the saved keys: no password, no string-to-key.
  const KdcperfRun second =
      run_kdcperf(dir_, {"--kdc", kdc(), "--realm", kRealm, "--pattern", "user{i}", "--range",
                         "1-50", "--load-keys", keys, "--requests", "50", "--window", "5"});
  EXPECT_EQ(second.process.exit_code, kExitOk) << second.process.describe();
  EXPECT_EQ(second.report["workload"]["population"]["keys_loaded"], 50u);
  EXPECT_EQ(second.report["workload"]["population"]["keys_derived"], 0u);
  EXPECT_EQ(second.count("verified_ok"), 50u);
}

// Ten thousand distinct principals (issue 4), one request each (round-robin). Random keys
// extracted into a keytab keep the realm's set-up fast (no string-to-key for 10,000 passwords).
TEST_F(LoadgenMit, TenThousandDistinctPrincipals) {
  constexpr int kMany = 10000;
  std::string batch;
  for (int i = 1; i <= kMany; ++i) {
    batch += "addprinc -randkey -e aes256-cts-hmac-sha1-96:normal +requires_preauth many" +
             std::to_string(i) + "\n";
  }
  RunOptions slow;  // about 3 ms a principal
  slow.env = realm_->env();
  slow.stdin_data = batch;
  slow.timeout = 600s;
  const RunResult add = run({"kadmin.local"}, slow);
  ASSERT_TRUE(add.ok()) << add.describe();
  const std::string keytab = dir_.file("many.keytab");
  const RunResult kt = realm_->kadmin("ktadd -k " + keytab + " -norandkey -glob many*");
  ASSERT_TRUE(kt.ok()) << kt.describe();
  const auto before = log_counts();
  const KdcperfRun r =
      run_kdcperf(dir_, {"--kdc", kdc(), "--realm", kRealm, "--keytab", keytab, "--requests",
                         std::to_string(kMany), "--window", "32", "--timeout", "5s"});
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  expect_counts_match(r, before, log_counts());
  EXPECT_EQ(r.report["workload"]["population"]["clients"], kMany);
  EXPECT_EQ(r.count("verified_ok"), static_cast<std::uint64_t>(kMany));
  // Each principal logged in exactly once.
  EXPECT_EQ(realm_->count_kdc_log("many1@"), 1u);
  EXPECT_EQ(realm_->count_kdc_log("many10000@"), 1u);
}

TEST_F(LoadgenMit, TcpCountsEqualTheKdcLog) {
  for (const char* mode : {"--transport=tcp", "--tcp-persistent"}) {
    SCOPED_TRACE(mode);
    const auto before = log_counts();
    const KdcperfRun r =
        run_kdcperf(dir_, {"--kdc", kdc(), "--realm", kRealm, "alice", "--password-file",
                           dir_.file("alice.pw"), "--requests", "30", "--window", "3", mode});
    EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
    expect_counts_match(r, before, log_counts());
    EXPECT_EQ(r.count("as_rep"), 30u);
    EXPECT_GE(r.count("tcp_connects"), 30u);  // MIT closes every connection after its reply
  }
}

TEST_F(LoadgenMit, KdcCpuAndMemoryAreReported) {
  const KdcperfRun r =
      run_kdcperf(dir_,
                  {"--kdc", kdc(), "--realm", kRealm, "bob", "--password-stdin", "--requests", "50",
                   "--kdc-pid", std::to_string(realm_->kdc_pid())},
                  "bob-pw\n");
  EXPECT_EQ(r.process.exit_code, kExitOk) << r.process.describe();
  ASSERT_TRUE(r.report.contains("kdc"));
  EXPECT_EQ(r.report["kdc"]["pid"], realm_->kdc_pid());
  EXPECT_GT(r.report["kdc"]["rss_kb_end"].get<std::uint64_t>(), 0u);
  EXPECT_GE(
      r.report["kdc"]["cpu_user_s"].get<double>() + r.report["kdc"]["cpu_system_s"].get<double>(),
      0);
  EXPECT_EQ(r.count("as_rep"), 50u);  // bob needs no pre-auth: the AS-REP answers at once
}

TEST_F(LoadgenMit, ThresholdsGiveTheirOwnExitStatusAndReportsMerge) {
  const std::vector<std::string> base{
      "--kdc",      kdc(), "--realm", kRealm, "alice", "--password-file", dir_.file("alice.pw"),
      "--requests", "20"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return run_kdcperf(dir_, a);
  };
  const KdcperfRun pass = with({"--threshold", "errors<1%", "--threshold", "rate>=1"});
  EXPECT_EQ(pass.process.exit_code, kExitOk) << pass.process.describe();
  EXPECT_EQ(pass.report["thresholds"].size(), 2u);
  const KdcperfRun fail = with({"--threshold", "p99<1ns"});
  EXPECT_EQ(fail.process.exit_code, kExitThresholdFailed) << fail.process.describe();
  EXPECT_EQ(fail.report["result"]["status"], "threshold_failed");
  const KdcperfRun typo = with({"--threshold", "p98<1ms"});
  EXPECT_EQ(typo.process.exit_code, kExitUsage);

  // kdcperf merge adds the two runs' counts and histograms.
  const std::string a = dir_.file("a.json"), b = dir_.file("b.json"), m = dir_.file("m.json");
  ASSERT_TRUE(write_text_file(a, pass.report.dump()));
  ASSERT_TRUE(write_text_file(b, fail.report.dump()));
  const RunResult merged = run({kdcperf_binary(), "merge", a, b, "--json", m});
  EXPECT_EQ(merged.exit_code, kExitOk) << merged.describe();
  const json j = json::parse(read_text_file(m).value_or("{}"), nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["counts"]["as_rep"], 40u);
  EXPECT_EQ(j["latency"]["corrected"]["count"], 40u);
  EXPECT_EQ(j["merged_from"], 2);
}

TEST_F(LoadgenMit, KinitWritesACcacheThatKlistReads) {
  const std::string cc = dir_.file("kinit.ccache");
  RunOptions o;
  o.stdin_data = "alice-pw\n";
  const RunResult k = run({kdcperf_binary(), "kinit", "--kdc", kdc(), "--realm", kRealm, "-c", cc,
                           "--password-stdin", "alice"},
                          o);
  ASSERT_TRUE(k.ok()) << k.describe();
  const RunResult l = realm_->client({"klist", "-c", cc});
  ASSERT_TRUE(l.ok()) << l.describe();
  EXPECT_NE(l.out.find("alice@" + kRealm), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("krbtgt/" + kRealm + "@" + kRealm), std::string::npos) << l.out;
}

// kdcperf kinit with a keytab (-k -t) as MIT's kinit takes them: MIT's kvno then uses the TGT
// in the ccache kdcperf wrote for a TGS exchange with MIT's KDC.
TEST_F(LoadgenMit, KinitWithAKeytabGivesATgtThatMitKvnoUses) {
  ASSERT_TRUE(realm_->add_principal("host/kinit.kdcperf.test", "host-pw", ""));
  const std::string keytab = dir_.file("alice.keytab");
  const RunResult kt = realm_->kadmin("ktadd -k " + keytab + " -norandkey alice");
  ASSERT_TRUE(kt.ok()) << kt.describe();
  const std::string cc = dir_.file("kinit-k.ccache");
  const RunResult k = run({kdcperf_binary(), "kinit", "--kdc", kdc(), "--realm", kRealm, "-c", cc,
                           "-k", "-t", keytab, "alice"});
  ASSERT_TRUE(k.ok()) << k.describe();
  const std::size_t tgs_before = realm_->count_kdc_log("TGS_REQ");
  const RunResult v =
      realm_->client({"kvno", "-c", "FILE:" + cc, "host/kinit.kdcperf.test@" + kRealm});
  ASSERT_TRUE(v.ok()) << v.describe();
  EXPECT_NE(v.out.find("host/kinit.kdcperf.test@" + kRealm + ": kvno = 1"), std::string::npos)
      << v.out;
  EXPECT_EQ(realm_->count_kdc_log("TGS_REQ"), tgs_before + 1);
  const RunResult l = realm_->client({"klist", "-c", cc});
  ASSERT_TRUE(l.ok()) << l.describe();
  EXPECT_NE(l.out.find("Default principal: alice@" + kRealm), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("krbtgt/" + kRealm + "@" + kRealm), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("host/kinit.kdcperf.test@" + kRealm), std::string::npos) << l.out;
}

// ---- negative controls (no MIT needed, but the binary is) ----------------------------------

class LoadgenNegative : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kdcperf_binary()))
        << kdcperf_binary() << " is missing: build the kdcperf target";
    ASSERT_TRUE(write_text_file(dir_.file("pw"), "secret\n"));
  }
  std::vector<std::string> alice(const std::string& kdc) {
    return {"--kdc", kdc, "--realm", kRealm, "alice", "--password-file", dir_.file("pw")};
  }
  TempDir dir_{"kdcperf-loadgen"};
};

TEST_F(LoadgenNegative, DeadPortGivesTimeoutsAndNoReplies) {
  const int port = find_free_port();
  ASSERT_GT(port, 0);
  auto args = alice("127.0.0.1:" + std::to_string(port));
  args.insert(args.end(), {"--requests", "10", "--window", "5", "--timeout", "100ms"});
  const KdcperfRun r = run_kdcperf(dir_, args);
  ASSERT_TRUE(r.report.is_object()) << r.process.describe();
  EXPECT_EQ(r.count("replies"), 0u);
  EXPECT_EQ(r.count("timeouts"), 10u);
  EXPECT_EQ(r.count("as_rep") + r.count("verified_ok"), 0u);
  EXPECT_EQ(r.process.exit_code, kExitOk);  // timeouts are errors, not a failed verification
  EXPECT_EQ(r.report["counts"]["errors"], 10u);
}

TEST_F(LoadgenNegative, GarbageIsMalformedNeverSuccess) {
  FakeKdc garbage([](std::uint64_t i) {
    std::string s(1 + i % 200, static_cast<char>(0x6b + i % 3));  // starts like an AS-REP
    return s;
  });
  auto args = alice(garbage.address());
  args.insert(args.end(), {"--requests", "300", "--window", "8"});
  const KdcperfRun r = run_kdcperf(dir_, args);
  ASSERT_TRUE(r.report.is_object()) << r.process.describe();
  EXPECT_EQ(r.count("malformed"), 300u);
  EXPECT_EQ(r.count("as_rep") + r.count("logins_ok"), 0u);
  EXPECT_EQ(r.process.exit_code, kExitVerificationFailed);
  EXPECT_EQ(garbage.received(), 300u);
}

TEST_F(LoadgenNegative, AReplayedGenuineAsRepFailsVerification) {
  // MIT's AS-REP to one of alice's requests (krb/testdata/mit), sent back to every request:
  // it decrypts with alice's key, but its nonce is not the request's.
  const krb::Buffer rep = read_hex_file(source_path("krb/testdata/mit/aes256_as_rep.hex"));
  ASSERT_FALSE(rep.empty());
  FakeKdc replay([&](std::uint64_t) {
    return std::string(reinterpret_cast<const char*>(rep.data()), rep.size());
  });
  const KdcperfRun r = run_kdcperf(
      dir_, {"--kdc", replay.address(), "--realm", kRealm, "--keytab",
             source_path("krb/testdata/mit/alice.keytab"), "--requests", "50", "--window", "4"});
  ASSERT_TRUE(r.report.is_object()) << r.process.describe();
  EXPECT_EQ(r.count("as_rep"), 50u);
  EXPECT_EQ(r.count("verified_failed"), 50u);
  EXPECT_EQ(r.count("verified_ok") + r.count("logins_ok"), 0u);
  EXPECT_EQ(r.report["counts"]["failed_by"]["nonce"], 50u);
  EXPECT_EQ(r.process.exit_code, kExitVerificationFailed);
}

// The canned responder (the floor for kdcperf's own ceiling) answers every request with MIT's
// captured AS-REP: unchecked, every reply is an AS-REP; checked, every one fails its nonce.
TEST_F(LoadgenNegative, CannedResponderAnswersEveryRequest) {
  const std::string responder = std::string(KDCPERF_BINARY_DIR) + "/loadgen/kdcperf-responder";
  ASSERT_TRUE(std::filesystem::exists(responder)) << responder << " is missing";
  const int port = find_free_port();
  ASSERT_GT(port, 0);
  const std::string log = dir_.file("responder.log");
  ProcessGuard guard =
      ProcessGuard::start({responder, "--listen", "127.0.0.1:" + std::to_string(port),
                           "--reply-hex", source_path("krb/testdata/mit/aes256_as_rep.hex")},
                          {}, log);
  ASSERT_TRUE(guard.started()) << guard.error();
  for (int i = 0;
       i < 100 && read_text_file(log).value_or("").find("listening") == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  const std::string kdc = "127.0.0.1:" + std::to_string(port);
  const std::string keytab = source_path("krb/testdata/mit/alice.keytab");
  const KdcperfRun none =
      run_kdcperf(dir_, {"--kdc", kdc, "--realm", kRealm, "--keytab", keytab, "--verify", "none",
                         "--requests", "2000", "--window", "16"});
  EXPECT_EQ(none.process.exit_code, kExitOk) << none.process.describe();
  EXPECT_EQ(none.count("as_rep"), 2000u);
  EXPECT_EQ(none.count("unchecked"), 2000u);
  const KdcperfRun all = run_kdcperf(dir_, {"--kdc", kdc, "--realm", kRealm, "--keytab", keytab,
                                            "--requests", "200", "--window", "16"});
  EXPECT_EQ(all.process.exit_code, kExitVerificationFailed) << all.process.describe();
  EXPECT_EQ(all.count("verified_failed"), 200u);
  guard.stop();
  EXPECT_NE(read_text_file(log).value_or("").find("received 2200 sent 2200"), std::string::npos)
      << read_text_file(log).value_or("");
}

TEST_F(LoadgenNegative, RefusesANonLoopbackTarget) {
  auto args = alice("192.0.2.1:88");
  args.insert(args.end(), {"--requests", "1"});
  const KdcperfRun r = run_kdcperf(dir_, args);
  EXPECT_EQ(r.process.exit_code, kExitUsage);
  EXPECT_NE(r.process.out_err.find("loopback"), std::string::npos) << r.process.out_err;
  EXPECT_TRUE(r.report.is_null());  // nothing was run, so nothing reported
}

}  // namespace
}  // namespace kdcperf::testing
