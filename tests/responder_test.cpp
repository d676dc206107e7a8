// kdcperf-responder --seal against the `kdcperf` binary: every AS-REQ gets an AS-REP sealed for
// it, so a checking kdcperf verifies every reply (nonce, names, key usage 3); a client with no
// key gets KRB-ERROR C_PRINCIPAL_UNKNOWN; hostile datagrams are counted and dropped. And the
// two reference generators kdcperf's ceiling is read against (scripts/loadgen-ceiling.sh),
// against the canned responder: each gets its replies, and neither sends off loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/kdcperf_run.hpp"
#include "tests/support/process.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::testing {
namespace {

using namespace std::chrono_literals;

const std::string kRealm = "KDCPERF.TEST";

std::string loadgen_program(const std::string& name) {
  return std::string(KDCPERF_BINARY_DIR) + "/loadgen/" + name;
}

class Responder : public ::testing::Test {
 protected:
  // Starts kdcperf-responder with `args` on a port of its choosing.
  void start(std::vector<std::string> args) {
    const std::string responder = loadgen_program("kdcperf-responder");
    ASSERT_TRUE(std::filesystem::exists(responder))
        << responder << " is missing: build the kdcperf-responder target";
    // Port 0 and --port-file: the responder binds first, so no other process can take the port.
    const std::string port_file = dir_.file("port");
    args.insert(args.begin(), responder);
    for (const char* a : {"--listen", "127.0.0.1:0", "--port-file"}) args.emplace_back(a);
    args.push_back(port_file);
    guard_ = ProcessGuard::start(args, {}, log_);
    ASSERT_TRUE(guard_.started()) << guard_.error();
    for (int i = 0; i < 250 && port_ == 0; ++i) {
      const std::string text = read_text_file(port_file).value_or("");
      if (text.find('\n') != std::string::npos) port_ = std::stoi(text);
      if (port_ == 0) std::this_thread::sleep_for(20ms);
    }
    ASSERT_GT(port_, 0) << read_text_file(log_).value_or("");
  }

  std::string kdc() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return read_text_file(log_).value_or(""); }

  TempDir dir_{"kdcperf-responder"};
  std::string log_ = dir_.file("responder.log");
  ProcessGuard guard_;
  int port_ = 0;
};

class SealingResponder : public Responder {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kdcperf_binary()))
        << kdcperf_binary() << " is missing: build the kdcperf target";
    start({"--seal", "--keytab", source_path("krb/testdata/mit/alice.keytab")});
  }
};

class CannedResponder : public Responder {
 protected:
  void SetUp() override { start({}); }
};

TEST_F(SealingResponder, EveryReplyVerifiesAndUnknownClientsGetCode6) {
  const KdcperfRun ok = run_kdcperf(
      dir_, {"--kdc", kdc(), "--realm", kRealm, "--keytab",
             source_path("krb/testdata/mit/alice.keytab"), "--requests", "2000", "--window", "16"});
  ASSERT_TRUE(ok.report.is_object()) << ok.process.describe();
  EXPECT_EQ(ok.process.exit_code, kExitOk) << ok.process.describe();
  EXPECT_EQ(ok.count("as_rep"), 2000u);
  EXPECT_EQ(ok.count("verified_ok"), 2000u);
  EXPECT_EQ(ok.count("verified_failed"), 0u);

  ASSERT_TRUE(write_text_file(dir_.file("pw"), "secret\n"));
  const KdcperfRun unknown =
      run_kdcperf(dir_, {"--kdc", kdc(), "--realm", kRealm, "mallory", "--password-file",
                         dir_.file("pw"), "--requests", "100", "--window", "8"});
  ASSERT_TRUE(unknown.report.is_object()) << unknown.process.describe();
  EXPECT_EQ(unknown.code(6), 100u);  // KDC_ERR_C_PRINCIPAL_UNKNOWN
  EXPECT_EQ(unknown.count("as_rep"), 0u);

  EXPECT_EQ(guard_.stop(), "exit 0");
  EXPECT_NE(log().find("received 2100 sent 2100"), std::string::npos) << log();
  EXPECT_NE(log().find("requests 2100 replies_sealed 2000 errors_sent 100"), std::string::npos)
      << log();
}

