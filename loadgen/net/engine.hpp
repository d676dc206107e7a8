// The load generator's engine: it moves request and reply bytes and takes timestamps, nothing
// else (STYLE-EXAMPLES.md items 7 and 8). Kerberos lives behind loadgen::Workload.
//
// One Worker per thread, h2load's shape: each owns an io_uring (SINGLE_ISSUER|DEFER_TASKRUN),
// a provided-buffer ring, its Workload, its counters and histograms, and a pool of slots. A
// slot is one connected UDP socket (its own ephemeral source port, so a KDC's SO_REUSEPORT
// workers share the load) with at most ONE request in flight: a reply is matched to its
// request by the socket it arrives on (workload.hpp says why). After a timeout the slot's
// socket is retired (kept readable for a grace period, where replies count as late) and the
// slot gets a fresh socket, so a late reply is never credited to a newer request. A reply
// arriving on a slot with nothing in flight counts as duplicate; slots are reused in FIFO
// order so a duplicate has the longest possible window to be seen as one.
//
// Load: closed loop (a window of exchanges in flight) or open loop under a RateSchedule, with
// latency counted from each request's intended send time (coordinated omission corrected)
// and the service time (from the actual send) beside it. A login (Verdict::login_continues)
// sends its second leg at once on the same socket. KRB_ERR_RESPONSE_TOO_BIG makes the slot
// resend the same bytes over TCP (RFC 4120 §7.2.1); TCP can also carry every request, one
// connection per request as kinit does, or a persistent connection per slot (RFC 4120 §7.2.2
// framing). Every run is bounded in time and count and stops by itself; at the end it stops
// sending and waits for what is in flight, up to the timeout.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/address.hpp"
#include "krb/base/result.hpp"
#include "loadgen/net/schedule.hpp"
#include "loadgen/report/stats.hpp"
#include "loadgen/workload.hpp"

