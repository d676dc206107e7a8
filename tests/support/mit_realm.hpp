// A throwaway MIT krb5 realm for interop tests: database, configs, logs and credential caches in
// a temp directory; krb5kdc on 127.0.0.1 at a port from find_free_port(); everything removed and
// the KDC stopped (by PID) when the object goes away. MIT's own tools do all the work
// (kdb5_util, kadmin.local, krb5kdc, kinit, klist, kvno); this class only wires them together.
//
// Configs come from scripts/templates/mit-{krb5,kdc}.conf.in, the same templates
// scripts/mit-realm.sh uses for manual runs.
//
//   MitRealm realm;                                    // in a test, after KDCPERF_REQUIRE_MIT()
//   ASSERT_TRUE(realm.create());
//   ASSERT_TRUE(realm.add_principal("alice", "secret", "+requires_preauth"));
//   ASSERT_TRUE(realm.start());
//   RunResult r = realm.kinit("alice", "secret");
//   EXPECT_TRUE(r.ok()) << r.describe();
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/process.hpp"

namespace kdcperf::testing {

// All enctypes kdcperf implements, in MIT's names (RFC 3962, RFC 8009, RFC 4757).
inline constexpr std::string_view kMitAllEnctypes =
    "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 "
    "aes128-cts-hmac-sha256-128 arcfour-hmac";

struct MitRealmOptions {
  std::string realm = "KDCPERF.TEST";
  // Client side (krb5.conf): permitted_enctypes and default_tkt_enctypes. Empty: leave MIT's
  // built-in defaults (1.20: 18 17 20 19 16 23 25 26). rc4 (arcfour-hmac) needs no
  // allow_weak_crypto in 1.20: it is deprecated but still permitted when listed.
  std::string client_enctypes = std::string(kMitAllEnctypes);
  // KDC side (kdc.conf): key/salt pairs for new principals and for krbtgt.
  std::string supported_enctypes =
      "aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal "
      "aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal arcfour-hmac:normal";
  bool force_tcp = false;  // udp_preference_limit = 1: the client sends every request over TCP
  bool trace = false;      // KRB5_TRACE=<dir>/trace.log for client tools
  std::string max_life = "10h";
  std::string max_renewable_life = "7d";
  std::vector<std::string> extra_libdefaults;  // raw "key = value" lines for [libdefaults]
  std::vector<std::string> extra_realm;        // raw "key = value" lines for the kdc.conf realm
  std::string master_password = "kdcperf-master-pw";
};

// One line of `klist -k -e -K -t`.
struct KeytabListing {
  unsigned kvno = 0;
  std::string principal;  // as klist prints it, e.g. "alice@KDCPERF.TEST"
  std::string enctype;    // MIT's name without the "DEPRECATED:" marker, e.g. "arcfour-hmac"
  std::string key_hex;    // lowercase hex of the key bytes
};

// One row of `kdb5_util tabdump keyinfo`: which key/salt the KDC database holds.
struct DbKeyInfo {
  std::string principal;
  unsigned kvno = 0;
  std::string enctype;
  std::string salttype;             // "normal", "norealm", "onlyrealm", "special", ...
  std::optional<std::string> salt;  // the explicit salt bytes; nullopt: none stored (default)
};

class MitRealm {
 public:
  explicit MitRealm(MitRealmOptions opts = {});
  MitRealm(const MitRealm&) = delete;
  MitRealm& operator=(const MitRealm&) = delete;
  ~MitRealm();  // stops the KDC (SIGTERM, then SIGKILL) before the directory is removed

  // The MIT programs this class runs.
  static const std::vector<std::string>& required_tools();
  // All of required_tools() present; otherwise records a skip (or a CI failure, see
  // process.hpp) on the current test and returns false.
  static bool require_tools();

