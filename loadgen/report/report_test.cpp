#include "loadgen/report/report.hpp"

#include <time.h>
#include <unistd.h>

#include <cmath>
#include <thread>

#include <gtest/gtest.h>

namespace kdcperf::loadgen::report {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

// A run as a worker would leave it: `scale` varies the numbers between runs.
RunStats sample_stats(std::uint64_t scale, std::uint64_t base_latency) {
  RunStats s;
  Counts& c = s.counts;
  c.exchanges = 100 * scale;
  c.built = c.sent = 100 * scale;
  c.replies = 90 * scale;
  c.as_rep = 80 * scale;
  c.krb_error = 10 * scale;
  c.verified_ok = 79 * scale;
  c.verified_failed = 1 * scale;
  c.failed_by[static_cast<std::size_t>(CheckFailure::kNonce)] = 1 * scale;
  c.timeouts = 10 * scale;
  c.logins_ok = 79 * scale;
  c.final_krb_errors = 10 * scale;
  c.late = scale;
  c.max_lag_ns = static_cast<std::int64_t>(scale * 1000);
  c.errors_by_code[24] = 7 * scale;
  c.errors_by_code[-1765328360] = 3 * scale;
  s.warmup.sent = 5 * scale;
  for (std::uint64_t i = 0; i < 90 * scale; ++i) {
    s.latencies.latency.record(base_latency + i * 1000);
    s.latencies.service.record(base_latency / 2 + i * 1000);
  }
  s.latencies.login.record(base_latency * 3);
  for (std::int64_t sec = 0; sec < 2; ++sec) {
    SecondRow r;
    r.second = sec;
    r.warmup = sec == 0;
    r.sent = 50 * scale;
    r.replies = 45 * scale;
    r.errors = 10 * scale;
    r.target_rate = 50.0 * static_cast<double>(scale);
    Histogram h;
    h.record(base_latency + static_cast<std::uint64_t>(sec));
    r.latency = h.nonzero();
    s.series.push_back(r);
  }
  s.measured_ns = static_cast<std::int64_t>(scale) * 1'000'000'000;
  return s;
}

Report sample_report(std::uint64_t scale, std::uint64_t base_latency) {
  Report r;
  r.version = "0.1.0";
  r.commit = "abcdef123456";
  r.start_time = "2024-05-01T12:00:00.000Z";
  r.machine = read_machine();
  r.target = "127.0.0.1:88";
  r.settings = {{"mode", "closed"}, {"window", 8}};
  r.stats = sample_stats(scale, base_latency);
  r.elapsed_s = 1.5 * static_cast<double>(scale);
  r.generator = {0.25, 0.5, 1234};
  r.kdc = KdcUsage{4242, 1.0, 2.0, 100, 200, 300, 250, {0.5, 1.25, 0.75}};
  r.self_check.max_lag_bound_ns = 10 * static_cast<std::int64_t>(kMs);
  r.self_check.busiest_worker_cpu = 0.97;   // an open loop polling near its next send...
  r.self_check.busiest_worker_work = 0.25;  // ... with a quarter of a core of work
  std::string why;
  auto t = parse_threshold("p99<5ms", &why);
  r.thresholds.push_back(evaluate(*t, r.stats, r.measured_s()));
  r.decide_exit();
  return r;
}

TEST(Report, JsonRoundTripIsExact) {
  const Report a = sample_report(2, 3 * kMs);
  const nlohmann::json j = to_json(a);
  EXPECT_EQ(j["schema"], "kdcperf.report/1");
  EXPECT_EQ(j["counts"]["sent"], 200u);
  EXPECT_EQ(j["counts"]["errors_by_code"]["-1765328360"], 6u);
  EXPECT_EQ(j["counts"]["failed_by"]["nonce"], 2u);
  EXPECT_EQ(j["latency"]["corrected"]["count"], 180u);
  EXPECT_EQ(j["series"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["throughput"]["replies_per_s"].get<double>(), 90.0);
  EXPECT_EQ(j["kdc"]["pid"], 4242);
  EXPECT_EQ(j["kdc"]["rss_kb_max_during_run"], 250u);
  ASSERT_EQ(j["kdc"]["cpu_cores_series"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["kdc"]["cpu_cores_series"][1].get<double>(), 1.25);
  EXPECT_DOUBLE_EQ(j["self_check"]["busiest_worker_work"].get<double>(), 0.25);
  EXPECT_FALSE(j["self_check"]["generator_busy"].get<bool>());
  std::string why;
  auto b = report_from_json(nlohmann::json::parse(j.dump()), &why);
  ASSERT_TRUE(b.ok()) << why;
  EXPECT_EQ(to_json(*b), j);
  EXPECT_EQ(b->stats.latencies.latency.quantile(0.99), a.stats.latencies.latency.quantile(0.99));
  EXPECT_EQ(b->stats.counts.errors_by_code, a.stats.counts.errors_by_code);
}

TEST(Report, ExitCodeFollowsThePrecedence) {
  Report r = sample_report(1, 10 * kMs);
  // A failed verification (3) outranks the failed threshold (p99 is about 10 ms here).
  EXPECT_EQ(r.exit_code, static_cast<int>(ExitCode::kVerificationFailed));
  EXPECT_GE(r.exit_reasons.size(), 2u);
  r.stats.counts.verified_failed = 0;
  r.self_check.fell_behind = true;
  r.decide_exit();
  EXPECT_EQ(r.exit_code, static_cast<int>(ExitCode::kFellBehind));
  r.self_check.fell_behind = false;
  r.self_check.generator_limited = true;  // a closed loop that kdcperf itself limited
  r.decide_exit();
  EXPECT_EQ(r.exit_code, static_cast<int>(ExitCode::kFellBehind));
  r.self_check.generator_limited = false;
  r.decide_exit();
  EXPECT_EQ(r.exit_code, static_cast<int>(ExitCode::kThresholdFailed));
  r.thresholds.clear();
  r.decide_exit();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.exit_reasons.empty());
  r.stats.counts.malformed = 1;
  r.decide_exit();
  EXPECT_EQ(r.exit_code, static_cast<int>(ExitCode::kVerificationFailed));
}

TEST(Report, MergeAddsCountsHistogramsAndSeries) {
  Report a = sample_report(1, 2 * kMs);
  const Report b = sample_report(3, 7 * kMs);
  merge(a, b);
  const Counts& c = a.stats.counts;
  EXPECT_EQ(c.sent, 400u);
  EXPECT_EQ(c.replies, 360u);
  EXPECT_EQ(c.errors_by_code.at(24), 28u);
  EXPECT_EQ(c.errors_by_code.at(-1765328360), 12u);
  EXPECT_EQ(c.failed_by[static_cast<std::size_t>(CheckFailure::kNonce)], 4u);
  EXPECT_EQ(c.max_lag_ns, 3000);
  EXPECT_EQ(a.stats.warmup.sent, 20u);
  EXPECT_EQ(a.merged_from, 2);
  EXPECT_TRUE(a.thresholds.empty());
  // Measured time is the longer one: the generators ran side by side.
  EXPECT_EQ(a.stats.measured_ns, 3'000'000'000);
  EXPECT_DOUBLE_EQ(a.generator.cpu_user_s, 0.5);

  // The merged histogram equals one histogram fed every value of both runs.
  Histogram all;
  for (std::uint64_t i = 0; i < 90; ++i) all.record(2 * kMs + i * 1000);
  for (std::uint64_t i = 0; i < 270; ++i) all.record(7 * kMs + i * 1000);
  const Histogram& m = a.stats.latencies.latency;
  EXPECT_EQ(m.count(), all.count());
  EXPECT_EQ(m.min(), all.min());
  EXPECT_EQ(m.max(), all.max());
  EXPECT_EQ(m.sum(), all.sum());
  for (double q : {0.5, 0.9, 0.99, 0.999}) EXPECT_EQ(m.quantile(q), all.quantile(q)) << q;
  EXPECT_EQ(m.nonzero(), all.nonzero());

  // Rows of the same second add.
  ASSERT_EQ(a.stats.series.size(), 2u);
  EXPECT_EQ(a.stats.series[1].sent, 200u);
  EXPECT_DOUBLE_EQ(a.stats.series[1].target_rate, 200.0);
  Histogram row;
  row.add_buckets(a.stats.series[1].latency);
  EXPECT_EQ(row.count(), 2u);

  // Merging through JSON (as `kdcperf merge` does) gives the same report.
  std::string why;
  auto ja = report_from_json(to_json(sample_report(1, 2 * kMs)), &why);
  auto jb = report_from_json(to_json(b), &why);
  ASSERT_TRUE(ja.ok() && jb.ok()) << why;
  merge(*ja, *jb);
  EXPECT_EQ(to_json(*ja)["counts"], to_json(a)["counts"]);
  EXPECT_EQ(to_json(*ja)["latency"], to_json(a)["latency"]);
  EXPECT_EQ(to_json(*ja)["series"], to_json(a)["series"]);
}

TEST(Report, RejectsWhatItDidNotWrite) {
  std::string why;
  EXPECT_FALSE(report_from_json(nlohmann::json::object(), &why).ok());
  EXPECT_FALSE(report_from_json(nlohmann::json::parse("[1,2]"), &why).ok());
  nlohmann::json j = to_json(sample_report(1, kMs));
  j["schema"] = "kdcperf.report/2";
  EXPECT_FALSE(report_from_json(j, &why).ok());
  j = to_json(sample_report(1, kMs));
  j["counts"].erase("sent");
  EXPECT_FALSE(report_from_json(j, &why).ok());
  EXPECT_NE(why.find("sent"), std::string::npos) << why;
  j = to_json(sample_report(1, kMs));
  j["latency"]["corrected"]["buckets"][0][0] = 1000001;  // not a bucket boundary
  EXPECT_FALSE(report_from_json(j, &why).ok());
  j = to_json(sample_report(1, kMs));
  j["counts"]["errors_by_code"]["x25"] = 1;
  EXPECT_FALSE(report_from_json(j, &why).ok());
  j = to_json(sample_report(1, kMs));
  j["latency"]["service"] = "fast";
  EXPECT_FALSE(report_from_json(j, &why).ok());
}

TEST(Machine, ParsesProcStatAndStatus) {
  // A line in the layout of proc(5), with a command name holding ") (" and spaces; utime is
  // field 14 (250 ticks) and stime field 15 (50 ticks).
  const std::string stat =
      "4242 (krb5kdc ) (x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 1 0 100 "
      "1000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const std::string status = "Name:\tkrb5kdc\nVmHWM:\t   9000 kB\nVmRSS:\t   8000 kB\n";
  auto s = parse_proc_stat(stat, status, 100);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->cpu_user_s, 2.5);
  EXPECT_DOUBLE_EQ(s->cpu_system_s, 0.5);
  EXPECT_EQ(s->rss_kb, 8000u);
  EXPECT_EQ(s->rss_peak_kb, 9000u);
  EXPECT_FALSE(parse_proc_stat("4242 (x) S 1 2", status, 100).has_value());
  EXPECT_FALSE(parse_proc_stat("no parenthesis", status, 100).has_value());
}

TEST(Machine, ProcessTrackKeepsThePeakRssAndTheCoresPerInterval) {
  ProcessTrack t;
  EXPECT_TRUE(t.empty());
  // utime + stime of the whole thread group: 2 threads busy for a second read as 2 cores.
  t.add({1.0, 0.5, 1000, 5000}, 10.0);
  t.add({2.5, 1.0, 3000, 5000}, 11.0);   // +2.0 s CPU over 1 s
  t.add({2.75, 1.0, 2000, 5000}, 12.0);  // +0.25 s over 1 s
  t.add({9.0, 9.0, 9999, 9999}, 12.0);   // not later than the previous sample: ignored
  t.add({3.0, 1.25, 1500, 5000}, 12.5);  // +0.5 s over 0.5 s: the partial last interval
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(t.rss_kb_max(), 3000u);  // VmRSS seen during the run, not the lifetime VmHWM
  ASSERT_EQ(t.cpu_cores_series().size(), 3u);
  EXPECT_DOUBLE_EQ(t.cpu_cores_series()[0], 2.0);
  EXPECT_DOUBLE_EQ(t.cpu_cores_series()[1], 0.25);
  EXPECT_DOUBLE_EQ(t.cpu_cores_series()[2], 1.0);
  EXPECT_DOUBLE_EQ(t.first().cpu_user_s, 1.0);
  EXPECT_DOUBLE_EQ(t.last().cpu_system_s, 1.25);
  // A single sample has no interval; a counter going backwards (another process reusing the
  // pid) never gives negative cores.
  ProcessTrack one;
  one.add({1.0, 1.0, 10, 10}, 1.0);
  EXPECT_TRUE(one.cpu_cores_series().empty());
  EXPECT_EQ(one.rss_kb_max(), 10u);
  one.add({0.5, 0.5, 10, 10}, 2.0);
  ASSERT_EQ(one.cpu_cores_series().size(), 1u);
  EXPECT_DOUBLE_EQ(one.cpu_cores_series()[0], 0.0);
}

TEST(Machine, ThreadCpuIsInTheProcessStat) {
  // /proc/PID/stat of a multi-threaded process counts every thread's CPU: a helper thread
  // that spins for a while shows up in this process's sample.
  const auto before = sample_process(getpid());
  ASSERT_TRUE(before.has_value());
  std::thread spinner([] {  // until it has used 0.2 s of CPU itself, however busy the host
    timespec ts{};
    do {
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    } while (ts.tv_sec == 0 && ts.tv_nsec < 200'000'000);
  });
  spinner.join();
  const auto after = sample_process(getpid());
  ASSERT_TRUE(after.has_value());
  const double cpu =
      (after->cpu_user_s + after->cpu_system_s) - (before->cpu_user_s + before->cpu_system_s);
  EXPECT_GE(cpu, 0.15);  // clock ticks are 10 ms
}

TEST(Machine, ReadsThisMachineAndThisProcess) {
  const Machine m = read_machine();
  EXPECT_GT(m.cores, 0u);
  EXPECT_NE(m.kernel.find("Linux"), std::string::npos);
  EXPECT_GT(m.memory_bytes, 0u);
  auto s = sample_process(getpid());
  ASSERT_TRUE(s.has_value());
  EXPECT_GT(s->rss_kb, 0u);
  EXPECT_GE(s->rss_peak_kb, s->rss_kb);
  EXPECT_FALSE(sample_process(-5).has_value());
  const std::string t = utc_timestamp_now();
  EXPECT_EQ(t.size(), 24u);
  EXPECT_EQ(t.back(), 'Z');
}

}  // namespace
}  // namespace kdcperf::loadgen::report
