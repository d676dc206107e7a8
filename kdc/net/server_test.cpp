// The engines on real loopback sockets: UDP and TCP framing, pipelining, the limits that keep
// slow or broken clients from holding a worker, IPv6, and the published counters.
#include "kdc/net/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "io/fd.hpp"
#include "kdc/db/principal_db.hpp"
#include "krb/proto/krb_error.hpp"
#include "krb/proto/message.hpp"

namespace kdcperf::kdc::net {
namespace {

using namespace std::chrono_literals;
namespace proto = krb::proto;

db::PrincipalDb tiny_db() {
  db::RealmPolicy pol;
  pol.realm = "KDCPERF.TEST";
  db::PrincipalDb::Builder b(pol);
  db::Principal tgs;
  tgs.components = {"krbtgt", "KDCPERF.TEST"};
  db::PrincipalKey k;
  k.key = krb::crypto::Key{krb::crypto::Enctype::AES256_CTS_HMAC_SHA1_96, krb::SecretBytes(32)};
  tgs.keys.push_back(std::move(k));
  EXPECT_TRUE(b.add(std::move(tgs)).ok());
  return std::move(b).build().value();
}

// A garbage "AS-REQ": every one gets KRB_ERR_GENERIC, which is all these tests need.
const std::string kGarbage = "\x6a\x03\x30\x01\x00";

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerConfig c) {
    if (c.listen.empty()) c.listen.push_back(*io::parse_address("127.0.0.1:0"));
    std::string why;
    server_ = Server::start(db_, std::move(c), &why);
    ASSERT_NE(server_, nullptr) << why;
  }
  io::SocketAddress addr(std::size_t i = 0) const { return server_->bound().at(i); }

  io::Fd tcp_connect(const io::SocketAddress& a) {
    io::Fd fd(::socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(::connect(fd.get(), a.get(), a.length), 0);
    return fd;
  }
  static void send_all(int fd, const std::string& s) {
    ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  static std::string frame(const std::string& msg) {
    std::string f(4, '\0');
    const auto n = static_cast<std::uint32_t>(msg.size());
    f[0] = static_cast<char>(n >> 24);
    f[1] = static_cast<char>(n >> 16);
    f[2] = static_cast<char>(n >> 8);
    f[3] = static_cast<char>(n);
    return f + msg;
  }
  // Exactly n bytes, or empty on EOF or after `timeout`.
  static std::string read_exact(int fd, std::size_t n,
                                std::chrono::steady_clock::time_point deadline) {
    std::string buf;
    while (buf.size() < n && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char tmp[4096];
      const ssize_t got = ::recv(fd, tmp, std::min(sizeof tmp, n - buf.size()), 0);
      if (got <= 0) return {};
      buf.append(tmp, static_cast<std::size_t>(got));
    }
    return buf.size() == n ? buf : std::string();
  }
  // Reads one framed reply; empty on EOF or after `timeout`.
  static std::string read_frame(int fd, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string head = read_exact(fd, 4, deadline);
    if (head.size() != 4) return {};
    const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(head[0])} << 24) |
                            (std::uint32_t{static_cast<unsigned char>(head[1])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(head[2])} << 8) |
                            static_cast<unsigned char>(head[3]);
    return read_exact(fd, n, deadline);
  }
  // True when the peer closed the stream within `timeout`.
  static bool closed_by_peer(int fd, std::chrono::milliseconds timeout = 5s) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char c;
    return ::recv(fd, &c, 1, 0) <= 0;
  }
  static proto::ErrorCode error_code(const std::string& reply) {
    proto::KrbError e;
    const auto st = proto::decode_krb_error(krb::as_bytes(reply), &e, proto::DecodeOptions{});
    return st.ok() ? e.error_code : proto::ErrorCode::KDC_ERR_NONE;
  }
  // Counters are published by the worker after it acts: poll until `pred` holds (or 2 s).
  template <class Pred>
  WorkerStats eventually(Pred pred) {
    for (int i = 0; i < 200; ++i) {
      const WorkerStats s = server_->stats();
      if (pred(s)) return s;
      std::this_thread::sleep_for(10ms);
    }
    return server_->stats();
  }
  WorkerStats wait_stats(std::uint64_t requests) {
    for (int i = 0; i < 200; ++i) {
      const WorkerStats s = server_->stats();
      if (s.as.requests >= requests) return s;
      std::this_thread::sleep_for(10ms);
    }
    return server_->stats();
  }

  db::PrincipalDb db_ = tiny_db();
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, UdpAnswersEveryDatagramFromTheSocketItArrivedOn) {
  ServerConfig c;
  c.workers = 2;
  start(c);
  io::Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(fd.get(), addr().get(), addr().length),
            0);  // replies from elsewhere are dropped
  for (int i = 0; i < 20; ++i) send_all(fd.get(), kGarbage);
  int replies = 0;
  char buf[2048];
  for (int i = 0; i < 20; ++i) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    EXPECT_EQ(error_code(std::string(buf, static_cast<std::size_t>(n))),
              proto::ErrorCode::KRB_ERR_GENERIC);
    ++replies;
  }
  EXPECT_EQ(replies, 20);
  const WorkerStats s = wait_stats(20);
  EXPECT_EQ(s.as.requests, 20u);
  EXPECT_EQ(s.as.malformed, 20u);
  EXPECT_EQ(s.engine.udp_received, 20u);
}