  // Writes kdc.conf/krb5.conf/kadm5.acl and runs `kdb5_util create -s`.
  ::testing::AssertionResult create();
  // `kadmin.local addprinc -pw <password> <options> <name>`; options are raw kadmin flags such
  // as "+requires_preauth" or "-e aes256-cts-hmac-sha1-96:normal". The password must not contain
  // '"' or control characters (it is passed quoted in a kadmin query).
  ::testing::AssertionResult add_principal(std::string_view name, std::string_view password,
                                           std::string_view options = "");
  // `addprinc -randkey <options> <name>` (service principals).
  ::testing::AssertionResult add_random_principal(std::string_view name,
                                                  std::string_view options = "");
  // `ktadd -norandkey -k <keytab_path> <principal>`: the principal's current keys, unchanged.
  ::testing::AssertionResult extract_keytab(std::string_view principal,
                                            const std::string& keytab_path);
  // Any kadmin.local query. kadmin.local 1.20 exits 0 even when the query fails, so callers
  // must look at the output.
  RunResult kadmin(std::string_view query);

  // Starts krb5kdc -n (foreground) and waits until its log says it serves requests. Retries on
  // a fresh port if another process took the chosen one.
  ::testing::AssertionResult start(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Stops the KDC by PID; returns how it ended. Safe to call when not running.
  std::string stop();
  bool running() { return kdc_.running(); }
  pid_t kdc_pid() const { return kdc_.pid(); }

  // Runs a client tool (kinit, klist, kvno, ...) with this realm's environment.
  RunResult client(const std::vector<std::string>& argv,
                   std::optional<std::string> stdin_data = std::nullopt,
                   const EnvVars& extra_env = {});
  // kinit <principal> with the password on stdin; extra args go before the principal.
  RunResult kinit(std::string_view principal, std::string_view password,
                  const std::vector<std::string>& extra_args = {});

  // `klist -k -e -K -t <path>`, parsed; nullopt (and a test failure) if klist fails or prints a
  // line it cannot parse.
  std::optional<std::vector<KeytabListing>> list_keytab(const std::string& path);
  // `kdb5_util tabdump keyinfo`, parsed; nullopt (and a test failure) on error.
  std::optional<std::vector<DbKeyInfo>> db_key_info();

  // How many lines of the KDC log contain `needle` (e.g. "AS_REQ", "ISSUE:", "PREAUTH_FAILED").
  std::size_t count_kdc_log(std::string_view needle) const;

  const std::string& realm() const { return opts_.realm; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  std::string krb5_conf_path() const { return dir_.file("krb5.conf"); }
  std::string kdc_conf_path() const { return dir_.file("kdc.conf"); }
  std::string kdc_log_path() const { return dir_.file("kdc.log"); }
  std::string kdc_stdout_path() const { return dir_.file("krb5kdc.out"); }
  std::string ccache_path() const { return dir_.file("ccache"); }
  std::string trace_path() const { return dir_.file("trace.log"); }
  // KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5CCNAME, KRB5RCACHEDIR, LC_ALL=C (+ KRB5_TRACE).
  EnvVars env() const;

 private:
  ::testing::AssertionResult write_configs();
  ::testing::AssertionResult kadmin_expect(std::string_view query, std::string_view marker);

  MitRealmOptions opts_;
  TempDir dir_;
  int port_ = 0;
  bool created_ = false;
  ProcessGuard kdc_;
};

// Parses `klist -k -e -K -t` output (exposed for its own unit test). nullopt on a malformed line.
std::optional<std::vector<KeytabListing>> parse_klist_keytab(std::string_view text);
// Parses `kdb5_util tabdump keyinfo` output. nullopt on a malformed line.
std::optional<std::vector<DbKeyInfo>> parse_tabdump_keyinfo(std::string_view text);

}  // namespace kdcperf::testing

// In a test body or SetUp(): skip (or fail under CI=true) unless the MIT tools are installed.
#define KDCPERF_REQUIRE_MIT()                                                       \
  do {                                                                              \
    for (const auto& kdcperf_t_ : ::kdcperf::testing::MitRealm::required_tools()) { \
      KDCPERF_REQUIRE_TOOL(kdcperf_t_);                                             \
    }                                                                               \
  } while (0)
