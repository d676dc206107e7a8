#include "tests/support/mit_realm.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <thread>

#include "tests/support/testdata.hpp"

namespace kdcperf::testing {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kAdminTimeout{60'000};
constexpr milliseconds kClientTimeout{60'000};
constexpr int kPortAttempts = 4;

// Replaces every @KEY@ of the template; fails if one is left over (a template and this file out
// of step).
::testing::AssertionResult fill_template(
    const std::string& template_path, const std::vector<std::pair<std::string, std::string>>& vars,
    std::string& out) {
  auto text = read_text_file(template_path);
  if (!text) return ::testing::AssertionFailure() << "cannot read template " << template_path;
  for (const auto& [key, value] : vars) {
    const std::string token = "@" + key + "@";
    for (auto pos = text->find(token); pos != std::string::npos;
         pos = text->find(token, pos + value.size())) {
      text->replace(pos, token.size(), value);
    }
  }
  // Comments may mention @NAME@; only non-comment lines must be fully substituted.
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '#') continue;
    const auto at = line.find('@');
    std::size_t end = at == std::string::npos ? at : at + 1;
    while (end != std::string::npos && end < line.size() &&
           (std::isupper(static_cast<unsigned char>(line[end])) || line[end] == '_')) {
      ++end;
    }
    if (at != std::string::npos && end > at + 1 && end < line.size() && line[end] == '@') {
      return ::testing::AssertionFailure()
             << "unsubstituted placeholder in " << template_path << ": " << line;
    }
  }
  out = std::move(*text);
  return ::testing::AssertionSuccess();
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

std::vector<std::string> split_ws(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    const std::size_t b = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > b) out.emplace_back(line.substr(b, i - b));
  }
  return out;
}

