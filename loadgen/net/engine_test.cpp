// The engine against a fake Workload and in-process responders on loopback. The fake protocol
// is not Kerberos (the engine must not care): a request is "Q", a leg byte, an 8-byte nonce
// and padding; the responder answers "R" + the nonce (an AS-REP that verifies when the nonce
// is the request's), "E" + a 4-byte error code (a KRB-ERROR), or anything else (malformed).
#include "loadgen/net/engine.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "io/socket.hpp"

namespace kdcperf::loadgen::net {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;

std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[static_cast<std::size_t>(i)] = static_cast<char>(v);
  return s;
}
std::uint64_t load64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
std::string be32(std::int32_t code) {
  const auto v = static_cast<std::uint32_t>(code);
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// ---- the fake workload ------------------------------------------------------------------

class FakeWorkload final : public Workload {
 public:
  explicit FakeWorkload(std::uint64_t nonce_base = 0, bool login = false)
      : next_nonce_(nonce_base), login_(login) {}

  krb::Result<std::size_t> start(krb::MutableByteView out, krb::KerberosTimestamp,
                                 RequestToken* token) override {
    if (delay_) std::this_thread::sleep_for(delay_.load() * 1us);
    if (fail_every_ != 0 && ++attempts_ % fail_every_ == 0) return krb::Err::kNotFound;
    token->nonce = static_cast<std::int64_t>(++next_nonce_);
    token->leg = login_ ? Leg::kProbe : Leg::kPreauth;
    token->verify = true;
    ++starts;
    return write(out, *token);
  }
  krb::Result<std::size_t> follow_up(const RequestToken& previous, krb::ByteView,
                                     krb::MutableByteView out, krb::KerberosTimestamp,
                                     RequestToken* token) override {
    token->client = previous.client;
    token->nonce = static_cast<std::int64_t>(++next_nonce_);
    token->leg = Leg::kPreauth;
    token->verify = true;
    ++follow_ups;
    return write(out, *token);
  }
  Verdict check(const RequestToken& token, krb::ByteView reply) override {
    if (check_delay_) std::this_thread::sleep_for(check_delay_.load() * 1us);
    ++checks;
    Verdict v;
    const auto* p = reinterpret_cast<const char*>(reply.data());
    if (reply.size() == 9 && p[0] == 'R') {
      v.kind = ReplyKind::kAsRep;
      v.checked = token.verify;
      if (static_cast<std::int64_t>(load64(p + 1)) != token.nonce) v.failure = CheckFailure::kNonce;
    } else if (reply.size() == 5 && p[0] == 'E') {
      v.kind = ReplyKind::kKrbError;
      v.error_code = static_cast<std::int32_t>(krb::load_be32(reply.data() + 1));
      v.login_continues = v.error_code == 25 && token.leg == Leg::kProbe;
      v.response_too_big = v.error_code == 52;
    }
    return v;
  }

  std::atomic<int> delay_{0};        // µs to sleep in start(): a slow generator
  std::atomic<int> check_delay_{0};  // µs to sleep in check(): a slow reaper
  unsigned fail_every_ = 0;          // start() fails every Nth time
  unsigned attempts_ = 0;
  std::uint64_t starts = 0, follow_ups = 0, checks = 0;

 private:
  static std::size_t write(krb::MutableByteView out, const RequestToken& t) {
    std::string req = "Q";
    req += t.leg == Leg::kProbe ? 'P' : 'A';
    req += be64(static_cast<std::uint64_t>(t.nonce));
    req.resize(64, '.');
    std::memcpy(out.data(), req.data(), req.size());
    return req.size();
  }
  std::uint64_t next_nonce_;
  bool login_;
};

// What a responder does with one request: zero or more replies, each after a delay.
struct Reply {
  std::string bytes;
  std::chrono::milliseconds delay{0};
};
struct Request {
  char leg = 0;
  std::uint64_t nonce = 0;
  std::uint64_t index = 0;  // 0, 1, 2 ... in arrival order
};
using Policy = std::function<std::vector<Reply>(const Request&)>;

std::string as_rep(std::uint64_t nonce) {
  return "R" + be64(nonce);
}
std::string krb_error(std::int32_t code) {
  return "E" + be32(code);
}
Policy echo() {
  return [](const Request& r) { return std::vector<Reply>{{as_rep(r.nonce)}}; };
}

// ---- a UDP responder thread -------------------------------------------------------------

class UdpResponder {
 public:
  UdpResponder(const char* host, Policy policy) : policy_(std::move(policy)) {
    auto fd = io::open_udp(*io::parse_address(host));
    EXPECT_TRUE(fd.ok());
    fd_ = std::move(fd.value());
    address_ = io::local_address(fd_.get()).value();
    thread_ = std::thread([this] { loop(); });
  }
  ~UdpResponder() {
    stop_ = true;
    thread_.join();
  }
  const io::SocketAddress& address() const { return address_; }
  std::uint64_t received() const { return received_; }

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    io::SocketAddress to;
    std::string bytes;
  };
  void loop() {
    std::vector<Pending> pending;
    char buf[2048];
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      ::poll(&p, 1, 1);
      const auto now = std::chrono::steady_clock::now();
      for (auto it = pending.begin(); it != pending.end();) {
        if (it->due <= now) {
          ::sendto(fd_.get(), it->bytes.data(), it->bytes.size(), 0, it->to.get(), it->to.length);
          it = pending.erase(it);
        } else {
          ++it;
        }
      }
      for (;;) {
        io::SocketAddress from;
        from.length = sizeof from.storage;
        const ssize_t n =
            ::recvfrom(fd_.get(), buf, sizeof buf, MSG_DONTWAIT, from.get(), &from.length);
        if (n < 0) break;
        if (n < 10 || buf[0] != 'Q') continue;
        Request r{buf[1], load64(buf + 2), received_++};
        for (Reply& rep : policy_(r)) {
          if (rep.delay.count() == 0) {
            ::sendto(fd_.get(), rep.bytes.data(), rep.bytes.size(), 0, from.get(), from.length);
          } else {
            pending.push_back({std::chrono::steady_clock::now() + rep.delay, from, rep.bytes});
          }
        }
      }
    }
  }
  Policy policy_;
  io::Fd fd_;
  io::SocketAddress address_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> received_{0};
  std::thread thread_;
};

