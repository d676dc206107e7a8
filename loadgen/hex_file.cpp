#include "loadgen/hex_file.hpp"

#include <fstream>
#include <iterator>

namespace kdcperf::loadgen {

std::optional<krb::Buffer> read_hex_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  return krb::from_hex_text(text);
}

}  // namespace kdcperf::loadgen
