// DER identifier octets as Kerberos uses them (X.690 §8.1.2). Kerberos never needs tag numbers
// of 31 or more, so a tag is one octet: class bits, the constructed bit, and the number.
#pragma once

#include <cstdint>

namespace kdcperf::krb::der {

using Tag = std::uint8_t;

inline constexpr Tag kConstructed = 0x20;
inline constexpr Tag kClassUniversal = 0x00;
inline constexpr Tag kClassApplication = 0x40;
inline constexpr Tag kClassContext = 0x80;

// Universal tags used by RFC 4120.
inline constexpr Tag kBoolean = 0x01;
inline constexpr Tag kInteger = 0x02;
inline constexpr Tag kBitString = 0x03;
inline constexpr Tag kOctetString = 0x04;
inline constexpr Tag kSequence = 0x30;  // constructed
inline constexpr Tag kGeneralizedTime = 0x18;
inline constexpr Tag kGeneralString = 0x1b;

// [n] EXPLICIT field of a SEQUENCE: context class, constructed.
constexpr Tag ctx(unsigned n) {
  return static_cast<Tag>(kClassContext | kConstructed | n);
}
// [APPLICATION n] message or type tag: application class, constructed.
constexpr Tag app(unsigned n) {
  return static_cast<Tag>(kClassApplication | kConstructed | n);
}

}  // namespace kdcperf::krb::der
