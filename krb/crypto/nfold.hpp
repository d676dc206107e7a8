// n-fold (RFC 3961 §5.1): stretch or shrink a constant to n bits by rotating copies 13 bits
// at a time and adding them with ones'-complement addition.
#pragma once

#include "krb/base/bytes.hpp"

namespace kdcperf::krb::crypto {

// Folds `in` into out.size() bytes (n = 8 * out.size()). `in` must not be empty.
// Inputs here are short constants (usage|0x99, "kerberos", "prf"), so the lcm-sized work is
// tiny; lengths are capped by kMaxNfoldBytes so a bad call cannot run away.
inline constexpr std::size_t kMaxNfoldBytes = 64;
bool nfold(ByteView in, MutableByteView out);

}  // namespace kdcperf::krb::crypto
