// The benchmarks' captured inputs: a krb/testdata *.hex file by its path in the source tree.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include "krb/base/bytes.hpp"

namespace kdcperf::bench {

// The bytes; empty if the file is missing or malformed (the benchmark then skips with an error).
inline krb::Buffer read_testdata_hex(const std::string& relative) {
  std::ifstream in(std::string(KDCPERF_SOURCE_DIR) + "/" + relative);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return krb::from_hex_text(text).value_or(krb::Buffer{});
}

}  // namespace kdcperf::bench
