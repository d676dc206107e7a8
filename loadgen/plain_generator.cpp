// kdcperf-plain-generator: the reference kdcperf's ceiling is read against (issue 4: "a plain
// one-syscall-per-datagram generator"). One connected UDP socket, `--window` datagrams in
// flight: a blocking recv() per reply and a send() per request, the same captured AS-REQ bytes
// every time, nothing matched, decoded or checked. Whatever it reaches against
// kdcperf-responder is the kernel's loopback path plus two syscalls an exchange; measured in the
// same run as kdcperf (scripts/loadgen-ceiling.sh), it makes kdcperf's figure comparable across
// the VM's good and bad hours.
//
//   kdcperf-plain-generator --kdc 127.0.0.1:PORT [--window 128] [--duration SECONDS]
//                           [--request-hex FILE]
//
// Loopback only; stops by itself after --duration (default 5 s). Prints one JSON line:
// {"replies": N, "seconds": S, "replies_per_s": R, "cpu_s": C, "resends": K}.
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "io/socket.hpp"
#include "krb/base/bytes.hpp"
#include "loadgen/reference_options.hpp"
#include "loadgen/report/machine.hpp"

namespace {

namespace krb = kdcperf::krb;

constexpr std::size_t kMaxDatagram = 65536;

double cpu_seconds() {
  const auto u = kdcperf::loadgen::report::self_usage();
  return u.cpu_user_s + u.cpu_system_s;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options =
      kdcperf::loadgen::parse_reference_options(argc, argv, false, KDCPERF_SOURCE_DIR);
  if (!options) return 2;
  if (!options->kdc.is_loopback()) {
    std::fprintf(stderr, "kdcperf-plain-generator: sends only to loopback\n");
    return 2;
  }
  const krb::Buffer& request = options->request;
  const long window = options->window;
  const double duration = options->duration_s;
  auto sock = kdcperf::io::connect_udp(options->kdc);
  if (!sock.ok()) {
    std::fprintf(stderr, "kdcperf-plain-generator: cannot open a UDP socket\n");
    return 1;
  }
  const int fd = sock.value().get();
  // A lost datagram would shrink the window for good: after 100 ms without a reply, resend it.
  const timeval wait{0, 100'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);

  std::vector<std::byte> reply(kMaxDatagram);
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  const auto end = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(duration));
  std::uint64_t replies = 0, resends = 0;
  for (long i = 0; i < window; ++i) (void)send(fd, request.data(), request.size(), 0);
  // The clock is read once per 1024 replies: a syscall's worth of work each time would be
  // a third syscall an exchange.
  for (;;) {
    const ssize_t n = recv(fd, reply.data(), reply.size(), 0);
    bool look = false;
    if (n >= 0) {
      ++replies;
      look = (replies & 1023) == 0;
    } else {
      // A timeout (or ICMP refused: nobody listening) sends again, and always looks at the
      // clock, so a dead responder cannot keep the loop going.
      ++resends;
      look = true;
    }
    (void)send(fd, request.data(), request.size(), 0);
    if (look && std::chrono::steady_clock::now() >= end) break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "{\"replies\": %llu, \"seconds\": %.3f, \"replies_per_s\": %.1f, \"cpu_s\": %.3f, "
      "\"resends\": %llu}\n",
      static_cast<unsigned long long>(replies), seconds, static_cast<double>(replies) / seconds,
      cpu_seconds() - cpu0, static_cast<unsigned long long>(resends));
  return 0;
}