// ---- a TCP responder (RFC 4120 §7.2.2 framing), a thread per connection -----------------

class TcpResponder {
 public:
  // persistent: serve requests on a connection until the client closes it (else one, as MIT).
  TcpResponder(const io::SocketAddress& at, Policy policy, bool persistent)
      : policy_(std::move(policy)), persistent_(persistent) {
    auto fd = io::open_tcp_listener(at, false, 128);
    EXPECT_TRUE(fd.ok()) << io::errno_name(fd.error());
    fd_ = std::move(fd.value());
    address_ = io::local_address(fd_.get()).value();
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~TcpResponder() {
    stop_ = true;
    thread_.join();
    for (auto& t : conns_) t.join();
  }
  const io::SocketAddress& address() const { return address_; }
  std::uint64_t connections() const { return connections_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 5) <= 0) continue;
      const int c = ::accept(fd_.get(), nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      conns_.emplace_back([this, c] { serve(c); });
    }
  }
  bool read_full(int c, char* p, std::size_t n) {
    std::size_t got = 0;
    while (got < n && !stop_) {
      pollfd pf{c, POLLIN, 0};
      if (::poll(&pf, 1, 5) <= 0) continue;
      const ssize_t r = ::recv(c, p + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return got == n;
  }
  void serve(int c) {
    do {
      char len[4];
      if (!read_full(c, len, 4)) break;
      const std::uint32_t n = krb::load_be32(reinterpret_cast<const std::byte*>(len));
      std::string req(n, '\0');
      if (n > 4096 || !read_full(c, req.data(), n) || n < 10) break;
      Request r{req[1], load64(req.data() + 2), served_++};
      for (Reply& rep : policy_(r)) {
        if (rep.delay.count() != 0) std::this_thread::sleep_for(rep.delay);
        std::string framed = be32(static_cast<std::int32_t>(rep.bytes.size())) + rep.bytes;
        (void)::send(c, framed.data(), framed.size(), MSG_NOSIGNAL);
      }
    } while (persistent_ && !stop_);
    ::close(c);
  }
  Policy policy_;
  bool persistent_;
  io::Fd fd_;
  io::SocketAddress address_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> connections_{0}, served_{0};
  std::thread thread_;
  std::vector<std::thread> conns_;
};

EngineConfig closed_loop(const io::SocketAddress& to, std::uint64_t count, unsigned window) {
  EngineConfig c;
  c.target = to;
  c.mode = LoadMode::kClosed;
  c.window = window;
  c.sockets = 2 * window;
  c.max_exchanges = count;
  c.duration_ns = 30 * kSec;  // a backstop; the count ends these runs
  c.timeout_ns = 500 * kMs;
  return c;
}

// An open loop at a constant `rate` for `duration`, through `sockets` sockets.
EngineConfig open_loop(const io::SocketAddress& to, double rate, std::int64_t duration,
                       unsigned sockets) {
  EngineConfig c;
  c.target = to;
  c.mode = LoadMode::kOpen;
  c.schedule = {{rate, rate, duration}};
  c.sockets = sockets;
  return c;
}

// This machine is shared (2 cores, builds running beside the tests): tests that are not about
// the generator's self-check allow it generous scheduling delays.
void tolerate_scheduling_delays(EngineConfig& c) {
  c.max_lag_ns = 500 * kMs;
  c.late_tolerance_ns = 50 * kMs;
  c.late_ratio = 0.5;
}

EngineResult run_ok(const EngineConfig& c, std::vector<Workload*> w) {
  std::string why;
  auto r = run(c, w, &why);
  EXPECT_TRUE(r.ok()) << why;
  if (!r.ok()) return {};
  return std::move(*r);
}

// Runs body() in a child process inside a network namespace of its own, with loopback up and
// the ephemeral port range narrowed to `ports` (so the kernel must reuse ports at once).
// Returns the child's exit status; 77 when namespaces are not permitted here.
int in_private_netns(const char* ports, const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(77);
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (fd < 0 || ::ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) ::_exit(78);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) ::_exit(78);
    ::close(fd);
    std::ofstream range("/proc/sys/net/ipv4/ip_local_port_range");
    range << ports << "\n";
    range.close();
    if (!range) ::_exit(79);
    ::_exit(body());
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// ---- tests ------------------------------------------------------------------------------

TEST(Engine, ClosedLoopSendsExactlyTheCountAndVerifiesEveryReply) {
  UdpResponder responder("127.0.0.1:0", echo());
  FakeWorkload w;
  const EngineResult r = run_ok(closed_loop(responder.address(), 2000, 8), {&w});
  const report::Counts& c = r.stats.counts;
  EXPECT_EQ(c.exchanges, 2000u);
  EXPECT_EQ(c.sent, 2000u);
  EXPECT_EQ(c.replies, 2000u);
  EXPECT_EQ(c.as_rep, 2000u);
  EXPECT_EQ(c.verified_ok, 2000u);
  EXPECT_EQ(c.logins_ok, 2000u);
  EXPECT_EQ(c.verified_failed + c.timeouts + c.malformed + c.duplicate + c.late, 0u);
  EXPECT_EQ(responder.received(), 2000u);
  EXPECT_EQ(w.checks, 2000u);
  EXPECT_EQ(r.stats.latencies.latency.count(), 2000u);
  EXPECT_EQ(r.stats.latencies.service.count(), 2000u);
  EXPECT_GT(r.stats.latencies.latency.min(), 0u);
  EXPECT_GT(r.stats.measured_ns, 0);
  EXPECT_FALSE(r.fell_behind);
  EXPECT_GT(r.busiest_worker_cpu, 0);  // a thread's CPU over its run: a share of one core
  EXPECT_LE(r.busiest_worker_cpu, 1.05);
}

TEST(Engine, TwoThreadsSplitTheCountExactly) {
  UdpResponder responder("127.0.0.1:0", echo());
  FakeWorkload a(0), b(1ull << 40);
  EngineConfig c = closed_loop(responder.address(), 1001, 4);
  c.threads = 2;
  const EngineResult r = run_ok(c, {&a, &b});
  EXPECT_EQ(r.stats.counts.sent, 1001u);
  EXPECT_EQ(r.stats.counts.verified_ok, 1001u);
  EXPECT_EQ(a.starts + b.starts, 1001u);
  EXPECT_EQ(a.starts, 501u);
}

TEST(Engine, Ipv6LoopbackWorks) {
  UdpResponder responder("[::1]:0", echo());
  ASSERT_EQ(responder.address().family(), AF_INET6);
  FakeWorkload w;
  const EngineResult r = run_ok(closed_loop(responder.address(), 300, 4), {&w});
  EXPECT_EQ(r.stats.counts.verified_ok, 300u);
}

TEST(Engine, RefusesANonLoopbackTargetBeforeSendingAnything) {
  FakeWorkload w;
  std::vector<Workload*> ws{&w};
  for (const char* addr : {"192.0.2.1:88", "[2001:db8::1]:88", "10.0.0.1:88"}) {
    EngineConfig c = closed_loop(*io::parse_address(addr), 10, 1);
    std::string why;
    auto r = run(c, ws, &why);
    ASSERT_FALSE(r.ok()) << addr;
    EXPECT_EQ(r.err(), krb::Err::kInvalidArgument);
    EXPECT_NE(why.find("loopback"), std::string::npos) << why;
  }
  EXPECT_EQ(w.starts, 0u);
  // 127.0.0.0/8 beyond .1 is loopback too.
  std::string why;
  EXPECT_TRUE(validate(closed_loop(*io::parse_address("127.5.6.7:88"), 10, 1), &why).ok()) << why;
}

TEST(Engine, RejectsUnboundedAndInconsistentConfigs) {
  std::string why;
  EngineConfig c = closed_loop(*io::parse_address("127.0.0.1:88"), 0, 1);
  c.duration_ns = 0;
  EXPECT_FALSE(validate(c, &why).ok());  // neither a count nor a duration
  c = closed_loop(*io::parse_address("127.0.0.1:88"), 10, 8);
  c.sockets = 4;
  EXPECT_FALSE(validate(c, &why).ok());  // window larger than the socket pool
  c = closed_loop(*io::parse_address("127.0.0.1:0"), 10, 1);
  EXPECT_FALSE(validate(c, &why).ok());  // no port
  c = closed_loop(*io::parse_address("127.0.0.1:88"), 10, 1);
  c.mode = LoadMode::kOpen;
  EXPECT_FALSE(validate(c, &why).ok());  // no schedule
}

TEST(Engine, OpenLoopKeepsTheRateOverOneSecond) {
  UdpResponder responder("127.0.0.1:0", echo());
  FakeWorkload w;
  EngineConfig c;
  c.target = responder.address();
  c.mode = LoadMode::kOpen;
  c.schedule = {{2000, 2000, kSec}};
  c.sockets = 64;
  c.timeout_ns = 500 * kMs;
  tolerate_scheduling_delays(c);
  const auto t0 = std::chrono::steady_clock::now();
  const EngineResult r = run_ok(c, {&w});
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // RateSchedule is exact: 2000 requests due in [0, 1 s).
  EXPECT_EQ(r.stats.counts.sent, 2000u);
  EXPECT_EQ(r.stats.counts.verified_ok, 2000u);
  const double measured_s = static_cast<double>(r.stats.measured_ns) / 1e9;
  EXPECT_GT(measured_s, 0.99);
  EXPECT_LT(measured_s, 1.1);
  EXPECT_LT(wall_s, 2.0);
  const double achieved = static_cast<double>(r.stats.counts.replies) / measured_s;
  EXPECT_NEAR(achieved, 2000, 2000 * 0.1);
  EXPECT_FALSE(r.fell_behind) << "max lag " << r.stats.counts.max_lag_ns << " late "
                              << r.stats.counts.late_sends;
  // Per-second series: the rows add up to the totals, and the target is the schedule's.
  std::uint64_t sent = 0, replies = 0;
  for (const auto& row : r.stats.series) {
    sent += row.sent;
    replies += row.replies;
  }
  EXPECT_EQ(sent, 2000u);
  EXPECT_EQ(replies, 2000u);
  ASSERT_GE(r.stats.series.size(), 1u);
  EXPECT_DOUBLE_EQ(r.stats.series.front().target_rate, 2000);
  EXPECT_NEAR(static_cast<double>(r.stats.series.front().sent), 2000, 100);
}

TEST(Engine, WarmUpIsExcludedFromTheStatistics) {
  UdpResponder responder("127.0.0.1:0", echo());
  FakeWorkload w;
  EngineConfig c;
  c.target = responder.address();
  c.mode = LoadMode::kOpen;
  c.schedule = {{1000, 1000, 500 * kMs}};
  c.warmup_ns = 500 * kMs;
  c.sockets = 32;
  tolerate_scheduling_delays(c);
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.sent, 500u);
  EXPECT_EQ(r.stats.warmup.sent, 500u);
  EXPECT_EQ(r.stats.latencies.latency.count(), 500u);
  EXPECT_EQ(w.starts, 1000u);
  ASSERT_GE(r.stats.series.size(), 1u);
  EXPECT_FALSE(r.stats.series.front().warmup);  // the first second is half warm-up
}

