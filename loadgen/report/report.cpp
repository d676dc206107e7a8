#include "loadgen/report/report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace kdcperf::loadgen::report {
namespace {

using nlohmann::json;

// The Counts fields, in one table so writing and reading cannot drift apart.
struct CountField {
  const char* name;
  std::uint64_t Counts::*field;
};
constexpr CountField kCountFields[] = {
    {"exchanges", &Counts::exchanges},
    {"built", &Counts::built},
    {"build_errors", &Counts::build_errors},
    {"sent", &Counts::sent},
    {"send_errors", &Counts::send_errors},
    {"replies", &Counts::replies},
    {"as_rep", &Counts::as_rep},
    {"krb_error", &Counts::krb_error},
    {"malformed", &Counts::malformed},
    {"truncated", &Counts::truncated},
    {"verified_ok", &Counts::verified_ok},
    {"verified_failed", &Counts::verified_failed},
    {"unchecked", &Counts::unchecked},
    {"timeouts", &Counts::timeouts},
    {"late", &Counts::late},
    {"ports_refused", &Counts::ports_refused},
    {"duplicate", &Counts::duplicate},
    {"retries", &Counts::retries},
    {"tcp_fallbacks", &Counts::tcp_fallbacks},
    {"tcp_connects", &Counts::tcp_connects},
    {"tcp_errors", &Counts::tcp_errors},
    {"icmp_errors", &Counts::icmp_errors},
    {"recv_errors", &Counts::recv_errors},
    {"enobufs", &Counts::enobufs},
    {"socket_waits", &Counts::socket_waits},
    {"logins_ok", &Counts::logins_ok},
    {"final_krb_errors", &Counts::final_krb_errors},
    {"late_sends", &Counts::late_sends},
};

json counts_json(const Counts& c) {
  json j = json::object();
  for (const CountField& f : kCountFields) j[f.name] = c.*f.field;
  j["errors"] = c.errors();
  j["max_lag_ns"] = c.max_lag_ns;
  json by_code = json::object();
  for (const auto& [code, n] : c.errors_by_code) by_code[std::to_string(code)] = n;
  j["errors_by_code"] = by_code;
  json failed = json::object();
  for (std::size_t i = 1; i < c.failed_by.size(); ++i) {
    if (c.failed_by[i] != 0)
      failed[std::string(check_failure_name(static_cast<CheckFailure>(i)))] = c.failed_by[i];
  }
  j["failed_by"] = failed;
  return j;
}

bool counts_from_json(const json& j, Counts* c, std::string* why) {
  if (!j.is_object()) {
    *why = "counts: not an object";
    return false;
  }
  for (const CountField& f : kCountFields) {
    const auto it = j.find(f.name);
    if (it == j.end() || !it->is_number_unsigned()) {
      if (it != j.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
        c->*f.field = it->get<std::uint64_t>();
        continue;
      }
      *why = std::string("counts.") + f.name + ": missing or not a count";
      return false;
    }
    c->*f.field = it->get<std::uint64_t>();
  }
  c->max_lag_ns = j.value("max_lag_ns", std::int64_t{0});
  if (const auto it = j.find("errors_by_code"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      std::int32_t code = 0;
      auto [p, ec] = std::from_chars(k.data(), k.data() + k.size(), code);
      if (ec != std::errc() || p != k.data() + k.size() || !v.is_number_integer()) {
        *why = "counts.errors_by_code: bad entry '" + k + "'";
        return false;
      }
      c->errors_by_code[code] += v.get<std::uint64_t>();
    }
  }
  if (const auto it = j.find("failed_by"); it != j.end() && it->is_object()) {
    for (std::size_t i = 1; i < c->failed_by.size(); ++i) {
      const auto name = std::string(check_failure_name(static_cast<CheckFailure>(i)));
      if (const auto f = it->find(name); f != it->end() && f->is_number_integer()) {
        c->failed_by[i] = f->get<std::uint64_t>();
      }
    }
  }
  return true;
}

json buckets_json(const Histogram::Buckets& b) {
  json out = json::array();
  for (const auto& [i, n] : b)
    out.push_back({Histogram::lower_bound(i), Histogram::upper_bound(i), n});
  return out;
}

bool buckets_from_json(const json& j, Histogram::Buckets* out, std::string* why) {
  if (!j.is_array()) {
    *why = "histogram buckets: not an array";
    return false;
  }
  for (const json& b : j) {
    if (!b.is_array() || b.size() != 3 || !b[0].is_number_unsigned() || !b[2].is_number_integer()) {
      *why = "histogram bucket: expected [lower, upper, count]";
      return false;
    }
    const auto lo = b[0].get<std::uint64_t>();
    const std::size_t i = Histogram::index_of(lo);
    if (Histogram::lower_bound(i) != lo) {
      *why = "histogram bucket: lower bound is not a bucket boundary of this layout";
      return false;
    }
    out->emplace_back(i, b[2].get<std::uint64_t>());
  }
  std::sort(out->begin(), out->end());
  return true;
}

json histogram_json(const Histogram& h) {
  return {{"count", h.count()},
          {"min_ns", h.min()},
          {"mean_ns", h.mean()},
          {"p50_ns", h.quantile(0.5)},
          {"p90_ns", h.quantile(0.9)},
          {"p99_ns", h.quantile(0.99)},
          {"p99_9_ns", h.quantile(0.999)},
          {"p99_99_ns", h.quantile(0.9999)},
          {"max_ns", h.max()},
          {"sum_ns", h.sum()},
          {"sub_bucket_bits", Histogram::kSubBits},
          {"buckets", buckets_json(h.nonzero())}};
}

bool histogram_from_json(const json& j, Histogram* h, std::string* why) {
  if (!j.is_object() || j.value("sub_bucket_bits", -1) != Histogram::kSubBits) {
    *why = "histogram: missing, or a bucket layout other than sub_bucket_bits = 7";
    return false;
  }
  Histogram::Buckets b;
  if (!buckets_from_json(j.value("buckets", json::array()), &b, why)) return false;
  if (!h->restore(b, j.value("min_ns", std::uint64_t{0}), j.value("max_ns", std::uint64_t{0}),
                  j.value("sum_ns", std::uint64_t{0}))) {
    *why = "histogram: bad bucket";
    return false;
  }
  return true;
}

constexpr const char* kLatencyNames[] = {"corrected", "service", "probe_leg", "preauth_leg",
                                         "login"};
Histogram* latency_slot(Latencies& l, int i) {
  Histogram* all[] = {&l.latency, &l.service, &l.probe_leg, &l.preauth_leg, &l.login};
  return all[i];
}
const Histogram& latency_slot(const Latencies& l, int i) {
  const Histogram* all[] = {&l.latency, &l.service, &l.probe_leg, &l.preauth_leg, &l.login};
  return *all[i];
}

json series_json(const std::vector<SecondRow>& rows) {
  json out = json::array();
  for (const SecondRow& r : rows) {
    Histogram h;
    h.add_buckets(r.latency);
    out.push_back({{"second", r.second},
                   {"warmup", r.warmup},
                   {"target_rate", r.target_rate},
                   {"achieved_rate", r.sent},
                   {"sent", r.sent},
                   {"replies", r.replies},
                   {"errors", r.errors},
                   {"timeouts", r.timeouts},
                   {"late_sends", r.late_sends},
                   {"max_lag_ns", r.max_lag_ns},
                   {"p50_ns", h.quantile(0.5)},
                   {"p99_ns", h.quantile(0.99)},
                   {"latency_buckets", buckets_json(r.latency)}});
  }
  return out;
}

bool series_from_json(const json& j, std::vector<SecondRow>* rows, std::string* why) {
  if (!j.is_array()) {
    *why = "series: not an array";
    return false;
  }
  for (const json& e : j) {
    if (!e.is_object()) {
      *why = "series: row is not an object";
      return false;
    }
    SecondRow r;
    r.second = e.value("second", std::int64_t{0});
    r.warmup = e.value("warmup", false);
    r.target_rate = e.value("target_rate", 0.0);
    r.sent = e.value("sent", std::uint64_t{0});
    r.replies = e.value("replies", std::uint64_t{0});
    r.errors = e.value("errors", std::uint64_t{0});
    r.timeouts = e.value("timeouts", std::uint64_t{0});
    r.late_sends = e.value("late_sends", std::uint64_t{0});
    r.max_lag_ns = e.value("max_lag_ns", std::int64_t{0});
    if (!buckets_from_json(e.value("latency_buckets", json::array()), &r.latency, why)) {
      return false;
    }
    rows->push_back(std::move(r));
  }
  std::sort(rows->begin(), rows->end(),
            [](const SecondRow& a, const SecondRow& b) { return a.second < b.second; });
  return true;
}

// Adds the numbers of `from` into `into`, recursively; other values keep `into`'s.
void add_numbers(json& into, const json& from) {
  if (!into.is_object() || !from.is_object()) return;
  for (const auto& [k, v] : from.items()) {
    auto it = into.find(k);
    if (it == into.end()) {
      into[k] = v;
    } else if (it->is_object()) {
      add_numbers(*it, v);
    } else if (it->is_number_unsigned() && v.is_number_unsigned()) {
      *it = it->get<std::uint64_t>() + v.get<std::uint64_t>();
    } else if (it->is_number() && v.is_number()) {
      *it = it->get<double>() + v.get<double>();
    }
  }
}

double per_second(std::uint64_t n, double s) {
  return s > 0 ? static_cast<double>(n) / s : 0;
}

const char* op_text(ThresholdOp op) {
  switch (op) {
    case ThresholdOp::kLess:
      return "<";
    case ThresholdOp::kLessEqual:
      return "<=";
    case ThresholdOp::kGreater:
      return ">";
    case ThresholdOp::kGreaterEqual:
      return ">=";
    case ThresholdOp::kEqual:
      return "==";
  }
  return "?";
}

const char* exit_name(int code) {
  switch (static_cast<ExitCode>(code)) {
    case ExitCode::kOk:
      return "ok";
    case ExitCode::kRuntimeError:
      return "runtime_error";
    case ExitCode::kUsage:
      return "usage_error";
    case ExitCode::kVerificationFailed:
      return "verification_failed";
    case ExitCode::kFellBehind:
      return "generator_fell_behind";
    case ExitCode::kThresholdFailed:
      return "threshold_failed";
  }
  return "unknown";
}

}  // namespace

