#include "loadgen/reference_options.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "loadgen/hex_file.hpp"

namespace kdcperf::loadgen {

std::optional<ReferenceOptions> parse_reference_options(int argc, char** argv, bool engine,
                                                        const std::string& source_dir) {
  ReferenceOptions o;
  std::string kdc;
  std::string request_file = source_dir + "/krb/testdata/mit/aes256_as_req_preauth.hex";
  const auto usage = [&]() -> std::optional<ReferenceOptions> {
    std::fprintf(stderr,
                 "usage: %s --kdc 127.0.0.1:PORT [--window N] [--duration SECONDS] "
                 "[--request-hex FILE]%s\n",
                 argv[0], engine ? " [--sockets N] [--warmup SECONDS]" : "");
    return std::nullopt;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    if (a == "--kdc") {
      kdc = v;
    } else if (a == "--window") {
      o.window = std::strtol(v, nullptr, 10);
    } else if (a == "--duration") {
      o.duration_s = std::strtod(v, nullptr);
    } else if (a == "--request-hex") {
      request_file = v;
    } else if (engine && a == "--sockets") {
      o.sockets = std::strtol(v, nullptr, 10);
    } else if (engine && a == "--warmup") {
      o.warmup_s = std::strtod(v, nullptr);
    } else {
      return usage();
    }
  }
  const auto target = io::parse_address(kdc);
  if (!target || target->port() == 0 || o.window < 1 || o.window > 65536 || o.sockets < 0 ||
      o.sockets > 65536 || !(o.duration_s > 0) || o.duration_s > 3600 || !(o.warmup_s >= 0) ||
      o.warmup_s > 60) {
    return usage();
  }
  o.kdc = *target;
  o.request = read_hex_file(request_file).value_or(krb::Buffer{});
  if (o.request.empty()) {
    std::fprintf(stderr, "%s: no request in %s\n", argv[0], request_file.c_str());
    return std::nullopt;
  }
  return o;
}

}  // namespace kdcperf::loadgen
