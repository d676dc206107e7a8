// kdcperf: the load generator's command line. It only wires: the client population and
// workloads (loadgen/clients, loadgen/check), the engine (loadgen/net), the report
// (loadgen/report) and `kdcperf kinit` (loadgen/kinit).
//
//   kdcperf [run] --kdc 127.0.0.1:88 --realm R (alice | --pattern user{i} ... | --keytab F ...)
//                 [--window W | --rate R | --ramp A:B:D,... | --steps R:D,... | --search]
//                 [--duration D] [--requests N] [--warmup D] [--json FILE] [--threshold T]...
//   kdcperf kinit [-c CCACHE] [-k -t KEYTAB] --kdc ADDR [--realm R] principal
//   kdcperf merge A.json B.json ... [--json FILE] [--threshold T]...
//
// Exit status (loadgen/report/SCHEMA.md): 0 ok, 1 runtime error, 2 usage or setup error,
// 3 verification failed, 4 generator fell behind, 5 threshold failed.
#include <signal.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "io/address.hpp"
#include "krb/base/clock.hpp"
#include "krb/crypto/enctype.hpp"
#include "loadgen/clients/file_io.hpp"
#include "loadgen/clients/kerberos_workload.hpp"
#include "loadgen/clients/nonce.hpp"
#include "loadgen/clients/population.hpp"
#include "loadgen/clients/probe.hpp"
#include "loadgen/clients/request_factory.hpp"
#include "loadgen/kinit/kinit.hpp"
#include "loadgen/net/engine.hpp"
#include "loadgen/report/machine.hpp"
#include "loadgen/report/report.hpp"
#include "loadgen/report/threshold.hpp"

#ifndef KDCPERF_VERSION
#define KDCPERF_VERSION "unknown"
#endif
#ifndef KDCPERF_GIT_COMMIT
#define KDCPERF_GIT_COMMIT "unknown"
#endif

namespace {

using namespace kdcperf;
namespace loadgen = kdcperf::loadgen;
namespace report = kdcperf::loadgen::report;
using nlohmann::json;
using report::ExitCode;

std::atomic<bool> g_interrupt{false};
void on_interrupt(int) {
  g_interrupt = true;
}

int code(ExitCode c) {
  return static_cast<int>(c);
}

int usage_error(const std::string& msg) {
  std::cerr << "kdcperf: " << msg << "\n";
  return code(ExitCode::kUsage);
}

// "10s", "500ms", "250us", "2m", "1h", "1.5" (seconds). nullopt when malformed or negative.
std::optional<std::int64_t> parse_duration(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || !std::isfinite(v) || v < 0) return std::nullopt;
  const std::string_view unit(p, static_cast<std::size_t>(s.data() + s.size() - p));
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1e9;
  if (unit == "ms") scale = 1e6;
  if (unit == "us") scale = 1e3;
  if (unit == "ns") scale = 1;
  if (unit == "m") scale = 60e9;
  if (unit == "h") scale = 3600e9;
  if (scale == 0) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(v * scale));
}

// "20000", "20k", "1.5M" requests per second.
std::optional<double> parse_rate(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || !std::isfinite(v) || v < 0) return std::nullopt;
  const std::string_view unit(p, static_cast<std::size_t>(s.data() + s.size() - p));
  if (unit.empty()) return v;
  if (unit == "k") return v * 1e3;
  if (unit == "M") return v * 1e6;
  return std::nullopt;
}

// "12.5%" or "0.125" -> 0.125.
std::optional<double> parse_ratio(std::string_view s) {
  const bool percent = !s.empty() && s.back() == '%';
  if (percent) s.remove_suffix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return percent ? v / 100 : v;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    const std::size_t next = s.find(sep, at);
    out.emplace_back(
        s.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
    if (next == std::string_view::npos) break;
    at = next + 1;
  }
  return out;
}

// --ramp FROM:TO:DUR[,...] (linear) and --steps RATE:DUR[,...] (constant) as RateSegments.
bool parse_segments(std::string_view text, bool steps, std::vector<loadgen::net::RateSegment>* out,
                    std::string* why) {
  for (const std::string& part : split(text, ',')) {
    const auto f = split(part, ':');
    if (f.size() != (steps ? 2u : 3u)) {
      *why = std::string(steps ? "--steps takes RATE:DURATION,..."
                               : "--ramp takes FROM:TO:DURATION,...") +
             " (got '" + part + "')";
      return false;
    }
    const auto a = parse_rate(f[0]);
    const auto b = steps ? a : parse_rate(f[1]);
    const auto d = parse_duration(f.back());
    if (!a || !b || !d || *d == 0) {
      *why = "bad segment '" + part + "'";
      return false;
    }
    out->push_back({*a, *b, *d});
  }
  return true;
}

std::string format_ns(double ns) {
  char buf[32];
  if (ns >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.2f s", ns / 1e9);
  } else if (ns >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f us", ns / 1e3);
  }
  return buf;
}

// A password from the terminal without echo (the default when no other source is given).
std::optional<std::string> prompt_password(const std::string& principal) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) return std::nullopt;
  std::fprintf(tty, "Password for %s: ", principal.c_str());
  std::fflush(tty);
  termios old{};
  const int fd = fileno(tty);
  const bool have_termios = tcgetattr(fd, &old) == 0;
  if (have_termios) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  char buf[1024];
  const bool got = std::fgets(buf, sizeof buf, tty) != nullptr;
  if (have_termios) tcsetattr(fd, TCSAFLUSH, &old);
  std::fprintf(tty, "\n");
  std::fclose(tty);
  if (!got) return std::nullopt;
  std::string pw(buf);
  while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
  std::fill(std::begin(buf), std::end(buf), '\0');
  return pw;
}

std::optional<std::string> first_line_of(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::optional<std::string> read_password_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  return first_line_of(f);
}

// ---- --probe: learn every client's salt and etype from the KDC before deriving keys ------

