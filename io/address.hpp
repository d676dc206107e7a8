// Socket addresses for IPv4 and IPv6, parsed from "HOST:PORT" / "[V6]:PORT".
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kdcperf::io {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  std::uint16_t port() const;
  void set_port(std::uint16_t port);
  // 127.0.0.0/8 or ::1 (or ::ffff:127.x): the only places load tests may send to.
  bool is_loopback() const;
  std::string to_string() const;  // "127.0.0.1:88", "[::1]:88"

  static SocketAddress from_sockaddr(const sockaddr* sa, socklen_t len);
};

// Numeric addresses only (no DNS in the hot path or in tests): "127.0.0.1:88", "[::1]:88",
// "::1" with default_port. nullopt when malformed.
std::optional<SocketAddress> parse_address(std::string_view text, std::uint16_t default_port = 0);

}  // namespace kdcperf::io