void Report::decide_exit() {
  exit_reasons.clear();
  int code = 0;
  auto add = [&](ExitCode c, std::string why) {
    exit_reasons.push_back(std::move(why));
    const int v = static_cast<int>(c);
    if (code == 0 || v < code) code = v;
  };
  const Counts& c = stats.counts;
  if (c.verified_failed > 0) {
    add(ExitCode::kVerificationFailed,
        std::to_string(c.verified_failed) + " replies failed verification");
  }
  if (c.malformed > 0) {
    add(ExitCode::kVerificationFailed, std::to_string(c.malformed) + " replies were malformed");
  }
  if (self_check.generator_limited) {
    add(ExitCode::kFellBehind,
        "a generator thread used " +
            std::to_string(static_cast<int>(self_check.busiest_worker_work * 100)) +
            "% of a core in a closed loop: the throughput is kdcperf's limit, not the KDC's "
            "(add --threads, or pin kdcperf and the KDC to different cores)");
  }
  if (self_check.fell_behind) {
    add(ExitCode::kFellBehind, "the generator fell behind its schedule (max lag " +
                                   std::to_string(c.max_lag_ns / 1000) + " us, " +
                                   std::to_string(self_check.late_send_ratio * 100) +
                                   "% of sends late): these are not the KDC's figures");
  }
  for (const ThresholdResult& t : thresholds) {
    if (!t.passed) {
      add(ExitCode::kThresholdFailed,
          "threshold '" + t.threshold.text + "' failed (actual " + std::to_string(t.actual) + ")");
    }
  }
  exit_code = code;
}

