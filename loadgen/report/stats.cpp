#include "loadgen/report/stats.hpp"

#include <algorithm>

namespace kdcperf::loadgen::report {

std::string_view check_failure_name(CheckFailure f) {
  switch (f) {
    case CheckFailure::kNone:
      return "none";
    case CheckFailure::kDecrypt:
      return "decrypt";
    case CheckFailure::kEncPart:
      return "enc_part";
    case CheckFailure::kNonce:
      return "nonce";
    case CheckFailure::kClientName:
      return "client_name";
    case CheckFailure::kServerName:
      return "server_name";
    case CheckFailure::kSessionKey:
      return "session_key";
    case CheckFailure::kEtype:
      return "etype";
    case CheckFailure::kTimes:
      return "times";
  }
  return "unknown";
}

void Counts::merge(const Counts& o) {
  exchanges += o.exchanges;
  built += o.built;
  build_errors += o.build_errors;
  sent += o.sent;
  send_errors += o.send_errors;
  replies += o.replies;
  as_rep += o.as_rep;
  krb_error += o.krb_error;
  malformed += o.malformed;
  truncated += o.truncated;
  verified_ok += o.verified_ok;
  verified_failed += o.verified_failed;
  for (std::size_t i = 0; i < failed_by.size(); ++i) failed_by[i] += o.failed_by[i];
  unchecked += o.unchecked;
  timeouts += o.timeouts;
  late += o.late;
  ports_refused += o.ports_refused;
  duplicate += o.duplicate;
  retries += o.retries;
  tcp_fallbacks += o.tcp_fallbacks;
  tcp_connects += o.tcp_connects;
  tcp_errors += o.tcp_errors;
  icmp_errors += o.icmp_errors;
  recv_errors += o.recv_errors;
  enobufs += o.enobufs;
  socket_waits += o.socket_waits;
  logins_ok += o.logins_ok;
  final_krb_errors += o.final_krb_errors;
  late_sends += o.late_sends;
  max_lag_ns = std::max(max_lag_ns, o.max_lag_ns);
  for (const auto& [code, n] : o.errors_by_code) errors_by_code[code] += n;
}

void SecondRow::merge(const SecondRow& o) {
  warmup = warmup && o.warmup;
  sent += o.sent;
  replies += o.replies;
  errors += o.errors;
  timeouts += o.timeouts;
  late_sends += o.late_sends;
  target_rate += o.target_rate;
  max_lag_ns = std::max(max_lag_ns, o.max_lag_ns);
  // Both bucket lists are ascending by index: merge them in one pass.
  Histogram::Buckets out;
  out.reserve(latency.size() + o.latency.size());
  std::size_t i = 0, j = 0;
  while (i < latency.size() || j < o.latency.size()) {
    if (j == o.latency.size() || (i < latency.size() && latency[i].first < o.latency[j].first)) {
      out.push_back(latency[i++]);
    } else if (i == latency.size() || o.latency[j].first < latency[i].first) {
      out.push_back(o.latency[j++]);
    } else {
      out.emplace_back(latency[i].first, latency[i].second + o.latency[j].second);
      ++i;
      ++j;
    }
  }
  latency = std::move(out);
}

void Latencies::merge(const Latencies& o) {
  latency.merge(o.latency);
  service.merge(o.service);
  probe_leg.merge(o.probe_leg);
  preauth_leg.merge(o.preauth_leg);
  login.merge(o.login);
}

void RunStats::merge(const RunStats& o) {
  counts.merge(o.counts);
  warmup.merge(o.warmup);
  latencies.merge(o.latencies);
  measured_ns = std::max(measured_ns, o.measured_ns);
  std::vector<SecondRow> out;
  out.reserve(series.size() + o.series.size());
  std::size_t i = 0, j = 0;
  while (i < series.size() || j < o.series.size()) {
    if (j == o.series.size() || (i < series.size() && series[i].second < o.series[j].second)) {
      out.push_back(std::move(series[i++]));
    } else if (i == series.size() || o.series[j].second < series[i].second) {
      out.push_back(o.series[j++]);
    } else {
      SecondRow row = std::move(series[i++]);
      row.merge(o.series[j++]);
      out.push_back(std::move(row));
    }
  }
  series = std::move(out);
}

}  // namespace kdcperf::loadgen::report
