// A throwaway Heimdal realm for interop tests, the Heimdal twin of MitRealm (mit_realm.hpp):
// database, master key, config, logs and credential caches in a temp directory; Heimdal's `kdc`
// on 127.0.0.1 at a port from find_free_port(); the KDC stopped (by PID) and everything removed
// when the object goes away. Heimdal's own tools do the work (kstash, kadmin -l, kdc, kinit,
// klist); this class only wires them together.
//
// Heimdal 7.8 (Debian 12) conflicts with the MIT packages, so scripts/heimdal.sh unpacks it into
// a private folder: $HEIMDAL_ROOT (default /opt/kdcperf-heimdal), programs in $HEIMDAL_ROOT/bin.
// Every tool is run by its full path there, never through $PATH (where MIT's kinit lives).
//
//   KDCPERF_REQUIRE_HEIMDAL();  // in the test body or SetUp()
//   HeimdalRealm realm;
//   ASSERT_TRUE(realm.create());
//   ASSERT_TRUE(realm.add_principal("alice", "secret", {"--attributes=requires-pre-auth"}));
//   ASSERT_TRUE(realm.start());
//   RunResult r = realm.kinit("alice", "secret");
//   EXPECT_TRUE(r.ok()) << r.describe();
//
// Facts this class relies on (checked by hand against 7.8.git20221117; what the KDC logs is at
// the top of tests/heimdal_interop_test.cpp):
//   - One config file serves clients (KRB5_CONFIG) and the KDC (kdc --config-file); Heimdal reads
//     no /etc/krb5.conf when KRB5_CONFIG is set.
//   - [kdc] require-preauth defaults to true, which makes *every* principal need pre-auth; this
//     class sets it from HeimdalRealmOptions so that the requires-pre-auth attribute decides.
//   - The kdc forks one worker per CPU; SIGTERM to the master stops the workers too (and a worker
//     exits by itself when the master dies).
//   - `kadmin -l` exits 1 when a command fails (also for a batch on stdin), except add_enctype
//     without -r, which prints an error and exits 0 (this class does not use it).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/process.hpp"

namespace kdcperf::testing {

struct HeimdalRealmOptions {
  std::string realm = "KDCPERF.TEST";
  // [kadmin] default_keys: the keys `kadmin add --password` makes for a new principal; here all
  // etypes kdcperf implements (RFC 3962, RFC 8009, RFC 4757) in Heimdal's names. Heimdal gives
  // the RFC 8009 keys (aes*-sha2) a random salt, base64 of 16 random bytes followed by the default
  // salt, which clients learn from PA-ETYPE-INFO2.
  std::string default_keys =
      "aes256-cts-hmac-sha1-96:pw-salt aes128-cts-hmac-sha1-96:pw-salt "
      "aes256-cts-hmac-sha384-192:pw-salt aes128-cts-hmac-sha256-128:pw-salt "
      "arcfour-hmac-md5:pw-salt";
  // Client side ([libdefaults] default_etypes). Empty: Heimdal's built-in list.
  std::string client_enctypes;
  // [kdc] require-preauth. Heimdal's default is true (every principal); false leaves it to each
  // principal's requires-pre-auth attribute, as MIT does.
  bool require_preauth_for_all = false;
  bool force_tcp = false;  // clients reach the KDC over TCP only ("kdc = tcp/127.0.0.1:PORT")
  // Realm maximums (kadmin init), which `add --use-defaults` also gives new principals.
  std::string max_life = "10h";
  std::string max_renewable_life = "7d";
  std::vector<std::string> extra_libdefaults;  // raw "key = value" lines for [libdefaults]
  std::vector<std::string> extra_kdc;          // raw "key = value" lines for [kdc]
};

// A principal for HeimdalRealm::add_principals.
struct HeimdalPrincipal {
  std::string name;
  std::string password;
  // Raw `kadmin add` flags, e.g. "--attributes=requires-pre-auth".
  std::vector<std::string> options;
};

class HeimdalRealm {
 public:
  explicit HeimdalRealm(HeimdalRealmOptions opts = {});
  HeimdalRealm(const HeimdalRealm&) = delete;
  HeimdalRealm& operator=(const HeimdalRealm&) = delete;
  ~HeimdalRealm();  // stops the KDC (SIGTERM, then SIGKILL) before the directory is removed

  // $HEIMDAL_ROOT, or /opt/kdcperf-heimdal (where scripts/heimdal.sh unpacks Heimdal).
  static std::string root();
  // Full path of a Heimdal program in root()/bin ("kinit" -> /opt/kdcperf-heimdal/bin/kinit).
  static std::string tool(std::string_view name);
  // The Heimdal programs this class runs, as full paths.
  static const std::vector<std::string>& required_tools();
  // All of required_tools() present; otherwise records a skip (or a CI failure, see process.hpp)
  // on the current test and returns false.
  static bool require_tools();