json to_json(const Report& r) {
  const Counts& c = r.stats.counts;
  const double ms = r.measured_s();
  json j;
  j["schema"] = kSchema;
  j["tool"] = {{"name", "kdcperf"}, {"version", r.version}, {"commit", r.commit}};
  j["start_time"] = r.start_time;
  j["machine"] = {{"cpu_model", r.machine.cpu_model},
                  {"cores", r.machine.cores},
                  {"kernel", r.machine.kernel},
                  {"memory_bytes", r.machine.memory_bytes},
                  {"hostname", r.machine.hostname}};
  j["target"] = r.target;
  j["settings"] = r.settings;
  j["duration"] = {{"elapsed_s", r.elapsed_s}, {"warmup_s", r.warmup_s}, {"measured_s", ms}};
  j["counts"] = counts_json(c);
  j["warmup_counts"] = counts_json(r.stats.warmup);
  j["throughput"] = {{"replies_per_s", per_second(c.replies, ms)},
                     {"messages_per_s", per_second(c.replies, ms)},
                     {"logins_per_s", per_second(c.logins_ok, ms)},
                     {"exchanges_per_s", per_second(c.exchanges, ms)},
                     {"sent_per_s", per_second(c.sent, ms)}};
  json lat = json::object();
  for (int i = 0; i < 5; ++i) {
    lat[kLatencyNames[i]] = histogram_json(latency_slot(r.stats.latencies, i));
  }
  j["latency"] = lat;
  j["series"] = series_json(r.stats.series);
  j["self_check"] = {{"fell_behind", r.self_check.fell_behind},
                     {"max_lag_ns", c.max_lag_ns},
                     {"late_sends", c.late_sends},
                     {"late_send_ratio", r.self_check.late_send_ratio},
                     {"socket_waits", c.socket_waits},
                     {"busiest_worker_cpu", r.self_check.busiest_worker_cpu},
                     {"busiest_worker_work", r.self_check.busiest_worker_work},
                     {"generator_busy", r.self_check.generator_busy()},
                     {"generator_limited", r.self_check.generator_limited},
                     {"bounds",
                      {{"max_lag_ns", r.self_check.max_lag_bound_ns},
                       {"late_tolerance_ns", r.self_check.late_tolerance_ns},
                       {"late_ratio", r.self_check.late_ratio_bound}}}};
  const double cpu = r.generator.cpu_user_s + r.generator.cpu_system_s;
  j["generator"] = {{"cpu_user_s", r.generator.cpu_user_s},
                    {"cpu_system_s", r.generator.cpu_system_s},
                    {"cpu_cores", r.elapsed_s > 0 ? cpu / r.elapsed_s : 0},
                    {"max_rss_kb", r.generator.max_rss_kb}};
  if (r.kdc) {
    const double kcpu = r.kdc->cpu_user_s + r.kdc->cpu_system_s;
    j["kdc"] = {{"pid", r.kdc->pid},
                {"cpu_user_s", r.kdc->cpu_user_s},
                {"cpu_system_s", r.kdc->cpu_system_s},
                {"cpu_cores", r.elapsed_s > 0 ? kcpu / r.elapsed_s : 0},
                {"rss_kb_start", r.kdc->rss_kb_start},
                {"rss_kb_end", r.kdc->rss_kb_end},
                {"rss_kb_peak", r.kdc->rss_kb_peak},
                {"rss_kb_max_during_run", r.kdc->rss_kb_max_during_run},
                {"cpu_cores_series", r.kdc->cpu_cores_series}};
  }
  if (!r.search.is_null()) j["search"] = r.search;
  if (!r.workload.is_null()) j["workload"] = r.workload;
  json th = json::array();
  for (const ThresholdResult& t : r.thresholds) {
    th.push_back({{"threshold", t.threshold.text},
                  {"metric", t.threshold.metric},
                  {"op", op_text(t.threshold.op)},
                  {"value", t.threshold.value},
                  {"unit", t.threshold.latency ? "ns"
                           : t.threshold.share ? "fraction"
                                               : "plain"},
                  {"actual", t.actual},
                  {"passed", t.passed}});
  }
  j["thresholds"] = th;
  j["merged_from"] = r.merged_from;
  j["result"] = {
      {"exit_code", r.exit_code}, {"status", exit_name(r.exit_code)}, {"reasons", r.exit_reasons}};
  return j;
}

