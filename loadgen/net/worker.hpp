// One engine worker: a thread's io_uring, its slots (one connected UDP socket each, at most
// one request in flight), its Workload and its statistics. Internal to loadgen/net; engine.hpp
// is the public face. Everything here runs on the worker's own thread, setup and teardown
// included (a SINGLE_ISSUER ring belongs to the thread that created it).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/fd.hpp"
#include "io/index_queue.hpp"
#include "io/ring.hpp"
#include "loadgen/net/engine.hpp"
#include "loadgen/net/port_quarantine.hpp"
#include "loadgen/net/schedule.hpp"
#include "loadgen/report/stats.hpp"

namespace kdcperf::loadgen::net {

// What one worker is asked to do, cut from the EngineConfig by the coordinator.
struct WorkerPlan {
  unsigned index = 0;
  unsigned slots = 1;
  unsigned window = 1;                   // closed loop
  std::optional<RateSchedule> schedule;  // open loop, warm-up segment included, this share
  std::uint64_t max_exchanges = 0;       // after the warm-up; 0: no bound
};

// Numbers a worker publishes once a second for the progress line (relaxed atomics: the
// coordinator only prints them).
struct Published {
  std::atomic<std::int64_t> second{-1};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> replies{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> row_replies{0};
  std::atomic<std::uint64_t> row_p99{0};
  std::atomic<double> row_target{0};
  std::atomic<bool> row_warmup{false};
};

class Worker {
 public:
  Worker(const EngineConfig& config, WorkerPlan plan, Workload& workload);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Ring, buffers and sockets. On the worker's thread. false: *why says what failed.
  bool setup(std::string* why);
  // The load loop, from t0 (CLOCK_MONOTONIC ns) until every bound is met and the drain is
  // over. Then releases the ring and sockets (still on this thread).
  void run(std::int64_t t0);

  report::RunStats& stats() { return stats_; }
  std::int64_t end_ns() const { return end_ns_; }
  // CPU seconds this worker's thread spent in run() (user + system).
  double cpu_s() const { return cpu_s_; }
  // Of those, the seconds it polled with nothing to do: an open loop polls the ring when its
  // next send is near instead of sleeping, so its CPU reads a full core at any rate.
  double idle_poll_s() const { return static_cast<double>(idle_poll_ns_) / 1e9; }
  Published& published() { return published_; }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  enum class SlotState : std::uint8_t { kFree, kUdp, kTcp, kTcpClosing, kNoSocket };
  enum class TcpPhase : std::uint8_t { kConnect, kSend, kRecvLength, kRecvBody };

  struct Slot {
    SlotState state = SlotState::kFree;
    TcpPhase tcp_phase = TcpPhase::kConnect;
    bool measured = false;
    bool tcp_reused = false;  // the request went out on a persistent connection used before
    bool tcp_any_reply = false;
    bool reply_pending = false;  // a UDP reply is queued for this drain's check_batch
    std::uint32_t sock = kNone;  // UDP socket entry
    std::uint32_t retries_left = 0;
    std::uint32_t len = 0;  // request bytes at buf + 4 (the 4 before: TCP length prefix)
    RequestToken token;
    std::int64_t intended_ns = 0;  // when this leg was due
    std::int64_t sent_ns = 0;      // when it went out
    std::int64_t start_ns = 0;     // when the exchange (login) was due
    std::int64_t deadline_ns = 0;
    // When the slot last came free, or the earliest its freeing reply can have come in: a
    // request that gets the slot later than it was due waited that long for the KDC.
    std::int64_t freed_ns = std::numeric_limits<std::int64_t>::min();
    std::uint32_t prev = kNone, next = kNone;  // the in-flight list, by deadline
    std::byte* buf = nullptr;
    // TCP
    io::Fd tcp;
    std::uint32_t tcp_gen = 0;
    std::uint32_t tcp_done = 0;
    std::uint32_t tcp_total = 0;
    std::byte tcp_len[4]{};
    std::vector<std::byte> tcp_reply;  // grows to the largest reply, then is reused
  };

  struct Sock {
    io::Fd fd;
    std::uint32_t gen = 0;
    std::uint32_t slot = kNone;  // owner; kNone: retired (late replies) or free
    bool in_use = false;
    bool recv_armed = false;
    bool cancelling = false;
    bool fixed = false;  // registered in the ring's file table at this socket's index
    std::int64_t close_at = 0;
  };

  report::Counts& counts(const Slot& s) { return s.measured ? stats_.counts : stats_.warmup; }
  report::Counts& counts_at(std::int64_t now) {
    return now >= warmup_end_ ? stats_.counts : stats_.warmup;
  }

