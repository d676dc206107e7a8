// The KDC's listening side: opens one SO_REUSEPORT UDP socket and TCP listener per worker on
// every listen address (the kernel spreads clients over the workers), runs one Worker per
// thread, and sums their published counters for readers.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "io/address.hpp"
#include "kdc/db/principal_db.hpp"
#include "kdc/net/worker.hpp"

namespace kdcperf::kdc::net {

struct ServerConfig {
  std::vector<io::SocketAddress> listen;  // port 0: one free port, the same for every worker
  unsigned workers = 0;                   // 0: one per online CPU
  bool udp = true;
  bool tcp = true;
  bool pin = false;  // worker i on CPU i (modulo the CPUs online)
  int tcp_backlog = 1024;
  WorkerConfig worker;
};

class Server {
 public:
  // Opens every socket and starts the workers; nullptr with *why on failure.
  static std::unique_ptr<Server> start(const db::PrincipalDb& db, ServerConfig config,
                                       std::string* why);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The addresses served, with the ports actually bound.
  const std::vector<io::SocketAddress>& bound() const { return bound_; }
  unsigned workers() const { return static_cast<unsigned>(workers_.size()); }
  // Every worker's counters added up (each worker publishes at least every millisecond of
  // activity and when it stops).
  WorkerStats stats() const;
  // Stops the workers (each notices within 100 ms) and joins them. Idempotent.
  void stop();

 private:
  Server() = default;
  std::vector<io::SocketAddress> bound_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace kdcperf::kdc::net