krb::Result<Report> report_from_json(const json& j, std::string* why) {
  auto fail = [&](const std::string& msg) {
    *why = msg;
    return krb::Err::kInvalidArgument;
  };
  if (!j.is_object() || j.value("schema", std::string()) != kSchema) {
    return fail(std::string("not a ") + kSchema + " report");
  }
  Report r;
  try {
    const json& tool = j.at("tool");
    r.version = tool.value("version", "");
    r.commit = tool.value("commit", "");
    r.start_time = j.value("start_time", "");
    const json& m = j.at("machine");
    r.machine.cpu_model = m.value("cpu_model", "");
    r.machine.cores = m.value("cores", 0u);
    r.machine.kernel = m.value("kernel", "");
    r.machine.memory_bytes = m.value("memory_bytes", std::uint64_t{0});
    r.machine.hostname = m.value("hostname", "");
    r.target = j.value("target", "");
    r.settings = j.value("settings", json::object());
    const json& d = j.at("duration");
    r.elapsed_s = d.value("elapsed_s", 0.0);
    r.warmup_s = d.value("warmup_s", 0.0);
    r.stats.measured_ns = std::llround(d.value("measured_s", 0.0) * 1e9);
    if (!counts_from_json(j.at("counts"), &r.stats.counts, why)) return krb::Err::kInvalidArgument;
    if (!counts_from_json(j.at("warmup_counts"), &r.stats.warmup, why)) {
      return krb::Err::kInvalidArgument;
    }
    const json& lat = j.at("latency");
    for (int i = 0; i < 5; ++i) {
      if (!histogram_from_json(lat.at(kLatencyNames[i]), latency_slot(r.stats.latencies, i), why)) {
        *why = std::string("latency.") + kLatencyNames[i] + ": " + *why;
        return krb::Err::kInvalidArgument;
      }
    }
    if (!series_from_json(j.at("series"), &r.stats.series, why)) return krb::Err::kInvalidArgument;
    const json& sc = j.at("self_check");
    r.self_check.fell_behind = sc.value("fell_behind", false);
    r.self_check.late_send_ratio = sc.value("late_send_ratio", 0.0);
    r.self_check.busiest_worker_cpu = sc.value("busiest_worker_cpu", 0.0);
    r.self_check.busiest_worker_work =
        sc.value("busiest_worker_work", r.self_check.busiest_worker_cpu);
    r.self_check.generator_limited = sc.value("generator_limited", false);
    const json& b = sc.value("bounds", json::object());
    r.self_check.max_lag_bound_ns = b.value("max_lag_ns", std::int64_t{0});
    r.self_check.late_tolerance_ns = b.value("late_tolerance_ns", std::int64_t{0});
    r.self_check.late_ratio_bound = b.value("late_ratio", 0.0);
    const json& g = j.at("generator");
    r.generator.cpu_user_s = g.value("cpu_user_s", 0.0);
    r.generator.cpu_system_s = g.value("cpu_system_s", 0.0);
    r.generator.max_rss_kb = g.value("max_rss_kb", std::uint64_t{0});
    if (const auto k = j.find("kdc"); k != j.end() && k->is_object()) {
      KdcUsage u;
      u.pid = k->value("pid", 0L);
      u.cpu_user_s = k->value("cpu_user_s", 0.0);
      u.cpu_system_s = k->value("cpu_system_s", 0.0);
      u.rss_kb_start = k->value("rss_kb_start", std::uint64_t{0});
      u.rss_kb_end = k->value("rss_kb_end", std::uint64_t{0});
      u.rss_kb_peak = k->value("rss_kb_peak", std::uint64_t{0});
      u.rss_kb_max_during_run = k->value("rss_kb_max_during_run", std::uint64_t{0});
      u.cpu_cores_series = k->value("cpu_cores_series", std::vector<double>{});
      r.kdc = u;
    }
    if (const auto s = j.find("search"); s != j.end()) r.search = *s;
    if (const auto w = j.find("workload"); w != j.end()) r.workload = *w;
    for (const json& t : j.value("thresholds", json::array())) {
      auto parsed = parse_threshold(t.at("threshold").get<std::string>(), why);
      if (!parsed.ok()) return krb::Err::kInvalidArgument;
      ThresholdResult tr;
      tr.threshold = *parsed;
      tr.actual = t.at("actual").get<double>();
      tr.passed = t.at("passed").get<bool>();
      r.thresholds.push_back(std::move(tr));
    }
    r.merged_from = j.value("merged_from", 1);
    const json& res = j.at("result");
    r.exit_code = res.value("exit_code", 0);
    r.exit_reasons = res.value("reasons", std::vector<std::string>{});
  } catch (const json::exception& e) {
    // nlohmann reports type errors and missing keys by exception; this is a cold path (a
    // file given on the command line), so it becomes an error value here.
    return fail(std::string("malformed report: ") + e.what());
  }
  return r;
}