  // Sockets.
  std::uint32_t open_sock(std::uint32_t slot);
  void arm_recv(std::uint32_t sock);
  void retire_sock(std::uint32_t sock, std::int64_t now);
  void cancel_sock(std::uint32_t sock);
  void free_sock(std::uint32_t sock);
  // The fd or file-table index an SQE names for this socket, with IOSQE_FIXED_FILE when fixed.
  void target_sock(io_uring_sqe* sqe, const Sock& k) const;
  void retry_socketless(std::int64_t now);
  // In-flight list.
  void link(std::uint32_t slot, std::int64_t deadline);
  void unlink(std::uint32_t slot);
  // Exchanges.
  // One new exchange per intended time, built in one Workload::start_batch. Returns how many
  // were built (one that could not be is counted as a build error and its slot freed).
  std::size_t start_exchanges(std::span<const std::int64_t> intended, std::int64_t now);
  void send_leg(std::uint32_t slot, std::int64_t now);
  void queue_udp_send(std::uint32_t slot);
  // Counts a reply whose verdict is known and moves its exchange on.
  void deliver(std::uint32_t slot, krb::ByteView reply, bool truncated, const Verdict& v,
               std::int64_t now);
  // The UDP replies of one completion drain: one Workload::check_batch, then deliver().
  void flush_replies(std::int64_t now);
  // Frees a slot whose exchange is over; `event_ns`: when what ended it happened (or the
  // earliest it can have).
  void finish(std::uint32_t slot, std::int64_t event_ns);
  void on_timeout(std::uint32_t slot, std::int64_t now);
  // TCP.
  void preconnect_tcp();
  void start_tcp(std::uint32_t slot, std::int64_t now);
  void tcp_connect(std::uint32_t slot);
  void tcp_queue_send(std::uint32_t slot);
  void tcp_queue_recv(std::uint32_t slot);
  void on_tcp(std::uint32_t slot, std::uint32_t gen, int res, std::int64_t now);
  void tcp_fail(std::uint32_t slot);
  void tcp_abort(std::uint32_t slot);
  // Completions.
  void on_cqe(const io_uring_cqe& cqe, std::int64_t now);
  void on_recv(std::uint32_t sock, std::uint32_t gen, const io_uring_cqe& cqe, std::int64_t now);
  // Per-second rows and the progress numbers.
  void tick(std::int64_t now);
  void close_row(std::int64_t second);
  bool sending_allowed(std::int64_t now);

  const EngineConfig& cfg_;
  WorkerPlan plan_;
  Workload& workload_;

  std::unique_ptr<io::Ring> ring_;
  std::unique_ptr<io::BufferRing> bufs_;
  msghdr recv_hdr_{};
  std::unique_ptr<std::byte[]> arena_;
  std::size_t slot_stride_ = 0;
  std::vector<Slot> slots_;
  std::vector<Sock> socks_;
  std::uint32_t file_table_ = 0;  // registered file slots (sparse table); 0: none
  std::vector<std::uint32_t> free_socks_;
  std::deque<std::uint32_t> retired_;
  std::size_t max_retired_ = 64;
  PortQuarantine quarantine_;
  std::deque<std::uint32_t> socketless_;  // slots waiting for a socket (kNoSocket)
  std::int64_t next_socket_retry_ = 0;
  io::IndexQueue free_slots_;  // free slots, reused oldest first
  // Batches, sized once for every slot at setup (nothing grows on the hot path).
  struct PendingReply {
    std::uint32_t slot;
    krb::ByteView bytes;  // in the provided buffer `bid`, recycled after the check
    bool truncated;
    unsigned short bid;
  };
  std::vector<PendingReply> pending_;
  std::vector<ReplyCheck> checks_;
  std::vector<RequestStart> starts_;
  std::vector<std::uint32_t> start_slots_;
  std::vector<std::int64_t> due_;
  std::uint32_t head_ = kNone, tail_ = kNone;  // in-flight list

  std::int64_t t0_ = 0;
  std::int64_t warmup_end_ = 0;
  std::int64_t send_end_ = 0;
  std::int64_t grace_ns_ = 0;
  std::int64_t now_ = 0;
  krb::KerberosTimestamp wall_{};
  bool sending_ = true;
  std::optional<std::int64_t> next_due_;  // open loop: offset from t0 of the next request
  bool waiting_for_socket_ = false;
  // When the last two kernel entries (the waits that post completions) ended, and whether the
  // last one began with every socket in flight and nothing to reap (the worker had caught up
  // with the KDC). A completion reaped in a turn came in after the one before last ended, or,
  // when the worker had caught up, while it waited in the last: `arrived_after_` this turn.
  std::int64_t enter_end_[2] = {std::numeric_limits<std::int64_t>::min(),
                                std::numeric_limits<std::int64_t>::min()};
  bool caught_up_ = false;
  std::int64_t arrived_after_ = std::numeric_limits<std::int64_t>::min();
  void entered(bool caught_up);
  std::uint64_t measured_started_ = 0;
  std::uint32_t inflight_ = 0;  // exchanges in flight
  std::uint32_t tcp_closing_ = 0;
  std::int64_t last_reply_ns_ = 0;
  std::int64_t send_stop_ns_ = 0;
  std::int64_t end_ns_ = 0;
  double cpu_s_ = 0;
  std::int64_t idle_poll_ns_ = 0;  // turns with nothing to do that polled instead of sleeping

  report::RunStats stats_;
  report::Histogram second_hist_;
  std::int64_t row_second_ = 0;
  std::int64_t row_max_lag_ = 0;
  std::uint64_t row_late_sends_ = 0;
  std::uint64_t row_sent0_ = 0, row_replies0_ = 0, row_errors0_ = 0, row_timeouts0_ = 0;
  Published published_;
};

}  // namespace kdcperf::loadgen::net
