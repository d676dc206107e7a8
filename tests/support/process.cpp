#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

extern char** environ;

namespace kdcperf::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Output captured per stream; beyond this we keep draining the pipe but drop the bytes, so a
// runaway child cannot exhaust the test's memory.
constexpr std::size_t kMaxCapture = 16u << 20;
constexpr std::string_view kSbinDirs = "/usr/sbin:/sbin:/usr/local/sbin";

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(std::exchange(o.fd_, -1));
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// argv and envp as the NUL-terminated arrays execve wants, built before fork so that the child
// only makes async-signal-safe calls.
struct ExecArgs {
  std::string path;
  std::vector<std::string> argv_store;
  std::vector<std::string> env_store;
  std::vector<char*> argv;
  std::vector<char*> envp;

  ExecArgs(std::string p, const std::vector<std::string>& args, const EnvVars& env)
      : path(std::move(p)), argv_store(args) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string_view kv(*e);
      const auto eq = kv.find('=');
      const std::string_view key = kv.substr(0, eq);
      const bool overridden =
          std::any_of(env.begin(), env.end(), [&](const auto& p2) { return p2.first == key; });
      if (!overridden) env_store.emplace_back(kv);
    }
    for (const auto& [k, v] : env) env_store.push_back(k + "=" + v);
    for (auto& a : argv_store) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
};

// In the child after fork: wire the standard fds, arrange to die with the parent, exec. On exec
// failure the errno goes through the close-on-exec pipe `errfd` so the parent can report it.
[[noreturn]] void exec_child(const ExecArgs& a, pid_t parent, int in, int out, int err, int errfd,
                             const char* cwd) {
  // Die with the test binary even if it crashes before a guard's destructor runs.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  ::signal(SIGPIPE, SIG_DFL);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) {
    const int e = errno;
    (void)!::write(errfd, &e, sizeof e);
    ::_exit(127);
  }
  if (cwd != nullptr && ::chdir(cwd) != 0) {
    const int e = errno;
    (void)!::write(errfd, &e, sizeof e);
    ::_exit(127);
  }
  // Close everything else except the error pipe (close-on-exec anyway), so the child does not
  // hold the test's sockets or other children's pipes open.
  if (errfd > 3) ::close_range(3, static_cast<unsigned>(errfd) - 1, 0);
  ::close_range(static_cast<unsigned>(errfd) + 1, ~0U, 0);
  ::execve(a.path.c_str(), a.argv.data(), a.envp.data());
  const int e = errno;
  (void)!::write(errfd, &e, sizeof e);
  ::_exit(127);
}

// Reads the exec-error pipe after fork: 0 when exec succeeded (EOF), else the child's errno.
int read_exec_errno(int fd) {
  int e = 0;
  ssize_t n;
  do {
    n = ::read(fd, &e, sizeof e);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof e) ? e : 0;
}

std::string status_string(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::string tail(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

}  // namespace

std::string RunResult::describe() const {
  std::ostringstream o;
  if (!started) {
    o << "did not start: " << out_err;
    return o.str();
  }
  if (timed_out) {
    o << "timed out";
  } else if (term_signal != 0) {
    o << "killed by signal " << term_signal;
  } else {
    o << "exit " << exit_code;
  }
  o << "; stderr: [" << tail(out_err, 2000) << "]; stdout: [" << tail(out, 2000) << "]";
  return o.str();
}

std::string find_program(std::string_view name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string_view::npos) {
    const std::string p(name);
    return is_executable(p) ? p : std::string();
  }
  std::string dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) dirs = path;
  dirs += ":";
  dirs += kSbinDirs;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + std::string(name);
      if (is_executable(candidate)) return candidate;
    }
    start = end + 1;
  }
  return {};
}

bool tool_available(std::string_view name) {
  return !find_program(name).empty();
}

bool ci_mode() {
  const char* ci = std::getenv("CI");
  if (ci == nullptr) return false;
  std::string v(ci);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "true" || v == "1" || v == "yes";
}

