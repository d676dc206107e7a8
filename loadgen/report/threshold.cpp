#include "loadgen/report/threshold.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "loadgen/report/stats.hpp"

namespace kdcperf::loadgen::report {
namespace {

struct Quantile {
  std::string_view name;
  double q;  // < 0: not a quantile (min, mean, max)
};
constexpr std::array<Quantile, 8> kLatencyStats = {{{"min", -1},
                                                    {"mean", -2},
                                                    {"max", -3},
                                                    {"p50", 0.5},
                                                    {"p90", 0.9},
                                                    {"p99", 0.99},
                                                    {"p99.9", 0.999},
                                                    {"p99.99", 0.9999}}};
constexpr std::array<std::string_view, 5> kLatencyPrefixes = {"", "service_", "login_", "probe_",
                                                              "preauth_"};
constexpr std::array<std::string_view, 7> kCountMetrics = {
    "errors", "timeouts", "malformed", "failed", "late", "duplicate", "loss"};
constexpr std::array<std::string_view, 3> kRateMetrics = {"rate", "logins", "sent_rate"};

bool is_latency_metric(std::string_view m) {
  for (std::string_view p : kLatencyPrefixes) {
    if (m.substr(0, p.size()) != p) continue;
    for (const Quantile& q : kLatencyStats) {
      if (m.substr(p.size()) == q.name) return true;
    }
  }
  return false;
}

template <std::size_t N>
bool one_of(std::string_view m, const std::array<std::string_view, N>& names) {
  for (std::string_view n : names) {
    if (m == n) return true;
  }
  return false;
}

const Histogram& latency_histogram(std::string_view metric, const RunStats& s,
                                   std::string_view* stat) {
  auto strip = [&](std::string_view p) {
    if (metric.substr(0, p.size()) != p) return false;
    *stat = metric.substr(p.size());
    return true;
  };
  if (strip("service_")) return s.latencies.service;
  if (strip("login_")) return s.latencies.login;
  if (strip("probe_")) return s.latencies.probe_leg;
  if (strip("preauth_")) return s.latencies.preauth_leg;
  *stat = metric;
  return s.latencies.latency;
}

}  // namespace

krb::Result<Threshold> parse_threshold(std::string_view text, std::string* why) {
  auto fail = [&](const std::string& msg) {
    *why = "threshold '" + std::string(text) + "': " + msg;
    return krb::Err::kInvalidArgument;
  };
  std::string compact;
  for (char ch : text) {
    if (ch != ' ' && ch != '\t') compact += ch;
  }
  const std::size_t op_at = compact.find_first_of("<>=");
  if (op_at == std::string::npos || op_at == 0) return fail("expected METRIC OP VALUE");
  Threshold t;
  t.text = std::string(text);
  t.metric = compact.substr(0, op_at);
  std::string_view rest = std::string_view(compact).substr(op_at);
  if (rest.substr(0, 2) == "<=") {
    t.op = ThresholdOp::kLessEqual;
    rest.remove_prefix(2);
  } else if (rest.substr(0, 2) == ">=") {
    t.op = ThresholdOp::kGreaterEqual;
    rest.remove_prefix(2);
  } else if (rest.substr(0, 2) == "==") {
    t.op = ThresholdOp::kEqual;
    rest.remove_prefix(2);
  } else if (rest[0] == '<') {
    t.op = ThresholdOp::kLess;
    rest.remove_prefix(1);
  } else if (rest[0] == '>') {
    t.op = ThresholdOp::kGreater;
    rest.remove_prefix(1);
  } else {
    return fail("unknown operator");
  }
  double v = 0;
  const char* begin = rest.data();
  const char* end = rest.data() + rest.size();
  auto [p, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || !std::isfinite(v) || v < 0) return fail("expected a number");
  const std::string_view unit(p, static_cast<std::size_t>(end - p));

  if (is_latency_metric(t.metric)) {
    t.latency = true;
    double scale = 0;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s") {
      scale = 1e3;
    } else if (unit == "ms" || unit.empty()) {
      scale = 1e6;
    } else if (unit == "s") {
      scale = 1e9;
    } else {
      return fail("latency units are ns, us, ms, s");
    }
    t.value = v * scale;
  } else if (one_of(t.metric, kCountMetrics)) {
    if (unit == "%") {
      t.share = true;
      t.value = v / 100;
    } else if (unit.empty()) {
      t.value = v;
      if (t.metric == "loss") t.share = true;  // loss is a share even without %
    } else {
      return fail("counts take a plain number or a percentage");
    }
  } else if (one_of(t.metric, kRateMetrics)) {
    if (unit.empty()) {
      t.value = v;
    } else if (unit == "k") {
      t.value = v * 1e3;
    } else if (unit == "M") {
      t.value = v * 1e6;
    } else {
      return fail("rates take a plain number (k and M allowed)");
    }
  } else {
    return fail("unknown metric '" + t.metric + "'");
  }
  return t;
}

ThresholdResult evaluate(const Threshold& t, const RunStats& s, double measured_s) {
  ThresholdResult r;
  r.threshold = t;
  const Counts& c = s.counts;
  if (t.latency) {
    std::string_view stat;
    const Histogram& h = latency_histogram(t.metric, s, &stat);
    for (const Quantile& q : kLatencyStats) {
      if (q.name != stat) continue;
      if (q.q == -1) {
        r.actual = static_cast<double>(h.min());
      } else if (q.q == -2) {
        r.actual = h.mean();
      } else if (q.q == -3) {
        r.actual = static_cast<double>(h.max());
      } else {
        r.actual = static_cast<double>(h.quantile(q.q));
      }
    }
  } else if (t.metric == "rate" || t.metric == "logins" || t.metric == "sent_rate") {
    const double n = static_cast<double>(t.metric == "rate"     ? c.replies
                                         : t.metric == "logins" ? c.logins_ok
                                                                : c.sent);
    r.actual = measured_s > 0 ? n / measured_s : 0;
  } else {
    std::uint64_t n = 0;
    if (t.metric == "errors") n = c.errors();
    if (t.metric == "timeouts" || t.metric == "loss") n = c.timeouts;
    if (t.metric == "malformed") n = c.malformed;
    if (t.metric == "failed") n = c.verified_failed;
    if (t.metric == "late") n = c.late;
    if (t.metric == "duplicate") n = c.duplicate;
    r.actual = static_cast<double>(n);
    if (t.share) {
      r.actual = c.exchanges ? static_cast<double>(n) / static_cast<double>(c.exchanges) : 0;
    }
  }
  switch (t.op) {
    case ThresholdOp::kLess:
      r.passed = r.actual < t.value;
      break;
    case ThresholdOp::kLessEqual:
      r.passed = r.actual <= t.value;
      break;
    case ThresholdOp::kGreater:
      r.passed = r.actual > t.value;
      break;
    case ThresholdOp::kGreaterEqual:
      r.passed = r.actual >= t.value;
      break;
    case ThresholdOp::kEqual:
      r.passed = r.actual == t.value;
      break;
  }
  return r;
}

}  // namespace kdcperf::loadgen::report