// Garbage, truncations and bit flips of a genuine AS-REQ: no crash, undecodable ones counted and
// unanswered, and the responder still answers a genuine request afterwards.
TEST_F(SealingResponder, HostileDatagramsAreCountedAndDropped) {
  const krb::Buffer req = read_hex_file(source_path("krb/testdata/mit/aes256_as_req_preauth.hex"));
  ASSERT_FALSE(req.empty());
  const auto bytes = [](std::initializer_list<int> v) {
    std::string s;
    for (int b : v) s.push_back(static_cast<char>(b));
    return s;
  };
  const std::string genuine(reinterpret_cast<const char*>(req.data()), req.size());
  std::vector<std::string> hostile = {
      "",
      bytes({0x6a}),
      bytes({0x6a, 0x84, 0xff, 0xff, 0xff, 0xff}),  // a 4 GiB length
      std::string(3000, '\x30'),                    // over the receive buffer: truncated
      genuine.substr(0, genuine.size() - 1),
      genuine + '\0',  // trailing byte: strict decoding refuses it
  };
  for (std::size_t i = 0; i < 64; ++i) hostile.push_back(genuine.substr(0, i));

  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  timeval tv{0, 500'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port_));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto send_one = [&](const std::string& m) {
    ::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  };
  for (const std::string& m : hostile) send_one(m);
  send_one(genuine);
  // One socket, answered in order: any reply to a hostile datagram would come first. MIT's
  // captured request names alice, who has a key, so the first reply is an AS-REP
  // ([APPLICATION 11]) and nothing follows it.
  char buf[4096];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  char more[4096];
  const ssize_t extra = ::recv(fd, more, sizeof more, 0);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(static_cast<unsigned char>(buf[0]), 0x6bu);
  EXPECT_LT(extra, 0);

  EXPECT_EQ(guard_.stop(), "exit 0");
  const std::string counts =
      "replies_sealed 1 errors_sent 0 (client_unknown 0 etype_nosupp 0) malformed " +
      std::to_string(hostile.size());
  EXPECT_NE(log().find(counts), std::string::npos) << log();
}

// The reference generators print one JSON line; the numbers in it are what the ceiling script
// reads.
std::uint64_t json_count(const std::string& line, const std::string& key) {
  const auto at = line.find("\"" + key + "\": ");
  if (at == std::string::npos) return ~std::uint64_t{0};
  return std::stoull(line.substr(at + key.size() + 4));
}

TEST_F(CannedResponder, ReferenceGeneratorsGetTheirRepliesAndStayOnLoopback) {
  const std::string floor = loadgen_program("kdcperf-engine-floor");
  const std::string plain = loadgen_program("kdcperf-plain-generator");
  for (const std::string& program : {floor, plain}) {
    ASSERT_TRUE(std::filesystem::exists(program)) << program << " is missing: build it";
  }
  RunOptions ro;
  ro.timeout = 30s;
  const RunResult f =
      run({floor, "--kdc", kdc(), "--window", "16", "--duration", "0.5", "--warmup", "0.2"}, ro);
  ASSERT_EQ(f.exit_code, 0) << f.describe();
  const std::uint64_t floor_replies = json_count(f.out, "replies");
  EXPECT_GT(floor_replies, 500u) << f.out;
  EXPECT_EQ(json_count(f.out, "timeouts"), 0u) << f.out;

  const RunResult p = run({plain, "--kdc", kdc(), "--window", "16", "--duration", "0.5"}, ro);
  ASSERT_EQ(p.exit_code, 0) << p.describe();
  const std::uint64_t plain_replies = json_count(p.out, "replies");
  EXPECT_GT(plain_replies, 500u) << p.out;
  EXPECT_EQ(json_count(p.out, "resends"), 0u) << p.out;

  // Every reply either counted was one the responder sent (the floor's warm-up replies are
  // not counted, and what was in flight when a generator stopped was sent but not counted).
  EXPECT_EQ(guard_.stop(), "exit 0");
  const std::string text = log();
  const auto at = text.find("received ");
  ASSERT_NE(at, std::string::npos) << text;
  const std::uint64_t received = std::stoull(text.substr(at + 9));
  const auto sent_at = text.find(" sent ", at);
  ASSERT_NE(sent_at, std::string::npos) << text;
  EXPECT_EQ(std::stoull(text.substr(sent_at + 6)), received) << text;
  EXPECT_GE(received, floor_replies + plain_replies) << text;

  // Neither sends anywhere but loopback: 192.0.2.1 (TEST-NET-1) is refused before a socket.
  for (const std::string& program : {floor, plain}) {
    const RunResult off = run({program, "--kdc", "192.0.2.1:88", "--duration", "0.2"}, ro);
    EXPECT_NE(off.exit_code, 0) << off.describe();
    EXPECT_EQ(json_count(off.out, "replies"), ~std::uint64_t{0}) << off.out;
  }
}

}  // namespace
}  // namespace kdcperf::testing
