#include "tests/support/heimdal_realm.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <thread>

namespace kdcperf::testing {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kAdminTimeout{60'000};
constexpr milliseconds kClientTimeout{60'000};
constexpr int kPortAttempts = 4;
constexpr std::string_view kDefaultRoot = "/opt/kdcperf-heimdal";
// Where the Heimdal shared libraries would be if they were unpacked instead of installed.
constexpr std::string_view kPrivateLibDir = "/root/usr/lib/x86_64-linux-gnu";

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string join_lines(const std::vector<std::string>& lines, std::string_view indent) {
  std::string s;
  for (const auto& l : lines) {
    s += indent;
    s += l;
    s += '\n';
  }
  return s;
}

// Values go into argv (never through a shell), so only what would break kadmin's own parsing
// or a config line is refused.
bool plain_arg(std::string_view s) {
  return !s.empty() &&
         std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// A word of a kadmin command read from stdin: kadmin splits lines at whitespace and
// interprets quotes.
bool batch_word(std::string_view s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](unsigned char c) {
    return c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '\\';
  });
}

}  // namespace

HeimdalRealm::HeimdalRealm(HeimdalRealmOptions opts)
    : opts_(std::move(opts)), dir_("kdcperf-heimdal") {}

HeimdalRealm::~HeimdalRealm() {
  stop();
}

std::string HeimdalRealm::root() {
  const char* r = std::getenv("HEIMDAL_ROOT");
  return r != nullptr && *r != '\0' ? std::string(r) : std::string(kDefaultRoot);
}

std::string HeimdalRealm::tool(std::string_view name) {
  return root() + "/bin/" + std::string(name);
}

const std::vector<std::string>& HeimdalRealm::required_tools() {
  static const std::vector<std::string> tools = {tool("kdc"), tool("kstash"), tool("kadmin"),
                                                 tool("kinit"), tool("klist")};
  return tools;
}

bool HeimdalRealm::require_tools() {
  for (const auto& t : required_tools()) {
    if (!require_tool(t)) return false;
  }
  return true;
}

EnvVars HeimdalRealm::env() const {
  EnvVars e = {{"KRB5_CONFIG", krb5_conf_path()},
               {"KRB5CCNAME", "FILE:" + ccache_path()},
               {"LC_ALL", "C"},
               {"TZ", "UTC"}};
  const std::string libs = root() + std::string(kPrivateLibDir);
  if (is_dir(libs)) {
    const char* old = std::getenv("LD_LIBRARY_PATH");
    e.emplace_back("LD_LIBRARY_PATH", old != nullptr && *old != '\0' ? libs + ":" + old : libs);
  }
  return e;
}

std::string HeimdalRealm::config_text(const std::string& default_keys) const {
  const std::string& d = dir_.path();
  std::vector<std::string> libdefaults = {"default_realm = " + opts_.realm,
                                          "dns_lookup_kdc = false", "dns_lookup_realm = false",
                                          "dns_canonicalize_hostname = false", "rdns = false"};
  if (!opts_.client_enctypes.empty()) {
    libdefaults.push_back("default_etypes = " + opts_.client_enctypes);
  }
  libdefaults.insert(libdefaults.end(), opts_.extra_libdefaults.begin(),
                     opts_.extra_libdefaults.end());
  std::vector<std::string> kdc = {
      std::string("require-preauth = ") + (opts_.require_preauth_for_all ? "true" : "false"),
      "enable-pkinit = false"};
  kdc.insert(kdc.end(), opts_.extra_kdc.begin(), opts_.extra_kdc.end());

  std::ostringstream c;
  c << "# Written by tests/support/heimdal_realm.cpp for one test run.\n"
    << "[libdefaults]\n"
    << join_lines(libdefaults, "  ") << "\n"
    << "[realms]\n"
    << "  " << opts_.realm << " = {\n"
    << "    kdc = " << (opts_.force_tcp ? "tcp/" : "") << "127.0.0.1:" << port_ << "\n"
    << "  }\n\n"
    << "[kdc]\n"
    << "  database = {\n"
    << "    realm = " << opts_.realm << "\n"
    << "    dbname = " << d << "/heimdal\n"
    << "    mkey_file = " << d << "/m-key\n"
    << "    acl_file = " << d << "/kadmind.acl\n"
    << "    log_file = " << d << "/iprop.log\n"
    << "  }\n"
    << join_lines(kdc, "  ") << "\n"
    << "[kadmin]\n"
    << "  default_keys = " << default_keys << "\n\n"
    << "[logging]\n"
    << "  kdc = FILE:" << kdc_log_path() << "\n"
    << "  default = FILE:" << d << "/heimdal.log\n";
  return c.str();
}

::testing::AssertionResult HeimdalRealm::write_config() {
  if (!write_text_file(krb5_conf_path(), config_text(opts_.default_keys)) ||
      !write_text_file(dir_.file("kadmind.acl"), "")) {
    return ::testing::AssertionFailure() << "cannot write the config in " << dir_.path();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult HeimdalRealm::create() {
  if (!dir_.ok()) return ::testing::AssertionFailure() << "mkdtemp failed";
  if (created_) return ::testing::AssertionFailure() << "realm already created";
  port_ = find_free_port();
  if (port_ == 0) return ::testing::AssertionFailure() << "no free loopback port";
  if (auto r = write_config(); !r) return r;
  RunOptions o;
  o.env = env();
  o.timeout = kAdminTimeout;
  const RunResult stash =
      run({tool("kstash"), "--random-key", "--key-file=" + dir_.file("m-key")}, o);
  if (!stash.ok()) return ::testing::AssertionFailure() << "kstash: " << stash.describe();
  const RunResult init =
      kadmin({"init", "--realm-max-ticket-life=" + opts_.max_life,
              "--realm-max-renewable-life=" + opts_.max_renewable_life, opts_.realm});
  if (!init.ok()) return ::testing::AssertionFailure() << "kadmin -l init: " << init.describe();
  created_ = true;
  return ::testing::AssertionSuccess();
}

RunResult HeimdalRealm::kadmin(const std::vector<std::string>& args,
                               std::optional<std::string> stdin_data, const std::string& config) {
  RunOptions o;
  o.env = env();
  o.timeout = kAdminTimeout;
  o.stdin_data = std::move(stdin_data);
  const std::string conf = config.empty() ? krb5_conf_path() : config;
  if (!config.empty()) {
    // Heimdal appends KRB5_CONFIG's files to --config-file's; only one file may be read.
    merge_env(o.env, {{"KRB5_CONFIG", conf}});
  }
  std::vector<std::string> argv = {tool("kadmin"), "-l", "--config-file=" + conf};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, o);
}

::testing::AssertionResult HeimdalRealm::kadmin_ok(const std::vector<std::string>& args,
                                                   std::optional<std::string> stdin_data,
                                                   const std::string& config) {
  if (!created_) return ::testing::AssertionFailure() << "realm not created";
  const RunResult r = kadmin(args, std::move(stdin_data), config);
  // kadmin prints its errors as "kadmin: ..." on stderr; a failed command also exits 1.
  if (!r.ok() || r.out_err.find("kadmin:") != std::string::npos) {
    std::string cmd;
    for (const auto& a : args) cmd += " " + a;
    return ::testing::AssertionFailure() << "kadmin -l" << cmd << ": " << r.describe();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult HeimdalRealm::add_principal(std::string_view name,
                                                       std::string_view password,
                                                       const std::vector<std::string>& options) {
  if (!plain_arg(password) || !plain_arg(name)) {
    return ::testing::AssertionFailure() << "name or password cannot be passed to kadmin";
  }
  std::vector<std::string> args = {"add", "--password=" + std::string(password), "--use-defaults"};
  args.insert(args.end(), options.begin(), options.end());
  args.emplace_back(name);
  return kadmin_ok(args);
}

::testing::AssertionResult HeimdalRealm::add_principals(
    const std::vector<HeimdalPrincipal>& principals, std::optional<std::string> default_keys) {
  std::string batch;
  for (const auto& p : principals) {
    if (!batch_word(p.name) || !batch_word(p.password) ||
        !std::all_of(p.options.begin(), p.options.end(), batch_word)) {
      return ::testing::AssertionFailure()
             << "principal " << p.name << " cannot be passed to kadmin on stdin";
    }
    batch += "add --password=" + p.password + " --use-defaults";
    for (const auto& o : p.options) batch += " " + o;
    batch += " " + p.name + "\n";
  }
  std::string config;
  if (default_keys) {
    config = dir_.file("krb5-keys.conf");
    if (!write_text_file(config, config_text(*default_keys))) {
      return ::testing::AssertionFailure() << "cannot write " << config;
    }
  }
  return kadmin_ok({}, batch, config);
}

::testing::AssertionResult HeimdalRealm::add_random_principal(
    std::string_view name, const std::vector<std::string>& options) {
  std::vector<std::string> args = {"add", "--random-key", "--use-defaults"};
  args.insert(args.end(), options.begin(), options.end());
  args.emplace_back(name);
  return kadmin_ok(args);
}

::testing::AssertionResult HeimdalRealm::del_enctypes(std::string_view principal,
                                                      const std::vector<std::string>& enctypes) {
  std::vector<std::string> args = {"del_enctype", std::string(principal)};
  args.insert(args.end(), enctypes.begin(), enctypes.end());
  return kadmin_ok(args);
}

::testing::AssertionResult HeimdalRealm::extract_keytab(std::string_view principal,
                                                        const std::string& keytab_path) {
  return kadmin_ok({"ext_keytab", "--keytab=" + keytab_path, std::string(principal)});
}

std::optional<std::string> HeimdalRealm::key_types(std::string_view principal) {
  const RunResult r = kadmin({"get", "-o", "keytypes", std::string(principal)});
  constexpr std::string_view kLabel = "Keytypes: ";
  const auto at = r.out.find(kLabel);
  if (!r.ok() || at == std::string::npos) {
    ADD_FAILURE() << "kadmin -l get -o keytypes " << principal << ": " << r.describe();
    return std::nullopt;
  }
  const auto begin = at + kLabel.size();
  return r.out.substr(begin, r.out.find('\n', begin) - begin);
}

::testing::AssertionResult HeimdalRealm::start(milliseconds timeout) {
  if (!created_) return ::testing::AssertionFailure() << "realm not created";
  if (kdc_.started()) return ::testing::AssertionFailure() << "KDC already running";
  std::string last_log;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    if (attempt > 0) {
      // The port was taken between find_free_port() and the kdc's bind: pick another one.
      port_ = find_free_port();
      if (port_ == 0) return ::testing::AssertionFailure() << "no free loopback port";
      if (auto r = write_config(); !r) return r;
    }
    // The KDC appends to its log; remember where this run starts.
    const std::size_t log_start = read_text_file(kdc_log_path()).value_or("").size();
    const std::string port = std::to_string(port_);
    kdc_ = ProcessGuard::start({tool("kdc"), "--config-file=" + krb5_conf_path(),
                                "--addresses=127.0.0.1", "--ports=" + port},
                               env(), kdc_stdout_path());
    if (!kdc_.started()) return ::testing::AssertionFailure() << "kdc: " << kdc_.error();
    // The master binds every socket (logging "listening on ... port N/udp" and ".../tcp", or
    // "bind ...: Address already in use" and going on without that socket), then logs "KDC
    // started master process" and forks its workers; datagrams queue on the bound socket.
    const std::string udp = "listening on IPv4:127.0.0.1 port " + port + "/udp";
    const std::string tcp = "listening on IPv4:127.0.0.1 port " + port + "/tcp";
    bool started = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string log = read_text_file(kdc_log_path()).value_or("");
      last_log = log.size() > log_start ? log.substr(log_start) : "";
      if (last_log.find("KDC started master process") != std::string::npos) {
        started = true;
        break;
      }
      if (!kdc_.running()) break;
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (started && last_log.find(udp) != std::string::npos &&
        last_log.find(tcp) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    const std::string how = kdc_.stop();
    if (last_log.find("Address already in use") == std::string::npos) {
      const std::string out = read_text_file(kdc_stdout_path()).value_or("");
      return ::testing::AssertionFailure()
             << "kdc did not come up on port " << port_ << " (" << how << "); log: [" << last_log
             << "] output: [" << out << "]";
    }
  }
  return ::testing::AssertionFailure() << "kdc: no usable port; log: [" << last_log << "]";
}

std::string HeimdalRealm::stop() {
  return kdc_.stop();
}

RunResult HeimdalRealm::client(std::vector<std::string> argv, std::optional<std::string> stdin_data,
                               const EnvVars& extra_env) {
  if (!argv.empty() && argv[0].find('/') == std::string::npos && tool_available(tool(argv[0]))) {
    argv[0] = tool(argv[0]);
  }
  RunOptions o;
  o.env = env();
  merge_env(o.env, extra_env);
  o.stdin_data = std::move(stdin_data);
  o.timeout = kClientTimeout;
  return run(argv, o);
}

RunResult HeimdalRealm::kinit(std::string_view principal, std::string_view password,
                              const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {tool("kinit"), "--password-file=STDIN"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.emplace_back(principal);
  return client(argv, std::string(password) + "\n");
}

RunResult HeimdalRealm::klist(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {tool("klist")};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return client(argv);
}

std::size_t HeimdalRealm::count_kdc_log(std::string_view needle) const {
  return count_kdc_log(std::vector<std::string_view>{needle})[0];
}

std::vector<std::size_t> HeimdalRealm::count_kdc_log(
    const std::vector<std::string_view>& needles) const {
  std::vector<std::size_t> counts(needles.size(), 0);
  const std::string log = read_text_file(kdc_log_path()).value_or("");
  const std::string_view all(log);
  for (std::size_t begin = 0; begin < all.size();) {
    const std::size_t nl = all.find('\n', begin);
    const std::size_t end = nl == std::string_view::npos ? all.size() : nl;
    const std::string_view line = all.substr(begin, end - begin);
    for (std::size_t i = 0; i < needles.size(); ++i) {
      if (line.find(needles[i]) != std::string_view::npos) ++counts[i];
    }
    begin = end + 1;
  }
  return counts;
}

}  // namespace kdcperf::testing