// Sends one AS-REQ without pre-authentication per client through the engine and applies the
// PA-ETYPE-INFO2 of each answer to the population (KERBEROS-INTEROP.md §3: AD salts differ).
// Single-threaded: apply_probe_reply mutates the population the factory reads.
class ProbeWorkload final : public loadgen::Workload {
 public:
  ProbeWorkload(loadgen::clients::Population& pop, loadgen::clients::RequestOptions ro,
                std::vector<std::int32_t> key_etypes)
      : pop_(pop),
        factory_(pop, std::move(ro)),
        nonces_(0x70726f6265ULL ^ ::getpid()),
        key_etypes_(std::move(key_etypes)) {}

  krb::Result<std::size_t> start(krb::MutableByteView out, krb::KerberosTimestamp now,
                                 loadgen::RequestToken* token) override {
    if (next_ >= pop_.size()) return krb::Err::kNotFound;
    token->client = next_++;
    token->nonce = nonces_.next();
    token->leg = loadgen::Leg::kProbe;
    token->verify = false;
    return factory_.build_probe(token->client, token->nonce, now, out);
  }
  krb::Result<std::size_t> follow_up(const loadgen::RequestToken&, krb::ByteView,
                                     krb::MutableByteView, krb::KerberosTimestamp,
                                     loadgen::RequestToken*) override {
    return krb::Err::kUnsupported;
  }
  loadgen::Verdict check(const loadgen::RequestToken& token, krb::ByteView reply) override {
    loadgen::Verdict v;
    // The outer tag is enough for the engine's counts; apply_probe_reply does the decoding.
    if (!reply.empty() && reply[0] == std::byte{0x7e}) v.kind = loadgen::ReplyKind::kKrbError;
    if (!reply.empty() && reply[0] == std::byte{0x6b}) v.kind = loadgen::ReplyKind::kAsRep;
    if (loadgen::clients::apply_probe_reply(pop_, token.client, reply, key_etypes_).ok()) {
      ++learned;
    } else {
      ++unusable;
    }
    return v;
  }
  std::uint64_t learned = 0, unusable = 0;

 private:
  loadgen::clients::Population& pop_;
  loadgen::clients::RequestFactory factory_;
  loadgen::clients::NonceGenerator nonces_;
  std::vector<std::int32_t> key_etypes_;  // the client's etype order for ETYPE-INFO2
  std::uint32_t next_ = 0;
};

// ---- kdcperf run --------------------------------------------------------------------------

struct RunOptions {
  // target
  std::string kdc;
  bool allow_non_loopback = false;
  std::string transport = "udp";
  bool tcp_persistent = false;
  std::string timeout = "1s";
  unsigned retries = 0;
  // load
  unsigned threads = 1;
  unsigned sockets = 0;
  unsigned window = 8;
  std::string rate, ramp, steps;
  std::string duration, warmup = "0";
  std::uint64_t requests = 0;
  bool search = false;
  std::string search_start = "1000", search_step = "5s", search_max_rate = "10M";
  double search_growth = 1.25;
  std::string max_loss = "0.1%", max_errors = "0.1%", max_p99;
  // self-check
  std::string max_lag = "10ms", late_tolerance = "1ms", late_ratio = "1%";
  std::string poll_below = "50us";
  // output
  std::string json_path;
  bool quiet = false;
  std::vector<std::string> thresholds;
  long kdc_pid = 0;
  // clients
  std::string principal, realm, password_file;
  bool password_stdin = false;
  std::string keytab, pattern, password_pattern, range, identities, save_keys, load_keys;
  bool probe = false;
  std::string select = "rr";
  double zipf_s = 1.0;
  std::uint64_t seed = 0;
  double bad_password_ratio = 0;
  std::string flow = "preauth";
  bool no_preauth = false;
  std::string verify = "all";
  std::string etypes;
  std::string lifetime = "24h";
  bool forwardable = false, proxiable = false, pac_request = false;
  unsigned derive_threads = 0;
  unsigned udp_buffer = 4096;
  std::string linger = "0";
};

