// kdcperf-responder: the floor under kdcperf's own ceiling, on one core with recvmmsg/sendmmsg
// batches: what kdcperf reaches against it is what kdcperf itself can do.
//
// Two modes:
//   canned (default)  every datagram gets one fixed, pre-captured reply (by default the AS-REP
//                     MIT's KDC sent in krb/testdata/mit/aes256_as_rep.hex). Nothing Kerberos:
//                     the reply is opaque bytes, so a checking kdcperf fails every nonce.
//   --seal            every AS-REQ gets a valid AS-REP for it (responder_sealer.hpp): the
//                     request's nonce, cname and realm, an EncASRepPart sealed under the
//                     client's key (key usage 3), and the captured reply's Ticket as an opaque
//                     blob (kdcperf never opens the ticket). No pre-authentication check and no
//                     policy: it is a floor, not a KDC. A cname with no key gets KRB-ERROR
//                     C_PRINCIPAL_UNKNOWN; an undecodable datagram is counted and dropped.
//
//   kdcperf-responder [--listen 127.0.0.1:8888] [--reply-hex FILE | --reply FILE] [--cpu N]
//                     [--duration SECONDS] [--port-file FILE] [--allow-non-loopback]
//                     [--seal (--keytab FILE | --principal NAME@REALM
//                              (--password PW | --password-file FILE))]
//
// Prints "listening on ADDR" when ready, and its counts on exit (SIGINT/SIGTERM or duration).
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/address.hpp"
#include "io/socket.hpp"
#include "krb/base/secret.hpp"
#include "loadgen/hex_file.hpp"
#include "loadgen/responder_sealer.hpp"

namespace {

namespace krb = kdcperf::krb;
using kdcperf::loadgen::responder::add_keytab_keys;
using kdcperf::loadgen::responder::add_password_keys;
using kdcperf::loadgen::responder::SealCounts;
using kdcperf::loadgen::responder::Sealer;

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop = true;
}

#ifdef KDCPERF_SOURCE_DIR
constexpr const char* kDefaultReply = KDCPERF_SOURCE_DIR "/krb/testdata/mit/aes256_as_rep.hex";
#else
constexpr const char* kDefaultReply = "krb/testdata/mit/aes256_as_rep.hex";
#endif

constexpr int kBatch = 64;
constexpr std::size_t kMaxDatagram = 65536;

