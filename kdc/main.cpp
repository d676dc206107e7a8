// kdcperf-kdc: the KDC's command line. It only wires: a realm (kdc/db loaders), the engines
// (kdc/net) and the AS service options (kdc/as); then it serves until SIGINT/SIGTERM or
// --duration, printing counters.
//
//   kdcperf-kdc --realm R [--listen 127.0.0.1:88]... [--workers N] [--pin]
//               [--keytab F | --realm-file F.json | --users N (embedded realm)]
//               [--write-keytab F] [--stats-file F] [--no-pac] [--duration 60s]
//
// Exit status: 0 after a clean stop, 1 runtime error, 2 usage or setup error.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "io/address.hpp"
#include "kdc/db/loaders.hpp"
#include "kdc/db/principal_db.hpp"
#include "kdc/net/server.hpp"
#include "krb/base/rng.hpp"
#include "krb/crypto/enctype.hpp"
#include "krb/proto/types.hpp"

#ifndef KDCPERF_VERSION
#define KDCPERF_VERSION "unknown"
#endif
#ifndef KDCPERF_GIT_COMMIT
#define KDCPERF_GIT_COMMIT "unknown"
#endif

namespace {

using namespace kdcperf;
using nlohmann::json;

std::atomic<int> g_signal{0};
std::atomic<bool> g_dump{false};
void on_stop(int sig) {
  g_signal = sig;
}
void on_dump(int) {
  g_dump = true;
}

std::optional<std::int64_t> parse_seconds(const std::string& s) {
  auto r = kdc::db::parse_duration(s);
  if (!r.ok()) return std::nullopt;
  return *r;
}

std::optional<std::vector<std::int32_t>> parse_etypes(const std::string& s) {
  std::vector<std::int32_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      const int e = std::stoi(item);
      if (krb::crypto::enctype_info(e) == nullptr) return std::nullopt;
      out.push_back(e);
    } catch (...) {
      return std::nullopt;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

json stats_json(const kdc::net::WorkerStats& s, double uptime, unsigned workers) {
  json errors = json::object();
  for (std::size_t c = 0; c < s.as.by_error.size(); ++c) {
    if (s.as.by_error[c] == 0) continue;
    const auto code = static_cast<krb::proto::ErrorCode>(static_cast<std::int32_t>(c));
    std::string name(krb::proto::error_code_name(code));
    if (c == kdc::as::AsCounters::kMaxErrorCode || name.empty()) name = std::to_string(c);
    errors[name] = s.as.by_error[c];
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  const auto& e = s.engine;
  return json{
      {"version", KDCPERF_VERSION},
      {"commit", KDCPERF_GIT_COMMIT},
      {"uptime_s", uptime},
      {"workers", workers},
      {"cpu_s", cpu},
      {"max_rss_kib", ru.ru_maxrss},
      {"requests", s.as.requests},
      {"as_rep", s.as.as_rep},
      {"errors", s.as.errors},
      {"errors_by_code", errors},
      {"malformed", s.as.malformed},
      {"preauth_ok", s.as.preauth_ok},
      {"preauth_failed", s.as.preauth_failed},
      {"internal_errors", s.as.internal},
      {"engine",
       {{"udp_received", e.udp_received},
        {"udp_truncated", e.udp_truncated},
        {"udp_no_buffer", e.udp_no_buffer},
        {"replies_sent", e.replies_sent},
        {"send_errors", e.send_errors},
        {"tcp_accepted", e.tcp_accepted},
        {"tcp_rejected", e.tcp_rejected},
        {"tcp_messages", e.tcp_messages},
        {"tcp_too_long", e.tcp_too_long},
        {"tcp_idle_closed", e.tcp_idle_closed},
        {"tcp_closed", e.tcp_closed},
        {"batches", e.batches}}},
  };
}

bool write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return false;
    f << text;
    if (!f) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

struct Options {
  std::string realm;
  std::vector<std::string> listen;
  unsigned workers = 0;
  bool pin = false;
  std::string keytab, realm_file;
  unsigned users = 100;
  std::string user_pattern = "user{i}", password_pattern = "pw-{i}", etypes = "18";
  std::string write_keytab;
  bool no_pac = false, mit_tag = false, no_udp = false, no_tcp = false, random_keys = false;
  bool export_krbtgt = false;
  std::size_t max_udp_reply = 65536, batch = 64, key_cache = 16384;
  std::string skew = "300", max_life = "10h", max_renewable_life = "7d";
  std::size_t max_tcp_connections = 1024, max_tcp_message = 65536;
  std::string tcp_idle_timeout = "10s";
  std::string stats_file, duration;
  std::int64_t clock_offset = 0;
  bool quiet = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"kdcperf-kdc: an io_uring Kerberos KDC for the AS exchange (RFC 4120 §3.1)"};
  app.add_option("--realm", o.realm, "the realm served")->required();
  app.add_option("--listen", o.listen, "ADDR:PORT or [V6]:PORT, repeatable (default 127.0.0.1:88)");
  app.add_option("--workers", o.workers,
                 "worker threads, one io_uring each (default: one per CPU)");
  app.add_flag("--pin", o.pin, "pin worker i to CPU i");
  app.add_option("--keytab", o.keytab,
                 "principals and keys from an MIT keytab (krbtgt/REALM included)");
  app.add_option("--realm-file", o.realm_file,
                 "principals from a realm JSON file (kdc/db/loaders.hpp)");
  app.add_option("--users", o.users, "embedded realm: number of test users (default 100)");
  app.add_option("--user-pattern", o.user_pattern, "embedded realm: user names ({i} from 1)");
  app.add_option("--password-pattern", o.password_pattern,
                 "embedded realm: passwords ({i} from 1)");
  app.add_option("--etypes", o.etypes, "embedded realm: enctypes of each user's keys (18,17,...)");
  app.add_option("--write-keytab", o.write_keytab,
                 "write the users' keys as an MIT keytab and go on");
  app.add_flag("--export-krbtgt", o.export_krbtgt,
               "put krbtgt/REALM in --write-keytab too (to serve the realm again with --keytab; "
               "not for kdcperf --keytab, which would log in as krbtgt)");
  app.add_flag("--random-keys", o.random_keys,
               "embedded realm: random keys, no passwords (large realms; use --write-keytab)");
  app.add_flag("--no-pac", o.no_pac, "issue TGTs without the minimal PAC MIT 1.20 adds");
  app.add_flag("--mit-enc-part-tag", o.mit_tag, "tag EncASRepPart [APPLICATION 26] as MIT does");
  app.add_flag("--no-udp", o.no_udp, "serve TCP only");
  app.add_flag("--no-tcp", o.no_tcp, "serve UDP only");
  app.add_option("--max-udp-reply", o.max_udp_reply, "larger UDP replies become RESPONSE_TOO_BIG");
  app.add_option("--batch", o.batch, "requests per AsService batch (default 64)");
  app.add_option("--key-cache", o.key_cache,
                 "prepared key states per worker, 3 per active client (default 16384)");
  app.add_option("--clock-skew", o.skew, "allowed clock skew (300, 5m)");
  app.add_option("--max-life", o.max_life, "realm maximum ticket life (10h)");
  app.add_option("--max-renewable-life", o.max_renewable_life, "realm maximum renewable life (7d)");
  app.add_option("--max-tcp-connections", o.max_tcp_connections, "per worker (default 1024)");
  app.add_option("--max-tcp-message", o.max_tcp_message, "largest TCP request (default 65536)");
  app.add_option("--tcp-idle-timeout", o.tcp_idle_timeout, "close idle TCP connections (10s)");
  app.add_option("--stats-file", o.stats_file, "write counters as JSON here every second");
  app.add_option("--duration", o.duration, "stop by itself after this long (60s, 10m)");
  app.add_option(
      "--clock-offset", o.clock_offset,
      "seconds added to the system clock (test clients against a KDC whose clock is off)");
  app.add_flag("--quiet", o.quiet, "no log lines on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto fail = [](const std::string& msg) {
    std::cerr << "kdcperf-kdc: " << msg << "\n";
    return 2;
  };
  auto log = [&](const std::string& msg) {
    if (!o.quiet) std::cerr << "kdcperf-kdc: " << msg << std::endl;
  };

  const auto skew = parse_seconds(o.skew);
  const auto max_life = parse_seconds(o.max_life);
  const auto max_rlife = parse_seconds(o.max_renewable_life);
  const auto idle = parse_seconds(o.tcp_idle_timeout);
  std::optional<std::int64_t> duration;
  if (!o.duration.empty()) duration = parse_seconds(o.duration);
  if (!skew || !max_life || !max_rlife || !idle || (!o.duration.empty() && !duration)) {
    return fail("a duration is malformed (use 300, 90s, 15m, 10h or 7d)");
  }
  if (o.batch == 0 || o.batch > 4096) return fail("--batch must be 1..4096");

  kdc::db::RealmPolicy policy;
  policy.realm = o.realm;
  policy.clock_skew = *skew;
  policy.max_life = *max_life;
  policy.max_renewable_life = *max_rlife;
  policy.pac = !o.no_pac;

  // The realm: a keytab, a realm file, or the embedded throwaway realm.
  krb::SystemRng rng;
  std::string why;
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<kdc::db::PrincipalDb> db;
  if (!o.keytab.empty() && !o.realm_file.empty()) {
    return fail("--keytab and --realm-file exclude each other");
  }
  if (!o.keytab.empty()) {
    const auto bytes = read_file(o.keytab);
    if (!bytes) return fail("cannot read " + o.keytab);
    auto r = kdc::db::load_keytab_realm(krb::as_bytes(*bytes), policy, &why);
    if (!r.ok()) return fail(o.keytab + ": " + why);
    db.emplace(std::move(r).value());
  } else if (!o.realm_file.empty()) {
    const auto text = read_file(o.realm_file);
    if (!text) return fail("cannot read " + o.realm_file);
    kdc::db::LoadOptions lo;
    lo.rng = &rng;
    auto r = kdc::db::load_realm_json(*text, lo, &why);
    if (!r.ok()) return fail(o.realm_file + ": " + why);
    db.emplace(std::move(r).value());
    // The file sets its own realm and policy; --realm must name the same realm.
    if (db->policy().realm != o.realm) {
      return fail(o.realm_file + " serves " + db->policy().realm + ", not " + o.realm);
    }
  } else {
    const auto etypes = parse_etypes(o.etypes);
    if (!etypes) return fail("--etypes: a comma-separated list of 17, 18, 19, 20, 23");
    kdc::db::EmbeddedRealmOptions eo;
    eo.policy = policy;
    eo.users = o.users;
    eo.name_pattern = o.user_pattern;
    eo.password_pattern = o.password_pattern;
    eo.etypes = *etypes;
    eo.random_keys = o.random_keys;
    eo.load.rng = &rng;
    eo.load.progress = [&](std::size_t done, std::size_t total) {
      if (total >= 10000)
        log("deriving keys: " + std::to_string(done) + "/" + std::to_string(total));
    };
    auto r = kdc::db::make_embedded_realm(eo, &why);
    if (!r.ok()) return fail("embedded realm: " + why);
    db.emplace(std::move(r).value());
    log("embedded realm " + o.realm + ": " + std::to_string(o.users) + " users " + o.user_pattern +
        (o.random_keys ? " with random keys" : " with passwords " + o.password_pattern) +
        ", i = 1.." + std::to_string(o.users) + ", every one +requires_preauth");
  }
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log("realm " + o.realm + ": " + std::to_string(db->size()) + " principals loaded in " +
      std::to_string(load_s) + " s, " +
      std::to_string(db->approximate_bytes_without_keys() / db->size()) +
      " bytes per principal beyond its keys");
  if (!o.write_keytab.empty()) {
    auto kt =
        kdc::db::export_keytab(*db, o.export_krbtgt, static_cast<std::uint32_t>(time(nullptr)));
    if (!kt.ok()) return fail("cannot export the keytab");
    std::ofstream f(o.write_keytab, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(kt->data()), static_cast<std::streamsize>(kt->size()));
    if (!f) return fail("cannot write " + o.write_keytab);
    log("wrote the users' keys to " + o.write_keytab);
  }

  kdc::net::ServerConfig sc;
  if (o.listen.empty()) o.listen.push_back("127.0.0.1:88");
  for (const std::string& l : o.listen) {
    auto a = io::parse_address(l, 88);
    if (!a) return fail("--listen " + l + ": not ADDR:PORT or [V6]:PORT");
    sc.listen.push_back(*a);
  }
  sc.workers = o.workers;
  sc.pin = o.pin;
  sc.udp = !o.no_udp;
  sc.tcp = !o.no_tcp;
  sc.worker.batch = o.batch;
  sc.worker.max_tcp_connections = o.max_tcp_connections;
  sc.worker.max_tcp_message = o.max_tcp_message;
  sc.worker.tcp_idle_timeout_ms = *idle * 1000;
  sc.worker.clock_offset_s = o.clock_offset;
  sc.worker.as.max_udp_reply = o.max_udp_reply;
  sc.worker.as.mit_enc_part_tag = o.mit_tag;
  sc.worker.as.max_batch = o.batch;
  sc.worker.as.key_cache_entries = o.key_cache;

  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_dump;
  sigaction(SIGUSR1, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = kdc::net::Server::start(*db, sc, &why);
  if (!server) return fail(why);
  std::string where;
  for (const auto& a : server->bound()) where += (where.empty() ? "" : " ") + a.to_string();
  // Tests and scripts wait for this line.
  log(std::string("listening on ") + where + " (" + (sc.udp ? "udp" : "") +
      (sc.udp && sc.tcp ? "+" : "") + (sc.tcp ? "tcp" : "") + ") with " +
      std::to_string(server->workers()) + " workers, PAC " + (policy.pac ? "on" : "off"));

  const auto start = std::chrono::steady_clock::now();
  auto uptime = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  kdc::net::WorkerStats last{};
  while (g_signal == 0 && (!duration || uptime() < static_cast<double>(*duration))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto s = server->stats();
    if (g_dump.exchange(false))
      std::cerr << stats_json(s, uptime(), server->workers()).dump() << "\n";
    // Errors on our side are logged at most once per second, as counts.
    if (s.as.malformed != last.as.malformed || s.as.internal != last.as.internal ||
        s.engine.send_errors != last.engine.send_errors ||
        s.engine.udp_truncated != last.engine.udp_truncated ||
        s.engine.tcp_too_long != last.engine.tcp_too_long) {
      static auto last_log = std::chrono::steady_clock::time_point{};
      if (std::chrono::steady_clock::now() - last_log >= std::chrono::seconds(1)) {
        // key=value totals, at most one line a second however fast errors come.
        log("level=warn event=refused_input malformed=" + std::to_string(s.as.malformed) +
            " internal=" + std::to_string(s.as.internal) +
            " send_errors=" + std::to_string(s.engine.send_errors) +
            " oversized_datagrams=" + std::to_string(s.engine.udp_truncated) +
            " tcp_too_long=" + std::to_string(s.engine.tcp_too_long));
        last_log = std::chrono::steady_clock::now();
        last = s;
      }
    }
    static auto last_stats = std::chrono::steady_clock::time_point{};
    if (!o.stats_file.empty() &&
        std::chrono::steady_clock::now() - last_stats >= std::chrono::seconds(1)) {
      write_file_atomically(o.stats_file, stats_json(s, uptime(), server->workers()).dump(2));
      last_stats = std::chrono::steady_clock::now();
    }
  }
  server->stop();
  const auto final_stats = stats_json(server->stats(), uptime(), server->workers());
  if (!o.stats_file.empty()) write_file_atomically(o.stats_file, final_stats.dump(2));
  std::cout << final_stats.dump(2) << std::endl;
  log(g_signal != 0 ? "stopped by signal " + std::to_string(g_signal.load()) : "stopped");
  return 0;
}