TEST(Engine, RampFollowsTheSchedule) {
  UdpResponder responder("127.0.0.1:0", echo());
  FakeWorkload w;
  EngineConfig c;
  c.target = responder.address();
  c.mode = LoadMode::kOpen;
  // Linear 0 -> 4000/s over 1 s (2000 requests), then steps of 1000/s and 3000/s, 0.5 s each.
  c.schedule = {{0, 4000, kSec}, {1000, 1000, kSec / 2}, {3000, 3000, kSec / 2}};
  c.sockets = 64;
  tolerate_scheduling_delays(c);
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.sent, 2000u + 500u + 1500u);
  EXPECT_EQ(r.stats.counts.verified_ok, r.stats.counts.sent);
  ASSERT_GE(r.stats.series.size(), 2u);
  EXPECT_NEAR(static_cast<double>(r.stats.series[0].sent), 2000, 100);
  EXPECT_NEAR(static_cast<double>(r.stats.series[1].sent), 2000, 100);
  EXPECT_DOUBLE_EQ(r.stats.series[0].target_rate, 2000);  // the rate at 0.5 s
}

// The responder answers even requests at once and odd ones after 300 ms, past the 100 ms
// timeout. Odd ones time out; their replies arrive on the retired socket and count as late;
// none is credited to a newer request (that would fail the nonce check).
TEST(Engine, TimeoutsReplaceTheSocketAndLateRepliesAreNeverCredited) {
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    const auto d = r.index % 2 == 0 ? 0ms : 300ms;
    return std::vector<Reply>{{as_rep(r.nonce), d}};
  });
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 40, 2);
  c.timeout_ns = 100 * kMs;
  c.late_grace_ns = 1000 * kMs;
  c.linger_ns = 400 * kMs;  // stay to read the last late replies
  const EngineResult r = run_ok(c, {&w});
  const report::Counts& k = r.stats.counts;
  EXPECT_EQ(k.sent, 40u);
  EXPECT_EQ(k.timeouts, 20u);
  EXPECT_EQ(k.verified_ok, 20u);
  EXPECT_EQ(k.verified_failed, 0u);
  EXPECT_EQ(k.late, 20u);
  EXPECT_EQ(k.duplicate, 0u);
  EXPECT_EQ(k.errors(), 20u);
}