bool parse_unsigned(std::string_view s, unsigned& out) {
  if (s.empty() || s.size() > 9) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

bool is_hex(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::optional<std::vector<KeytabListing>> parse_klist_keytab(std::string_view text) {
  // klist prints a "Keytab name:" line, a column header, a dashed rule, then one entry a line:
  //   KVNO <timestamp, locale-dependent and may contain spaces> PRINCIPAL (ENCTYPE)  (0xKEY)
  // so an entry is parsed from both ends: kvno first, key/enctype/principal last.
  std::vector<KeytabListing> out;
  bool in_body = false;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (!in_body) {
      in_body = line.rfind("----", 0) == 0;
      continue;
    }
    const auto t = split_ws(line);
    if (t.empty()) continue;
    if (t.size() < 5) return std::nullopt;
    KeytabListing e;
    const std::string& key = t[t.size() - 1];
    const std::string& enc = t[t.size() - 2];
    if (!parse_unsigned(t[0], e.kvno)) return std::nullopt;
    if (key.size() < 5 || key.rfind("(0x", 0) != 0 || key.back() != ')') return std::nullopt;
    e.key_hex = lower(key.substr(3, key.size() - 4));
    if (!is_hex(e.key_hex)) return std::nullopt;
    if (enc.size() < 3 || enc.front() != '(' || enc.back() != ')') return std::nullopt;
    e.enctype = enc.substr(1, enc.size() - 2);
    constexpr std::string_view kDeprecated = "DEPRECATED:";
    if (e.enctype.rfind(kDeprecated, 0) == 0) e.enctype.erase(0, kDeprecated.size());
    e.principal = t[t.size() - 3];
    out.push_back(std::move(e));
  }
  if (!in_body) return std::nullopt;
  return out;
}

std::optional<std::vector<DbKeyInfo>> parse_tabdump_keyinfo(std::string_view text) {
  // Tab-separated with a header: name keyindex kvno enctype salttype salt; salt is hex, or -1
  // when the key has no stored salt (the default salt applies).
  std::vector<DbKeyInfo> out;
  bool header = true;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::size_t start = 0;
    for (auto tab = line.find('\t');; tab = line.find('\t', start)) {
      f.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (header) {
      if (f.size() != 6 || f[0] != "name" || f[5] != "salt") return std::nullopt;
      header = false;
      continue;
    }
    if (f.size() != 6) return std::nullopt;
    DbKeyInfo k;
    k.principal = f[0];
    if (!parse_unsigned(f[2], k.kvno)) return std::nullopt;
    k.enctype = f[3];
    k.salttype = f[4];
    if (f[5] != "-1") {
      const auto bytes = krb::from_hex(f[5]);
      if (!bytes) return std::nullopt;
      k.salt = std::string(krb::as_chars(*bytes));
    }
    out.push_back(std::move(k));
  }
  if (header) return std::nullopt;
  return out;
}

MitRealm::MitRealm(MitRealmOptions opts) : opts_(std::move(opts)), dir_("kdcperf-mit") {}

MitRealm::~MitRealm() {
  stop();
}

const std::vector<std::string>& MitRealm::required_tools() {
  static const std::vector<std::string> tools = {"kdb5_util", "kadmin.local", "krb5kdc",
                                                 "kinit",     "klist",        "kvno"};
  return tools;
}

bool MitRealm::require_tools() {
  for (const auto& t : required_tools()) {
    if (!require_tool(t)) return false;
  }
  return true;
}

EnvVars MitRealm::env() const {
  EnvVars e = {{"KRB5_CONFIG", krb5_conf_path()},
               {"KRB5_KDC_PROFILE", kdc_conf_path()},
               {"KRB5CCNAME", "FILE:" + ccache_path()},
               {"KRB5RCACHEDIR", dir_.path()},
               {"LC_ALL", "C"},
               {"TZ", "UTC"}};
  if (opts_.trace) e.emplace_back("KRB5_TRACE", trace_path());
  return e;
}

::testing::AssertionResult MitRealm::write_configs() {
  std::vector<std::string> libdefaults = opts_.extra_libdefaults;
  if (!opts_.client_enctypes.empty()) {
    libdefaults.push_back("permitted_enctypes = " + opts_.client_enctypes);
    libdefaults.push_back("default_tkt_enctypes = " + opts_.client_enctypes);
  }
  // MIT sends over UDP first unless the request exceeds udp_preference_limit bytes; a limit of
  // 1 makes every request go over TCP.
  if (opts_.force_tcp) libdefaults.push_back("udp_preference_limit = 1");

  const std::vector<std::pair<std::string, std::string>> vars = {
      {"REALM", opts_.realm},
      {"PORT", std::to_string(port_)},
      {"DIR", dir_.path()},
      {"SUPPORTED_ENCTYPES", opts_.supported_enctypes},
      {"MAX_LIFE", opts_.max_life},
      {"MAX_RENEWABLE_LIFE", opts_.max_renewable_life},
      {"LIBDEFAULTS", join_lines(libdefaults, "  ")},
      {"REALM_EXTRA", join_lines(opts_.extra_realm, "    ")},
  };
  std::string krb5, kdc;
  auto r = fill_template(source_path("scripts/templates/mit-krb5.conf.in"), vars, krb5);
  if (!r) return r;
  r = fill_template(source_path("scripts/templates/mit-kdc.conf.in"), vars, kdc);
  if (!r) return r;
  if (!write_text_file(krb5_conf_path(), krb5) || !write_text_file(kdc_conf_path(), kdc) ||
      !write_text_file(dir_.file("kadm5.acl"), "")) {
    return ::testing::AssertionFailure() << "cannot write configs in " << dir_.path();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MitRealm::create() {
  if (!dir_.ok()) return ::testing::AssertionFailure() << "mkdtemp failed";
  if (created_) return ::testing::AssertionFailure() << "realm already created";
  port_ = find_free_port();
  if (port_ == 0) return ::testing::AssertionFailure() << "no free loopback port";
  if (auto r = write_configs(); !r) return r;
  RunOptions o;
  o.env = env();
  o.timeout = kAdminTimeout;
  const RunResult res =
      run({"kdb5_util", "-r", opts_.realm, "create", "-s", "-P", opts_.master_password}, o);
  if (!res.ok()) return ::testing::AssertionFailure() << "kdb5_util create: " << res.describe();
  created_ = true;
  return ::testing::AssertionSuccess();
}

RunResult MitRealm::kadmin(std::string_view query) {
  RunOptions o;
  o.env = env();
  o.timeout = kAdminTimeout;
  return run({"kadmin.local", "-r", opts_.realm, "-q", std::string(query)}, o);
}

::testing::AssertionResult MitRealm::kadmin_expect(std::string_view query,
                                                   std::string_view marker) {
  if (!created_) return ::testing::AssertionFailure() << "realm not created";
  const RunResult r = kadmin(query);
  if (!r.ok() ||
      (r.out.find(marker) == std::string::npos && r.out_err.find(marker) == std::string::npos)) {
    return ::testing::AssertionFailure()
           << "kadmin.local -q '" << query << "' (expected '" << marker << "'): " << r.describe();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MitRealm::add_principal(std::string_view name, std::string_view password,
                                                   std::string_view options) {
  const bool quotable = std::none_of(password.begin(), password.end(), [](unsigned char c) {
    return c == '"' || c == '\\' || c < 0x20 || c == 0x7f;
  });
  if (!quotable || password.empty()) {
    return ::testing::AssertionFailure() << "password cannot be passed to kadmin.local -q";
  }
  std::string q = "addprinc -pw \"" + std::string(password) + "\" ";
  if (!options.empty()) q += std::string(options) + " ";
  q += std::string(name);
  return kadmin_expect(q, "\" created.");
}

::testing::AssertionResult MitRealm::add_random_principal(std::string_view name,
                                                          std::string_view options) {
  std::string q = "addprinc -randkey ";
  if (!options.empty()) q += std::string(options) + " ";
  q += std::string(name);
  return kadmin_expect(q, "\" created.");
}

::testing::AssertionResult MitRealm::extract_keytab(std::string_view principal,
                                                    const std::string& keytab_path) {
  return kadmin_expect("ktadd -norandkey -k " + keytab_path + " " + std::string(principal),
                       "added to keytab");
}

::testing::AssertionResult MitRealm::start(milliseconds timeout) {
  if (!created_) return ::testing::AssertionFailure() << "realm not created";
  if (kdc_.started()) return ::testing::AssertionFailure() << "KDC already running";
  std::string last_log;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    if (attempt > 0) {
      // The port was taken between find_free_port() and krb5kdc's bind: pick another one.
      port_ = find_free_port();
      if (port_ == 0) return ::testing::AssertionFailure() << "no free loopback port";
      if (auto r = write_configs(); !r) return r;
    }
    // The KDC appends to its log; remember where this run starts.
    const std::size_t log_start = read_text_file(kdc_log_path()).value_or("").size();
    kdc_ = ProcessGuard::start({"krb5kdc", "-n", "-r", opts_.realm}, env(), kdc_stdout_path());
    if (!kdc_.started()) return ::testing::AssertionFailure() << "krb5kdc: " << kdc_.error();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string log = read_text_file(kdc_log_path()).value_or("");
      last_log = log.size() > log_start ? log.substr(log_start) : "";
      // krb5kdc logs this after its sockets are bound, right before its event loop.
      if (last_log.find("commencing operation") != std::string::npos) {
        return ::testing::AssertionSuccess();
      }
      if (!kdc_.running()) break;
      std::this_thread::sleep_for(milliseconds(20));
    }
    const std::string how = kdc_.stop();
    if (last_log.find("Address already in use") == std::string::npos) {
      const std::string out = read_text_file(kdc_stdout_path()).value_or("");
      return ::testing::AssertionFailure()
             << "krb5kdc did not come up on port " << port_ << " (" << how << "); log: ["
             << last_log << "] output: [" << out << "]";
    }
  }
  return ::testing::AssertionFailure() << "krb5kdc: no usable port; log: [" << last_log << "]";
}

std::string MitRealm::stop() {
  return kdc_.stop();
}

RunResult MitRealm::client(const std::vector<std::string>& argv,
                           std::optional<std::string> stdin_data, const EnvVars& extra_env) {
  RunOptions o;
  o.env = env();
  merge_env(o.env, extra_env);
  o.stdin_data = std::move(stdin_data);
  o.timeout = kClientTimeout;
  return run(argv, o);
}

RunResult MitRealm::kinit(std::string_view principal, std::string_view password,
                          const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {"kinit"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.emplace_back(principal);
  return client(argv, std::string(password) + "\n");
}

std::optional<std::vector<KeytabListing>> MitRealm::list_keytab(const std::string& path) {
  const RunResult r = client({"klist", "-k", "-e", "-K", "-t", path});
  if (!r.ok()) {
    ADD_FAILURE() << "klist -k " << path << ": " << r.describe();
    return std::nullopt;
  }
  auto parsed = parse_klist_keytab(r.out);
  if (!parsed) ADD_FAILURE() << "cannot parse klist -k output: [" << r.out << "]";
  return parsed;
}

std::optional<std::vector<DbKeyInfo>> MitRealm::db_key_info() {
  RunOptions o;
  o.env = env();
  o.timeout = kAdminTimeout;
  const RunResult r = run({"kdb5_util", "-r", opts_.realm, "tabdump", "keyinfo"}, o);
  if (!r.ok()) {
    ADD_FAILURE() << "kdb5_util tabdump keyinfo: " << r.describe();
    return std::nullopt;
  }
  auto parsed = parse_tabdump_keyinfo(r.out);
  if (!parsed) ADD_FAILURE() << "cannot parse tabdump output: [" << r.out << "]";
  return parsed;
}

std::size_t MitRealm::count_kdc_log(std::string_view needle) const {
  const std::string log = read_text_file(kdc_log_path()).value_or("");
  std::size_t n = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

}  // namespace kdcperf::testing