bool require_tool(std::string_view name) {
  if (tool_available(name)) return true;
  if (ci_mode()) {
    ADD_FAILURE() << "required peer tool '" << name << "' is not installed (CI=true)";
  } else {
    // GTEST_SKIP() returns from the function it is in, hence the lambda.
    [name] { GTEST_SKIP() << "peer tool '" << name << "' is not installed"; }();
  }
  return false;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts) {
  RunResult r;
  if (argv.empty()) {
    r.out_err = "empty argv";
    return r;
  }
  const std::string path = find_program(argv[0]);
  if (path.empty()) {
    r.out_err = "program not found: " + argv[0];
    return r;
  }
  const ExecArgs args(path, argv, opts.env);

  int out_pipe[2], err_pipe[2], exec_pipe[2], in_pair[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.out_err = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.out_err = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    r.out_err = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  Fd exec_r(exec_pipe[0]), exec_w(exec_pipe[1]);
  // stdin is a socket, not a pipe: send(MSG_NOSIGNAL) cannot raise SIGPIPE in the test process
  // when the child exits without reading its input.
  Fd in_parent, in_child;
  if (opts.stdin_data) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) {
      r.out_err = std::string("socketpair: ") + std::strerror(errno);
      return r;
    }
    in_parent.reset(in_pair[0]);
    in_child.reset(in_pair[1]);
  } else {
    in_child.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.out_err = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    exec_child(args, parent, in_child.get(), out_w.get(), err_w.get(), exec_w.get(),
               opts.cwd.empty() ? nullptr : opts.cwd.c_str());
  }
  in_child.reset();
  out_w.reset();
  err_w.reset();
  exec_w.reset();
  if (const int e = read_exec_errno(exec_r.get()); e != 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.out_err = "exec " + path + ": " + std::strerror(e);
    return r;
  }
  r.started = true;

  const auto deadline = Clock::now() + opts.timeout;
  std::string_view to_send = opts.stdin_data ? std::string_view(*opts.stdin_data) : "";
  if (in_parent.get() >= 0 && to_send.empty()) ::shutdown(in_parent.get(), SHUT_WR);
  char buf[65536];
  while (out_r.get() >= 0 || err_r.get() >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    Fd* owners[3];
    for (Fd* f : {&out_r, &err_r}) {
      if (f->get() >= 0) {
        fds[n] = {f->get(), POLLIN, 0};
        owners[n++] = f;
      }
    }
    const bool sending = in_parent.get() >= 0 && !to_send.empty();
    if (sending) {
      fds[n] = {in_parent.get(), POLLOUT, 0};
      owners[n++] = &in_parent;
    }
    const int pr = ::poll(fds, n, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (pr < 0 && errno != EINTR) break;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (owners[i] == &in_parent) {
        const ssize_t w =
            ::send(in_parent.get(), to_send.data(), to_send.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) to_send.remove_prefix(static_cast<std::size_t>(w));
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || to_send.empty()) {
          ::shutdown(in_parent.get(), SHUT_WR);  // EOF for the child; drop what it did not read
          to_send = {};
        }
        continue;
      }
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        std::string& sink = owners[i] == &out_r ? r.out : r.out_err;
        if (sink.size() < kMaxCapture) {
          sink.append(
              buf, std::min<std::size_t>(static_cast<std::size_t>(got), kMaxCapture - sink.size()));
        }
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        owners[i]->reset();
      }
    }
  }

  int status = 0;
  pid_t w = 0;
  while (!r.timed_out) {
    w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (Clock::now() >= deadline) {
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (r.timed_out) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return r;
  }
  if (w == pid) {
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  }
  return r;
}

ProcessGuard::ProcessGuard(ProcessGuard&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      error_(std::move(o.error_)),
      final_status_(std::move(o.final_status_)) {}

ProcessGuard& ProcessGuard::operator=(ProcessGuard&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = std::exchange(o.pid_, -1);
    error_ = std::move(o.error_);
    final_status_ = std::move(o.final_status_);
  }
  return *this;
}

ProcessGuard::~ProcessGuard() {
  stop();
}

ProcessGuard ProcessGuard::start(const std::vector<std::string>& argv, const EnvVars& env,
                                 const std::string& output_path) {
  ProcessGuard g;
  if (argv.empty()) {
    g.error_ = "empty argv";
    return g;
  }
  const std::string path = find_program(argv[0]);
  if (path.empty()) {
    g.error_ = "program not found: " + argv[0];
    return g;
  }
  const ExecArgs args(path, argv, env);
  Fd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Fd out(::open(output_path.empty() ? "/dev/null" : output_path.c_str(),
                O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (in.get() < 0 || out.get() < 0) {
    g.error_ = "open " + output_path + ": " + std::strerror(errno);
    return g;
  }
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    g.error_ = std::string("pipe: ") + std::strerror(errno);
    return g;
  }
  Fd exec_r(exec_pipe[0]), exec_w(exec_pipe[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    g.error_ = std::string("fork: ") + std::strerror(errno);
    return g;
  }
  if (pid == 0) exec_child(args, parent, in.get(), out.get(), out.get(), exec_w.get(), nullptr);
  exec_w.reset();
  if (const int e = read_exec_errno(exec_r.get()); e != 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    g.error_ = "exec " + path + ": " + std::strerror(e);
    return g;
  }
  g.pid_ = pid;
  return g;
}

bool ProcessGuard::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t w = ::waitpid(pid_, &status, WNOHANG);
  if (w == pid_) {
    final_status_ = status_string(status);
    pid_ = -1;
    return false;
  }
  return w == 0;
}

std::string ProcessGuard::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return final_status_;
  if (!running()) return final_status_;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + grace;
  int status = 0;
  while (Clock::now() < deadline) {
    const pid_t w = ::waitpid(pid_, &status, WNOHANG);
    if (w == pid_) {
      final_status_ = status_string(status);
      pid_ = -1;
      return final_status_;
    }
    if (w < 0 && errno != EINTR) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  final_status_ = status_string(status) + " (SIGKILL after grace period)";
  pid_ = -1;
  return final_status_;
}

int find_free_port() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    Fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (udp.get() < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(udp.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return 0;
    socklen_t len = sizeof a;
    if (::getsockname(udp.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
    Fd tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (tcp.get() < 0) return 0;
    // No SO_REUSEADDR: a TIME_WAIT leftover on this port counts as taken, because a server
    // without that option (our own, or a peer) would fail to bind it.
    if (::bind(tcp.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) {
      return ntohs(a.sin_port);
    }
  }
  return 0;
}

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                     std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  const char* keep = std::getenv("KDCPERF_KEEP_TMP");
  if (keep != nullptr && std::string_view(keep) == "1") {
    std::fprintf(stderr, "KDCPERF_KEEP_TMP=1: keeping %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool write_text_file(const std::string& path, std::string_view text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  return static_cast<bool>(f);
}

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace kdcperf::testing
