// Byte views and small conversions used across libkrb. Borrowed bytes are std::span<const
// std::byte>; OpenSSL wants unsigned char, so u8() converts at the call site.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kdcperf::krb {

using ByteView = std::span<const std::byte>;
using MutableByteView = std::span<std::byte>;
using Buffer = std::vector<std::byte>;

inline const unsigned char* u8(ByteView v) {
  return reinterpret_cast<const unsigned char*>(v.data());
}
inline unsigned char* u8(MutableByteView v) {
  return reinterpret_cast<unsigned char*>(v.data());
}

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

inline bool equal(ByteView a, ByteView b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// Big-endian loads and stores through memcpy (safe on unaligned data).
inline std::uint16_t load_be16(const std::byte* p) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) |
                                    std::to_integer<unsigned>(p[1]));
}
inline std::uint32_t load_be32(const std::byte* p) {
  return (std::to_integer<std::uint32_t>(p[0]) << 24) |
         (std::to_integer<std::uint32_t>(p[1]) << 16) |
         (std::to_integer<std::uint32_t>(p[2]) << 8) | std::to_integer<std::uint32_t>(p[3]);
}
inline void store_be16(std::byte* p, std::uint16_t v) {
  p[0] = std::byte(v >> 8);
  p[1] = std::byte(v & 0xff);
}
inline void store_be32(std::byte* p, std::uint32_t v) {
  p[0] = std::byte(v >> 24);
  p[1] = std::byte((v >> 16) & 0xff);
  p[2] = std::byte((v >> 8) & 0xff);
  p[3] = std::byte(v & 0xff);
}

// Hex for test vectors and diagnostics (never for keys in logs). Whitespace is ignored;
// returns nullopt on an odd count or a non-hex character.
std::optional<Buffer> from_hex(std::string_view hex);
// The same over the text of a krb/testdata *.hex file: lines that start with '#' are comments.
std::optional<Buffer> from_hex_text(std::string_view text);
std::string to_hex(ByteView v);

}  // namespace kdcperf::krb