void add_run_options(CLI::App* run, RunOptions* o) {
  auto* g = run;
  g->add_option("principal", o->principal, "one client principal (name or name@REALM)");
  g->add_option("--kdc", o->kdc, "the KDC, ADDR:PORT or [V6]:PORT")->required();
  g->add_flag("--allow-non-loopback", o->allow_non_loopback,
              "allow a target outside 127.0.0.0/8 and ::1 (a KDC you run and may load)");
  g->add_option("--transport", o->transport, "udp or tcp (one connection per request)");
  g->add_flag("--tcp-persistent", o->tcp_persistent, "TCP, one persistent connection per socket");
  g->add_option("--timeout", o->timeout, "per-request timeout (e.g. 1s, 200ms)");
  g->add_option("--retries", o->retries, "explicit, counted UDP retransmissions after a timeout");
  g->add_option("--threads", o->threads, "worker threads, each with its own io_uring");
  g->add_option("--sockets", o->sockets,
                "sockets (one request in flight each) over all threads; default 2 x window "
                "(closed loop) or 256 (open loop)");
  g->add_option("--window", o->window, "closed loop: exchanges in flight");
  g->add_option("--rate", o->rate, "open loop: requests per second (20000, 20k)");
  g->add_option("--ramp", o->ramp, "open loop, linear ramps: FROM:TO:DURATION[,...]");
  g->add_option("--steps", o->steps, "open loop, steps: RATE:DURATION[,...]");
  g->add_option("--duration", o->duration, "measured time after the warm-up (10s, 2m)");
  g->add_option("--requests", o->requests, "exchanges to start after the warm-up");
  g->add_option("--warmup", o->warmup, "warm-up excluded from every statistic");
  g->add_flag("--search", o->search,
              "max-throughput search: raise the rate step by step until a bound breaks");
  g->add_option("--search-start", o->search_start, "first rate of the search");
  g->add_option("--search-growth", o->search_growth, "rate factor from one step to the next");
  g->add_option("--search-step", o->search_step, "length of each search step");
  g->add_option("--search-max-rate", o->search_max_rate, "highest rate the search tries");
  g->add_option("--max-loss", o->max_loss, "search bound: timeouts per exchange (0.1%)");
  g->add_option("--max-errors", o->max_errors, "search bound: errors per exchange (0.1%)");
  g->add_option("--max-p99", o->max_p99, "search bound: p99 latency (e.g. 5ms)");
  g->add_option("--max-lag", o->max_lag, "self-check: a send later than this flags the run");
  g->add_option("--late-tolerance", o->late_tolerance, "self-check: a send this late is late");
  g->add_option("--late-ratio", o->late_ratio,
                "self-check: share of late sends that flags the run");
  g->add_option("--poll-below", o->poll_below,
                "poll instead of sleeping when the next send or deadline is nearer than this "
                "(50us; larger keeps an idle core from waking late, at the cost of the core)");
  g->add_option("--json", o->json_path, "write the JSON report here instead of stdout");
  g->add_flag("-q,--quiet", o->quiet, "no progress line and no summary on stderr");
  g->add_option("--threshold", o->thresholds,
                "CI gate, e.g. 'p99<5ms', 'errors<0.1%', 'rate>=20000'");
  g->add_option("--kdc-pid", o->kdc_pid, "the KDC's process id: report its CPU and memory");
  g->add_option("--realm", o->realm, "the clients' realm");
  g->add_option("--password-file", o->password_file, "the password, first line of this file");
  g->add_flag("--password-stdin", o->password_stdin, "read the password from stdin");
  g->add_option("--keytab", o->keytab, "clients and their keys from a keytab");
  g->add_option("--pattern", o->pattern, "client names, e.g. user{i}");
  g->add_option("--password-pattern", o->password_pattern, "passwords, e.g. pw-{i}");
  g->add_option("--range", o->range, "i for the patterns, A-B inclusive");
  g->add_option("--identities", o->identities, "a file of principal[:password] lines");
  g->add_option("--save-keys", o->save_keys, "save the derived keys to this keytab");
  g->add_option("--load-keys", o->load_keys, "load keys saved with --save-keys");
  g->add_flag("--probe", o->probe, "ask the KDC for each client's salt first (PA-ETYPE-INFO2)");
  g->add_option("--select", o->select, "which client sends next: rr, uniform, zipf");
  g->add_option("--zipf-s", o->zipf_s, "Zipf exponent");
  g->add_option("--seed", o->seed, "run seed (0: random)");
  g->add_option("--bad-password-ratio", o->bad_password_ratio,
                "share of requests sent with a wrong key (real KDCs lock accounts out!)");
  g->add_option("--flow", o->flow, "login (probe, then pre-auth, as kinit) or preauth");
  g->add_flag("--no-preauth", o->no_preauth, "send only AS-REQs without pre-authentication");
  g->add_option("--verify", o->verify, "check replies: all, none, or K (one in K)");
  g->add_option("--etypes", o->etypes, "requested etypes, e.g. 18,17 (default 18,17,20,19,23)");
  g->add_option("--lifetime", o->lifetime, "requested ticket lifetime");
  g->add_flag("--forwardable", o->forwardable, "request forwardable tickets");
  g->add_flag("--proxiable", o->proxiable, "request proxiable tickets");
  g->add_flag("--pac-request", o->pac_request, "send PA-PAC-REQUEST include-pac TRUE");
  g->add_option("--derive-threads", o->derive_threads, "threads for string-to-key (0: all cores)");
  g->add_option("--udp-buffer", o->udp_buffer, "receive buffer per datagram (bytes)");
  g->add_option("--linger", o->linger, "after the drain, keep reading late replies this long");
}

json settings_json(const RunOptions& o, const loadgen::net::EngineConfig& c) {
  json s;
  s["kdc"] = o.kdc;
  s["allow_non_loopback"] = o.allow_non_loopback;
  s["transport"] = c.transport == loadgen::net::Transport::kUdp   ? "udp"
                   : c.transport == loadgen::net::Transport::kTcp ? "tcp"
                                                                  : "tcp-persistent";
  s["timeout_ns"] = c.timeout_ns;
  s["retries"] = c.retries;
  s["threads"] = c.threads;
  s["sockets"] = loadgen::net::effective_sockets(c);
  s["mode"] = o.search ? "search" : c.mode == loadgen::net::LoadMode::kClosed ? "closed" : "open";
  s["window"] = c.window;
  json segs = json::array();
  for (const auto& seg : c.schedule) {
    segs.push_back({{"start_rate", seg.start_rate},
                    {"end_rate", seg.end_rate},
                    {"duration_ns", seg.duration_ns}});
  }
  s["schedule"] = segs;
  s["duration_ns"] = c.duration_ns;
  s["requests"] = c.max_exchanges;
  s["warmup_ns"] = c.warmup_ns;
  s["linger_ns"] = c.linger_ns;
  s["udp_buffer_bytes"] = c.udp_buffer_bytes;
  s["self_check"] = {{"max_lag_ns", c.max_lag_ns},
                     {"late_tolerance_ns", c.late_tolerance_ns},
                     {"late_ratio", c.late_ratio},
                     {"poll_below_ns", c.poll_below_ns}};
  if (o.search) {
    s["search"] = {{"start", o.search_start}, {"growth", o.search_growth},
                   {"step", o.search_step},   {"max_rate", o.search_max_rate},
                   {"max_loss", o.max_loss},  {"max_errors", o.max_errors},
                   {"max_p99", o.max_p99}};
  }
  s["clients"] = {{"principal", o.principal},
                  {"realm", o.realm},
                  {"keytab", o.keytab},
                  {"pattern", o.pattern},
                  {"password_pattern_given", !o.password_pattern.empty()},
                  {"range", o.range},
                  {"identities", o.identities},
                  {"load_keys", o.load_keys},
                  {"save_keys", o.save_keys},
                  {"probe", o.probe},
                  {"select", o.select},
                  {"zipf_s", o.zipf_s},
                  {"seed", o.seed},
                  {"bad_password_ratio", o.bad_password_ratio},
                  {"flow", o.no_preauth ? "no-preauth" : o.flow},
                  {"verify", o.verify},
                  {"etypes", o.etypes.empty() ? "18,17,20,19,23" : o.etypes},
                  {"lifetime", o.lifetime},
                  {"forwardable", o.forwardable},
                  {"proxiable", o.proxiable},
                  {"pac_request", o.pac_request}};
  s["thresholds"] = o.thresholds;
  s["kdc_pid"] = o.kdc_pid;
  return s;
}