void merge(Report& into, const Report& o) {
  into.stats.merge(o.stats);
  into.elapsed_s = std::max(into.elapsed_s, o.elapsed_s);
  into.warmup_s = std::max(into.warmup_s, o.warmup_s);
  into.self_check.fell_behind = into.self_check.fell_behind || o.self_check.fell_behind;
  into.self_check.generator_limited =
      into.self_check.generator_limited || o.self_check.generator_limited;
  into.self_check.busiest_worker_cpu =
      std::max(into.self_check.busiest_worker_cpu, o.self_check.busiest_worker_cpu);
  into.self_check.busiest_worker_work =
      std::max(into.self_check.busiest_worker_work, o.self_check.busiest_worker_work);
  const Counts& c = into.stats.counts;
  into.self_check.late_send_ratio =
      c.sent ? static_cast<double>(c.late_sends) / static_cast<double>(c.sent) : 0;
  into.generator.cpu_user_s += o.generator.cpu_user_s;
  into.generator.cpu_system_s += o.generator.cpu_system_s;
  into.generator.max_rss_kb = std::max(into.generator.max_rss_kb, o.generator.max_rss_kb);
  if (!into.kdc && o.kdc) into.kdc = o.kdc;
  if (into.workload.is_null()) {
    into.workload = o.workload;
  } else {
    add_numbers(into.workload, o.workload);
  }
  into.merged_from += o.merged_from;
  into.thresholds.clear();
  into.search = nullptr;
}

}  // namespace kdcperf::loadgen::report
