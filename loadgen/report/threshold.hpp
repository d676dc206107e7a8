// CI gates on a report, k6's idea: `--threshold 'p99<5ms'`, `'errors<0.1%'`, `'rate>=20000'`.
// A threshold is METRIC OP VALUE[UNIT]:
//   latency   min mean p50 p90 p99 p99.9 p99.99 max, optionally prefixed service_ (uncorrected),
//             login_, probe_ or preauth_; units ns us ms s (no unit: ms)
//   counts    errors timeouts malformed failed late duplicate; a plain number is a count, a
//             number with % a share of the exchanges
//   loss      timeouts as a share of the exchanges (the same as timeouts<X%)
//   rates     rate (replies/s), logins (logins/s), sent_rate; suffixes k and M allowed
//   OP        < <= > >= ==
// Thresholds are parsed before a run (a typo fails at once, not after an hour of load).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "krb/base/result.hpp"

namespace kdcperf::loadgen::report {

struct RunStats;

enum class ThresholdOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual };

struct Threshold {
  std::string text;    // as given
  std::string metric;  // as given, e.g. "p99", "service_p99.9", "errors", "rate"
  ThresholdOp op = ThresholdOp::kLess;
  double value = 0;      // normalised: ns for latencies, a fraction for shares, else as is
  bool share = false;    // value given with %: compare the share of exchanges
  bool latency = false;  // value in ns
};

struct ThresholdResult {
  Threshold threshold;
  double actual = 0;  // in the threshold's unit (ns, fraction, count, per second)
  bool passed = false;
};

// kInvalidArgument (and *why) on an unknown metric, operator or unit.
krb::Result<Threshold> parse_threshold(std::string_view text, std::string* why);

// `measured_s` is the measured time (for rates).
ThresholdResult evaluate(const Threshold& t, const RunStats& stats, double measured_s);

}  // namespace kdcperf::loadgen::report
