// What one engine worker counts, and how workers (and generator hosts) add up. Plain counters
// and histograms owned by one thread: the engine increments them without locks or atomics and
// the coordinator merges them when the workers have stopped (DESIGN.md "How the load generator
// works"; STYLE-EXAMPLES.md item 8, h2load's per-worker Stats).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "loadgen/report/histogram.hpp"
#include "loadgen/workload.hpp"

namespace kdcperf::loadgen::report {

inline constexpr std::size_t kCheckFailureCount = 9;  // CheckFailure::kNone .. kTimes
std::string_view check_failure_name(CheckFailure f);

// Every request and reply ends up in exactly one of these counters (see SCHEMA.md for the
// definitions the JSON carries).
struct Counts {
  std::uint64_t exchanges = 0;     // exchanges (logins) started
  std::uint64_t built = 0;         // requests the workload built (every leg, every transport)
  std::uint64_t build_errors = 0;  // the workload could not build a request
  std::uint64_t sent = 0;          // requests handed to the kernel (retries included)
  std::uint64_t send_errors = 0;   // ... of which the kernel refused the send
  std::uint64_t replies = 0;       // replies credited to the request in flight
  std::uint64_t as_rep = 0;
  std::uint64_t krb_error = 0;
  std::uint64_t malformed = 0;  // not an AS-REP or KRB-ERROR (truncated ones included)
  std::uint64_t truncated = 0;  // larger than the receive buffer (also counted malformed)
  std::uint64_t verified_ok = 0;
  std::uint64_t verified_failed = 0;
  std::array<std::uint64_t, kCheckFailureCount> failed_by{};  // indexed by CheckFailure
  std::uint64_t unchecked = 0;         // AS-REPs not decrypted (--verify none or 1 in K)
  std::uint64_t timeouts = 0;          // exchanges that ended without a reply in time
  std::uint64_t late = 0;              // replies on a socket retired after a timeout
  std::uint64_t ports_refused = 0;     // new sockets given a port still in quarantine
  std::uint64_t duplicate = 0;         // datagrams on a socket with nothing in flight
  std::uint64_t retries = 0;           // retransmissions after a timeout (--retries)
  std::uint64_t tcp_fallbacks = 0;     // KRB_ERR_RESPONSE_TOO_BIG answered by a TCP resend
  std::uint64_t tcp_connects = 0;      // TCP connections opened
  std::uint64_t tcp_errors = 0;        // connect failed, reset, EOF or bad framing
  std::uint64_t icmp_errors = 0;       // ECONNREFUSED and kin reported on a UDP socket
  std::uint64_t recv_errors = 0;       // other receive errors
  std::uint64_t enobufs = 0;           // the provided-buffer ring ran dry (kernel dropped)
  std::uint64_t socket_waits = 0;      // open loop: a request was due but no socket was free
  std::uint64_t logins_ok = 0;         // exchanges that ended in an AS-REP that did not fail
  std::uint64_t final_krb_errors = 0;  // exchanges that ended in a KRB-ERROR
  std::uint64_t late_sends = 0;        // sends later than the lag tolerance (open loop)
  std::int64_t max_lag_ns = 0;         // the most a send lagged behind its schedule
  std::map<std::int32_t, std::uint64_t> errors_by_code;  // KRB-ERROR code -> count (any value)

  void count_error_code(std::int32_t code) { ++errors_by_code[code]; }
  // Exchanges that did not end in a good AS-REP: timeouts, final KRB-ERRORs, malformed replies,
  // failed verifications, send and TCP errors.
  std::uint64_t errors() const {
    return timeouts + final_krb_errors + malformed + verified_failed + tcp_errors + build_errors;
  }
  void merge(const Counts& o);
};

// One second of the run, as one worker (or the merge of all) saw it. `second` counts from the
// start of the run, warm-up included.
struct SecondRow {
  std::int64_t second = 0;
  bool warmup = false;
  std::uint64_t sent = 0;
  std::uint64_t replies = 0;
  std::uint64_t errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t late_sends = 0;
  double target_rate = 0;  // what the schedule asked for (0 in closed loop)
  std::int64_t max_lag_ns = 0;
  Histogram::Buckets latency;  // corrected latency of the replies in this second

  void merge(const SecondRow& o);
};

// Latency histograms (nanoseconds). `latency` runs from the intended send time (coordinated
// omission corrected), `service` from the actual send; by leg, and per login from the intended
// start of the first leg to the AS-REP.
struct Latencies {
  Histogram latency;
  Histogram service;
  Histogram probe_leg;    // Leg::kProbe, corrected
  Histogram preauth_leg;  // Leg::kPreauth, corrected
  Histogram login;        // whole exchange, ending in an AS-REP that did not fail
  void merge(const Latencies& o);
};

struct RunStats {
  Counts counts;                  // measured phase only
  Counts warmup;                  // the warm-up phase, reported apart
  Latencies latencies;            // measured phase only
  std::vector<SecondRow> series;  // by second, sorted
  std::int64_t measured_ns = 0;   // from the end of warm-up to the last reply or send stop

  // Adds another worker's (or host's) run: counts and histograms add, rows of the same second
  // merge, the measured time is the longer of the two (runs are taken as concurrent).
  void merge(const RunStats& o);
};

}  // namespace kdcperf::loadgen::report