TEST_F(ServerTest, TcpAnswersPipelinedRequestsInOrderAndSurvivesByteByByteFrames) {
  start(ServerConfig{});
  io::Fd fd = tcp_connect(addr());
  // Three requests in one write, then one dribbled a byte at a time.
  send_all(fd.get(), frame(kGarbage) + frame(kGarbage) + frame(kGarbage));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(error_code(read_frame(fd.get())), proto::ErrorCode::KRB_ERR_GENERIC) << i;
  }
  for (char ch : frame(kGarbage)) {
    send_all(fd.get(), std::string(1, ch));
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(error_code(read_frame(fd.get())), proto::ErrorCode::KRB_ERR_GENERIC);
  const WorkerStats s = wait_stats(4);
  EXPECT_EQ(s.engine.tcp_messages, 4u);
  EXPECT_EQ(s.engine.tcp_accepted, 1u);
}

TEST_F(ServerTest, TcpLengthWithHighBitOrOverTheLimitGetsFieldTooLongThenClose) {
  ServerConfig c;
  c.worker.max_tcp_message = 1000;
  start(c);
  for (const std::string& prefix :
       {std::string("\x80\x00\x00\x10", 4), std::string("\x00\x00\x03\xe9", 4)}) {
    io::Fd fd = tcp_connect(addr());
    // A good request first: it is answered before the error.
    send_all(fd.get(), frame(kGarbage) + prefix);
    EXPECT_EQ(error_code(read_frame(fd.get())), proto::ErrorCode::KRB_ERR_GENERIC);
    EXPECT_EQ(error_code(read_frame(fd.get())), proto::ErrorCode::KRB_ERR_FIELD_TOOLONG);
    EXPECT_TRUE(closed_by_peer(fd.get()));  // RFC 4120 §7.2.2: MUST close
  }
  EXPECT_EQ(eventually([](const WorkerStats& s) {
              return s.engine.tcp_too_long >= 2;
            }).engine.tcp_too_long,
            2u);
}

TEST_F(ServerTest, IdleAndHalfSentConnectionsAreClosed) {
  ServerConfig c;
  c.worker.tcp_idle_timeout_ms = 300;
  start(c);
  io::Fd idle = tcp_connect(addr());
  io::Fd partial = tcp_connect(addr());
  send_all(partial.get(), frame(kGarbage).substr(0, 6));  // a slow client stops mid-frame
  EXPECT_TRUE(closed_by_peer(idle.get(), 5s));
  EXPECT_TRUE(closed_by_peer(partial.get(), 5s));
  // A client that keeps trickling bytes of a frame it never finishes is closed too.
  io::Fd trickle = tcp_connect(addr());
  const std::string f = frame(std::string(200, 'x'));
  bool closed = false;
  for (std::size_t i = 0; i < f.size() && !closed; ++i) {
    if (::send(trickle.get(), f.data() + i, 1, MSG_NOSIGNAL) != 1) break;
    closed = closed_by_peer(trickle.get(), 100ms);
  }
  EXPECT_TRUE(closed || closed_by_peer(trickle.get(), 2s));
  EXPECT_GE(eventually([](const WorkerStats& s) {
              return s.engine.tcp_idle_closed >= 2;
            }).engine.tcp_idle_closed,
            2u);
}

TEST_F(ServerTest, ConnectionsOverTheLimitAreRefusedAndTheOthersStillServed) {
  ServerConfig c;
  c.workers = 1;
  c.worker.max_tcp_connections = 2;
  start(c);
  io::Fd a = tcp_connect(addr());
  io::Fd b = tcp_connect(addr());
  send_all(a.get(), frame(kGarbage));
  send_all(b.get(), frame(kGarbage));
  EXPECT_FALSE(read_frame(a.get()).empty());
  EXPECT_FALSE(read_frame(b.get()).empty());
  io::Fd over = tcp_connect(addr());
  EXPECT_TRUE(closed_by_peer(over.get()));
  send_all(a.get(), frame(kGarbage));
  EXPECT_FALSE(read_frame(a.get()).empty());
  EXPECT_EQ(eventually([](const WorkerStats& s) {
              return s.engine.tcp_rejected >= 1;
            }).engine.tcp_rejected,
            1u);
}

TEST_F(ServerTest, ServesIpv6AndIpv4AtOnce) {
  ServerConfig c;
  c.listen = {*io::parse_address("127.0.0.1:0"), *io::parse_address("[::1]:0")};
  start(c);
  ASSERT_EQ(server_->bound().size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    io::Fd fd = tcp_connect(addr(i));
    send_all(fd.get(), frame(kGarbage));
    EXPECT_EQ(error_code(read_frame(fd.get())), proto::ErrorCode::KRB_ERR_GENERIC) << i;
    io::Fd u(::socket(addr(i).family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(u.get(), addr(i).get(), addr(i).length), 0);
    send_all(u.get(), kGarbage);
    pollfd p{u.get(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1) << i;
  }
}

TEST_F(ServerTest, OversizedDatagramsAreDroppedAndCounted) {
  ServerConfig c;
  c.worker.recv_buffer_bytes = 512;
  start(c);
  io::Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(fd.get(), addr().get(), addr().length), 0);
  send_all(fd.get(), std::string(2000, 'x'));
  send_all(fd.get(), kGarbage);
  pollfd p{fd.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);  // the small one is answered
  const WorkerStats s = wait_stats(1);
  EXPECT_EQ(s.engine.udp_truncated, 1u);
  EXPECT_EQ(s.as.requests, 1u);
}

}  // namespace
}  // namespace kdcperf::kdc::net
