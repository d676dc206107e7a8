// One KDC worker: a thread with its own io_uring, its own SO_REUSEPORT UDP sockets and TCP
// listeners, and its own AsService. It only moves bytes: received datagrams and TCP messages
// are gathered into a batch, handed to the AsService with the time, and the replies sent with
// one submit (DESIGN.md "How a datagram flows through the KDC").
//
// UDP: a multishot recvmsg per socket into a provided-buffer ring (liburing 2.3, kernel 6.0+),
// so a receive costs no submission and no per-datagram buffer bookkeeping.
// TCP (RFC 4120 §7.2.2): multishot accept; per connection a read buffer that grows up to
// max_tcp_message, 4-byte length framing, several requests per connection answered in order,
// a length with the high bit set or over the limit answered KRB_ERR_FIELD_TOOLONG and closed,
// idle connections closed, and a connection limit per worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/address.hpp"
#include "io/fd.hpp"
#include "kdc/as/as_service.hpp"
#include "kdc/as/counters.hpp"
#include "kdc/db/principal_db.hpp"

namespace kdcperf::kdc::net {

struct WorkerConfig {
  std::size_t batch = 64;              // requests handed to the AsService at once
  unsigned recv_buffers = 1024;        // provided buffers for UDP (power of two)
  unsigned recv_buffer_bytes = 4096;   // a larger datagram is dropped and counted
  std::size_t send_slot_bytes = 8192;  // largest reply (+4 for TCP framing)
  std::size_t max_tcp_message = 65536;
  std::size_t max_tcp_connections = 1024;
  // A connection with no complete message for this long is closed (partial frames included).
  std::int64_t tcp_idle_timeout_ms = 10000;
  int cpu = -1;  // pin the thread to this CPU (-1: no pinning)
  // Added to the system clock: a KDC whose clock is off, to test clients' skew handling.
  std::int64_t clock_offset_s = 0;
  as::AsOptions as;
};

// What the engine itself saw, beside the AsService's counters. Only std::uint64_t fields:
// they are published as an array of atomics.
struct EngineCounters {
  std::uint64_t udp_received = 0;
  std::uint64_t udp_truncated = 0;  // datagrams over recv_buffer_bytes, dropped
  std::uint64_t udp_no_buffer = 0;  // ENOBUFS: the provided-buffer ring ran dry
  std::uint64_t replies_sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t tcp_accepted = 0;
  std::uint64_t tcp_rejected = 0;  // over max_tcp_connections
  std::uint64_t tcp_messages = 0;
  std::uint64_t tcp_too_long = 0;  // answered FIELD_TOOLONG and closed
  std::uint64_t tcp_idle_closed = 0;
  std::uint64_t tcp_closed = 0;
  std::uint64_t batches = 0;
};

struct WorkerStats {
  as::AsCounters as;
  EngineCounters engine;

  WorkerStats& operator+=(const WorkerStats& o);
};

// A copy of WorkerStats readable from any thread, updated by the worker after its batches.
class PublishedStats {
 public:
  static constexpr std::size_t kWords = sizeof(WorkerStats) / sizeof(std::uint64_t);
  void store(const WorkerStats& s);
  WorkerStats load() const;

 private:
  std::atomic<std::uint64_t> words_[kWords]{};
};

// The sockets one worker serves, opened by the Server.
struct WorkerSockets {
  std::vector<io::Fd> udp;
  std::vector<io::Fd> tcp_listeners;
};

class Worker {
 public:
  Worker(const db::PrincipalDb& db, WorkerConfig config, WorkerSockets sockets);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Creates the ring and arms every socket, on the thread that will run(). False with *why
  // on failure.
  bool setup(std::string* why);
  // Serves until stop is set (checked at least every 100 ms).
  void run(const std::atomic<bool>& stop);

  const PublishedStats& stats() const { return published_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  PublishedStats published_;
};

}  // namespace kdcperf::kdc::net