json search_json(const loadgen::net::SearchResult& r) {
  json steps = json::array();
  for (const auto& s : r.steps) {
    steps.push_back({{"rate", s.rate},
                     {"achieved_rate", s.achieved_rate},
                     {"loss", s.loss},
                     {"error_ratio", s.error_ratio},
                     {"p99_ns", s.p99_ns},
                     {"fell_behind", s.fell_behind},
                     {"passed", s.passed},
                     {"sent", s.result.stats.counts.sent},
                     {"replies", s.result.stats.counts.replies}});
  }
  return {{"best_rate", r.best_rate},
          {"best_step", r.best_step},
          {"generator_limited", r.generator_limited},
          {"steps", steps}};
}

void print_progress(const loadgen::net::Progress& p) {
  std::fprintf(stderr, "[%4.0fs]%s sent %llu  replies/s %.0f  errors %llu  p99 %s", p.elapsed_s,
               p.warmup ? " warm-up" : "", static_cast<unsigned long long>(p.sent), p.replies_per_s,
               static_cast<unsigned long long>(p.errors),
               format_ns(static_cast<double>(p.p99_ns)).c_str());
  if (p.target_rate > 0) std::fprintf(stderr, "  (target %.0f/s)", p.target_rate);
  std::fprintf(stderr, "\n");
}

void print_summary(const report::Report& r) {
  const auto& c = r.stats.counts;
  const auto& l = r.stats.latencies;
  const double s = r.measured_s();
  std::fprintf(
      stderr,
      "kdcperf: %llu exchanges in %.2f s: %.0f replies/s, %.0f logins/s; "
      "AS-REP %llu (verified %llu, failed %llu), KRB-ERROR %llu, malformed %llu, "
      "timeouts %llu\n",
      static_cast<unsigned long long>(c.exchanges), s,
      s > 0 ? static_cast<double>(c.replies) / s : 0,
      s > 0 ? static_cast<double>(c.logins_ok) / s : 0, static_cast<unsigned long long>(c.as_rep),
      static_cast<unsigned long long>(c.verified_ok),
      static_cast<unsigned long long>(c.verified_failed),
      static_cast<unsigned long long>(c.krb_error), static_cast<unsigned long long>(c.malformed),
      static_cast<unsigned long long>(c.timeouts));
  std::fprintf(stderr, "kdcperf: latency p50 %s p99 %s p99.9 %s max %s (service p99 %s)\n",
               format_ns(static_cast<double>(l.latency.quantile(0.5))).c_str(),
               format_ns(static_cast<double>(l.latency.quantile(0.99))).c_str(),
               format_ns(static_cast<double>(l.latency.quantile(0.999))).c_str(),
               format_ns(static_cast<double>(l.latency.max())).c_str(),
               format_ns(static_cast<double>(l.service.quantile(0.99))).c_str());
  if (r.self_check.generator_busy() && !r.self_check.generator_limited) {
    std::fprintf(
        stderr,
        "kdcperf: warning: a generator thread's work took %.0f%% of a core: kdcperf itself may "
        "have limited this run (add --threads)\n",
        r.self_check.busiest_worker_work * 100);
  }
  for (const auto& why : r.exit_reasons) std::fprintf(stderr, "kdcperf: %s\n", why.c_str());
}

