#include "loadgen/kinit/kinit.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "krb/crypto/key_cache.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/files/ccache.hpp"
#include "krb/files/keytab.hpp"
#include "krb/proto/kdc_req.hpp"
#include "loadgen/check/fake_kdc_testing.hpp"
#include "loadgen/check/reply_checker.hpp"
#include "loadgen/clients/file_io.hpp"
#include "tests/support/process.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::loadgen::kinit {
namespace {

namespace proto = krb::proto;
namespace files = krb::files;
namespace crypto = krb::crypto;
using kdcperf::testing::read_file;
using kdcperf::testing::read_hex_file;
using kdcperf::testing::source_path;
using kdcperf::testing::TempDir;

std::string mit(std::string_view name) {
  return source_path("krb/testdata/mit/" + std::string(name));
}

// ---- pieces ----------------------------------------------------------------------------------

TEST(Kinit, ResolveKdcAddresses) {
  auto a = resolve_kdc("127.0.0.1:8888");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->storage.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(&a->storage)->sin_port), 8888);
  a = resolve_kdc("127.0.0.1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(&a->storage)->sin_port), 88);
  a = resolve_kdc("[::1]:750");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->storage.ss_family, AF_INET6);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6*>(&a->storage)->sin6_port), 750);
  a = resolve_kdc("::1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->storage.ss_family, AF_INET6);
  for (std::string_view bad :
       {"", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "[::1", "[::1]x", "127.0.0.1:8x"}) {
    EXPECT_FALSE(resolve_kdc(bad).ok()) << bad;
  }
}

TEST(Kinit, CcachePathAcceptsFileOnly) {
  EXPECT_EQ(ccache_path("/tmp/cc").value(), "/tmp/cc");
  EXPECT_EQ(ccache_path("FILE:/tmp/cc").value(), "/tmp/cc");
  EXPECT_EQ(ccache_path("relative/cc").value(), "relative/cc");
  EXPECT_EQ(ccache_path("/tmp/with:colon").value(), "/tmp/with:colon");
  for (std::string_view other : {"KEYRING:persistent:0", "DIR:/tmp/d", "MEMORY:x", "KCM:"}) {
    EXPECT_EQ(ccache_path(other).err(), krb::Err::kUnsupported) << other;
  }
  EXPECT_FALSE(ccache_path("").ok());
  EXPECT_FALSE(ccache_path("FILE:").ok());
}

TEST(Kinit, TimeOffsetIsNormalizedAsMitStoresIt) {
  // KDC 1.5 s ahead.
  auto o = time_offset(1000, 700000, {998, 200000});
  EXPECT_EQ(o.seconds, 2);
  EXPECT_EQ(o.usec, 500000);
  // KDC 0.3 s behind: -1 s + 700000 us.
  o = time_offset(1000, 0, {1000, 300000});
  EXPECT_EQ(o.seconds, -1);
  EXPECT_EQ(o.usec, 700000);
  o = time_offset(5, 5, {5, 5});
  EXPECT_EQ(o, (files::TimeOffset{0, 0}));
}

TEST(Kinit, ErrorMessagesSayWhatKinitSays) {
  EXPECT_NE(error_message(6, "nobody@R", "R", false)
                .find("Client 'nobody@R' not found in Kerberos database"),
            std::string::npos);
  EXPECT_NE(error_message(24, "a@R", "R", true).find("Preauthentication failed"),
            std::string::npos);
  EXPECT_NE(error_message(37, "a@R", "R", true).find("Clock skew too great"), std::string::npos);
  EXPECT_NE(error_message(-1765328228, "a@R", "R", true).find("-1765328228"), std::string::npos);
  EXPECT_NE(error_message(61, "a@R", "R", true).find("KRB_ERR_FIELD_TOOLONG"), std::string::npos);
}