// Same, but with the retired sockets closed at once: late replies are simply lost.
TEST(Engine, LateRepliesAfterTheGraceAreLostNotCredited) {
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    const auto d = r.index % 2 == 0 ? 0ms : 200ms;
    return std::vector<Reply>{{as_rep(r.nonce), d}};
  });
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 20, 1);
  c.timeout_ns = 50 * kMs;
  c.late_grace_ns = 0;
  c.linger_ns = 300 * kMs;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.timeouts, 10u);
  EXPECT_EQ(r.stats.counts.verified_ok, 10u);
  EXPECT_EQ(r.stats.counts.verified_failed, 0u);
  EXPECT_EQ(r.stats.counts.late, 0u);
  EXPECT_EQ(r.stats.counts.duplicate, 0u);
}

// More timeouts than the engine keeps retired sockets for (64 at least): the oldest are closed
// before their grace ends, and their ports are quarantined until then. Every reply comes
// 150 ms late; none may be credited to a newer request on a socket that got an old port (that
// would fail the nonce check or count as a duplicate).
TEST(Engine, PortsOfSocketsClosedEarlyAreNotReusedForNewRequests) {
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    return std::vector<Reply>{{as_rep(r.nonce), 150ms}};
  });
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 600, 8);
  c.timeout_ns = 5 * kMs;
  c.late_grace_ns = 2000 * kMs;
  c.linger_ns = 300 * kMs;
  const EngineResult r = run_ok(c, {&w});
  const report::Counts& k = r.stats.counts;
  EXPECT_EQ(k.sent, 600u);
  EXPECT_EQ(k.timeouts, 600u);
  EXPECT_EQ(k.replies, 0u);
  EXPECT_EQ(k.verified_failed, 0u);
  EXPECT_EQ(k.duplicate, 0u);
  EXPECT_GT(k.late, 0u);  // the sockets still open hear theirs
  EXPECT_LT(k.late, 600u);
}

