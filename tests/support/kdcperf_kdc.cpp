#include "tests/support/kdcperf_kdc.hpp"

#include <thread>

namespace kdcperf::testing {

KdcperfKdc::KdcperfKdc(std::string realm) : realm_(std::move(realm)), dir_("kdcperf-kdc") {}

KdcperfKdc::~KdcperfKdc() {
  guard_.stop();
}

std::string KdcperfKdc::program() {
  return std::string(KDCPERF_BINARY_DIR) + "/kdc/kdcperf-kdc";
}

std::string KdcperfKdc::log() const {
  return read_text_file(dir_.file("kdc.err")).value_or("");
}

::testing::AssertionResult KdcperfKdc::start(const std::vector<std::string>& args,
                                             std::chrono::milliseconds timeout) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = find_free_port();
    if (port_ <= 0) return ::testing::AssertionFailure() << "no free port";
    std::vector<std::string> argv = {program(), "--realm", realm_, "--listen", address()};
    argv.insert(argv.end(), args.begin(), args.end());
    // stdout (the final counters) and stderr (the log) go to separate files: the shell does the
    // split, since ProcessGuard sends both streams to one file.
    std::string cmd = "exec";
    for (const auto& a : argv) cmd += " '" + a + "'";
    cmd += " >'" + dir_.file("kdc.out") + "' 2>'" + dir_.file("kdc.err") + "'";
    guard_ = ProcessGuard::start({"/bin/sh", "-c", cmd}, {}, "");
    if (!guard_.started()) return ::testing::AssertionFailure() << guard_.error();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string text = log();
      if (text.find("listening on") != std::string::npos) return ::testing::AssertionSuccess();
      if (!guard_.running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::string text = log();
    guard_.stop();
    if (text.find("Address already in use") == std::string::npos) {
      return ::testing::AssertionFailure() << "kdcperf-kdc did not start: " << text;
    }
  }
  return ::testing::AssertionFailure() << "kdcperf-kdc: no port could be bound";
}

std::optional<std::string> KdcperfKdc::stop_and_read_stats() {
  guard_.stop(std::chrono::milliseconds(10000));
  auto out = read_text_file(dir_.file("kdc.out"));
  if (!out || out->find('{') == std::string::npos) return std::nullopt;
  return out;
}

std::string KdcperfKdc::write_client_config(const MitClientOptions& c) {
  std::string conf = "[libdefaults]\n  default_realm = " + realm_ +
                     "\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n"
                     "  rdns = false\n  kdc_timesync = " +
                     std::string(c.timesync ? "1" : "0") + "\n";
  if (!c.enctypes.empty()) {
    conf +=
        "  default_tkt_enctypes = " + c.enctypes + "\n  permitted_enctypes = " + c.enctypes + "\n";
  }
  if (c.tcp) conf += "  udp_preference_limit = 1\n";
  // MIT reads udp_preference_limit; Heimdal ignores it but honours a "tcp/" prefix, which
  // MIT's parser would take for a host name.
  const bool heimdal_tcp = c.tcp && c.heimdal;
  conf += "[realms]\n  " + realm_ + " = {\n    kdc = " + (heimdal_tcp ? "tcp/" : "") + address() +
          "\n  }\n";
  const std::string path = dir_.file("krb5-" + c.ccache_name + ".conf");
  EXPECT_TRUE(write_text_file(path, conf));
  return path;
}

EnvVars KdcperfKdc::client_env(const MitClientOptions& c) {
  return {{"KRB5_CONFIG", write_client_config(c)},
          {"KRB5CCNAME", "FILE:" + dir_.file(c.ccache_name)},
          {"LC_ALL", "C"},
          {"TZ", "UTC"}};
}

RunResult KdcperfKdc::kinit(std::string_view principal, std::string_view password,
                            const MitClientOptions& c) {
  RunOptions o;
  o.env = client_env(c);
  o.stdin_data = std::string(password) + "\n";
  return run({"kinit", std::string(principal)}, o);
}

RunResult KdcperfKdc::klist(const MitClientOptions& c) {
  RunOptions o;
  o.env = client_env(c);
  return run({"klist", "-e", "-f"}, o);
}

}  // namespace kdcperf::testing
