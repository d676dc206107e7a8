// kdcperf-responder: answers every UDP datagram with one fixed, pre-captured reply (by default
// the AS-REP MIT's KDC sent in krb/testdata/mit/aes256_as_rep.hex) as fast as one core can,
// with recvmmsg/sendmmsg batches. It is the floor under kdcperf's own ceiling: a "KDC" that
// costs nothing but the kernel's UDP path, so what kdcperf reaches against it is what kdcperf
// itself can do. Nothing Kerberos here: the reply is opaque bytes.
//
//   kdcperf-responder [--listen 127.0.0.1:8888] [--reply-hex FILE | --reply FILE] [--cpu N]
//                     [--duration SECONDS] [--port-file FILE] [--allow-non-loopback]
//
// Prints "listening on ADDR" when ready, and its counts on exit (SIGINT/SIGTERM or duration).
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io/address.hpp"
#include "io/socket.hpp"

namespace {

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
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  if (!hex) {
    out->assign(text.begin(), text.end());
    return true;
  }
  // Hex digits; whitespace and '#' comment lines ignored (the krb/testdata/*.hex format).
  std::string digits;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '#') continue;
    for (char c : line) {
      if (std::isxdigit(static_cast<unsigned char>(c))) {
        digits += c;
      } else if (!std::isspace(static_cast<unsigned char>(c))) {
        return false;
      }
    }
  }
  if (digits.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out->push_back(static_cast<unsigned char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return true;
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--listen 127.0.0.1:8888] [--reply-hex FILE | --reply FILE] "
               "[--cpu N] [--duration SECONDS] [--port-file FILE] [--allow-non-loopback]\n",
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
    } else {
      return usage(argv[0]);
    }
  }

  std::vector<unsigned char> reply;
  if (!read_bytes(reply_path, reply_hex, &reply) || reply.empty() || reply.size() > kMaxDatagram) {
    std::fprintf(stderr, "kdcperf-responder: cannot read a reply from %s\n", reply_path.c_str());
    return 2;
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
  std::printf("listening on %s, reply %zu bytes\n", bound.value().to_string().c_str(),
              reply.size());
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
    for (int i = 0; i < n; ++i) out[i].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
    int done = 0;
    while (done < n) {
      const int m = sendmmsg(s, out + done, static_cast<unsigned>(n - done), 0);
      if (m <= 0) {
        if (m < 0 && errno == EINTR) continue;
        send_errors += static_cast<unsigned>(n - done);  // dropped, as a loaded KDC would
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
  return 0;
}
