// kdcperf-kdc against Heimdal 7.8's clients (issue 5): Heimdal's kinit, unpacked from Debian's
// packages by scripts/heimdal.sh, gets a TGT over UDP and TCP, and its klist lists it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "tests/support/heimdal_realm.hpp"
#include "tests/support/kdcperf_kdc.hpp"
#include "tests/support/process.hpp"

namespace kdcperf::testing {
namespace {

TEST(KdcHeimdal, HeimdalKinitGetsATgtOverUdpAndTcp) {
  KDCPERF_REQUIRE_HEIMDAL();
  KdcperfKdc kdc;
  ASSERT_TRUE(kdc.start({"--users", "2", "--etypes", "18,17,20,19,23", "--workers", "1"}));
  for (bool tcp : {false, true}) {
    SCOPED_TRACE(tcp ? "tcp" : "udp");
    MitClientOptions c;
    c.heimdal = true;
    c.tcp = tcp;
    c.ccache_name = tcp ? "heimdal-tcp" : "heimdal-udp";
    RunOptions o;
    o.env = kdc.client_env(c);
    o.stdin_data = "pw-1\n";
    const RunResult k = run({HeimdalRealm::tool("kinit"), "--password-file=STDIN", "user1"}, o);
    ASSERT_TRUE(k.ok()) << k.describe() << "\n" << kdc.log();
    o.stdin_data.reset();
    const RunResult l = run({HeimdalRealm::tool("klist"), "-v"}, o);
    ASSERT_TRUE(l.ok()) << l.describe();
    EXPECT_NE(l.out.find("user1@KDCPERF.TEST"), std::string::npos) << l.out;
    EXPECT_NE(l.out.find("krbtgt/KDCPERF.TEST@KDCPERF.TEST"), std::string::npos) << l.out;
    EXPECT_NE(l.out.find("initial"), std::string::npos) << l.out;
    EXPECT_NE(l.out.find("pre-authent"), std::string::npos) << l.out;
  }
  // A wrong password is refused (Heimdal's kinit says "Password incorrect").
  MitClientOptions c;
  c.heimdal = true;
  c.ccache_name = "heimdal-bad";
  RunOptions o;
  o.env = kdc.client_env(c);
  o.stdin_data = "wrong\n";
  const RunResult bad = run({HeimdalRealm::tool("kinit"), "--password-file=STDIN", "user2"}, o);
  EXPECT_FALSE(bad.ok());
  const auto stats = kdc.stop_and_read_stats();
  ASSERT_TRUE(stats.has_value());
  const nlohmann::json j = nlohmann::json::parse(*stats, nullptr, false);
  EXPECT_EQ(j.value("as_rep", 0), 2);
  EXPECT_GE(j["errors_by_code"].value("KDC_ERR_PREAUTH_FAILED", 0), 1);
  EXPECT_EQ(j["engine"].value("tcp_accepted", 0), 2);  // the TCP kinit: two exchanges
}

}  // namespace
}  // namespace kdcperf::testing
