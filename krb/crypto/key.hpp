// A long-term or session key: an enctype and its secret bytes (wiped on destruction).
#pragma once

#include <string>

#include "krb/base/secret.hpp"
#include "krb/crypto/enctype.hpp"

namespace kdcperf::krb::crypto {

struct Key {
  Enctype etype{};
  SecretBytes bytes;

  Key clone() const { return Key{etype, bytes.clone()}; }
  // Safe to log: the enctype name and length only, never the bytes.
  std::string debug_string() const;
};

}  // namespace kdcperf::krb::crypto