// The same with the kernel forced to reuse ports: 32 ephemeral ports in a namespace of the
// test's own, 4 sockets in use and 8 kept retired, so every new socket is offered a port whose
// early-closed socket still has a reply on the way. Each such port is refused (counted) and a
// slot waits for a clean one: no late reply is ever credited to a newer request.
TEST(Engine, AReusedPortNeverInheritsAnOldRequestsReply) {
  const int status = in_private_netns("40000 40031", [] {
    UdpResponder responder("127.0.0.1:0", [](const Request& r) {
      return std::vector<Reply>{{as_rep(r.nonce), 100ms}};
    });
    FakeWorkload w;
    EngineConfig c = closed_loop(responder.address(), 120, 2);
    c.timeout_ns = 5 * kMs;
    c.late_grace_ns = 150 * kMs;
    c.retired_sockets = 8;
    c.linger_ns = 200 * kMs;
    std::string why;
    std::vector<Workload*> ws{&w};
    auto r = run(c, ws, &why);
    if (!r.ok()) return 10;
    const report::Counts& k = r->stats.counts;
    std::fprintf(
        stderr, "sent %llu timeouts %llu late %llu refused %llu failed %llu dup %llu\n",
        static_cast<unsigned long long>(k.sent), static_cast<unsigned long long>(k.timeouts),
        static_cast<unsigned long long>(k.late), static_cast<unsigned long long>(k.ports_refused),
        static_cast<unsigned long long>(k.verified_failed),
        static_cast<unsigned long long>(k.duplicate));
    if (k.sent != 120 || k.timeouts != 120) return 11;
    if (k.verified_failed != 0 || k.replies != 0 || k.duplicate != 0) return 12;
    if (k.ports_refused == 0) return 13;  // the kernel did offer quarantined ports
    return 0;
  });
  if (status == 77 && std::getenv("CI") == nullptr) {
    GTEST_SKIP() << "network namespaces are not permitted here (run as root, or CI=true)";
  }
  EXPECT_EQ(status, 0) << "11: counts off, 12: a late reply was credited, 13: no port refused, "
                          "77-79: namespace set-up failed";
}

TEST(Engine, DroppedRequestsTimeOut) {
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    return r.index % 2 == 0 ? std::vector<Reply>{{as_rep(r.nonce)}} : std::vector<Reply>{};
  });
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 100, 4);
  c.timeout_ns = 50 * kMs;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.sent, 100u);
  EXPECT_EQ(r.stats.counts.timeouts, 50u);
  EXPECT_EQ(r.stats.counts.replies, 50u);
  EXPECT_EQ(r.stats.counts.verified_ok, 50u);
}

TEST(Engine, RetriesAreExplicitAndCounted) {
  // Drops the first copy of every request, answers the second.
  std::mutex mu;
  std::set<std::uint64_t> seen;
  UdpResponder responder("127.0.0.1:0", [&](const Request& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (seen.insert(r.nonce).second) return std::vector<Reply>{};
    return std::vector<Reply>{{as_rep(r.nonce)}};
  });
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 30, 3);
  c.timeout_ns = 30 * kMs;
  c.retries = 1;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.exchanges, 30u);
  EXPECT_EQ(r.stats.counts.retries, 30u);
  EXPECT_EQ(r.stats.counts.sent, 60u);
  EXPECT_EQ(r.stats.counts.timeouts, 0u);
  EXPECT_EQ(r.stats.counts.verified_ok, 30u);
  // Latency runs from the first send: at least one timeout long.
  EXPECT_GE(r.stats.latencies.latency.min(), static_cast<std::uint64_t>(30 * kMs));
}

TEST(Engine, ADuplicatedReplyIsCountedAndNotCredited) {
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    return std::vector<Reply>{{as_rep(r.nonce)}, {as_rep(r.nonce)}};
  });
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 200, 1);
  c.sockets = 4;
  c.linger_ns = 100 * kMs;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.verified_ok, 200u);
  EXPECT_EQ(r.stats.counts.duplicate, 200u);
  EXPECT_EQ(r.stats.counts.verified_failed, 0u);
}

TEST(Engine, GarbageIsMalformedAndNeverSuccess) {
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    std::string junk(1 + r.index % 300, static_cast<char>(r.index));
    return std::vector<Reply>{{junk}};
  });
  FakeWorkload w;
  const EngineResult r = run_ok(closed_loop(responder.address(), 500, 4), {&w});
  EXPECT_EQ(r.stats.counts.replies, 500u);
  EXPECT_EQ(r.stats.counts.malformed, 500u);
  EXPECT_EQ(r.stats.counts.as_rep + r.stats.counts.logins_ok, 0u);
  EXPECT_EQ(r.stats.counts.errors(), 500u);
}

TEST(Engine, ADatagramLargerThanTheBufferIsTruncatedAndMalformed) {
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    std::string big = as_rep(r.nonce);
    big.resize(r.index % 2 == 0 ? 1500 : 1000, 'x');  // even: beyond the 1024-byte buffer
    return std::vector<Reply>{{big}};
  });
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 100, 2);
  c.udp_buffer_bytes = 1024;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.truncated, 50u);
  EXPECT_EQ(r.stats.counts.malformed, 100u);  // the fake rejects 1000 bytes too: not 9 bytes
  EXPECT_EQ(w.checks, 50u);                   // a truncated datagram never reaches check()
}

TEST(Engine, AWrongNonceIsAFailedVerification) {
  UdpResponder responder(
      "127.0.0.1:0", [](const Request& r) { return std::vector<Reply>{{as_rep(r.nonce + 1)}}; });
  FakeWorkload w;
  const EngineResult r = run_ok(closed_loop(responder.address(), 100, 2), {&w});
  EXPECT_EQ(r.stats.counts.verified_failed, 100u);
  EXPECT_EQ(r.stats.counts.failed_by[static_cast<std::size_t>(CheckFailure::kNonce)], 100u);
  EXPECT_EQ(r.stats.counts.logins_ok, 0u);
}

TEST(Engine, ErrorCodesAreKeptWhateverTheirValue) {
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    const std::int32_t codes[] = {24, 6, -1765328360, 0x7fffffff};
    return std::vector<Reply>{{krb_error(codes[r.index % 4])}};
  });
  FakeWorkload w;
  const EngineResult r = run_ok(closed_loop(responder.address(), 400, 1), {&w});
  const auto& by = r.stats.counts.errors_by_code;
  EXPECT_EQ(r.stats.counts.krb_error, 400u);
  EXPECT_EQ(r.stats.counts.final_krb_errors, 400u);
  ASSERT_EQ(by.size(), 4u);
  EXPECT_EQ(by.at(24), 100u);
  EXPECT_EQ(by.at(6), 100u);
  EXPECT_EQ(by.at(-1765328360), 100u);
  EXPECT_EQ(by.at(0x7fffffff), 100u);
}

