// The whole KDC path allocates nothing per request once warm (issue 6): a server with one
// worker answers rounds of UDP datagrams and pipelined TCP frames (AS-REPs with a PAC,
// PREAUTH_REQUIRED, unknown clients, garbage), and after the warm-up rounds no thread of this
// process calls operator new while more rounds are served. The client side uses only system
// calls on buffers built beforehand, so any allocation counted is the server's.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "io/fd.hpp"
#include "kdc/as/as_testing.hpp"
#include "kdc/net/server.hpp"
#include "tests/support/count_allocations.hpp"

namespace kdcperf::kdc::net {
namespace {

using namespace as::testing;

// 32 requests: pre-authenticated (half asking for PA-REQ-ENC-PA-REP), no pre-auth, unknown
// client, garbage. The timestamps are the real clock's: the server checks them against it.
std::vector<krb::Buffer> mixed_requests() {
  const std::int64_t now = std::time(nullptr);
  std::vector<krb::Buffer> reqs;
  for (int i = 0; i < 32; ++i) {
    RequestSpec s;
    s.nonce = 1000 + i;
    s.till = now + 86400;
    s.patimestamp = now;
    switch (i % 4) {
      case 0:
      case 1:
        s.preauth_key = key_from(Enctype::AES256_CTS_HMAC_SHA1_96, "secret", "KDCPERF.TESTalice");
        s.enc_pa_rep = i % 4 == 1;
        reqs.push_back(build_request(s));
        break;
      case 2:
        s.client = i % 8 == 2 ? "alice" : "nobody";
        reqs.push_back(build_request(s));
        break;
      default:
        reqs.push_back(krb::Buffer(40, std::byte{0x6a}));
    }
  }
  return reqs;
}

// One round over UDP: every request sent, every reply read. Returns the replies read.
int udp_round(int fd, const std::vector<krb::Buffer>& reqs, std::byte* buf, std::size_t cap) {
  for (const krb::Buffer& r : reqs) (void)::send(fd, r.data(), r.size(), 0);
  int got = 0;
  while (got < static_cast<int>(reqs.size())) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    if (::recv(fd, buf, cap, 0) > 0) ++got;
  }
  return got;
}

// One round over one TCP connection: every request framed and sent at once (pipelined), every
// framed reply read. Returns the replies read.
int tcp_round(int fd, const krb::Buffer& frames, std::size_t count, std::byte* buf,
              std::size_t cap) {
  (void)::send(fd, frames.data(), frames.size(), MSG_NOSIGNAL);
  std::size_t have = 0, got = 0;
  while (got < count) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = ::recv(fd, buf + have, cap - have, 0);
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
    // Consume whole frames from the front.
    for (;;) {
      if (have < 4) break;
      const std::uint32_t len = krb::load_be32(buf);
      if (have < 4 + len) break;
      std::memmove(buf, buf + 4 + len, have - 4 - len);
      have -= 4 + len;
      ++got;
    }
  }
  return static_cast<int>(got);
}

TEST(NoAllocation, AWarmServerAnswersUdpAndTcpWithoutAllocating) {
  const db::PrincipalDb db = make_db();
  ServerConfig config;
  config.listen.push_back(*io::parse_address("127.0.0.1:0"));
  config.workers = 1;
  std::string why;
  auto server = Server::start(db, config, &why);
  ASSERT_NE(server, nullptr) << why;
  const io::SocketAddress at = server->bound().at(0);

  const std::vector<krb::Buffer> reqs = mixed_requests();
  krb::Buffer frames;
  for (const krb::Buffer& r : reqs) {
    std::byte len[4];
    krb::store_be32(len, static_cast<std::uint32_t>(r.size()));
    frames.insert(frames.end(), len, len + 4);
    frames.insert(frames.end(), r.begin(), r.end());
  }
  io::Fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(udp.get(), at.get(), at.length), 0);
  io::Fd tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(tcp.get(), at.get(), at.length), 0);
  std::vector<std::byte> buf(1 << 20);

  // Warm: the key cache, send slots, provided buffers, the connection's receive buffer.
  for (int round = 0; round < 4; ++round) {
    ASSERT_EQ(udp_round(udp.get(), reqs, buf.data(), buf.size()), 32);
    ASSERT_EQ(tcp_round(tcp.get(), frames, reqs.size(), buf.data(), buf.size()), 32);
  }
  const std::size_t before = kdcperf::testing::allocations_all_threads();
  int answered = 0;
  for (int round = 0; round < 20; ++round) {
    answered += udp_round(udp.get(), reqs, buf.data(), buf.size());
    answered += tcp_round(tcp.get(), frames, reqs.size(), buf.data(), buf.size());
  }
  const std::size_t allocated = kdcperf::testing::allocations_all_threads() - before;
  EXPECT_EQ(answered, 20 * 64);
  EXPECT_EQ(allocated, 0u);
  const WorkerStats s = server->stats();
  EXPECT_GE(s.as.as_rep, 24u * 16);  // 16 AS-REPs a round (8 over each transport)
}

}  // namespace
}  // namespace kdcperf::kdc::net
