// The command line kdcperf's two reference generators share (kdcperf-plain-generator,
// kdcperf-engine-floor: what kdcperf's own ceiling is read against, scripts/loadgen-ceiling.sh),
// and the request they send, read from a krb/testdata .hex file.
#pragma once

#include <optional>
#include <string>

#include "io/address.hpp"
#include "krb/base/bytes.hpp"

namespace kdcperf::loadgen {

struct ReferenceOptions {
  io::SocketAddress kdc;
  krb::Buffer request;  // the same bytes every exchange
  long window = 128;    // requests in flight
  long sockets = 0;     // the engine's socket pool (0: its default); engine floor only
  double duration_s = 5;
  double warmup_s = 1;  // engine floor only
};

// Parses --kdc ADDR:PORT (required), --window N, --duration SECONDS, --request-hex FILE, and,
// when `engine` is set, --sockets N and --warmup SECONDS; reads the request (by default MIT's
// captured pre-authenticated AS-REQ under `source_dir`). nullopt, with why on stderr, on an
// unknown option, a value out of range, or no request.
std::optional<ReferenceOptions> parse_reference_options(int argc, char** argv, bool engine,
                                                        const std::string& source_dir);

}  // namespace kdcperf::loadgen
