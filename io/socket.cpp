#include "io/socket.hpp"

#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

namespace kdcperf::io {
namespace {

int set_int_option(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : -errno;
}

IoResult<Fd> make_udp(int family, const UdpOptions& o) {
  Fd fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return {-errno};
  if (o.reuse_port) {
    if (int e = set_int_option(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1)) return {e};
  }
  if (o.recv_buffer > 0) {
    if (int e = set_int_option(fd.get(), SOL_SOCKET, SO_RCVBUF, o.recv_buffer)) return {e};
  }
  if (o.send_buffer > 0) {
    if (int e = set_int_option(fd.get(), SOL_SOCKET, SO_SNDBUF, o.send_buffer)) return {e};
  }
  return {std::move(fd)};
}

}  // namespace

IoResult<Fd> open_udp(const SocketAddress& local, const UdpOptions& options) {
  auto r = make_udp(local.family(), options);
  if (!r.ok()) return r;
  if (local.family() == AF_INET6) {
    // A v6 socket serves v6 only; v4 gets its own listener (explicit, like MIT's KDC).
    if (int e = set_int_option(r.value().get(), IPPROTO_IPV6, IPV6_V6ONLY, 1)) return {e};
  }
  if (::bind(r.value().get(), local.get(), local.length) != 0) return {-errno};
  return r;
}

IoResult<Fd> connect_udp(const SocketAddress& peer, const UdpOptions& options) {
  auto r = make_udp(peer.family(), options);
  if (!r.ok()) return r;
  if (::connect(r.value().get(), peer.get(), peer.length) != 0) return {-errno};
  return r;
}

IoResult<Fd> open_tcp_client(int family) {
  Fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return {-errno};
  // Requests are single small writes: never wait for an ACK before sending (RFC 896).
  if (int e = set_int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1)) return {e};
  return {std::move(fd)};
}

IoResult<Fd> open_tcp_listener(const SocketAddress& local, bool reuse_port, int backlog) {
  Fd fd(::socket(local.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return {-errno};
  if (int e = set_int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1)) return {e};
  if (reuse_port) {
    if (int e = set_int_option(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1)) return {e};
  }
  if (local.family() == AF_INET6) {
    if (int e = set_int_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1)) return {e};
  }
  if (::bind(fd.get(), local.get(), local.length) != 0) return {-errno};
  if (::listen(fd.get(), backlog) != 0) return {-errno};
  return {std::move(fd)};
}

IoResult<SocketAddress> local_address(int fd) {
  SocketAddress a;
  a.length = sizeof a.storage;
  if (::getsockname(fd, a.get(), &a.length) != 0) return {-errno};
  return {a};
}

const char* errno_name(int negative_errno) {
  return std::strerror(-negative_errno);
}

}  // namespace kdcperf::io
