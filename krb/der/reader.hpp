// A bounded DER reader over borrowed bytes (in the manner of BoringSSL's CBS).
//
// A Reader is a cheap view {data, size, depth}. Each read checks the tag and the length
// against what remains and against explicit Limits, advances past the element, and returns
// either a value that borrows from the input or an Err with the offset it failed at. Only
// definite, minimal lengths are accepted. Kerberos leniencies (a 5-byte unsigned nonce, any
// length of KerberosFlags) have their own named functions so the strict path stays strict.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/clock.hpp"
#include "krb/base/result.hpp"
#include "krb/der/tag.hpp"

namespace kdcperf::krb::der {

struct Limits {
  // RFC 4120 messages nest about 12 deep (AS-REP → Ticket → EncryptedData → ...); PA-DATA
  // values are decoded with a fresh reader so they do not add to the outer depth.
  std::uint32_t max_depth = 24;
  // MIT's KDC accepts TCP messages of up to 1 MiB; nothing legitimate is larger.
  std::uint32_t max_element = 1u << 20;
};

inline constexpr Limits kDefaultLimits{};

class Reader {
 public:
  Reader() = default;
  explicit Reader(ByteView input, const Limits& limits = kDefaultLimits)
      : data_(input.data()), size_(input.size()), base_(input.data()), limits_(&limits) {}

  bool empty() const { return size_ == 0; }
  std::size_t remaining() const { return size_; }
  ByteView rest() const { return {data_, size_}; }
  // Offset of the next unread byte from the start of the outermost input.
  std::uint32_t offset() const { return static_cast<std::uint32_t>(data_ - base_); }
  std::uint32_t depth() const { return depth_; }

  // The tag of the next element, if any bytes remain.
  std::optional<Tag> peek_tag() const;
  bool next_is(Tag tag) const { return size_ > 0 && static_cast<Tag>(data_[0]) == tag; }

  // Reads an element with exactly this tag; returns a reader over its contents, one level
  // deeper.
  Result<Reader> read(Tag tag);
  // The same for an OPTIONAL field: nullopt when the next tag differs (or nothing remains).
  Result<std::optional<Reader>> read_optional(Tag tag);
  // Reads any element; returns its tag and its whole encoding (tag+length+contents).
  Result<ByteView> read_any(Tag* tag_out = nullptr);
  // The raw encoding of the next element with this tag (for checksums over exact bytes).
  Result<ByteView> read_raw(Tag tag);

  // Primitive contents of the next element, by universal type. Each reads one whole element.
  Result<std::int32_t> read_int32();    // INTEGER in [-2^31, 2^31-1]
  Result<std::uint32_t> read_uint32();  // INTEGER in [0, 2^32-1]
  Result<std::int64_t> read_int64();    // INTEGER in int64 range
  // Kerberos nonce / UInt32 as peers really send it: an INTEGER in [-2^31, 2^32-1]. Heimdal
  // sends negative int32 nonces; a correct encoder sends values >= 2^31 in 5 bytes.
  Result<std::int64_t> read_nonce();
  Result<bool> read_boolean();
  // BER's BOOLEAN: any nonzero octet is TRUE (MIT decodes KERB-PA-PAC-REQUEST this way).
  Result<bool> read_boolean_ber();
  Result<ByteView> read_octet_string();
  Result<std::string_view> read_general_string();  // KerberosString: bytes, no NUL
  // e-text as old MIT KDCs send it (strlen + 1: one trailing NUL, which is dropped). Only for
  // informational text; names and realms stay strict.
  Result<std::string_view> read_general_string_nul_terminated();
  // KerberosTime: exactly "YYYYMMDDHHMMSSZ" (RFC 4120 §5.2.3); "19700101000000Z" is 0.
  Result<std::int64_t> read_kerberos_time();
  // KerberosFlags: BIT STRING of any length (MIT decodes any); bits 0..31 returned in a
  // big-endian u32 (bit 0 is the MSB), further bits ignored.
  Result<std::uint32_t> read_kerberos_flags();

  // Fails with kTrailingData unless every byte has been read.
  Status expect_end() const;

  Error error_here(Err e) const { return Error{e, offset()}; }

