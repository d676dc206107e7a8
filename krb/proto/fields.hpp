// Internal to krb/proto (not included by users): the field shape RFC 4120 repeats in every
// type, `name [n] EXPLICIT T` inside a SEQUENCE, required or OPTIONAL, read strictly in
// order; and its mirror for the backwards writer.
//
// Decoding: each helper consumes one field from the SEQUENCE reader `seq`, checks that the
// [n] wrapper holds exactly one element, and stores the value. An OPTIONAL field that is not
// next is absent (the optional is reset); a field out of order is then left over and the
// caller's final expect_end() reports kTrailingData.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/der/reader.hpp"
#include "krb/der/tag.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/static_vector.hpp"

namespace kdcperf::krb::proto::detail {

// Opens the required field `tag`. Absent (the SEQUENCE ended, or a later field comes next)
// is kMissingField; any other tag is kBadTag.
KRB_ALWAYS_INLINE Result<der::Reader> open_field(der::Reader& seq, der::Tag tag) {
  if (!seq.next_is(tag)) [[unlikely]] {
    const auto next = seq.peek_tag();
    if (!next || ((*next & 0xc0) == der::kClassContext && *next > tag)) {
      return seq.error_here(Err::kMissingField);
    }
    return seq.error_here(Err::kBadTag);
  }
  return seq.read(tag);
}

// A Reader member that reads one primitive element, e.g. &der::Reader::read_int32.
template <class V>
using ReadFn = Result<V> (der::Reader::*)();

// [n] { primitive } required. T may be an enum over V's integer type.
template <class T, class V>
KRB_ALWAYS_INLINE Status field(der::Reader& seq, der::Tag tag, T* out, ReadFn<V> read) {
  KRB_ASSIGN_OR_RETURN(der::Reader in, open_field(seq, tag));
  KRB_ASSIGN_OR_RETURN(V v, (in.*read)());
  *out = static_cast<T>(v);
  return in.expect_end();
}

// [n] { primitive } OPTIONAL.
template <class T, class V>
KRB_ALWAYS_INLINE Status optional_field(der::Reader& seq, der::Tag tag, std::optional<T>* out,
                                        ReadFn<V> read) {
  if (!seq.next_is(tag)) {
    out->reset();
    return ok_status();
  }
  KRB_ASSIGN_OR_RETURN(der::Reader in, seq.read(tag));
  KRB_ASSIGN_OR_RETURN(V v, (in.*read)());
  *out = static_cast<T>(v);
  return in.expect_end();
}

// A decoder of one constructed element: reads it from the reader, fills *out.
template <class T>
using DecodeFn = Status (*)(der::Reader&, T*);

// [n] { constructed } required.
template <class T>
KRB_ALWAYS_INLINE Status struct_field(der::Reader& seq, der::Tag tag, T* out, DecodeFn<T> decode) {
  KRB_ASSIGN_OR_RETURN(der::Reader in, open_field(seq, tag));
  KRB_RETURN_IF_ERROR(decode(in, out));
  return in.expect_end();
}

// [n] { constructed } OPTIONAL.
template <class T>
KRB_ALWAYS_INLINE Status optional_struct_field(der::Reader& seq, der::Tag tag,
                                               std::optional<T>* out, DecodeFn<T> decode) {
  if (!seq.next_is(tag)) {
    out->reset();
    return ok_status();
  }
  KRB_ASSIGN_OR_RETURN(der::Reader in, seq.read(tag));
  KRB_RETURN_IF_ERROR(decode(in, &out->emplace()));
  return in.expect_end();
}

// A required [n] INTEGER that must hold one value (pvno 5, msg-type): `mismatch` otherwise.
KRB_ALWAYS_INLINE Status fixed_int_field(der::Reader& seq, der::Tag tag, std::int32_t expected,
                                         Err mismatch) {
  const std::uint32_t at = seq.offset();
  std::int32_t v = 0;
  KRB_RETURN_IF_ERROR(field(seq, tag, &v, &der::Reader::read_int32));
  if (v != expected) return Error{mismatch, at};
  return ok_status();
}

// SEQUENCE OF: reads the SEQUENCE element from r and each child with decode_one, which must
// consume exactly one element from the SEQUENCE reader it is given. More than N children is
// kTooMany.
template <class T, std::size_t N, class DecodeOne>
Status sequence_of(der::Reader& r, StaticVector<T, N>* out, DecodeOne&& decode_one) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  out->clear();
  while (!seq.empty()) {
    T* slot = out->emplace_back();
    if (slot == nullptr) return seq.error_here(Err::kTooMany);
    KRB_RETURN_IF_ERROR(decode_one(seq, slot));
  }
  return ok_status();
}

// Decodes a whole input that must be exactly one element (a padata-value, a decrypted
// plaintext, e-data): a fresh reader, so the nesting depth restarts, and nothing may follow.
template <class T>
Status decode_whole(ByteView in, T* out, DecodeFn<T> decode) {
  der::Reader r(in);
  KRB_RETURN_IF_ERROR(decode(r, out));
  return r.expect_end();
}

// The bytes consumed from `before` (a reader's rest() before a read) up to `after`.
inline ByteView consumed(ByteView before, const der::Reader& after) {
  return before.first(before.size() - after.remaining());
}

// ---- Encoding: every helper prepends one whole [n] field (the writer runs backwards). ----

inline void put_int(der::Writer& w, der::Tag tag, std::int64_t v) {
  const std::size_t end = w.mark();
  w.integer(v);
  w.wrap(tag, end);
}
inline void put_time(der::Writer& w, der::Tag tag, std::int64_t unix_seconds) {
  const std::size_t end = w.mark();
  w.kerberos_time(unix_seconds);
  w.wrap(tag, end);
}
inline void put_string(der::Writer& w, der::Tag tag, std::string_view s) {
  const std::size_t end = w.mark();
  w.general_string(s);
  w.wrap(tag, end);
}
inline void put_octets(der::Writer& w, der::Tag tag, ByteView v) {
  const std::size_t end = w.mark();
  w.octet_string(v);
  w.wrap(tag, end);
}
inline void put_flags(der::Writer& w, der::Tag tag, std::uint32_t flags) {
  const std::size_t end = w.mark();
  w.kerberos_flags(flags);
  w.wrap(tag, end);
}
// [n] around whatever encode() prepends.
template <class Encode>
void put_explicit(der::Writer& w, der::Tag tag, Encode&& encode) {
  const std::size_t end = w.mark();
  encode();
  w.wrap(tag, end);
}
// SEQUENCE OF: children are prepended last to first so they come out in order.
template <class T, class EncodeOne>
void put_sequence_of(der::Writer& w, std::span<const T> items, EncodeOne&& encode_one) {
  const std::size_t end = w.mark();
  for (std::size_t i = items.size(); i-- > 0;) encode_one(w, items[i]);
  w.wrap(der::kSequence, end);
}

}  // namespace kdcperf::krb::proto::detail
