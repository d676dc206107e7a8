// Test-only (header-only, GoogleTest): the hostile-input sweeps every message test runs on
// captured bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/proto/der_tree_testing.hpp"

namespace kdcperf::krb::proto::testing {

// decode(prefix) must fail for every proper prefix. Each prefix is copied into a heap buffer
// of exactly its size, so AddressSanitizer reports any read past it.
template <class Decode>
void expect_every_truncation_fails(ByteView message, Decode&& decode) {
  for (std::size_t n = 0; n < message.size(); ++n) {
    const Buffer prefix(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(n));
    const Status st = decode(ByteView(prefix));
    EXPECT_FALSE(st.ok()) << "a prefix of " << n << " of " << message.size() << " bytes decoded";
  }
}

// For each constructed element of the message, a copy with junk appended inside it (a lone
// byte, and a whole NULL element) must be rejected. Returns how many variants were tried.
template <class Decode>
std::size_t expect_junk_inside_every_element_rejected(ByteView message, Decode&& decode) {
  static constexpr std::byte kByte[] = {std::byte{0x00}};
  static constexpr std::byte kNullElement[] = {std::byte{0x05}, std::byte{0x00}};
  std::size_t tried = 0;
  for (ByteView junk : {ByteView(kByte), ByteView(kNullElement)}) {
    const auto variants = trailing_data_variants(message, junk);
    EXPECT_FALSE(variants.empty()) << "the message does not parse as DER";
    for (std::size_t i = 0; i < variants.size(); ++i) {
      const Status st = decode(ByteView(variants[i]));
      EXPECT_FALSE(st.ok()) << "junk " << to_hex(junk) << " inside constructed element #" << i
                            << " was accepted: " << to_hex(variants[i]);
      ++tried;
    }
  }
  return tried;
}

}  // namespace kdcperf::krb::proto::testing
