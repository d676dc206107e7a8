#include "krb/base/bytes.hpp"

namespace kdcperf::krb {
namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<Buffer> from_hex(std::string_view hex) {
  Buffer out;
  out.reserve(hex.size() / 2);
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') continue;
    const int v = hex_value(c);
    if (v < 0) return std::nullopt;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(std::byte((high << 4) | v));
      high = -1;
    }
  }
  if (high >= 0) return std::nullopt;
  return out;
}

std::optional<Buffer> from_hex_text(std::string_view text) {
  std::string digits;
  digits.reserve(text.size());
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    if (line.empty() || line.front() != '#') digits.append(line).push_back('\n');
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
  }
  return from_hex(digits);
}

std::string to_hex(ByteView v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(v.size() * 2);
  for (std::byte b : v) {
    const auto x = std::to_integer<unsigned>(b);
    s.push_back(kDigits[x >> 4]);
    s.push_back(kDigits[x & 15]);
  }
  return s;
}

}  // namespace kdcperf::krb