 private:
  Reader(const std::byte* d, std::size_t n, const std::byte* base, const Limits* l,
         std::uint32_t depth)
      : data_(d), size_(n), base_(base), limits_(l), depth_(depth) {}
  // Parses tag and length; on success sets *content and *header_len without advancing.
  Status parse_header(Tag* tag, std::size_t* header_len, std::size_t* content_len) const;
  Result<ByteView> read_primitive(Tag tag);

  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  const std::byte* base_ = nullptr;
  const Limits* limits_ = &kDefaultLimits;
  std::uint32_t depth_ = 0;
};

// Decodes the contents octets of an INTEGER (minimal two's complement) into int64.
Result<std::int64_t> decode_integer(ByteView contents, std::uint32_t offset);
// Converts "YYYYMMDDHHMMSSZ" to Unix seconds (4-digit years up to 9999).
Result<std::int64_t> parse_kerberos_time(std::string_view s, std::uint32_t offset);

// The hot path of every decoder, inline so a message decode is straight-line code.

inline Status Reader::parse_header(Tag* tag, std::size_t* header_len,
                                   std::size_t* content_len) const {
  if (size_ < 2) return error_here(Err::kTruncated);
  const auto t = static_cast<Tag>(data_[0]);
  if ((t & 0x1f) == 0x1f) return error_here(Err::kHighTagNumber);
  const auto first = std::to_integer<unsigned>(data_[1]);
  std::size_t len = 0;
  std::size_t hdr = 2;
  if (first < 0x80) {
    len = first;
  } else if (first == 0x80) {
    return error_here(Err::kIndefiniteLength);
  } else {
    const std::size_t n = first & 0x7f;
    if (n > 4) return error_here(Err::kLengthTooLong);
    if (size_ < 2 + n) return error_here(Err::kTruncated);
    if (data_[2] == std::byte{0}) return error_here(Err::kNonMinimalLength);
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | std::to_integer<unsigned>(data_[2 + i]);
    if (len < 0x80) return error_here(Err::kNonMinimalLength);
    hdr = 2 + n;
  }
  if (len > limits_->max_element) return error_here(Err::kElementTooLarge);
  if (len > size_ - hdr) return error_here(Err::kTruncated);
  *tag = t;
  *header_len = hdr;
  *content_len = len;
  return ok_status();
}

inline Result<Reader> Reader::read(Tag tag) {
  Tag t = 0;
  std::size_t hdr = 0, len = 0;
  KRB_RETURN_IF_ERROR(parse_header(&t, &hdr, &len));
  if (t != tag) return error_here(Err::kBadTag);
  if (depth_ + 1 > limits_->max_depth) return error_here(Err::kTooDeep);
  Reader child(data_ + hdr, len, base_, limits_, depth_ + 1);
  data_ += hdr + len;
  size_ -= hdr + len;
  return child;
}

inline Result<ByteView> Reader::read_primitive(Tag tag) {
  Tag t = 0;
  std::size_t hdr = 0, len = 0;
  KRB_RETURN_IF_ERROR(parse_header(&t, &hdr, &len));
  if (t != tag) return error_here(Err::kBadTag);
  ByteView contents{data_ + hdr, len};
  data_ += hdr + len;
  size_ -= hdr + len;
  return contents;
}

inline Result<std::int64_t> decode_integer(ByteView c, std::uint32_t offset) {
  if (c.empty() || c.size() > 8) return Error{Err::kBadInteger, offset};
  const auto b0 = std::to_integer<unsigned>(c[0]);
  if (c.size() > 1) {
    const auto b1 = std::to_integer<unsigned>(c[1]);
    // X.690 §8.3.2: the first nine bits must not be all zeros or all ones.
    if ((b0 == 0x00 && (b1 & 0x80) == 0) || (b0 == 0xff && (b1 & 0x80) != 0)) {
      return Error{Err::kBadInteger, offset};
    }
  }
  std::uint64_t v = (b0 & 0x80) ? ~std::uint64_t{0} : 0;  // sign extension
  for (std::byte b : c) v = (v << 8) | std::to_integer<std::uint64_t>(b);
  return static_cast<std::int64_t>(v);
}

inline Result<std::int64_t> Reader::read_int64() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kInteger));
  return decode_integer(c, at);
}

inline Result<std::int32_t> Reader::read_int32() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(std::int64_t v, read_int64());
  if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max())
    return Error{Err::kBadInteger, at};
  return static_cast<std::int32_t>(v);
}

inline Result<std::uint32_t> Reader::read_uint32() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(std::int64_t v, read_int64());
  if (v < 0 || v > std::numeric_limits<std::uint32_t>::max()) return Error{Err::kBadInteger, at};
  return static_cast<std::uint32_t>(v);
}

inline Status Reader::expect_end() const {
  if (size_ != 0) return error_here(Err::kTrailingData);
  return ok_status();
}

}  // namespace kdcperf::krb::der
