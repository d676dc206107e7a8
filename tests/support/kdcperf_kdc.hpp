// kdcperf-kdc in a test: started on a free loopback port with the arguments a test gives,
// awaited until it logs "listening on", stopped by PID (SIGTERM, so it prints its final
// counters). Also writes MIT client configs that point at it.
//
//   KdcperfKdc kdc;
//   ASSERT_TRUE(kdc.start({"--users", "3", "--etypes", "18,17"}));
//   MitClientOptions c; c.tcp = true;
//   RunResult r = kdc.kinit("user1", "pw-1", c);
//   auto stats = kdc.stop_and_read_stats();   // the KDC's own counters, JSON text
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/process.hpp"

namespace kdcperf::testing {

struct MitClientOptions {
  std::string enctypes;  // default_tkt_enctypes/permitted_enctypes (MIT names); empty: MIT's
  bool tcp = false;      // udp_preference_limit = 1 (MIT) and a "tcp/" KDC entry (Heimdal)
  bool timesync = true;  // kdc_timesync
  std::string ccache_name = "ccache";
  bool heimdal = false;  // the config is for Heimdal's clients
};

class KdcperfKdc {
 public:
  explicit KdcperfKdc(std::string realm = "KDCPERF.TEST");
  ~KdcperfKdc();
  KdcperfKdc(const KdcperfKdc&) = delete;
  KdcperfKdc& operator=(const KdcperfKdc&) = delete;

  static std::string program();  // the built kdcperf-kdc

  // Starts it on 127.0.0.1 with `args` added (not --realm/--listen). Retries on a fresh port
  // when the chosen one was taken.
  ::testing::AssertionResult start(const std::vector<std::string>& args,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // SIGTERM; returns the JSON counters it printed on stdout (nullopt if none).
  std::optional<std::string> stop_and_read_stats();
  bool running() { return guard_.running(); }
  pid_t pid() const { return guard_.pid(); }

  // krb5.conf for MIT clients pointing at this KDC; returns its path.
  std::string write_client_config(const MitClientOptions& c);
  // MIT kinit with the password on stdin, under a config made from `c`.
  RunResult kinit(std::string_view principal, std::string_view password,
                  const MitClientOptions& c = {});
  // MIT klist -e -f of the ccache `c` names.
  RunResult klist(const MitClientOptions& c = {});
  EnvVars client_env(const MitClientOptions& c);

  const std::string& realm() const { return realm_; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const TempDir& dir() const { return dir_; }
  std::string log() const;

 private:
  std::string realm_;
  TempDir dir_;
  int port_ = 0;
  ProcessGuard guard_;
};

}  // namespace kdcperf::testing
