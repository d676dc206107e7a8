// kdcperf-kdc under hostile input (issue 5): 100,000 random, truncated, oversized and mutated
// datagrams, plus TCP frames with a 0x7fffffff length, a frame trickled byte by byte and
// half-open connections, thrown at the running KDC while MIT kinit logs in; the KDC keeps
// answering kinit during and after, counts what it refused, and its memory stays bounded.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "io/address.hpp"
#include "io/fd.hpp"
#include "tests/support/kdcperf_kdc.hpp"
#include "tests/support/mit_realm.hpp"
#include "tests/support/process.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::testing {
namespace {

using namespace std::chrono_literals;

// VmRSS of a process in KiB (0 when unreadable).
long rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (f >> key) {
    if (key == "VmRSS:") {
      long v = 0;
      f >> v;
      return v;
    }
    f.ignore(1 << 12, '\n');
  }
  return 0;
}

std::string as_string(const krb::Buffer& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// One hostile datagram: random bytes, a truncated or mutated real AS-REQ, or an oversized one.
std::string hostile_datagram(std::mt19937_64& rng, const std::vector<std::string>& seeds) {
  const std::string& seed = seeds[rng() % seeds.size()];
  switch (rng() % 5) {
    case 0: {  // random bytes, sometimes starting like an AS-REQ
      std::string s(1 + rng() % 1500, '\0');
      for (char& c : s) c = static_cast<char>(rng());
      if (rng() % 2) s[0] = '\x6a';
      return s;
    }
    case 1:  // truncated
      return seed.substr(0, rng() % seed.size());
    case 2: {  // mutated
      std::string s = seed;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n; ++i) {
        s[rng() % s.size()] = static_cast<char>(rng());
      }
      return s;
    }
    case 3:  // oversized: over the KDC's receive buffer, dropped and counted
      return seed + std::string(5000 + rng() % 20000, '\x30');
    default:  // a real request (PREAUTH_REQUIRED or C_PRINCIPAL_UNKNOWN)
      return seed;
  }
}

