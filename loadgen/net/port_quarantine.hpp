// Local UDP ports that must not carry a new request yet. After a timeout the engine keeps the
// socket open for a grace period so a late reply is counted late (RFC 4120 gives replies no
// request id but the nonce inside the encrypted part). When too many sockets are retired at
// once, the oldest are closed before their grace ends; the kernel may then hand the same port
// to a new socket, which would receive the old request's late reply as its own. The port stays
// here until the grace would have ended, and the engine refuses a new socket that got it.
#pragma once

#include <cstdint>
#include <memory>

namespace kdcperf::loadgen::net {

class PortQuarantine {
 public:
  // Port `port` is not to be used again before `until` (CLOCK_MONOTONIC ns).
  void add(std::uint16_t port, std::int64_t until) {
    if (!until_) until_ = std::make_unique<std::int64_t[]>(kPorts);  // 512 KiB, only if needed
    if (until > until_[port]) until_[port] = until;
    if (until > latest_) latest_ = until;
  }
  bool blocked(std::uint16_t port, std::int64_t now) const {
    return now < latest_ && until_[port] > now;
  }
  // Whether any port may still be blocked (lets the engine skip the getsockname otherwise).
  bool active(std::int64_t now) const { return now < latest_; }

 private:
  static constexpr std::size_t kPorts = 65536;
  std::unique_ptr<std::int64_t[]> until_;
  std::int64_t latest_ = 0;
};

}  // namespace kdcperf::loadgen::net