// Our credential from MIT's captured AS-REP equals the one MIT's kinit stored in alice.ccache
// from that same reply (krb/testdata/mit/README.md): MIT is the reference.
TEST(Kinit, CredentialFromCapturedAsRepMatchesMitsCcache) {
  const krb::Buffer rep_bytes = read_hex_file(mit("aes256_as_rep.hex"));
  const krb::Buffer req_bytes = read_hex_file(mit("aes256_as_req_preauth.hex"));
  proto::AsReq req;
  ASSERT_TRUE(proto::decode_as_req(req_bytes, &req).ok());
  clients::Population pop("KDCPERF.TEST");
  ASSERT_TRUE(pop.add("alice", std::string_view("secret")).ok());
  ASSERT_TRUE(pop.derive_keys({}).ok());
  crypto::KeyCache cache(4);
  check::ReplyChecker checker(pop, cache);
  const Verdict v = checker.check({0, req.req_body.nonce, Leg::kPreauth, true}, rep_bytes);
  ASSERT_EQ(v.failure, CheckFailure::kNone);
  ASSERT_TRUE(v.checked);
  auto ours = credential_from_as_rep(checker.as_rep(), checker.enc_part());
  ASSERT_TRUE(ours.ok());

  const krb::Buffer cc_bytes = read_file(mit("alice.ccache"));
  auto cc = files::read_ccache(cc_bytes);
  ASSERT_TRUE(cc.ok());
  const files::Credential* theirs = nullptr;
  for (const auto& c : cc->creds) {
    if (!files::is_config_entry(c)) theirs = &c;
  }
  ASSERT_NE(theirs, nullptr);
  EXPECT_EQ(ours->client, theirs->client);
  EXPECT_EQ(ours->server, theirs->server);
  EXPECT_EQ(ours->enctype, theirs->enctype);
  EXPECT_TRUE(krb::equal(ours->key.view(), theirs->key.view()));
  EXPECT_EQ(ours->authtime, theirs->authtime);
  EXPECT_EQ(ours->starttime, theirs->starttime);
  EXPECT_EQ(ours->endtime, theirs->endtime);
  EXPECT_EQ(ours->renew_till, theirs->renew_till);
  EXPECT_EQ(ours->is_skey, theirs->is_skey);
  EXPECT_EQ(ours->ticket_flags, theirs->ticket_flags);
  EXPECT_EQ(ours->addresses, theirs->addresses);
  EXPECT_EQ(ours->ticket, theirs->ticket) << "the Ticket must be stored byte for byte";
  EXPECT_EQ(ours->second_ticket, theirs->second_ticket);
  EXPECT_EQ(cc->default_principal, ours->client);
}

// ---- whole exchanges against an in-process fake KDC on loopback ------------------------------

krb::Buffer too_big_error() {
  proto::KrbError e;
  e.stime = 1764080000;
  e.error_code = proto::ErrorCode::KRB_ERR_RESPONSE_TOO_BIG;
  e.realm = "KDCPERF.TEST";
  e.sname.name_type = proto::NameType::NT_SRV_INST;
  (void)e.sname.components.push_back("krbtgt");
  (void)e.sname.components.push_back("KDCPERF.TEST");
  krb::der::Writer w;
  proto::encode_krb_error(w, e);
  return krb::Buffer(w.view().begin(), w.view().end());
}

krb::KerberosTimestamp now() {
  const auto t = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t).count();
  return {us / 1000000, static_cast<std::int32_t>(us % 1000000)};
}

