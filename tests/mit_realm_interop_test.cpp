// Tests of the interop harness itself (tests/support/process and mit_realm): child processes,
// guards, ports, and a throwaway MIT realm that real MIT kinit/klist/kvno talk to.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tests/support/mit_realm.hpp"
#include "tests/support/process.hpp"

namespace kdcperf::testing {
namespace {

using std::chrono::milliseconds;

bool pid_alive(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

TEST(Process, CapturesStreamsAndExitCode) {
  KDCPERF_REQUIRE_TOOL("sh");
  const RunResult r = run({"sh", "-c", "echo to-out; echo to-err >&2; exit 3"});
  ASSERT_TRUE(r.started) << r.describe();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.out, "to-out\n");
  EXPECT_EQ(r.out_err, "to-err\n");
  EXPECT_FALSE(r.ok());
}

TEST(Process, StdinAndEnvironmentReachTheChild) {
  KDCPERF_REQUIRE_TOOL("sh");
  RunOptions o;
  o.stdin_data = "line one\nline two\n";
  o.env = {{"KDCPERF_TEST_VAR", "value=with=equals"}, {"LC_ALL", "C"}};
  const RunResult r = run({"sh", "-c", "cat; printf '%s' \"$KDCPERF_TEST_VAR\""}, o);
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "line one\nline two\nvalue=with=equals");
}

TEST(Process, LargeStdinToAChildThatDoesNotReadDoesNotKillTheTest) {
  KDCPERF_REQUIRE_TOOL("true");
  RunOptions o;
  o.stdin_data = std::string(8u << 20, 'x');  // far more than a socket buffer
  const RunResult r = run({"true"}, o);
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(Process, TimeoutKillsTheChild) {
  KDCPERF_REQUIRE_TOOL("sleep");
  RunOptions o;
  o.timeout = milliseconds(200);
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run({"sleep", "30"}, o);
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST(Process, MissingProgramDoesNotStart) {
  const RunResult r = run({"kdcperf-no-such-program-xyz"});
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(tool_available("kdcperf-no-such-program-xyz"));
  EXPECT_NE(r.describe().find("not found"), std::string::npos);
}

// Under CI a missing peer tool is a failure, not a skip (a CI image without MIT must not pass).
TEST(Process, RequireToolFailsUnderCi) {
  const char* old = std::getenv("CI");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("CI", "true", 1);
  EXPECT_TRUE(ci_mode());
  bool result = true;
  EXPECT_NONFATAL_FAILURE(result = require_tool("kdcperf-no-such-program-xyz"),
                          "kdcperf-no-such-program-xyz");
  EXPECT_FALSE(result);
  if (old != nullptr) {
    ::setenv("CI", saved.c_str(), 1);
  } else {
    ::unsetenv("CI");
  }
}

TEST(Process, GuardTerminatesItsChildOnDestruction) {
  KDCPERF_REQUIRE_TOOL("sleep");
  pid_t pid = -1;
  {
    ProcessGuard g = ProcessGuard::start({"sleep", "60"}, {}, "");
    ASSERT_TRUE(g.started()) << g.error();
    pid = g.pid();
    EXPECT_TRUE(g.running());
    EXPECT_TRUE(pid_alive(pid));
  }
  // Reaped by the guard: the PID no longer names our child.
  EXPECT_FALSE(pid_alive(pid));
}

TEST(Process, GuardEscalatesToSigkill) {
  KDCPERF_REQUIRE_TOOL("sh");
  // A child that ignores SIGTERM, as a wedged daemon might.
  ProcessGuard g =
      ProcessGuard::start({"sh", "-c", "trap '' TERM; while :; do sleep 1; done"}, {}, "");
  ASSERT_TRUE(g.started()) << g.error();
  std::this_thread::sleep_for(milliseconds(100));  // let the shell install its trap
  const std::string how = g.stop(milliseconds(200));
  EXPECT_NE(how.find("signal 9"), std::string::npos) << how;
  EXPECT_FALSE(g.running());
}

TEST(Process, FreePortIsBindableForUdpAndTcp) {
  const int port = find_free_port();
  ASSERT_GT(port, 0);
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    const int fd = ::socket(AF_INET, type, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0) << type;
    ::close(fd);
  }
}

TEST(Process, TempDirIsRemoved) {
  std::string path;
  {
    TempDir d("kdcperf-selftest");
    ASSERT_TRUE(d.ok());
    path = d.path();
    ASSERT_TRUE(write_text_file(d.file("a.txt"), "hello"));
    std::filesystem::create_directories(d.file("sub/dir"));
    ASSERT_TRUE(write_text_file(d.file("sub/dir/b.txt"), "x"));
    EXPECT_EQ(read_text_file(d.file("a.txt")).value_or(""), "hello");
  }
  if (std::getenv("KDCPERF_KEEP_TMP") == nullptr) {
    EXPECT_FALSE(std::filesystem::exists(path));
  }
}

// ---- a real MIT realm ----------------------------------------------------------------------

class MitRealmTest : public ::testing::Test {
 protected:
  void SetUp() override { KDCPERF_REQUIRE_MIT(); }
};

TEST_F(MitRealmTest, KinitKlistKvnoAgainstThrowawayKdc) {
  MitRealmOptions opts;
  opts.trace = true;
  MitRealm realm(opts);
  ASSERT_TRUE(realm.create());
  ASSERT_TRUE(realm.add_principal("alice", "alice pw", "+requires_preauth"));
  ASSERT_TRUE(realm.add_random_principal("host/service.test"));
  EXPECT_FALSE(realm.add_principal("alice", "again")) << "duplicate addprinc must be reported";
  ASSERT_TRUE(realm.start());
  EXPECT_GT(realm.port(), 1024);
  EXPECT_TRUE(realm.running());

  const RunResult k = realm.kinit("alice", "alice pw");
  ASSERT_TRUE(k.ok()) << k.describe();
  const RunResult l = realm.client({"klist"});
  ASSERT_TRUE(l.ok()) << l.describe();
  EXPECT_NE(l.out.find("Default principal: alice@KDCPERF.TEST"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("krbtgt/KDCPERF.TEST@KDCPERF.TEST"), std::string::npos) << l.out;
  const RunResult v = realm.client({"kvno", "host/service.test@KDCPERF.TEST"});
  EXPECT_TRUE(v.ok()) << v.describe();

  // Preauth round (NEEDED_PREAUTH then ISSUE), then the TGS request kvno made.
  EXPECT_EQ(realm.count_kdc_log("NEEDED_PREAUTH: alice@KDCPERF.TEST"), 1u);
  EXPECT_EQ(realm.count_kdc_log("ISSUE: authtime"), 2u);
  EXPECT_EQ(realm.count_kdc_log("TGS_REQ"), 1u);
  // The client really went to our port on loopback.
  const std::string trace = read_text_file(realm.trace_path()).value_or("");
  EXPECT_NE(trace.find("127.0.0.1:" + std::to_string(realm.port())), std::string::npos);

  const RunResult bad = realm.kinit("alice", "wrong");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.out_err.find("Password incorrect"), std::string::npos) << bad.describe();
  EXPECT_EQ(realm.count_kdc_log("PREAUTH_FAILED: alice@KDCPERF.TEST"), 1u);

  const pid_t pid = realm.kdc_pid();
  EXPECT_TRUE(pid_alive(pid));
  realm.stop();
  EXPECT_FALSE(realm.running());
  EXPECT_FALSE(pid_alive(pid));
}

TEST_F(MitRealmTest, ForceTcpSendsOverTcp) {
  MitRealmOptions opts;
  opts.force_tcp = true;
  opts.trace = true;
  MitRealm realm(opts);
  ASSERT_TRUE(realm.create());
  ASSERT_TRUE(realm.add_principal("bob", "bobpw"));
  ASSERT_TRUE(realm.start());
  const RunResult k = realm.kinit("bob", "bobpw");
  ASSERT_TRUE(k.ok()) << k.describe();
  const std::string trace = read_text_file(realm.trace_path()).value_or("");
  EXPECT_NE(trace.find("Sending TCP request"), std::string::npos) << trace;
  EXPECT_EQ(trace.find("Sending UDP request"), std::string::npos) << trace;
}

TEST_F(MitRealmTest, KeytabListingAndDbKeyInfo) {
  MitRealm realm;
  ASSERT_TRUE(realm.create());
  ASSERT_TRUE(realm.add_principal("carol", "carolpw"));
  const std::string kt = realm.dir() + "/carol.keytab";
  ASSERT_TRUE(realm.extract_keytab("carol", kt));
  const auto entries = realm.list_keytab(kt);
  ASSERT_TRUE(entries.has_value());
  // One entry per supported_enctypes pair of the default options, all kvno 1.
  ASSERT_EQ(entries->size(), 5u);
  for (const auto& e : *entries) {
    EXPECT_EQ(e.principal, "carol@KDCPERF.TEST");
    EXPECT_EQ(e.kvno, 1u);
    EXPECT_EQ(e.key_hex.size(), e.enctype.find("aes128") == 0 ? 32u
                                : e.enctype == "arcfour-hmac" ? 32u
                                                              : 64u)
        << e.enctype;
  }
  const auto db = realm.db_key_info();
  ASSERT_TRUE(db.has_value());
  std::size_t carol_keys = 0;
  for (const auto& k : *db) {
    if (k.principal != "carol@KDCPERF.TEST") continue;
    ++carol_keys;
    EXPECT_EQ(k.salttype, "normal");
    EXPECT_FALSE(k.salt.has_value());
  }
  EXPECT_EQ(carol_keys, 5u);
}

TEST_F(MitRealmTest, StartMovesToAnotherPortWhenItsPortIsTaken) {
  MitRealm realm;
  ASSERT_TRUE(realm.create());
  ASSERT_TRUE(realm.add_principal("dave", "davepw"));
  // Another process takes the chosen port between create() and start().
  const int taken = realm.port();
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(taken));
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  const bool started = static_cast<bool>(realm.start());
  ::close(fd);
  ASSERT_TRUE(started);
  EXPECT_NE(realm.port(), taken);
  const RunResult k = realm.kinit("dave", "davepw");
  EXPECT_TRUE(k.ok()) << k.describe();
}

TEST_F(MitRealmTest, DestructorStopsTheKdc) {
  pid_t pid = -1;
  std::string dir;
  {
    MitRealm realm;
    ASSERT_TRUE(realm.create());
    ASSERT_TRUE(realm.start());
    pid = realm.kdc_pid();
    dir = realm.dir();
    EXPECT_TRUE(pid_alive(pid));
  }
  EXPECT_FALSE(pid_alive(pid));
  if (std::getenv("KDCPERF_KEEP_TMP") == nullptr) {
    EXPECT_FALSE(std::filesystem::exists(dir));
  }
}

TEST(MitRealmParse, RejectsMalformedKlistLines) {
  EXPECT_FALSE(parse_klist_keytab("no rule line here\n").has_value());
  EXPECT_FALSE(
      parse_klist_keytab("----\n   1 01/01/26 00:00:00 a@R (aes256-cts-hmac-sha1-96)  (0xzz)\n")
          .has_value());
  EXPECT_FALSE(parse_klist_keytab("----\n   x 01/01/26 00:00:00 a@R (e)  (0x00)\n").has_value());
  EXPECT_FALSE(parse_tabdump_keyinfo("").has_value());
  EXPECT_FALSE(
      parse_tabdump_keyinfo("name\tkeyindex\tkvno\tenctype\tsalttype\tsalt\na\t0\t1\te\tnormal\n")
          .has_value());
}

}  // namespace
}  // namespace kdcperf::testing