bool read_bytes(const std::string& path, bool hex, std::vector<unsigned char>* out) {
  if (hex) {
    const auto bytes = kdcperf::loadgen::read_hex_file(path);
    if (!bytes) return false;
    out->resize(bytes->size());
    if (!bytes->empty()) std::memcpy(out->data(), bytes->data(), bytes->size());
    return true;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  out->assign(text.begin(), text.end());
  return true;
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--listen 127.0.0.1:8888] [--reply-hex FILE | --reply FILE] "
               "[--cpu N] [--duration SECONDS] [--port-file FILE] [--allow-non-loopback]\n"
               "          [--seal (--keytab FILE | --principal NAME@REALM (--password PW | "
               "--password-file FILE))]\n"
               "  --seal  answer each AS-REQ with a valid AS-REP sealed under the client's key "
               "(the\n          reply file gives only the Ticket); unknown clients get "
               "KRB-ERROR 6\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:8888";
  std::string reply_path = kDefaultReply;
  bool reply_hex = true;
  int cpu = -1;
  double duration = 0;
  std::string port_file;
  bool allow_non_loopback = false;
  bool seal = false;
  std::string keytab, principal, password, password_file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--listen" && (v = value())) {
      listen = v;
    } else if (a == "--reply-hex" && (v = value())) {
      reply_path = v;
      reply_hex = true;
    } else if (a == "--reply" && (v = value())) {
      reply_path = v;
      reply_hex = false;
    } else if (a == "--cpu" && (v = value())) {
      cpu = std::atoi(v);
    } else if (a == "--duration" && (v = value())) {
      duration = std::atof(v);
    } else if (a == "--port-file" && (v = value())) {
      port_file = v;
    } else if (a == "--allow-non-loopback") {
      allow_non_loopback = true;
    } else if (a == "--seal") {
      seal = true;
    } else if (a == "--keytab" && (v = value())) {
      keytab = v;
    } else if (a == "--principal" && (v = value())) {
      principal = v;
    } else if (a == "--password" && (v = value())) {
      password = v;
    } else if (a == "--password-file" && (v = value())) {
      password_file = v;
    } else {
      return usage(argv[0]);
    }
  }

  std::vector<unsigned char> reply;
  if (!read_bytes(reply_path, reply_hex, &reply) || reply.empty() || reply.size() > kMaxDatagram) {
    std::fprintf(stderr, "kdcperf-responder: cannot read a reply from %s\n", reply_path.c_str());
    return 2;
  }
  std::optional<Sealer> sealer;
  if (seal) {
    sealer.emplace(static_cast<std::size_t>(kBatch));
    if (!sealer->set_ticket_from(reply)) {
      std::fprintf(stderr, "kdcperf-responder: --seal: %s is not an AS-REP\n", reply_path.c_str());
      return 2;
    }
    if (!password_file.empty()) {
      std::ifstream pf(password_file);
      if (!pf || !std::getline(pf, password)) {
        std::fprintf(stderr, "kdcperf-responder: cannot read %s\n", password_file.c_str());
        return 2;
      }
    }
    if (keytab.empty() == principal.empty() || principal.empty() != password.empty()) {
      std::fprintf(stderr,
                   "kdcperf-responder: --seal needs --keytab, or --principal with a password\n");
      return usage(argv[0]);
    }
    bool loaded = false;
    if (keytab.empty()) {
      loaded = add_password_keys(*sealer, principal, password);
    } else {
      std::vector<unsigned char> file;
      loaded = read_bytes(keytab, false, &file) &&
               add_keytab_keys(*sealer, std::as_bytes(std::span(file)));
      krb::secure_wipe(file.data(), file.size());
    }
    krb::secure_wipe(password.data(), password.size());
    if (!loaded || sealer->clients() == 0) {
      std::fprintf(stderr, "kdcperf-responder: --seal: no usable client key from %s\n",
                   keytab.empty() ? principal.c_str() : keytab.c_str());
      return 2;
    }
  } else if (!keytab.empty() || !principal.empty() || !password.empty() || !password_file.empty()) {
    return usage(argv[0]);
  }
  auto addr = kdcperf::io::parse_address(listen);
  if (!addr) {
    std::fprintf(stderr, "kdcperf-responder: bad address %s\n", listen.c_str());
    return 2;
  }
  if (!addr->is_loopback() && !allow_non_loopback) {
    std::fprintf(stderr, "kdcperf-responder: refusing to listen on non-loopback %s\n",
                 listen.c_str());
    return 2;
  }
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
  }
  kdcperf::io::UdpOptions uo;
  uo.recv_buffer = 4 << 20;
  uo.send_buffer = 4 << 20;
  auto fd = kdcperf::io::open_udp(*addr, uo);
  if (!fd.ok()) {
    std::fprintf(stderr, "kdcperf-responder: cannot bind %s: %s\n", listen.c_str(),
                 kdcperf::io::errno_name(fd.error()));
    return 2;
  }
  const int s = fd.value().get();
  const auto bound = kdcperf::io::local_address(s);
  if (sealer) {
    std::printf("listening on %s, sealing replies for %zu clients\n",
                bound.value().to_string().c_str(), sealer->clients());
  } else {
    std::printf("listening on %s, reply %zu bytes\n", bound.value().to_string().c_str(),
                reply.size());
  }
  std::fflush(stdout);
  if (!port_file.empty()) {
    std::ofstream pf(port_file);
    pf << bound.value().port() << "\n";
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  static unsigned char bufs[kBatch][2048];
  mmsghdr in[kBatch]{};
  mmsghdr out[kBatch]{};
  iovec in_iov[kBatch]{};
  iovec out_iov[kBatch]{};
  sockaddr_storage peers[kBatch]{};
  for (int i = 0; i < kBatch; ++i) {
    in_iov[i] = {bufs[i], sizeof bufs[i]};
    in[i].msg_hdr.msg_iov = &in_iov[i];
    in[i].msg_hdr.msg_iovlen = 1;
    in[i].msg_hdr.msg_name = &peers[i];
    out_iov[i] = {reply.data(), reply.size()};
    out[i].msg_hdr.msg_iov = &out_iov[i];
    out[i].msg_hdr.msg_iovlen = 1;
    out[i].msg_hdr.msg_name = &peers[i];
  }
  const auto start = std::chrono::steady_clock::now();
  unsigned long long received = 0, sent = 0, send_errors = 0, batches = 0;
  while (!g_stop) {
    if (duration > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= duration)
      break;
    for (int i = 0; i < kBatch; ++i) in[i].msg_hdr.msg_namelen = sizeof peers[i];
    const int n = recvmmsg(s, in, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      pollfd p{s, POLLIN, 0};
      poll(&p, 1, 100);
      continue;
    }
    received += static_cast<unsigned>(n);
    ++batches;
    int replies = n;
    if (sealer) {
      replies = sealer->answer(in, n, out, out_iov);
    } else {
      for (int i = 0; i < n; ++i) out[i].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
    }
    int done = 0;
    while (done < replies) {
      const int m = sendmmsg(s, out + done, static_cast<unsigned>(replies - done), 0);
      if (m <= 0) {
        if (m < 0 && errno == EINTR) continue;
        send_errors += static_cast<unsigned>(replies - done);  // dropped, as a loaded KDC would
        break;
      }
      done += m;
      sent += static_cast<unsigned>(m);
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("received %llu sent %llu send_errors %llu batches %llu in %.1f s\n", received, sent,
              send_errors, batches, secs);
  if (sealer) {
    const SealCounts& c = sealer->counts();
    std::printf(
        "seal: requests %llu replies_sealed %llu errors_sent %llu (client_unknown %llu "
        "etype_nosupp %llu) malformed %llu internal %llu\n",
        c.requests, c.sealed, c.errors, c.unknown, c.etype, c.malformed, c.internal);
  }
  return 0;
}