namespace kdcperf::loadgen::net {

enum class Transport : std::uint8_t {
  kUdp,            // datagrams; TCP only after KRB_ERR_RESPONSE_TOO_BIG
  kTcp,            // one connection per request, as MIT kinit does
  kTcpPersistent,  // one connection per slot, reconnected when the KDC closes it
};

enum class LoadMode : std::uint8_t {
  kClosed,  // `window` exchanges in flight
  kOpen,    // exchanges start when `schedule` says, whatever is in flight
};

struct Progress {
  double elapsed_s = 0;
  bool warmup = false;
  std::uint64_t sent = 0;
  std::uint64_t replies = 0;
  std::uint64_t errors = 0;
  double replies_per_s = 0;  // over the last interval
  double target_rate = 0;    // open loop, over the last interval
  std::uint64_t p99_ns = 0;  // corrected latency over the last interval
};

struct EngineConfig {
  io::SocketAddress target;
  // Load tests only ever go to 127.0.0.0/8 or ::1 unless this is set (never in tests).
  bool allow_non_loopback = false;
  Transport transport = Transport::kUdp;
  unsigned threads = 1;
  unsigned sockets = 0;  // slots over all workers; 0: 2 x window (closed) or 256 (open)
  LoadMode mode = LoadMode::kClosed;
  unsigned window = 1;                // closed loop: exchanges in flight over all workers
  std::vector<RateSegment> schedule;  // open loop: total rate over all workers
  std::int64_t duration_ns = 0;       // measured time after the warm-up (0: no bound)
  std::uint64_t max_exchanges = 0;    // exchanges to start after the warm-up (0: no bound)
  std::int64_t warmup_ns = 0;         // excluded from every statistic
  std::int64_t timeout_ns = 1'000'000'000;
  unsigned retries = 0;             // resends of the same bytes after a timeout, counted
  std::int64_t late_grace_ns = -1;  // how long a retired socket is read (-1: timeout_ns)
  // Retired sockets kept open per worker for their grace (0: max(64, its sockets)); older ones
  // are closed early and their ports quarantined until their grace would have ended.
  unsigned retired_sockets = 0;
  std::int64_t linger_ns = 0;  // after the drain, keep reading for late and duplicate replies
  // A worker whose next wake-up (a send due, a deadline) is nearer than this polls its ring
  // instead of sleeping: a sleep costs a timer and a wake-up, and an open-loop send would be
  // late by that much. Polling with nothing to do is not counted as the worker's work.
  std::int64_t poll_below_ns = 50'000;
  std::size_t max_request_bytes = 4096;
  unsigned udp_buffer_bytes = 4096;      // a larger datagram is counted truncated and malformed
  std::size_t max_tcp_reply = 1u << 20;  // RFC 4120 §7.2.2 length above this: malformed
  // The generator's check on itself (open loop): a send more than max_lag_ns behind its
  // schedule, or more than late_ratio of sends later than late_tolerance_ns, flags the run.
  std::int64_t max_lag_ns = 10'000'000;
  std::int64_t late_tolerance_ns = 1'000'000;
  double late_ratio = 0.01;
  // Called about once a second from the coordinating thread with the run so far.
  std::function<void(const Progress&)> on_progress;
  // Set (e.g. by a SIGINT handler) to stop sending early; the run then drains as usual.
  const std::atomic<bool>* interrupt = nullptr;
};

struct EngineResult {
  report::RunStats stats;
  bool fell_behind = false;  // the generator could not keep to its schedule (see EngineConfig)
  double late_send_ratio = 0;
  std::int64_t elapsed_ns = 0;  // the whole run, warm-up and drain included
  // The busiest worker thread's CPU time over its run, as a share of one core. Near 1, the
  // generator itself may have limited a closed-loop run (issue 4: a KDC figure counts only
  // when kdcperf's own CPU is well below one core).
  double busiest_worker_cpu = 0;
  // The same less the time it polled with nothing to do (an open loop polls when its next
  // send is near): the share of a core its work took, what says whether it was the limit.
  double busiest_worker_work = 0;
};

// The socket count a config runs with (its `sockets`, or the default for its mode).
unsigned effective_sockets(const EngineConfig& config);

// Checks a config without touching the network: loopback rule, sizes, bounds. kInvalidArgument
// with a message in *why.
krb::Status validate(const EngineConfig& config, std::string* why);

// Runs one load test. `workloads` holds one Workload per thread (config.threads of them); each
// is used by exactly one worker thread for the run and may be reused for another run.
// Errors: kInvalidArgument (config; *why says what) or kNotFound (setup: ring, sockets).
krb::Result<EngineResult> run(const EngineConfig& config, std::span<Workload* const> workloads,
                              std::string* why);

// The max-throughput search (resperf's idea with a latency bound): constant-rate steps from
// start_rate, each `step_ns` long, raising the rate until a step breaks a bound; the answer is
// the highest rate whose step met all of them.
struct SearchConfig {
  double start_rate = 1000;
  double growth = 1.25;  // next rate = rate * growth + increment
  double increment = 0;
  double max_rate = 1e7;
  std::int64_t step_ns = 5'000'000'000;
  double max_loss = 0.001;      // timeouts / exchanges
  double max_errors = 0.001;    // errors / exchanges
  std::int64_t max_p99_ns = 0;  // 0: no latency bound
  unsigned max_steps = 64;
};

struct SearchStep {
  double rate = 0;
  double achieved_rate = 0;  // replies per second
  double loss = 0;
  double error_ratio = 0;
  std::uint64_t p99_ns = 0;
  bool fell_behind = false;
  bool passed = false;
  EngineResult result;
};

struct SearchResult {
  std::vector<SearchStep> steps;
  double best_rate = 0;            // 0 when no step passed
  int best_step = -1;              // index into steps
  bool generator_limited = false;  // the search ended because kdcperf fell behind
};

// `base` gives everything but the schedule (its warm-up applies to each step).
krb::Result<SearchResult> search(const EngineConfig& base, const SearchConfig& search,
                                 std::span<Workload* const> workloads, std::string* why);

}  // namespace kdcperf::loadgen::net