// UDP and TCP on one loopback port, answering with a FakeKdc from one thread.
class FakeKdcServer {
 public:
  FakeKdcServer(loadgen::testing::FakeKdc& kdc, bool udp_too_big)
      : kdc_(kdc), udp_too_big_(udp_too_big) {
    for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) {
      udp_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      tcp_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof a;
      if (::bind(udp_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
          ::getsockname(udp_, reinterpret_cast<sockaddr*>(&a), &len) == 0 &&
          ::bind(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(tcp_, 8) == 0) {
        port_ = ntohs(a.sin_port);
      } else {
        ::close(udp_);
        ::close(tcp_);
      }
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeKdcServer() {
    stop_ = true;
    thread_.join();
    ::close(udp_);
    ::close(tcp_);
  }
  int port() const { return port_; }
  std::atomic<int> udp_requests{0};
  std::atomic<int> tcp_requests{0};

 private:
  void loop() {
    std::vector<std::byte> buf(65536);
    while (!stop_) {
      pollfd p[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      if (p[0].revents & POLLIN) {
        sockaddr_storage from{};
        socklen_t fl = sizeof from;
        const ssize_t n =
            ::recvfrom(udp_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n <= 0) continue;
        ++udp_requests;
        const krb::Buffer reply =
            udp_too_big_ ? too_big_error() : kdc_.handle(krb::ByteView(buf.data(), n), now());
        ::sendto(udp_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
      }
      if (p[1].revents & POLLIN) {
        const int c = ::accept(tcp_, nullptr, nullptr);
        if (c < 0) continue;
        ++tcp_requests;
        std::byte len[4];
        if (::recv(c, len, 4, MSG_WAITALL) == 4) {
          const std::uint32_t n = krb::load_be32(len);
          krb::Buffer req(n);
          if (n < 65536 && ::recv(c, req.data(), n, MSG_WAITALL) == static_cast<ssize_t>(n)) {
            const krb::Buffer reply = kdc_.handle(req, now());
            krb::Buffer framed(4 + reply.size());
            krb::store_be32(framed.data(), static_cast<std::uint32_t>(reply.size()));
            std::copy(reply.begin(), reply.end(), framed.begin() + 4);
            ::send(c, framed.data(), framed.size(), MSG_NOSIGNAL);
          }
        }
        ::close(c);
      }
    }
  }

  loadgen::testing::FakeKdc& kdc_;
  bool udp_too_big_;
  int udp_ = -1;
  int tcp_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct KinitFixture {
  TempDir dir{"kdcperf-kinit"};
  loadgen::testing::FakeKdc kdc{"KDCPERF.TEST"};
  std::ostringstream out, err;

  KinitFixture() {
    kdc.add_password("alice", crypto::Enctype::AES256_CTS_HMAC_SHA1_96, "secret");
    kdc.add_password("bob", crypto::Enctype::AES128_CTS_HMAC_SHA256_128, "bobpw", false);
  }
  KinitOptions options(int port, const std::string& principal, std::string password) {
    KinitOptions o;
    o.principal = principal;
    o.realm = "KDCPERF.TEST";
    o.password = std::move(password);
    o.kdc = "127.0.0.1:" + std::to_string(port);
    o.ccache = "FILE:" + dir.file("cc");
    o.timeout = std::chrono::milliseconds(2000);
    o.out = &out;
    o.err = &err;
    return o;
  }
};

files::Ccache read_cc(const std::string& path) {
  auto bytes = clients::read_file(path);
  EXPECT_TRUE(bytes.ok());
  auto cc = files::read_ccache(*bytes);
  EXPECT_TRUE(cc.ok());
  return std::move(cc).value();
}

TEST(Kinit, PreauthExchangeWritesA0600Ccache) {
  KinitFixture f;
  FakeKdcServer server(f.kdc, false);
  ASSERT_GT(server.port(), 0);
  auto o = f.options(server.port(), "alice", "secret");
  o.verbose = true;
  ASSERT_EQ(run_kinit(o), 0) << f.err.str();
  EXPECT_NE(f.out.str().find("Default principal: alice@KDCPERF.TEST"), std::string::npos);
  const KinitResult r = kinit(o);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.messages_sent, 2);  // probe, then PA-ENC-TIMESTAMP
  EXPECT_FALSE(r.used_tcp);
  struct stat st {};
  ASSERT_EQ(::stat(f.dir.file("cc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const files::Ccache cc = read_cc(f.dir.file("cc"));
  ASSERT_TRUE(cc.time_offset.has_value());
  EXPECT_LE(std::abs(cc.time_offset->seconds), 1) << "same clock";
  EXPECT_EQ(files::unparse(cc.default_principal), "alice@KDCPERF.TEST");
  ASSERT_EQ(cc.creds.size(), 1u);
  const auto& c = cc.creds[0];
  EXPECT_EQ(files::unparse(c.server), "krbtgt/KDCPERF.TEST@KDCPERF.TEST");
  EXPECT_EQ(c.server.name_type, files::kNtSrvInst);
  EXPECT_EQ(c.enctype, 18);
  EXPECT_EQ(c.key.size(), 32u);
  EXPECT_EQ(c.starttime, c.authtime) << "starttime absent: authtime";
  EXPECT_EQ(c.endtime, c.authtime + 36000);
  EXPECT_TRUE(c.ticket_flags & files::ticket_flags::kPreAuthent);
  proto::Ticket t;
  EXPECT_TRUE(proto::decode_ticket(c.ticket, &t).ok());
  // No temporary file left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(f.dir.path()))
    ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(Kinit, NoPreauthPrincipalGetsTheTicketAtOnce) {
  KinitFixture f;
  FakeKdcServer server(f.kdc, false);
  const KinitResult r = kinit(f.options(server.port(), "bob@KDCPERF.TEST", "bobpw"));
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.messages_sent, 1);
  EXPECT_FALSE(r.ticket_flags & files::ticket_flags::kPreAuthent);
}

TEST(Kinit, KdcErrorsBecomeKinitMessages) {
  KinitFixture f;
  FakeKdcServer server(f.kdc, false);
  KinitResult r = kinit(f.options(server.port(), "alice", "wrong"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.kdc_error.value_or(0), 24);
  EXPECT_NE(r.message.find("Preauthentication failed"), std::string::npos) << r.message;
  r = kinit(f.options(server.port(), "nobody", "x"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.kdc_error.value_or(0), 6);
  EXPECT_NE(r.message.find("Client 'nobody@KDCPERF.TEST' not found in Kerberos database"),
            std::string::npos)
      << r.message;
  EXPECT_EQ(run_kinit(f.options(server.port(), "nobody", "x")), 1);
  EXPECT_NE(f.err.str().find("kdcperf kinit: Client 'nobody@KDCPERF.TEST'"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(f.dir.file("cc"))) << "no ccache on failure";
}

TEST(Kinit, ResponseTooBigOverUdpRetriesOverTcp) {
  KinitFixture f;
  FakeKdcServer server(f.kdc, true);
  const KinitResult r = kinit(f.options(server.port(), "alice", "secret"));
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(r.used_tcp);
  EXPECT_EQ(r.messages_sent, 4);  // each leg: UDP (52), then the same bytes over TCP
  EXPECT_EQ(server.udp_requests, 2);
  EXPECT_EQ(server.tcp_requests, 2);
}

TEST(Kinit, TcpOnly) {
  KinitFixture f;
  FakeKdcServer server(f.kdc, false);
  auto o = f.options(server.port(), "alice", "secret");
  o.transport = Transport::kTcp;
  const KinitResult r = kinit(o);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(server.udp_requests, 0);
  EXPECT_EQ(server.tcp_requests, 2);
}

TEST(Kinit, KeytabInsteadOfPassword) {
  KinitFixture f;
  FakeKdcServer server(f.kdc, false);
  files::KeytabEntry e;
  e.principal = {files::kNtPrincipal, "KDCPERF.TEST", {"alice"}};
  e.kvno = 1;
  e.enctype = 18;
  e.key =
      crypto::string_to_key(crypto::Enctype::AES256_CTS_HMAC_SHA1_96, "secret", "KDCPERF.TESTalice")
          .value()
          .bytes.clone();
  std::vector<files::KeytabEntry> entries;
  entries.push_back(std::move(e));
  auto kt = files::write_keytab(entries);
  ASSERT_TRUE(kt.ok());
  ASSERT_TRUE(clients::write_file_atomic(f.dir.file("alice.keytab"), kt->view()).ok());
  auto o = f.options(server.port(), "alice", "");
  o.password.reset();
  o.keytab_path = f.dir.file("alice.keytab");
  o.ccache = f.dir.file("cc2");
  const KinitResult r = kinit(o);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(files::unparse(read_cc(f.dir.file("cc2")).default_principal), "alice@KDCPERF.TEST");
  // A keytab without the principal.
  o.principal = "bob";
  const KinitResult r2 = kinit(o);
  EXPECT_FALSE(r2.ok);
  EXPECT_NE(r2.message.find("no suitable keys"), std::string::npos) << r2.message;
}

TEST(Kinit, SilentPortTimesOut) {
  // A bound UDP socket that never answers.
  const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  KinitFixture f;
  auto o = f.options(ntohs(a.sin_port), "alice", "secret");
  o.timeout = std::chrono::milliseconds(200);
  const auto t0 = std::chrono::steady_clock::now();
  const KinitResult r = kinit(o);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  ::close(s);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("Cannot contact any KDC for realm 'KDCPERF.TEST'"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("200 ms"), std::string::npos) << r.message;
}

TEST(Kinit, InputErrors) {
  KinitFixture f;
  auto o = f.options(88, "alice", "secret");
  o.realm.clear();
  EXPECT_NE(kinit(o).message.find("No realm"), std::string::npos);
  o = f.options(88, "a//b", "secret");
  EXPECT_NE(kinit(o).message.find("Malformed principal"), std::string::npos);
  o = f.options(88, "alice", "secret");
  o.ccache = "KEYRING:persistent:0";
  EXPECT_NE(kinit(o).message.find("Unsupported credential cache type"), std::string::npos);
  o = f.options(88, "alice", "secret");
  o.kdc = "[::1";
  EXPECT_NE(kinit(o).message.find("Cannot resolve KDC address"), std::string::npos);
  o = f.options(88, "alice", "");
  o.password.reset();
  EXPECT_NE(kinit(o).message.find("No password and no keytab"), std::string::npos);
}

}  // namespace
}  // namespace kdcperf::loadgen::kinit