TEST(Engine, LoginFlowSendsTheSecondLegOnTheSameSocket) {
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    return std::vector<Reply>{{r.leg == 'P' ? krb_error(25) : as_rep(r.nonce)}};
  });
  FakeWorkload w(0, /*login=*/true);
  const EngineResult r = run_ok(closed_loop(responder.address(), 300, 4), {&w});
  const report::Counts& c = r.stats.counts;
  EXPECT_EQ(c.exchanges, 300u);
  EXPECT_EQ(c.sent, 600u);
  EXPECT_EQ(c.replies, 600u);
  EXPECT_EQ(c.errors_by_code.at(25), 300u);
  EXPECT_EQ(c.final_krb_errors, 0u);
  EXPECT_EQ(c.verified_ok, 300u);
  EXPECT_EQ(c.logins_ok, 300u);
  EXPECT_EQ(w.follow_ups, 300u);
  EXPECT_EQ(r.stats.latencies.probe_leg.count(), 300u);
  EXPECT_EQ(r.stats.latencies.preauth_leg.count(), 300u);
  EXPECT_EQ(r.stats.latencies.login.count(), 300u);
  EXPECT_GE(r.stats.latencies.login.min(),
            r.stats.latencies.probe_leg.min() + r.stats.latencies.preauth_leg.min());
}

TEST(Engine, AWorkloadThatCannotBuildIsCountedAndTheRunStillEnds) {
  UdpResponder responder("127.0.0.1:0", echo());
  FakeWorkload w;
  w.fail_every_ = 3;
  const EngineResult r = run_ok(closed_loop(responder.address(), 300, 4), {&w});
  EXPECT_EQ(r.stats.counts.exchanges, 300u);
  EXPECT_EQ(r.stats.counts.build_errors, 100u);
  EXPECT_EQ(r.stats.counts.verified_ok, 200u);
  EXPECT_EQ(r.stats.counts.errors(), 100u);

  // A workload that never builds anything: a time-bounded run still stops on time.
  FakeWorkload never;
  never.fail_every_ = 1;
  EngineConfig c = closed_loop(responder.address(), 0, 2);
  c.duration_ns = 200 * kMs;
  const auto t0 = std::chrono::steady_clock::now();
  const EngineResult n = run_ok(c, {&never});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(n.stats.counts.sent, 0u);
  EXPECT_GT(n.stats.counts.build_errors, 0u);
}

TEST(Engine, DeadPortGivesTimeoutsAndNoReplies) {
  // A port nothing listens on: bind a socket to learn a free port, then close it.
  io::SocketAddress dead;
  {
    auto fd = io::open_udp(*io::parse_address("127.0.0.1:0"));
    ASSERT_TRUE(fd.ok());
    dead = io::local_address(fd.value().get()).value();
  }
  FakeWorkload w;
  EngineConfig c = closed_loop(dead, 20, 4);
  c.timeout_ns = 30 * kMs;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.exchanges, 20u);
  EXPECT_EQ(r.stats.counts.replies, 0u);
  EXPECT_EQ(r.stats.counts.timeouts, 20u);
}

TEST(Engine, TcpOneConnectionPerRequest) {
  TcpResponder responder(*io::parse_address("127.0.0.1:0"), echo(), /*persistent=*/false);
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 200, 4);
  c.transport = Transport::kTcp;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.sent, 200u);
  EXPECT_EQ(r.stats.counts.verified_ok, 200u);
  EXPECT_EQ(r.stats.counts.tcp_connects, 200u);
  EXPECT_EQ(r.stats.counts.tcp_errors, 0u);
  EXPECT_EQ(responder.connections(), 200u);
}

TEST(Engine, TcpPersistentReusesConnections) {
  TcpResponder responder(*io::parse_address("[::1]:0"), echo(), /*persistent=*/true);
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 200, 4);
  c.sockets = 4;
  c.transport = Transport::kTcpPersistent;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.verified_ok, 200u);
  EXPECT_EQ(r.stats.counts.tcp_connects, 4u);
  EXPECT_EQ(responder.connections(), 4u);
}

// Persistent connections are all opened before the schedule starts: 64 sockets, 50 requests
// (FIFO slot reuse would otherwise connect only the 50 slots the requests took).
TEST(Engine, TcpPersistentConnectionsOpenBeforeTheClockStarts) {
  TcpResponder responder(*io::parse_address("127.0.0.1:0"), echo(), /*persistent=*/true);
  FakeWorkload w;
  EngineConfig c;
  c.target = responder.address();
  c.mode = LoadMode::kOpen;
  c.schedule = {{200, 200, kSec / 4}};
  c.sockets = 64;
  c.transport = Transport::kTcpPersistent;
  c.timeout_ns = 500 * kMs;
  tolerate_scheduling_delays(c);
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.sent, 50u);
  EXPECT_EQ(r.stats.counts.verified_ok, 50u);
  EXPECT_EQ(r.stats.counts.tcp_connects, 64u);
  EXPECT_EQ(r.stats.counts.tcp_errors, 0u);
  EXPECT_EQ(responder.connections(), 64u);
}

TEST(Engine, TcpPersistentReconnectsWhenTheKdcClosesAfterEachReply) {
  TcpResponder responder(*io::parse_address("127.0.0.1:0"), echo(), /*persistent=*/false);
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 50, 2);
  c.sockets = 2;
  c.transport = Transport::kTcpPersistent;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.verified_ok, 50u);
  EXPECT_EQ(r.stats.counts.sent, 50u);
  EXPECT_EQ(r.stats.counts.tcp_errors, 0u);
}

