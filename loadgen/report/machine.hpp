// Where a run happened and what it cost: the machine (from /proc and uname), the generator's
// own CPU (getrusage), and another process's CPU and memory (the KDC's, from /proc/PID).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace kdcperf::loadgen::report {

struct Machine {
  std::string cpu_model;           // /proc/cpuinfo "model name" (empty if absent)
  unsigned cores = 0;              // online CPUs
  std::string kernel;              // uname: sysname release machine
  std::uint64_t memory_bytes = 0;  // /proc/meminfo MemTotal
  std::string hostname;
};
Machine read_machine();

// A process's CPU time and memory at one moment, from /proc/PID/stat and /proc/PID/status.
struct ProcessSample {
  double cpu_user_s = 0;
  double cpu_system_s = 0;
  std::uint64_t rss_kb = 0;       // VmRSS
  std::uint64_t rss_peak_kb = 0;  // VmHWM
};
std::optional<ProcessSample> sample_process(pid_t pid);

// Parsers, exposed for tests: the text of /proc/PID/stat and /proc/PID/status.
std::optional<ProcessSample> parse_proc_stat(const std::string& stat, const std::string& status,
                                             long clock_ticks);

// This process (getrusage RUSAGE_SELF): CPU seconds and peak RSS.
struct SelfUsage {
  double cpu_user_s = 0;
  double cpu_system_s = 0;
  std::uint64_t max_rss_kb = 0;
};
SelfUsage self_usage();

// "2024-05-01T12:34:56.789Z"
std::string utc_timestamp_now();

}  // namespace kdcperf::loadgen::report
