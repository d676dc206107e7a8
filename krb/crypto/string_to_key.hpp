// Keys from passwords and random bytes (RFC 3961 §3, RFC 3962 §4, RFC 8009 §4, RFC 4757 §2).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/rng.hpp"
#include "krb/crypto/key.hpp"

namespace kdcperf::krb::crypto {

// string-to-key with the salt and s2kparams as PA-ETYPE-INFO2 carries them. Empty s2kparams
// means the enctype's default iteration count; otherwise exactly 4 bytes, big-endian, nonzero
// and below kMaxS2kIterations, else Err::kBadS2kParams. Counts below the default are accepted
// here (RFC 3962 Appendix B uses 1, 2, 5, 50 and 1200): a client that takes s2kparams from a
// KDC must first apply check_s2kparams_policy().
// RC4-HMAC ignores the salt (key = MD4(UTF-16LE(password)), RFC 4757 §2; a password that is
// not valid UTF-8 is Err::kBadString) and takes no s2kparams.
Result<Key> string_to_key(Enctype etype, std::string_view password, std::string_view salt,
                          ByteView s2kparams = {});

// MIT's limit (s2k_pbkdf2.c): counts of 2^24 and more are refused outright. Also a bound on the
// CPU a hostile KDC can make a client spend.
inline constexpr std::uint32_t kMaxS2kIterations = 0xffffff;

// What MIT kinit accepts from a KDC (KERBEROS-INTEROP.md §1.3): empty, or exactly 4 bytes
// big-endian, nonzero, not below the enctype's default and at most kMaxS2kIterations.
// RC4-HMAC takes no parameters. Else Err::kBadS2kParams (Err::kUnknownEnctype for others).
Status check_s2kparams_policy(Enctype etype, ByteView s2kparams);

// The iteration count s2kparams select (the default when empty), with string_to_key's checks.
Result<std::uint32_t> s2k_iterations(Enctype etype, ByteView s2kparams);

// The default salt of RFC 4120 §4: the realm followed by the name components, no separators.
std::string default_salt(std::string_view realm, std::span<const std::string_view> components);

// random-to-key (RFC 3961 §3; identity for AES and RC4): random must be key_bytes long.
Result<Key> random_to_key(Enctype etype, ByteView random);

// A fresh session key from the RNG (libsodium's CSPRNG in production).
Result<Key> make_random_key(Enctype etype, Rng& rng);

}  // namespace kdcperf::krb::crypto