  // Writes krb5.conf, stashes a random master key (kstash) and runs `kadmin -l init`.
  ::testing::AssertionResult create();
  // `kadmin -l add --password=<password> --use-defaults <options...> <name>`; options are raw
  // kadmin flags such as "--attributes=requires-pre-auth" or "--max-ticket-life=1h".
  ::testing::AssertionResult add_principal(std::string_view name, std::string_view password,
                                           const std::vector<std::string>& options = {});
  // The same for many principals in one kadmin run (a command a line on stdin, so names,
  // passwords and options must not contain whitespace or quotes). `default_keys` replaces the
  // realm's [kadmin] default_keys for these principals only: Heimdal derives each key with
  // PBKDF2, and the RFC 8009 ones (32768 iterations) cost ~30 ms each.
  ::testing::AssertionResult add_principals(const std::vector<HeimdalPrincipal>& principals,
                                            std::optional<std::string> default_keys = std::nullopt);
  // `kadmin -l add --random-key --use-defaults <options...> <name>` (service principals).
  ::testing::AssertionResult add_random_principal(std::string_view name,
                                                  const std::vector<std::string>& options = {});
  // `kadmin -l del_enctype <principal> <enctypes...>`: drops keys, e.g. to leave one etype.
  ::testing::AssertionResult del_enctypes(std::string_view principal,
                                          const std::vector<std::string>& enctypes);
  // `kadmin -l ext_keytab -k <keytab_path> <principal>`: the principal's current keys.
  ::testing::AssertionResult extract_keytab(std::string_view principal,
                                            const std::string& keytab_path);
  // The "Keytypes:" of `kadmin -l get -o keytypes`, e.g.
  // "aes256-cts-hmac-sha1-96(pw-salt)[1], arcfour-hmac-md5(pw-salt)[1]"; nullopt (and a test
  // failure) if kadmin fails.
  std::optional<std::string> key_types(std::string_view principal);
  // Any `kadmin -l` command (args after -l), or several, one a line, on stdin (args empty).
  // `config` replaces the realm's krb5.conf for this run.
  RunResult kadmin(const std::vector<std::string>& args,
                   std::optional<std::string> stdin_data = std::nullopt,
                   const std::string& config = {});

  // Starts the kdc in the foreground and waits until its log says it listens on the port for
  // UDP and TCP. Retries on a fresh port if another process took the chosen one (Heimdal keeps
  // running with whatever sockets it could bind, so a half-bound KDC is stopped and retried).
  ::testing::AssertionResult start(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Stops the KDC by PID (its master process, which stops its workers); returns how it ended.
  // Safe to call when not running.
  std::string stop();
  bool running() { return kdc_.running(); }
  pid_t kdc_pid() const { return kdc_.pid(); }

  // Runs a client tool with this realm's environment; argv[0] without a '/' is taken from
  // root()/bin when it is there ("klist" is Heimdal's klist), else searched as run() does.
  RunResult client(std::vector<std::string> argv,
                   std::optional<std::string> stdin_data = std::nullopt,
                   const EnvVars& extra_env = {});
  // Heimdal's kinit <principal>, the password on stdin (--password-file=STDIN); extra args go
  // before the principal.
  RunResult kinit(std::string_view principal, std::string_view password,
                  const std::vector<std::string>& extra_args = {});
  // Heimdal's klist (of the realm's ccache unless extra_args say -c).
  RunResult klist(const std::vector<std::string>& extra_args = {});

  // How many lines of the KDC log contain `needle`. What Heimdal logs per outcome is listed in
  // tests/heimdal_interop_test.cpp.
  std::size_t count_kdc_log(std::string_view needle) const;
  // The same for several needles in one pass over the log (it grows by ~1 KB a request).
  std::vector<std::size_t> count_kdc_log(const std::vector<std::string_view>& needles) const;

  const std::string& realm() const { return opts_.realm; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  std::string krb5_conf_path() const { return dir_.file("krb5.conf"); }
  std::string kdc_log_path() const { return dir_.file("kdc.log"); }
  std::string kdc_stdout_path() const { return dir_.file("kdc.out"); }
  std::string ccache_path() const { return dir_.file("ccache"); }
  // KRB5_CONFIG, KRB5CCNAME, LC_ALL=C, TZ=UTC (+ LD_LIBRARY_PATH when Heimdal's libraries were
  // unpacked into root() instead of installed).
  EnvVars env() const;

 private:
  std::string config_text(const std::string& default_keys) const;
  ::testing::AssertionResult write_config();
  ::testing::AssertionResult kadmin_ok(const std::vector<std::string>& args,
                                       std::optional<std::string> stdin_data = std::nullopt,
                                       const std::string& config = {});

  HeimdalRealmOptions opts_;
  TempDir dir_;
  int port_ = 0;
  bool created_ = false;
  ProcessGuard kdc_;
};

}  // namespace kdcperf::testing

// In a test body or SetUp(): skip (or fail under CI=true, see KDCPERF_REQUIRE_TOOL) unless
// scripts/heimdal.sh has unpacked Heimdal into $HEIMDAL_ROOT.
#define KDCPERF_REQUIRE_HEIMDAL()                                                       \
  do {                                                                                  \
    for (const auto& kdcperf_h_ : ::kdcperf::testing::HeimdalRealm::required_tools()) { \
      KDCPERF_REQUIRE_TOOL(kdcperf_h_);                                                 \
    }                                                                                   \
  } while (0)
