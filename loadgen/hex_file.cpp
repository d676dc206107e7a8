#include "loadgen/hex_file.hpp"

#include <cctype>
#include <fstream>

namespace kdcperf::loadgen {

std::optional<krb::Buffer> read_hex_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::string digits;
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line[0] == '#') continue;
    for (const char c : line) {
      if (std::isxdigit(static_cast<unsigned char>(c))) {
        digits += c;
      } else if (!std::isspace(static_cast<unsigned char>(c))) {
        return std::nullopt;
      }
    }
  }
  return krb::from_hex(digits);
}

}  // namespace kdcperf::loadgen
