// Running the load generator `kdcperf` from an interop test and reading its JSON report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

namespace kdcperf::testing {

// Exit statuses of kdcperf (loadgen/report/SCHEMA.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitVerificationFailed = 3;
inline constexpr int kExitThresholdFailed = 5;

std::string kdcperf_binary();

struct KdcperfRun {
  RunResult process;
  nlohmann::json report;
  // A missing report or count reads as an impossible value, so assertions fail cleanly.
  static constexpr std::uint64_t kMissing = ~std::uint64_t{0};
  nlohmann::json counts() const;
  std::uint64_t count(const char* name) const { return counts().value(name, kMissing); }
  // Replies with this KRB-ERROR code (0 when none).
  std::uint64_t code(int c) const;
};

// Runs kdcperf with `args` (plus --json FILE --quiet), the report going to a file in `dir`.
KdcperfRun run_kdcperf(const TempDir& dir, std::vector<std::string> args,
                       std::optional<std::string> stdin_data = std::nullopt);

}  // namespace kdcperf::testing