TEST(Engine, ResponseTooBigIsResentOverTcp) {
  UdpResponder udp("127.0.0.1:0",
                   [](const Request&) { return std::vector<Reply>{{krb_error(52)}}; });
  // The TCP responder listens on the same port number as the UDP one (as a KDC does).
  io::SocketAddress at = udp.address();
  TcpResponder tcp(at, echo(), false);
  FakeWorkload w;
  const EngineResult r = run_ok(closed_loop(udp.address(), 100, 4), {&w});
  const report::Counts& c = r.stats.counts;
  EXPECT_EQ(c.tcp_fallbacks, 100u);
  EXPECT_EQ(c.errors_by_code.at(52), 100u);
  EXPECT_EQ(c.verified_ok, 100u);
  EXPECT_EQ(c.logins_ok, 100u);
  EXPECT_EQ(c.sent, 200u);
  EXPECT_EQ(tcp.connections(), 100u);
}

TEST(Engine, TcpTimeoutsCloseTheConnection) {
  // Answers, but only after 200 ms: far past the 30 ms timeout.
  TcpResponder responder(
      *io::parse_address("127.0.0.1:0"),
      [](const Request& r) {
        return std::vector<Reply>{{as_rep(r.nonce), 200ms}};
      },
      false);
  FakeWorkload w;
  EngineConfig c = closed_loop(responder.address(), 10, 2);
  c.transport = Transport::kTcp;
  c.timeout_ns = 30 * kMs;
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.timeouts, 10u);
  EXPECT_EQ(r.stats.counts.replies, 0u);
}

TEST(Engine, ASlowGeneratorIsFlaggedAsBehind) {
  UdpResponder responder("127.0.0.1:0", echo());
  FakeWorkload w;
  w.delay_ = 2000;  // 2 ms to build each request, at 1000 requests/s
  const EngineResult r = run_ok(open_loop(responder.address(), 1000, 300 * kMs, 16), {&w});
  EXPECT_TRUE(r.fell_behind);
  EXPECT_GT(r.stats.counts.max_lag_ns, 10 * kMs);
  EXPECT_GT(r.late_send_ratio, 0.5);
}

TEST(Engine, ASlowReaperIsFlaggedAsBehind) {
  // The KDC answers at once; the generator takes 2 ms to check each reply, at 1000 requests/s
  // (it reaches at most 500/s). The backlog is its own, however many sockets it has:
  // - 16: every socket soon holds a reply not yet reaped; each send waits for a socket whose
  //   reply came in long before, while the generator reaps the ones before it. Were that
  //   counted as the KDC holding the sockets, only the sends before they filled up would be
  //   late.
  // - 1: every turn it waits for the one reply with nothing else to do (caught up), so
  //   lateness counted from the top of the turn would be nil; counted from the send, after
  //   the check, every send is 2 ms late.
  for (const unsigned sockets : {16u, 1u}) {
    SCOPED_TRACE(sockets);
    UdpResponder responder("127.0.0.1:0", echo());
    FakeWorkload w;
    w.check_delay_ = 2000;
    const EngineResult r = run_ok(open_loop(responder.address(), 1000, 300 * kMs, sockets), {&w});
    EXPECT_TRUE(r.fell_behind);
    EXPECT_GT(r.late_send_ratio, 0.5);
    EXPECT_GT(r.stats.counts.max_lag_ns, 1 * kMs);
  }
}

TEST(Engine, AKdcSlowerThanTheScheduleIsNotTheGeneratorsLag) {
  // A KDC that answers one request a millisecond (at most ~1000/s) under a schedule of 1500/s
  // through 8 sockets: a backlog grows for 1.5 s and every socket is always the KDC's. The
  // generator spends 300 us reaping each reply, a third of its time; that is the pace the KDC
  // sets, not lateness of the generator's own (counted as such, the lag would reach hundreds of
  // milliseconds: a third of the backlog's age).
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    std::this_thread::sleep_for(1ms);
    return std::vector<Reply>{{as_rep(r.nonce)}};
  });
  FakeWorkload w;
  w.check_delay_ = 300;
  EngineConfig c = open_loop(responder.address(), 1500, kSec + kSec / 2, 8);
  c.timeout_ns = 2 * kSec;
  c.max_lag_ns = 50 * kMs;  // scheduling noise stays far below; the backlog's age does not
  c.late_tolerance_ns = 20 * kMs;
  c.late_ratio = 0.2;
  const EngineResult r = run_ok(c, {&w});
  const report::Counts& n = r.stats.counts;
  EXPECT_EQ(n.sent, 2250u);
  EXPECT_EQ(n.verified_ok, 2250u);
  EXPECT_EQ(n.timeouts, 0u);
  EXPECT_GT(n.socket_waits, 0u);
  // The queue is in the latency: the last requests waited for most of a second.
  EXPECT_GE(r.stats.latencies.latency.max(), static_cast<std::uint64_t>(300 * kMs));
  EXPECT_FALSE(r.fell_behind) << "max lag " << n.max_lag_ns << " late " << n.late_sends;
  EXPECT_LT(n.max_lag_ns, 50 * kMs);
}

