// Keys from passwords and random bytes (RFC 3961 §3, RFC 3962 §4, RFC 8009 §4, RFC 4757 §2).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/rng.hpp"
#include "krb/crypto/key.hpp"

namespace kdcperf::krb::crypto {

// string-to-key with the salt and s2kparams as PA-ETYPE-INFO2 carries them. Empty s2kparams
// means the enctype's default iteration count; otherwise exactly 4 bytes, big-endian, as MIT
// checks them (nonzero, not below the default, below 0x1000000): else Err::kBadS2kParams.
// RC4-HMAC ignores the salt (key = MD4(UTF-16LE(password))) and takes no s2kparams.
Result<Key> string_to_key(Enctype etype, std::string_view password, std::string_view salt,
                          ByteView s2kparams = {});

// The default salt of RFC 4120 §4: the realm followed by the name components, no separators.
std::string default_salt(std::string_view realm, std::span<const std::string_view> components);

// random-to-key (RFC 3961 §3; identity for AES and RC4): random must be key_bytes long.
Result<Key> random_to_key(Enctype etype, ByteView random);

// A fresh session key from the RNG (libsodium's CSPRNG in production).
Result<Key> make_random_key(Enctype etype, Rng& rng);

}  // namespace kdcperf::krb::crypto
