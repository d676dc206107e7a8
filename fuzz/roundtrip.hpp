// The check every message fuzzer makes (as BoringSSL's der_roundtrip does): whatever the
// decoder accepts must encode, decode again, and encode to the same bytes. Tolerated input
// forms (a short KerberosFlags, a 5-byte nonce) may change on the first encode, never after.
#pragma once

#include <cstdlib>

#include "krb/base/bytes.hpp"
#include "krb/der/writer.hpp"

namespace kdcperf::fuzz {

// decode(ByteView, T*) -> Status; encode(der::Writer&, const T&). Returns whether the input
// decoded (so a fuzzer can go on to inner fields).
template <class T, class Decode, class Encode>
bool check_roundtrip(krb::ByteView in, T* decoded, Decode&& decode, Encode&& encode) {
  if (!decode(in, decoded).ok()) return false;
  krb::der::Writer first(256);
  encode(first, *decoded);
  if (!first.ok()) std::abort();
  const krb::Buffer once(first.view().begin(), first.view().end());
  T again{};
  if (!decode(krb::ByteView(once), &again).ok()) std::abort();  // we emitted what we reject
  krb::der::Writer second(256);
  encode(second, again);
  if (!krb::equal(once, second.view())) std::abort();  // encoding is not stable
  return true;
}

inline krb::ByteView view_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

}  // namespace kdcperf::fuzz
