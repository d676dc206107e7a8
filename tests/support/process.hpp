// Child processes for interop tests: run a peer tool to completion, keep a daemon (a KDC) alive
// for the length of a test, pick loopback ports, make throwaway directories. POSIX and std only:
// this library is linked into every test binary, so it must not pull in krb crypto.
//
// Peer tools and CI. A test that needs an external program (kinit, krb5kdc, ...) asks for it
// with KDCPERF_REQUIRE_TOOL("kinit") (or require_tool() in a helper). When the tool is missing:
//   - on a developer machine the test is SKIPPED, so the unit suite still runs anywhere;
//   - under CI (environment variable CI=true, as GitHub/GitLab set it) the test FAILS, so a CI
//     image that lost its MIT packages cannot turn the interop suite silently green.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace kdcperf::testing {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// Sets each of `extra` in `env`, replacing a variable of the same name.
inline void merge_env(EnvVars& env, const EnvVars& extra) {
  for (const auto& kv : extra) {
    auto it =
        std::find_if(env.begin(), env.end(), [&](const auto& p) { return p.first == kv.first; });
    if (it != env.end()) {
      it->second = kv.second;
    } else {
      env.push_back(kv);
    }
  }
}

struct RunOptions {
  EnvVars env;                            // added to (or replacing in) the parent's environment
  std::optional<std::string> stdin_data;  // written to the child's stdin, then EOF; else /dev/null
  std::chrono::milliseconds timeout{30'000};  // then SIGKILL; RunResult::timed_out is set
  std::string cwd;                            // empty: inherit
};

struct RunResult {
  bool started = false;  // false: the program was not found or fork/exec failed (see out_err)
  bool timed_out = false;
  int exit_code = -1;   // valid when the child exited normally
  int term_signal = 0;  // nonzero when the child was killed by a signal
  std::string out;      // everything the child wrote to stdout
  std::string out_err;  // everything it wrote to stderr (or why it could not start)

  bool ok() const { return started && !timed_out && term_signal == 0 && exit_code == 0; }
  // One line for test failure messages: the status and the tail of stderr/stdout.
  std::string describe() const;
};

// Runs argv[0] (searched as find_program() does) with argv, waits for it, captures both streams.
RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {});

// Full path of a program: argv0 itself if it contains '/', else the first executable hit in
// $PATH followed by /usr/sbin:/sbin:/usr/local/sbin (MIT puts krb5kdc and kdb5_util in sbin,
// which a non-root PATH may lack). Empty when not found.
std::string find_program(std::string_view name);
bool tool_available(std::string_view name);

// True when the environment says we run under CI (CI=true, also "1"/"yes"), case-insensitive.
bool ci_mode();

// For helpers and SetUp(): when `name` is missing, records a failure (CI) or a skip (elsewhere)
// on the current test and returns false; the caller must then return. In a test body prefer
// KDCPERF_REQUIRE_TOOL, which returns for you.
bool require_tool(std::string_view name);

// A process running in the background for as long as this guard lives. The destructor sends
// SIGTERM to the PID, waits up to the grace period, then SIGKILLs and reaps it, so a failing
// test (an ASSERT that returns early) never leaves a KDC behind. The child also gets
// PR_SET_PDEATHSIG(SIGKILL): if the test binary itself crashes, the kernel kills the child.
// Signals go to the one PID we started, never to a name or a group.
class ProcessGuard {
 public:
  ProcessGuard() = default;
  ProcessGuard(const ProcessGuard&) = delete;
  ProcessGuard& operator=(const ProcessGuard&) = delete;
  ProcessGuard(ProcessGuard&& o) noexcept;
  ProcessGuard& operator=(ProcessGuard&& o) noexcept;
  ~ProcessGuard();

  // stdin is /dev/null; stdout and stderr are appended to output_path (or /dev/null if empty).
  // On failure the guard holds no process and error() says why.
  static ProcessGuard start(const std::vector<std::string>& argv, const EnvVars& env,
                            const std::string& output_path);

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }
  // Nonblocking: true while the child has not exited (reaps it if it has).
  bool running();
  // SIGTERM, wait up to `grace`, then SIGKILL; reaps. Returns the wait status description
  // ("exit 0", "signal 15", ...). Idempotent.
  std::string stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

 private:
  pid_t pid_ = -1;
  std::string error_;
  std::string final_status_;
};

// A port number free on 127.0.0.1 for both UDP and TCP at the time of the call (bound with port
// 0, then checked on the other protocol). Another process may still take it before the caller
// binds, so callers retry with a fresh port when their server fails to bind. 0 on failure.
int find_free_port();

// A fresh directory from mkdtemp under $TMPDIR (or /tmp), removed recursively at the end unless
// KDCPERF_KEEP_TMP=1 is set (then its path is printed, for post-mortems).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "kdcperf");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir();

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// Small file helpers for tests that write configs and read logs.
bool write_text_file(const std::string& path, std::string_view text);
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace kdcperf::testing

// In a test body (or a void function): skip, or fail under CI, when `name` is not installed.
#define KDCPERF_REQUIRE_TOOL(name)                                                           \
  do {                                                                                       \
    const std::string kdcperf_tool_ = (name);                                                \
    if (!::kdcperf::testing::tool_available(kdcperf_tool_)) {                                \
      if (::kdcperf::testing::ci_mode()) {                                                   \
        FAIL() << "required peer tool '" << kdcperf_tool_ << "' is not installed (CI=true)"; \
      } else {                                                                               \
        GTEST_SKIP() << "peer tool '" << kdcperf_tool_ << "' is not installed";              \
      }                                                                                      \
    }                                                                                        \
  } while (0)