bool write_report(const json& j, const std::string& path) {
  const std::string text = j.dump(2) + "\n";
  if (path.empty() || path == "-") {
    std::cout << text;
    std::cout.flush();
    return static_cast<bool>(std::cout);
  }
  std::ofstream f(path, std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

json workload_json(const std::vector<std::unique_ptr<loadgen::clients::KerberosWorkload>>& ws) {
  loadgen::clients::WorkloadStats t;
  for (const auto& w : ws) {
    const auto& s = w->stats();
    t.probes_built += s.probes_built;
    t.preauth_built += s.preauth_built;
    t.bad_password_sent += s.bad_password_sent;
    t.bad_password_rejected += s.bad_password_rejected;
    t.bad_password_accepted += s.bad_password_accepted;
    t.bad_password_other += s.bad_password_other;
    t.salt_keys_derived += s.salt_keys_derived;
    t.follow_up_without_hint += s.follow_up_without_hint;
  }
  return {{"probes_built", t.probes_built},
          {"preauth_built", t.preauth_built},
          {"bad_password_sent", t.bad_password_sent},
          {"bad_password_rejected", t.bad_password_rejected},
          {"bad_password_accepted", t.bad_password_accepted},
          {"bad_password_other", t.bad_password_other},
          {"salt_keys_derived", t.salt_keys_derived},
          {"follow_up_without_hint", t.follow_up_without_hint}};
}

int cmd_run(RunOptions& o) {
  namespace net = loadgen::net;
  namespace clients = loadgen::clients;
  const bool progress = !o.quiet;

  // ---- the engine settings (checked before any key is derived) ----
  net::EngineConfig cfg;
  const auto target = io::parse_address(o.kdc, 88);
  if (!target) return usage_error("--kdc: expected a numeric ADDR:PORT or [V6]:PORT");
  cfg.target = *target;
  cfg.allow_non_loopback = o.allow_non_loopback;
  if (o.tcp_persistent) {
    cfg.transport = net::Transport::kTcpPersistent;
  } else if (o.transport == "tcp") {
    cfg.transport = net::Transport::kTcp;
  } else if (o.transport != "udp") {
    return usage_error("--transport: udp or tcp");
  }
  const auto timeout = parse_duration(o.timeout);
  const auto warmup = parse_duration(o.warmup);
  const auto linger = parse_duration(o.linger);
  if (!timeout || *timeout == 0 || !warmup || !linger) {
    return usage_error("bad --timeout, --warmup or --linger");
  }
  cfg.timeout_ns = *timeout;
  cfg.warmup_ns = *warmup;
  cfg.linger_ns = *linger;
  cfg.retries = o.retries;
  cfg.threads = o.threads;
  cfg.sockets = o.sockets;
  cfg.window = o.window;
  cfg.udp_buffer_bytes = o.udp_buffer;
  cfg.max_exchanges = o.requests;
  if (!o.duration.empty()) {
    const auto d = parse_duration(o.duration);
    if (!d || *d == 0) return usage_error("bad --duration");
    cfg.duration_ns = *d;
  }
  const auto max_lag = parse_duration(o.max_lag);
  const auto late_tol = parse_duration(o.late_tolerance);
  const auto late_ratio = parse_ratio(o.late_ratio);
  if (!max_lag || !late_tol || !late_ratio) return usage_error("bad self-check bound");
  const auto poll_below = parse_duration(o.poll_below);
  if (!poll_below) return usage_error("bad --poll-below");
  cfg.poll_below_ns = *poll_below;
  cfg.max_lag_ns = *max_lag;
  cfg.late_tolerance_ns = *late_tol;
  cfg.late_ratio = *late_ratio;
  cfg.interrupt = &g_interrupt;
  if (progress) cfg.on_progress = print_progress;

  const int open_modes = !o.rate.empty() + !o.ramp.empty() + !o.steps.empty() + o.search;
  if (open_modes > 1) return usage_error("choose one of --rate, --ramp, --steps, --search");
  std::string why;
  if (!o.rate.empty()) {
    const auto r = parse_rate(o.rate);
    if (!r || *r == 0) return usage_error("bad --rate");
    std::int64_t d = cfg.duration_ns;
    if (d == 0 && cfg.max_exchanges != 0) {
      d = static_cast<std::int64_t>(std::ceil(static_cast<double>(cfg.max_exchanges) / *r * 1e9)) +
          1;
    }
    if (d == 0) return usage_error("an open-loop run needs --duration or --requests");
    cfg.mode = net::LoadMode::kOpen;
    cfg.schedule = {{*r, *r, d}};
  } else if (!o.ramp.empty() || !o.steps.empty()) {
    if (!parse_segments(o.steps.empty() ? o.ramp : o.steps, !o.steps.empty(), &cfg.schedule,
                        &why)) {
      return usage_error(why);
    }
    cfg.mode = net::LoadMode::kOpen;
  }
  net::SearchConfig sc;
  if (o.search) {
    const auto start = parse_rate(o.search_start);
    const auto step = parse_duration(o.search_step);
    const auto max_rate = parse_rate(o.search_max_rate);
    const auto loss = parse_ratio(o.max_loss);
    const auto errs = parse_ratio(o.max_errors);
    if (!start || !step || !max_rate || !loss || !errs) return usage_error("bad search option");
    sc.start_rate = *start;
    sc.step_ns = *step;
    sc.max_rate = *max_rate;
    sc.growth = o.search_growth;
    sc.max_loss = *loss;
    sc.max_errors = *errs;
    if (!o.max_p99.empty()) {
      const auto p = parse_duration(o.max_p99);
      if (!p) return usage_error("bad --max-p99");
      sc.max_p99_ns = *p;
    }
    cfg.mode = net::LoadMode::kOpen;
    cfg.schedule = {{sc.start_rate, sc.start_rate, sc.step_ns}};  // for validate()
  }
  if (!net::validate(cfg, &why).ok()) return usage_error(why);

  std::vector<report::Threshold> thresholds;
  for (const std::string& t : o.thresholds) {
    auto parsed = report::parse_threshold(t, &why);
    if (!parsed.ok()) return usage_error(why);
    thresholds.push_back(*parsed);
  }

  // ---- the workload ----
  clients::WorkloadOptions wo;
  if (o.no_preauth) {
    wo.flow = clients::Flow::kProbeOnly;
  } else {
    const auto f = clients::parse_flow(o.flow);
    if (!f) return usage_error("--flow: login or preauth");
    wo.flow = *f;
  }
  const auto verify = clients::parse_verify(o.verify);
  if (!verify) return usage_error("--verify: all, none or K");
  wo.verify_every = *verify;
  std::string select = o.select == "rr" ? "round-robin" : o.select;
  if (select == "zipf") select = "zipf:" + std::to_string(o.zipf_s);
  const auto sel = clients::parse_selection(select);
  if (!sel) return usage_error("--select: rr, uniform or zipf");
  wo.selection = *sel;
  std::uint64_t seed = o.seed;
  if (seed == 0) {
    seed = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) ^
           (static_cast<std::uint64_t>(::getpid()) << 32);
  }
  wo.selection.seed = seed;
  if (!(o.bad_password_ratio >= 0 && o.bad_password_ratio <= 1)) {
    return usage_error("--bad-password-ratio must be in [0, 1]");
  }
  wo.bad_password_ratio = o.bad_password_ratio;
  if (o.bad_password_ratio > 0) {
    std::cerr << "kdcperf: warning: --bad-password-ratio sends wrong passwords; real KDCs "
                 "(Active Directory, MIT with a lockout policy) lock accounts out. Use "
                 "dedicated test accounts.\n";
  }
  if (!o.etypes.empty()) {
    wo.request.etypes.clear();
    for (const std::string& e : split(o.etypes, ',')) {
      int v = 0;
      auto [p, ec] = std::from_chars(e.data(), e.data() + e.size(), v);
      if (ec != std::errc() || p != e.data() + e.size()) return usage_error("bad --etypes");
      wo.request.etypes.push_back(v);
    }
  }
  // Client keys are of the etypes the requests list, in their order (what kinit does): a key
  // of another etype would pre-authenticate, and a KDC that seals the reply with the
  // pre-authentication key (Heimdal) would answer in an etype the request never offered.
  std::vector<std::int32_t> key_etypes;
  for (std::int32_t e : wo.request.etypes) {
    if (krb::crypto::enctype_info(e) != nullptr) key_etypes.push_back(e);
  }
  if (key_etypes.empty()) return usage_error("--etypes lists no enctype kdcperf implements");
  const auto lifetime = parse_duration(o.lifetime);
  if (!lifetime || *lifetime < 1'000'000'000) return usage_error("bad --lifetime");
  wo.request.lifetime_seconds = *lifetime / 1'000'000'000;
  if (o.forwardable) wo.request.kdc_options |= krb::proto::KdcOptions::FORWARDABLE;
  if (o.proxiable) wo.request.kdc_options |= krb::proto::KdcOptions::PROXIABLE;
  wo.request.pac_request = o.pac_request;

  // ---- the population ----
  auto pop = std::make_shared<clients::Population>(o.realm);
  int sources = 0;
  if (!o.principal.empty()) {
    ++sources;
    std::optional<std::string> pw;
    if (!o.password_file.empty()) {
      pw = read_password_file(o.password_file);
      if (!pw) return usage_error("cannot read --password-file " + o.password_file);
    } else if (o.password_stdin) {
      pw = first_line_of(std::cin);
      if (!pw) return usage_error("no password on stdin");
    } else if (o.keytab.empty() && o.load_keys.empty()) {
      pw = prompt_password(o.principal);
      if (!pw) return usage_error("no password: use --password-file or --password-stdin");
    }
    if (o.keytab.empty()) {
      auto st =
          pw ? pop->add(o.principal, std::string_view(*pw)) : pop->add(o.principal, std::nullopt);
      if (pw) std::fill(pw->begin(), pw->end(), '\0');
      if (!st.ok()) return usage_error("bad principal '" + o.principal + "'");
    }
  }
  if (!o.pattern.empty()) {
    ++sources;
    const auto r = split(o.range, '-');
    std::uint64_t a = 0, b = 0;
    if (r.size() != 2 ||
        std::from_chars(r[0].data(), r[0].data() + r[0].size(), a).ec != std::errc() ||
        std::from_chars(r[1].data(), r[1].data() + r[1].size(), b).ec != std::errc() || b < a) {
      return usage_error("--pattern needs --range A-B");
    }
    if (o.password_pattern.empty() && o.load_keys.empty()) {
      return usage_error("--pattern needs --password-pattern (or --load-keys)");
    }
    if (!pop->add_pattern(o.pattern, o.password_pattern, a, b).ok()) {
      return usage_error("bad --pattern/--password-pattern");
    }
  }
  if (!o.identities.empty()) {
    ++sources;
    auto bytes = clients::read_file(o.identities);
    if (!bytes.ok()) return usage_error("cannot read --identities " + o.identities);
    if (!pop->add_lines(krb::as_chars(*bytes)).ok()) return usage_error("bad --identities file");
  }
  if (!o.keytab.empty()) {
    ++sources;
    auto bytes = clients::read_file(o.keytab);
    if (!bytes.ok()) return usage_error("cannot read --keytab " + o.keytab);
    if (!pop->add_keytab(*bytes, key_etypes).ok()) return usage_error("bad --keytab " + o.keytab);
  }
  if (sources == 0 || pop->size() == 0) {
    return usage_error("no clients: give a principal, --pattern, --identities or --keytab");
  }
  if (pop->realm().empty()) return usage_error("no realm: use --realm or name@REALM");

  json population = {{"clients", pop->size()}};
  if (o.probe) {
    ProbeWorkload probe(*pop, wo.request, key_etypes);
    net::EngineConfig pc = cfg;
    pc.mode = net::LoadMode::kClosed;
    pc.threads = 1;
    pc.window = std::min<unsigned>(64, static_cast<unsigned>(pop->size()));
    pc.sockets = 2 * pc.window;
    pc.max_exchanges = pop->size();
    pc.duration_ns = 0;
    pc.warmup_ns = 0;
    pc.on_progress = nullptr;
    std::vector<loadgen::Workload*> pw{&probe};
    const auto t0 = std::chrono::steady_clock::now();
    auto r = net::run(pc, pw, &why);
    if (!r.ok()) return usage_error("probe: " + why);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    population["probe"] = {{"learned", probe.learned},
                           {"unusable", probe.unusable},
                           {"timeouts", r->stats.counts.timeouts},
                           {"seconds", secs}};
    if (progress) {
      std::fprintf(stderr, "kdcperf: probed %zu clients in %.2f s (%llu salts learned)\n",
                   pop->size(), secs, static_cast<unsigned long long>(probe.learned));
    }
  }
  if (!o.load_keys.empty()) {
    auto n = clients::load_keys_file(*pop, o.load_keys, key_etypes);
    if (!n.ok()) return usage_error("cannot load keys from " + o.load_keys);
    population["keys_loaded"] = *n;
  }
  {
    clients::DeriveOptions d;
    d.threads = o.derive_threads;
    d.etype = static_cast<krb::crypto::Enctype>(key_etypes.front());
    if (progress) {
      d.progress = [](std::uint64_t done, std::uint64_t total) {
        if (total < 1000) return;  // instant: no progress line
        std::fprintf(stderr, "\rkdcperf: deriving keys %llu/%llu",
                     static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
      };
    }
    auto rep = pop->derive_keys(d);
    if (!rep.ok()) return usage_error("key derivation failed");
    const double secs = std::chrono::duration<double>(rep->elapsed).count();
    if (progress && rep->derived > 0) {
      std::fprintf(stderr, "%skdcperf: derived %llu keys in %.2f s on %u threads\n",
                   rep->derived + rep->skipped + rep->failed >= 1000 ? "\r" : "",
                   static_cast<unsigned long long>(rep->derived), secs, rep->threads);
    }
    population["keys_derived"] = rep->derived;
    population["keys_failed"] = rep->failed;
    population["derive_seconds"] = secs;
    population["derive_threads"] = rep->threads;
    if (rep->failed > 0) {
      std::cerr << "kdcperf: warning: no key for " << rep->failed << " clients (e.g. "
                << pop->unparse(rep->first_failed_client) << ")\n";
    }
  }
  if (!o.save_keys.empty()) {
    if (!clients::save_keys_file(*pop, o.save_keys, static_cast<std::uint32_t>(std::time(nullptr)))
             .ok()) {
      return usage_error("cannot save keys to " + o.save_keys);
    }
  }
  population["bytes"] = pop->memory_bytes();
  population["key_bytes"] = pop->key_bytes_total();

  std::shared_ptr<const clients::Population> shared = pop;
  std::vector<std::unique_ptr<clients::KerberosWorkload>> workloads;
  std::vector<loadgen::Workload*> ptrs;
  for (unsigned i = 0; i < cfg.threads; ++i) {
    workloads.push_back(std::make_unique<clients::KerberosWorkload>(shared, wo, i, cfg.threads));
    ptrs.push_back(workloads.back().get());
  }

  // ---- the run ----
  report::Report rep;
  rep.version = KDCPERF_VERSION;
  rep.commit = KDCPERF_GIT_COMMIT;
  rep.machine = report::read_machine();
  rep.target = cfg.target.to_string();
  rep.settings = settings_json(o, cfg);

  rep.start_time = report::utc_timestamp_now();
  const report::SelfUsage u0 = report::self_usage();
  std::optional<report::ProcessSample> k0;
  // The KDC sampled at the start, about once a second from the engine's coordinating thread
  // (the progress callback, never a worker thread) and at the end.
  report::ProcessTrack kdc_track;
  const auto mono_s = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  if (o.kdc_pid > 0) {
    const auto pid = static_cast<pid_t>(o.kdc_pid);
    k0 = report::sample_process(pid);
    if (!k0) return usage_error("--kdc-pid: no process " + std::to_string(o.kdc_pid));
    kdc_track.add(*k0, mono_s());
    cfg.on_progress = [print = cfg.on_progress, pid, &kdc_track, &mono_s](const net::Progress& p) {
      if (const auto s = report::sample_process(pid)) kdc_track.add(*s, mono_s());
      if (print) print(p);
    };
  }
  signal(SIGINT, on_interrupt);
  signal(SIGTERM, on_interrupt);

  net::EngineResult result;
  if (o.search) {
    auto r = net::search(cfg, sc, ptrs, &why);
    if (!r.ok()) return usage_error(why);
    rep.search = search_json(*r);
    const int best = r->best_step >= 0 ? r->best_step : static_cast<int>(r->steps.size()) - 1;
    if (best >= 0) result = std::move(r->steps[static_cast<std::size_t>(best)].result);
    // A search that stopped because kdcperf fell behind found kdcperf's limit, not the KDC's:
    // flagged, and exit status 4, whatever the best step looked like.
    if (r->generator_limited) result.fell_behind = true;
    if (progress) {
      std::fprintf(stderr, "kdcperf: search: highest rate within the bounds %.0f/s%s\n",
                   r->best_rate,
                   r->generator_limited ? " (stopped: the generator fell behind)" : "");
    }
  } else {
    auto r = net::run(cfg, ptrs, &why);
    if (!r.ok()) {
      return r.err() == krb::Err::kInvalidArgument
                 ? usage_error(why)
                 : (std::cerr << "kdcperf: " << why << "\n", code(ExitCode::kUsage));
    }
    result = std::move(*r);
  }
  const report::SelfUsage u1 = report::self_usage();
  rep.stats = std::move(result.stats);
  rep.elapsed_s = static_cast<double>(result.elapsed_ns) / 1e9;
  rep.warmup_s = static_cast<double>(cfg.warmup_ns) / 1e9;
  rep.self_check.fell_behind = result.fell_behind;
  rep.self_check.late_send_ratio = result.late_send_ratio;
  rep.self_check.max_lag_bound_ns = cfg.max_lag_ns;
  rep.self_check.late_tolerance_ns = cfg.late_tolerance_ns;
  rep.self_check.late_ratio_bound = cfg.late_ratio;
  rep.self_check.busiest_worker_cpu = result.busiest_worker_cpu;
  rep.self_check.busiest_worker_work = result.busiest_worker_work;
  rep.self_check.generator_limited =
      cfg.mode == net::LoadMode::kClosed && rep.self_check.generator_busy() &&
      static_cast<double>(rep.stats.measured_ns) / 1e9 >= report::SelfCheck::kMinJudgedS;
  rep.generator.cpu_user_s = u1.cpu_user_s - u0.cpu_user_s;
  rep.generator.cpu_system_s = u1.cpu_system_s - u0.cpu_system_s;
  rep.generator.max_rss_kb = u1.max_rss_kb;
  if (k0) {
    const auto k1 = report::sample_process(static_cast<pid_t>(o.kdc_pid));
    report::KdcUsage k;
    k.pid = o.kdc_pid;
    k.rss_kb_start = k0->rss_kb;
    if (k1) {
      k.cpu_user_s = k1->cpu_user_s - k0->cpu_user_s;
      k.cpu_system_s = k1->cpu_system_s - k0->cpu_system_s;
      k.rss_kb_end = k1->rss_kb;
      k.rss_kb_peak = k1->rss_peak_kb;
      kdc_track.add(*k1, mono_s());
    }
    k.rss_kb_max_during_run = kdc_track.rss_kb_max();
    k.cpu_cores_series = kdc_track.cpu_cores_series();
    rep.kdc = k;
  }
  rep.workload = {{"population", population}, {"stats", workload_json(workloads)}};
  for (const report::Threshold& t : thresholds) {
    rep.thresholds.push_back(report::evaluate(t, rep.stats, rep.measured_s()));
  }
  rep.decide_exit();
  if (!write_report(report::to_json(rep), o.json_path)) {
    std::cerr << "kdcperf: cannot write the report to " << o.json_path << "\n";
    return code(ExitCode::kRuntimeError);
  }
  if (progress) print_summary(rep);
  return rep.exit_code;
}

// ---- kdcperf merge ------------------------------------------------------------------------

int cmd_merge(const std::vector<std::string>& files, const std::string& out,
              const std::vector<std::string>& threshold_texts) {
  std::vector<report::Threshold> thresholds;
  std::string why;
  for (const std::string& t : threshold_texts) {
    auto parsed = report::parse_threshold(t, &why);
    if (!parsed.ok()) return usage_error(why);
    thresholds.push_back(*parsed);
  }
  std::optional<report::Report> total;
  for (const std::string& f : files) {
    std::ifstream in(f);
    if (!in) return usage_error("cannot read " + f);
    const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return usage_error(f + ": not JSON");
    auto r = report::report_from_json(j, &why);
    if (!r.ok()) return usage_error(f + ": " + why);
    if (!total) {
      total = std::move(*r);
      total->thresholds.clear();
    } else {
      report::merge(*total, *r);
    }
  }
  if (!total) return usage_error("merge: no reports");
  for (const report::Threshold& t : thresholds) {
    total->thresholds.push_back(report::evaluate(t, total->stats, total->measured_s()));
  }
  total->decide_exit();
  if (!write_report(report::to_json(*total), out)) return code(ExitCode::kRuntimeError);
  return total->exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // One descriptor per socket and per retired socket: take the hard limit.
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }

  // `kdcperf --kdc ...` means `kdcperf run --kdc ...`.
  std::vector<std::string> args(argv, argv + argc);
  const bool has_command =
      argc > 1 && (args[1] == "run" || args[1] == "kinit" || args[1] == "merge" ||
                   args[1] == "-h" || args[1] == "--help" || args[1] == "--version");
  if (!has_command) args.insert(args.begin() + 1, "run");
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());

  CLI::App app{"kdcperf: a Kerberos KDC load generator"};
  app.set_version_flag("--version", std::string(KDCPERF_VERSION) + " (" + KDCPERF_GIT_COMMIT + ")");
  app.require_subcommand(1);

  RunOptions ro;
  CLI::App* run = app.add_subcommand("run", "load a KDC with AS exchanges and report (default)");
  add_run_options(run, &ro);

  loadgen::kinit::KinitOptions ko;
  std::string k_password_file, k_etypes, k_lifetime = "24h", k_timeout = "3s";
  bool k_password_stdin = false, k_use_keytab = false, k_tcp = false;
  CLI::App* kinit =
      app.add_subcommand("kinit", "one AS exchange as a real client, written to a ccache");
  kinit->add_option("principal", ko.principal, "the client principal")->required();
  kinit->add_option("--kdc", ko.kdc, "the KDC, ADDR:PORT")->required();
  kinit->add_option("--realm", ko.realm, "the realm when the principal names none");
  kinit->add_option("-c,--ccache", ko.ccache, "ticket cache (default $KRB5CCNAME)");
  kinit->add_flag("-k", k_use_keytab, "use a keytab (with -t)");
  kinit->add_option("-t,--keytab", ko.keytab_path, "keytab file");
  kinit->add_option("--password-file", k_password_file, "the password, first line of this file");
  kinit->add_flag("--password-stdin", k_password_stdin, "read the password from stdin");
  kinit->add_flag("--tcp", k_tcp, "use TCP");
  kinit->add_option("--etypes", k_etypes, "requested etypes, e.g. 18,17");
  kinit->add_option("-l,--lifetime", k_lifetime, "ticket lifetime");
  kinit->add_option("--timeout", k_timeout, "per-message timeout");
  kinit->add_flag("-f,--forwardable", ko.forwardable, "forwardable ticket");
  kinit->add_flag("-p,--proxiable", ko.proxiable, "proxiable ticket");
  kinit->add_flag("--pac-request", ko.pac_request, "send PA-PAC-REQUEST");
  kinit->add_flag("-V,--verbose", ko.verbose, "print the ticket on success");

  std::vector<std::string> merge_files, merge_thresholds;
  std::string merge_out;
  CLI::App* merge = app.add_subcommand("merge", "merge reports (counts and histograms add)");
  merge->add_option("reports", merge_files, "report files")->required();
  merge->add_option("--json", merge_out, "write the merged report here instead of stdout");
  merge->add_option("--threshold", merge_thresholds, "CI gates on the merged report");

  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : code(ExitCode::kUsage);
  }

  if (run->parsed()) return cmd_run(ro);
  if (merge->parsed()) return cmd_merge(merge_files, merge_out, merge_thresholds);
  if (kinit->parsed()) {
    if (!k_use_keytab && !ko.keytab_path.empty()) k_use_keytab = true;
    if (!k_use_keytab) {
      if (!k_password_file.empty()) {
        ko.password = read_password_file(k_password_file);
        if (!ko.password) return usage_error("cannot read --password-file");
      } else if (k_password_stdin) {
        ko.password = first_line_of(std::cin);
      } else {
        ko.password = prompt_password(ko.principal);
      }
      if (!ko.password) return usage_error("no password");
    } else if (ko.keytab_path.empty()) {
      return usage_error("-k needs -t KEYTAB");
    }
    ko.transport = k_tcp ? loadgen::kinit::Transport::kTcp : loadgen::kinit::Transport::kUdp;
    const auto lt = parse_duration(k_lifetime);
    const auto to = parse_duration(k_timeout);
    if (!lt || !to) return usage_error("bad --lifetime or --timeout");
    ko.lifetime_seconds = *lt / 1'000'000'000;
    ko.timeout = std::chrono::milliseconds(*to / 1'000'000);
    if (!k_etypes.empty()) {
      ko.etypes.clear();
      for (const std::string& e : split(k_etypes, ',')) ko.etypes.push_back(std::atoi(e.c_str()));
    }
    return loadgen::kinit::run_kinit(ko);
  }
  return code(ExitCode::kUsage);
}
