// Sockets as both programs use them. Errors are negative errno values: io/ sits below libkrb's
// Result type on purpose (it knows nothing of Kerberos).
#pragma once

#include <cstdint>
#include <variant>

#include "io/address.hpp"
#include "io/fd.hpp"

namespace kdcperf::io {

// A value or a negative errno.
template <class T>
struct [[nodiscard]] IoResult {
  std::variant<T, int> v;
  bool ok() const { return v.index() == 0; }
  T& value() { return std::get<0>(v); }
  const T& value() const { return std::get<0>(v); }
  int error() const { return ok() ? 0 : std::get<1>(v); }
};

struct UdpOptions {
  bool reuse_port = false;  // SO_REUSEPORT: one socket per worker, the kernel spreads flows
  int recv_buffer = 0;      // SO_RCVBUF bytes (0: kernel default)
  int send_buffer = 0;      // SO_SNDBUF bytes (0: kernel default)
};

// A UDP socket bound to `local` (port 0: any free port).
IoResult<Fd> open_udp(const SocketAddress& local, const UdpOptions& options = {});
// A UDP socket connected to `peer` (bound to an ephemeral local port).
IoResult<Fd> connect_udp(const SocketAddress& peer, const UdpOptions& options = {});
// A non-blocking TCP client socket (TCP_NODELAY) for `family`, not yet connected: the caller
// connects it, e.g. with io_uring_prep_connect.
IoResult<Fd> open_tcp_client(int family);
// A listening TCP socket.
IoResult<Fd> open_tcp_listener(const SocketAddress& local, bool reuse_port, int backlog);

// The address a socket is bound to (after binding to port 0).
IoResult<SocketAddress> local_address(int fd);

const char* errno_name(int negative_errno);

}  // namespace kdcperf::io
