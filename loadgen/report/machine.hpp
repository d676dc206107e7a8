// Where a run happened and what it cost: the machine (from /proc and uname), the generator's
// own CPU (getrusage), and another process's CPU and memory (the KDC's, from /proc/PID).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

// A process sampled over a run (about once a second): the highest VmRSS seen and, for each
// interval between two samples, the CPU it used as cores (CPU seconds / wall seconds).
// /proc/PID/stat's utime and stime are the whole thread group's (every thread of a
// multi-threaded KDC, exited ones included), so one sample covers all its threads.
class ProcessTrack {
 public:
  // `at_s`: a monotonic clock in seconds. Samples go in time order; one no later than the
  // previous is ignored.
  void add(const ProcessSample& s, double at_s);
  bool empty() const { return samples_ == 0; }
  const ProcessSample& first() const { return first_; }
  const ProcessSample& last() const { return last_; }
  std::uint64_t rss_kb_max() const { return rss_kb_max_; }
  const std::vector<double>& cpu_cores_series() const { return cpu_cores_; }

 private:
  std::size_t samples_ = 0;
  ProcessSample first_, last_;
  double last_at_s_ = 0;
  std::uint64_t rss_kb_max_ = 0;
  std::vector<double> cpu_cores_;
};

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
