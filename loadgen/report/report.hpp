// The JSON report, schema "kdcperf.report/1" (loadgen/report/SCHEMA.md documents every field).
// One object per run: tool and commit, start time, machine, target, every setting, counts,
// throughput, latency and service-time summaries with their full histograms, the per-second
// series, the generator's self-check and CPU, the KDC's CPU and memory, the max-throughput
// search, thresholds, and the exit status with its reasons. Reports read back exactly (counts,
// histograms, series), so `kdcperf merge` can add runs from several generator hosts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "krb/base/result.hpp"
#include "loadgen/report/machine.hpp"
#include "loadgen/report/stats.hpp"
#include "loadgen/report/threshold.hpp"

namespace kdcperf::loadgen::report {

inline constexpr const char* kSchema = "kdcperf.report/1";

// Exit statuses of `kdcperf` (documented in SCHEMA.md). When several apply, the lowest
// nonzero one wins: a wrong KDC matters more than a slow generator, and a run whose generator
// fell behind cannot judge a threshold.
enum class ExitCode : int {
  kOk = 0,
  kRuntimeError = 1,        // the run could not complete (I/O failure during the run)
  kUsage = 2,               // bad options, refused target, setup failure
  kVerificationFailed = 3,  // a checked reply failed, or a reply was malformed
  kFellBehind = 4,          // the generator could not keep to its schedule
  kThresholdFailed = 5,     // a --threshold did not hold
};

struct SelfCheck {
  bool fell_behind = false;
  double late_send_ratio = 0;
  std::int64_t max_lag_bound_ns = 0;
  std::int64_t late_tolerance_ns = 0;
  double late_ratio_bound = 0;
  // The busiest engine thread's CPU over the run, as a share of one core; the same less the
  // time it polled with nothing to do (an open loop polls when its next send is near); and
  // whether that work was so close to a full core that kdcperf may have limited the run.
  double busiest_worker_cpu = 0;
  double busiest_worker_work = 0;
  bool generator_busy() const { return busiest_worker_work > kBusyWorkerCpu; }
  static constexpr double kBusyWorkerCpu = 0.9;
  // A closed loop has no schedule to fall behind: there, a generator busy over a run long
  // enough to judge (kMinJudgedS measured) is what marks the throughput as kdcperf's own.
  bool generator_limited = false;
  static constexpr double kMinJudgedS = 2.0;
};

struct GeneratorUsage {
  double cpu_user_s = 0;
  double cpu_system_s = 0;
  std::uint64_t max_rss_kb = 0;
};

struct KdcUsage {
  long pid = 0;
  double cpu_user_s = 0;  // over the run
  double cpu_system_s = 0;
  std::uint64_t rss_kb_start = 0;
  std::uint64_t rss_kb_end = 0;
  std::uint64_t rss_kb_peak = 0;  // VmHWM at the end (the process's lifetime peak)
  // From samples about once a second over the run (start and end included): the highest
  // VmRSS seen, and the CPU used in each interval between samples, as cores.
  std::uint64_t rss_kb_max_during_run = 0;
  std::vector<double> cpu_cores_series;
};

struct Report {
  std::string version;
  std::string commit;
  std::string start_time;
  Machine machine;
  std::string target;
  nlohmann::json settings = nlohmann::json::object();
  RunStats stats;
  double elapsed_s = 0;  // the whole run, warm-up and drain included
  double warmup_s = 0;
  SelfCheck self_check;
  GeneratorUsage generator;
  std::optional<KdcUsage> kdc;
  nlohmann::json search;  // null, or the max-throughput search (steps and best rate)
  // null, or what the workload reports about itself (population size, key derivation time,
  // its own counters); numbers add when reports merge.
  nlohmann::json workload;
  std::vector<ThresholdResult> thresholds;
  int merged_from = 1;  // how many runs were merged into this one
  std::vector<std::string> exit_reasons;
  int exit_code = 0;

  double measured_s() const { return static_cast<double>(stats.measured_ns) / 1e9; }
  // Fills exit_code and exit_reasons from the stats, the self-check and the thresholds.
  void decide_exit();
};

nlohmann::json to_json(const Report& r);
// Reads a report written by to_json (schema kdcperf.report/1). kInvalidArgument and *why on
// anything else.
krb::Result<Report> report_from_json(const nlohmann::json& j, std::string* why);

// Adds `other` into `into`: counts, histograms and series add; the measured and elapsed times
// are the longer (generators run at the same time); CPU adds; the self-check is flagged if
// either was. Settings, machine and target stay those of `into`. Thresholds are cleared (the
// caller evaluates them again on the sum).
void merge(Report& into, const Report& other);

}  // namespace kdcperf::loadgen::report
