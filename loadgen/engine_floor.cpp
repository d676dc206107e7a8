// kdcperf-engine-floor: kdcperf's engine (loadgen/net) with no Kerberos in it. It sends the same
// captured AS-REQ bytes for every exchange and classifies each reply by its first byte, nothing
// decoded or checked, through the same io_uring worker, one connected socket per request in
// flight, batches and histograms as `kdcperf run`. What it reaches against kdcperf-responder is
// the most kdcperf can reach on the machine, whatever its Kerberos code costs: the difference
// between this and `kdcperf run --verify all` is what building and checking requests costs,
// and the difference between this and kdcperf-plain-generator (one socket) is what a socket
// per request costs (scripts/loadgen-ceiling.sh runs all three in one run).
//
//   kdcperf-engine-floor --kdc 127.0.0.1:PORT [--window 128] [--sockets N] [--duration SECONDS]
//                        [--warmup SECONDS] [--request-hex FILE]
//
// Loopback only (the engine refuses anything else); stops by itself. Prints one JSON line:
// {"replies": N, "seconds": S, "replies_per_s": R, "busiest_worker_cpu": C, "timeouts": T}.
#include <cstdio>
#include <cstring>
#include <string>

#include "loadgen/net/engine.hpp"
#include "loadgen/reference_options.hpp"
#include "loadgen/workload.hpp"

namespace {

namespace krb = kdcperf::krb;
namespace loadgen = kdcperf::loadgen;

// The same request bytes every time; the reply's outer tag (RFC 4120 §5.4.2 [APPLICATION 11],
// §5.9.1 [APPLICATION 30]) is all that is looked at.
class ReplayWorkload final : public loadgen::Workload {
 public:
  explicit ReplayWorkload(krb::Buffer request) : request_(std::move(request)) {}

  krb::Result<std::size_t> start(krb::MutableByteView out, krb::KerberosTimestamp,
                                 loadgen::RequestToken* token) override {
    if (out.size() < request_.size()) return krb::Err::kBufferTooSmall;
    std::memcpy(out.data(), request_.data(), request_.size());
    token->nonce = ++count_;
    token->verify = false;
    return request_.size();
  }
  krb::Result<std::size_t> follow_up(const loadgen::RequestToken&, krb::ByteView,
                                     krb::MutableByteView, krb::KerberosTimestamp,
                                     loadgen::RequestToken*) override {
    return krb::Err::kUnsupported;
  }
  loadgen::Verdict check(const loadgen::RequestToken&, krb::ByteView reply) override {
    loadgen::Verdict v;
    if (!reply.empty() && reply[0] == std::byte{0x6b}) v.kind = loadgen::ReplyKind::kAsRep;
    if (!reply.empty() && reply[0] == std::byte{0x7e}) v.kind = loadgen::ReplyKind::kKrbError;
    return v;
  }

 private:
  krb::Buffer request_;
  std::int64_t count_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  auto options = loadgen::parse_reference_options(argc, argv, true, KDCPERF_SOURCE_DIR);
  if (!options) return 2;
  const double seconds = options->duration_s;  // the measured time, after the warm-up

  loadgen::net::EngineConfig config;
  config.target = options->kdc;
  config.window = static_cast<unsigned>(options->window);
  config.sockets = static_cast<unsigned>(options->sockets);  // 0: the engine's default
  config.duration_ns = static_cast<std::int64_t>(seconds * 1e9);
  config.warmup_ns = static_cast<std::int64_t>(options->warmup_s * 1e9);
  ReplayWorkload workload(std::move(options->request));
  loadgen::Workload* workloads[] = {&workload};
  std::string why;
  const auto result = loadgen::net::run(config, workloads, &why);
  if (!result.ok()) {
    std::fprintf(stderr, "kdcperf-engine-floor: %s\n", why.c_str());
    return 1;
  }
  const auto& c = result->stats.counts;
  std::printf(
      "{\"replies\": %llu, \"seconds\": %.3f, \"replies_per_s\": %.1f, "
      "\"busiest_worker_cpu\": %.3f, \"timeouts\": %llu}\n",
      static_cast<unsigned long long>(c.replies), seconds, static_cast<double>(c.replies) / seconds,
      result->busiest_worker_cpu, static_cast<unsigned long long>(c.timeouts));
  return c.replies > 0 ? 0 : 1;
}
