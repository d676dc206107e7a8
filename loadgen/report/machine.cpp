#include "loadgen/report/machine.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace kdcperf::loadgen::report {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path);
  if (!f) return {};
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// The value after "key:" on the line that starts with key, or empty.
std::string_view field(std::string_view text, std::string_view key) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t eol = text.find('\n', at);
    const std::string_view line =
        text.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
    if (line.substr(0, key.size()) == key) {
      const std::size_t colon = line.find(':');
      if (colon != std::string_view::npos &&
          trim(line.substr(key.size(), colon - key.size())).empty()) {
        return trim(line.substr(colon + 1));
      }
    }
    if (eol == std::string_view::npos) break;
    at = eol + 1;
  }
  return {};
}

std::uint64_t leading_number(std::string_view s) {
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

Machine read_machine() {
  Machine m;
  const std::string cpuinfo = read_all("/proc/cpuinfo");
  m.cpu_model = std::string(field(cpuinfo, "model name"));
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  m.cores = n > 0 ? static_cast<unsigned>(n) : 0;
  utsname u{};
  if (uname(&u) == 0) {
    m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
    m.hostname = u.nodename;
  }
  m.memory_bytes = leading_number(field(read_all("/proc/meminfo"), "MemTotal")) * 1024;
  return m;
}

std::optional<ProcessSample> parse_proc_stat(const std::string& stat, const std::string& status,
                                             long clock_ticks) {
  // proc(5): "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so fields are
  // counted from the last ')'. utime and stime are fields 14 and 15.
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos || clock_ticks <= 0) return std::nullopt;
  std::vector<std::string_view> fields;
  std::string_view rest = std::string_view(stat).substr(close + 1);
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const std::size_t sp = rest.find(' ');
    if (rest.empty()) break;
    fields.push_back(rest.substr(0, sp));
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp);
  }
  // fields[0] is field 3 (state): utime is fields[11], stime fields[12].
  if (fields.size() < 13) return std::nullopt;
  ProcessSample s;
  const double tick = static_cast<double>(clock_ticks);
  s.cpu_user_s = static_cast<double>(leading_number(fields[11])) / tick;
  s.cpu_system_s = static_cast<double>(leading_number(fields[12])) / tick;
  s.rss_kb = leading_number(field(status, "VmRSS"));
  s.rss_peak_kb = leading_number(field(status, "VmHWM"));
  return s;
}

std::optional<ProcessSample> sample_process(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  const std::string stat = read_all(base + "/stat");
  if (stat.empty()) return std::nullopt;
  return parse_proc_stat(stat, read_all(base + "/status"), sysconf(_SC_CLK_TCK));
}

void ProcessTrack::add(const ProcessSample& s, double at_s) {
  if (samples_ != 0) {
    const double dt = at_s - last_at_s_;
    if (dt <= 0) return;
    const double cpu = (s.cpu_user_s + s.cpu_system_s) - (last_.cpu_user_s + last_.cpu_system_s);
    cpu_cores_.push_back(std::max(0.0, cpu) / dt);
  } else {
    first_ = s;
  }
  ++samples_;
  last_ = s;
  last_at_s_ = at_s;
  rss_kb_max_ = std::max(rss_kb_max_, s.rss_kb);
}

SelfUsage self_usage() {
  rusage ru{};
  SelfUsage u;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return u;
  u.cpu_user_s = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
  u.cpu_system_s = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
  u.max_rss_kb = static_cast<std::uint64_t>(ru.ru_maxrss);
  return u;
}

std::string utc_timestamp_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  const auto ms = static_cast<unsigned>(ts.tv_nsec / 1'000'000) % 1000;
  std::string out(buf);
  out += '.';
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
  out += 'Z';
  return out;
}

}  // namespace kdcperf::loadgen::report
