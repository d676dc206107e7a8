#include "tests/support/kdcperf_run.hpp"

#include <chrono>

namespace kdcperf::testing {

using nlohmann::json;

std::string kdcperf_binary() {
  return std::string(KDCPERF_BINARY_DIR) + "/loadgen/kdcperf";
}

json KdcperfRun::counts() const {
  return report.is_object() ? report.value("counts", json::object()) : json::object();
}

std::uint64_t KdcperfRun::code(int c) const {
  return counts()
      .value("errors_by_code", json::object())
      .value(std::to_string(c), std::uint64_t{0});
}

KdcperfRun run_kdcperf(const TempDir& dir, std::vector<std::string> args,
                       std::optional<std::string> stdin_data) {
  static int n = 0;
  const std::string out = dir.file("report-" + std::to_string(++n) + ".json");
  std::vector<std::string> argv{kdcperf_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--json", out, "--quiet"});
  RunOptions o;
  o.stdin_data = std::move(stdin_data);
  o.timeout = std::chrono::seconds(120);
  KdcperfRun r;
  r.process = run(argv, o);
  if (const auto text = read_text_file(out)) r.report = json::parse(*text, nullptr, false);
  return r;
}

}  // namespace kdcperf::testing