TEST(Engine, OpenLoopPollingIsNotCountedAsWork) {
  // 2,000 requests/s with a polling horizon of 2 ms: the next send is always within it, so the
  // worker polls instead of sleeping and its CPU reads whatever share of a core the machine
  // gives it; its work (a thousand sends and checks in half a second) is a small part of that.
  UdpResponder responder("127.0.0.1:0", echo());
  FakeWorkload w;
  EngineConfig c = open_loop(responder.address(), 2000, kSec / 2, 64);
  c.poll_below_ns = 2 * kMs;
  tolerate_scheduling_delays(c);
  const EngineResult r = run_ok(c, {&w});
  EXPECT_EQ(r.stats.counts.verified_ok, 1000u);
  EXPECT_GT(r.busiest_worker_cpu, 0.1);  // it polled (asleep, it would use next to nothing)
  EXPECT_GT(r.busiest_worker_work, 0.0);
  EXPECT_LT(r.busiest_worker_work, r.busiest_worker_cpu / 2) << r.busiest_worker_cpu;
}

TEST(Engine, AStallingKdcCannotHideItsQueue) {
  // Coordinated omission: a KDC that stops answering for 200 ms once, in the middle of a
  // 1.5 s run at 1000 requests/s through 4 sockets. The 4 requests in flight when it stalls
  // wait 200 ms (their service time); the ~200 that fall due meanwhile find no free socket
  // and go out late. Counted from the actual send, the stall all but disappears (4 of 1500
  // exchanges, under 1%); counted from each request's intended send time it is the p99.
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    if (r.index == 600) std::this_thread::sleep_for(200ms);  // stops reading, then resumes
    return std::vector<Reply>{{as_rep(r.nonce)}};
  });
  FakeWorkload w;
  EngineConfig c;
  c.target = responder.address();
  c.mode = LoadMode::kOpen;
  c.schedule = {{1000, 1000, kSec + kSec / 2}};
  c.sockets = 4;
  c.timeout_ns = 2 * kSec;  // the stalled requests are answered, not timed out
  tolerate_scheduling_delays(c);
  const EngineResult r = run_ok(c, {&w});
  const report::Counts& n = r.stats.counts;
  EXPECT_EQ(n.sent, 1500u);
  EXPECT_EQ(n.verified_ok, 1500u);
  EXPECT_EQ(n.timeouts, 0u);
  EXPECT_GT(n.socket_waits, 0u);  // the queue is visible...
  const std::uint64_t corrected_p99 = r.stats.latencies.latency.quantile(0.99);
  const std::uint64_t service_p99 = r.stats.latencies.service.quantile(0.99);
  // ... and so is the stall: about 100 requests were due in its first half.
  EXPECT_GE(corrected_p99, static_cast<std::uint64_t>(100 * kMs));
  EXPECT_LT(service_p99, static_cast<std::uint64_t>(50 * kMs));
  EXPECT_GE(r.stats.latencies.latency.max(), static_cast<std::uint64_t>(150 * kMs));
  EXPECT_GE(r.stats.latencies.service.max(), static_cast<std::uint64_t>(150 * kMs));
  // The backlog is the KDC's, not kdcperf's: waiting with every socket in flight is not
  // counted as the generator's own lag (it would be ~200 ms otherwise).
  EXPECT_LT(n.max_lag_ns, 100 * kMs);
}

TEST(Engine, SearchFindsTheHighestRateWithinTheBounds) {
  // Steps of 0.4 s at 1000, 2000, 4000/s send exactly 400, 800 and 1600 requests. The
  // responder answers the first 2000 and drops the rest, so the third step loses half.
  UdpResponder responder("127.0.0.1:0", [](const Request& r) {
    return r.index < 2000 ? std::vector<Reply>{{as_rep(r.nonce)}} : std::vector<Reply>{};
  });
  FakeWorkload w;
  EngineConfig base;
  base.target = responder.address();
  base.sockets = 256;
  base.timeout_ns = 50 * kMs;
  tolerate_scheduling_delays(base);
  SearchConfig s;
  s.start_rate = 1000;
  s.growth = 2;
  s.step_ns = 400 * kMs;
  s.max_loss = 0.01;
  s.max_errors = 0.01;
  std::vector<Workload*> ws{&w};
  std::string why;
  auto r = search(base, s, ws, &why);
  ASSERT_TRUE(r.ok()) << why;
  ASSERT_EQ(r->steps.size(), 3u);
  EXPECT_TRUE(r->steps[0].passed);
  EXPECT_TRUE(r->steps[1].passed);
  EXPECT_FALSE(r->steps[2].passed);
  EXPECT_EQ(r->steps[1].result.stats.counts.sent, 800u);
  EXPECT_DOUBLE_EQ(r->steps[2].loss, 0.5);
  EXPECT_DOUBLE_EQ(r->best_rate, 2000);
  EXPECT_EQ(r->best_step, 1);
  EXPECT_FALSE(r->generator_limited);
}

TEST(Engine, ProgressIsReportedEachSecond) {
  UdpResponder responder("127.0.0.1:0", echo());
  FakeWorkload w;
  EngineConfig c;
  c.target = responder.address();
  c.mode = LoadMode::kOpen;
  c.schedule = {{500, 500, 2 * kSec + kSec / 2}};
  c.sockets = 16;
  tolerate_scheduling_delays(c);
  std::vector<Progress> seen;
  c.on_progress = [&](const Progress& p) { seen.push_back(p); };
  const EngineResult r = run_ok(c, {&w});
  ASSERT_GE(seen.size(), 2u);
  EXPECT_NEAR(static_cast<double>(seen[0].replies), 500, 100);
  EXPECT_NEAR(seen[1].replies_per_s, 500, 100);
  EXPECT_DOUBLE_EQ(seen[0].target_rate, 500);
  EXPECT_GT(seen[0].p99_ns, 0u);
  EXPECT_EQ(r.stats.series.size(), 3u);
}

}  // namespace
}  // namespace kdcperf::loadgen::net