TEST(KdcHostile, KeepsServingKinitUnderGarbageAndStaysBounded) {
  KDCPERF_REQUIRE_MIT();
  KdcperfKdc kdc;
  ASSERT_TRUE(kdc.start({"--users", "3", "--workers", "2", "--tcp-idle-timeout", "2s",
                         "--max-tcp-connections", "64"}));
  std::vector<std::string> seeds;
  for (const char* f : {"aes256_as_req.hex", "aes256_as_req_preauth.hex", "rc4_as_req_preauth.hex",
                        "tcp_aes256_as_req.hex", "unknown_as_req.hex"}) {
    seeds.push_back(as_string(read_hex_file(source_path(std::string("krb/testdata/mit/") + f))));
  }
  const auto addr = io::parse_address(kdc.address());
  ASSERT_TRUE(addr.has_value());

  MitClientOptions tcp_client;
  tcp_client.tcp = true;
  tcp_client.ccache_name = "during";
  ASSERT_TRUE(kdc.kinit("user1", "pw-1", tcp_client).ok()) << kdc.log();

  // TCP abuse, held open for the whole run: a 0x7fffffff length, half-open connections and a
  // frame trickled one byte at a time.
  auto connect_tcp = [&] {
    io::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(::connect(fd.get(), addr->get(), addr->length), 0);
    return fd;
  };
  io::Fd too_long = connect_tcp();
  ASSERT_EQ(::send(too_long.get(), "\x7f\xff\xff\xff", 4, MSG_NOSIGNAL), 4);
  std::vector<io::Fd> half_open;
  for (int i = 0; i < 40; ++i) half_open.push_back(connect_tcp());
  std::atomic<bool> done{false};
  std::atomic<bool> trickle_closed{false};
  std::thread trickler([&] {
    io::Fd fd = connect_tcp();
    const std::string frame = std::string("\x00\x00\x01\x00", 4) + std::string(256, '\x30');
    // Bounded by its own clock, not by the flood (which may end sooner than the KDC's 2 s idle
    // timeout plus its 1 s scan): a byte every 250 ms for up to 8 s, until the KDC closes it.
    const auto give_up = std::chrono::steady_clock::now() + 8s;
    for (std::size_t i = 0; i < frame.size() && std::chrono::steady_clock::now() < give_up; ++i) {
      if (::send(fd.get(), frame.data() + i, 1, MSG_NOSIGNAL) != 1) {
        trickle_closed = true;
        return;
      }
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 250) == 1) {
        char c;
        if (::recv(fd.get(), &c, 1, 0) <= 0) {
          trickle_closed = true;
          return;
        }
      }
    }
  });

  // MIT kinit over TCP while the flood runs.
  std::atomic<int> kinit_ok{0}, kinit_runs{0};
  std::thread logins([&] {
    while (!done) {
      MitClientOptions c = tcp_client;
      c.ccache_name = "during-" + std::to_string(kinit_runs.load());
      if (kdc.kinit("user2", "pw-2", c).ok()) ++kinit_ok;
      ++kinit_runs;
      std::this_thread::sleep_for(100ms);
    }
  });

  io::Fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  ASSERT_TRUE(udp.valid());
  std::mt19937_64 rng(20261203);
  long rss_at_half = 0;
  constexpr int kDatagrams = 100'000;
  for (int i = 0; i < kDatagrams; ++i) {
    const std::string d = hostile_datagram(rng, seeds);
    (void)::sendto(udp.get(), d.data(), d.size(), 0, addr->get(), addr->length);
    if (i % 256 == 255) {
      char sink[65536];
      while (::recv(udp.get(), sink, sizeof sink, 0) > 0) {
      }
      std::this_thread::sleep_for(1ms);  // a flood, not a kernel-buffer overflow test
    }
    if (i == kDatagrams / 2) rss_at_half = rss_kib(kdc.pid());
  }
  std::this_thread::sleep_for(500ms);
  const long rss_at_end = rss_kib(kdc.pid());
  done = true;
  logins.join();
  trickler.join();

  EXPECT_TRUE(kdc.running()) << kdc.log();
  EXPECT_GT(kinit_runs.load(), 0);
  EXPECT_EQ(kinit_ok.load(), kinit_runs.load()) << kdc.log();
  // The 0x7fffffff length got KRB_ERR_FIELD_TOOLONG and a closed stream.
  pollfd p{too_long.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  char buf[512];
  const ssize_t n = ::recv(too_long.get(), buf, sizeof buf, 0);
  EXPECT_GT(n, 4);
  // Half-open connections are closed after the idle timeout (2 s).
  std::this_thread::sleep_for(2500ms);
  int closed = 0;
  for (const io::Fd& fd : half_open) {
    pollfd q{fd.get(), POLLIN, 0};
    char c;
    if (::poll(&q, 1, 1000) == 1 && ::recv(fd.get(), &c, 1, 0) <= 0) ++closed;
  }
  EXPECT_EQ(closed, 40);

  // And after it all, a plain UDP kinit.
  MitClientOptions after;
  after.ccache_name = "after";
  const RunResult k = kdc.kinit("user3", "pw-3", after);
  EXPECT_TRUE(k.ok()) << k.describe() << kdc.log();

  // Memory is bounded: the second half of the flood did not grow the KDC materially.
  EXPECT_GT(rss_at_half, 0);
  EXPECT_LT(rss_at_end - rss_at_half, 32 * 1024) << rss_at_half << " KiB -> " << rss_at_end;

  const auto stats = kdc.stop_and_read_stats();
  ASSERT_TRUE(stats.has_value()) << kdc.log();
  const nlohmann::json j = nlohmann::json::parse(*stats, nullptr, false);
  EXPECT_GT(j.value("malformed", 0), 1000);
  EXPECT_GT(j["engine"].value("udp_truncated", 0), 1000);
  EXPECT_GE(j["engine"].value("tcp_too_long", 0), 1);
  EXPECT_GE(j["engine"].value("tcp_idle_closed", 0), 40);
  EXPECT_EQ(j.value("internal_errors", 1), 0);
  EXPECT_GE(j.value("as_rep", 0), kinit_ok.load() + 2);
  EXPECT_TRUE(trickle_closed.load());
}

}  // namespace
}  // namespace kdcperf::testing
