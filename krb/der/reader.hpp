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
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/clock.hpp"
#include "krb/base/result.hpp"
#include "krb/der/tag.hpp"

// The per-element hot path (header checks, primitive reads, krb/proto's field helpers) is
// forced inline into each message decoder: left to its heuristics GCC keeps some of these
// calls, and a reader whose address is passed to a call lives in memory, not in registers.
#define KRB_ALWAYS_INLINE [[gnu::always_inline]] inline

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
      : data_(input.data()),
        size_(input.size()),
        base_(input.data()),
        max_element_(limits.max_element),
        max_depth_(limits.max_depth) {}

  bool empty() const { return size_ == 0; }
  std::size_t remaining() const { return size_; }
  ByteView rest() const { return {data_, size_}; }
  // Offset of the next unread byte from the start of the outermost input.
  std::uint32_t offset() const { return static_cast<std::uint32_t>(data_ - base_); }
  std::uint32_t depth() const { return depth_; }

  // The tag of the next element, if any bytes remain.
  std::optional<Tag> peek_tag() const {
    if (size_ == 0) return std::nullopt;
    return static_cast<Tag>(data_[0]);
  }
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
  Reader(const std::byte* d, std::size_t n, const Reader& parent)
      : data_(d),
        size_(n),
        base_(parent.base_),
        max_element_(parent.max_element_),
        max_depth_(parent.max_depth_),
        depth_(parent.depth_ + 1) {}
  // Parses tag and length; on success sets *tag, *header_len and *content_len without
  // advancing.
  Status parse_header(Tag* tag, std::size_t* header_len, std::size_t* content_len) const;
  // The inline hot path of read() and read_primitive(): true when the next element has this
  // tag and a header parse_header() accepts. On false the caller returns header_error(),
  // out of line, which runs parse_header() so that errors and their order stay the same.
  bool match_header(Tag tag, std::size_t* header_len, std::size_t* content_len) const;
  // Takes scalars: passing the reader itself (by pointer or by value) would keep it in
  // memory on the hot path.
  static Error header_error(const std::byte* data, std::size_t size, std::uint32_t offset,
                            std::uint32_t max_element, Tag tag, bool too_deep);
  Result<ByteView> read_primitive(Tag tag);
  void skip(std::size_t n) {
    data_ += n;
    size_ -= n;
  }

  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  const std::byte* base_ = nullptr;
  // Copied into every reader so that the hot path does not load them through a pointer.
  std::uint32_t max_element_ = kDefaultLimits.max_element;
  std::uint32_t max_depth_ = kDefaultLimits.max_depth;
  std::uint32_t depth_ = 0;
};

// Decodes the contents octets of an INTEGER (minimal two's complement) into int64.
Result<std::int64_t> decode_integer(ByteView contents, std::uint32_t offset);
// Converts "YYYYMMDDHHMMSSZ" to Unix seconds (4-digit years up to 9999).
Result<std::int64_t> parse_kerberos_time(std::string_view s, std::uint32_t offset);

// The hot path of every decoder, inline so a message decode is straight-line code.

KRB_ALWAYS_INLINE bool Reader::match_header(Tag tag, std::size_t* header_len,
                                            std::size_t* content_len) const {
  // Kerberos tags are never of the high-number form, so a match passes that check too.
  if (size_ < 2 || static_cast<Tag>(data_[0]) != tag || (tag & 0x1f) == 0x1f) return false;
  auto len = std::to_integer<std::size_t>(data_[1]);
  std::size_t hdr = 2;
  if (len >= 0x80) {
    // Long form: 1 to 4 length octets, minimal (no leading zero, not below 0x80).
    const std::size_t n = len - 0x80;
    if (n - 1 > 3 || size_ < 2 + n || data_[2] == std::byte{0}) return false;
    len = 0;
    for (std::size_t i = 0; i < n; ++i)
      len = (len << 8) | std::to_integer<std::size_t>(data_[2 + i]);
    if (len < 0x80) return false;
    hdr = 2 + n;
  }
  if (len > max_element_ || len > size_ - hdr) return false;
  *header_len = hdr;
  *content_len = len;
  return true;
}

KRB_ALWAYS_INLINE Result<Reader> Reader::read(Tag tag) {
  std::size_t hdr = 0, len = 0;
  if (!match_header(tag, &hdr, &len) || depth_ + 1 > max_depth_) [[unlikely]] {
    return header_error(data_, size_, offset(), max_element_, tag, depth_ + 1 > max_depth_);
  }
  Reader child(data_ + hdr, len, *this);  // not const: a move out stays in registers
  skip(hdr + len);
  return child;
}

KRB_ALWAYS_INLINE Result<ByteView> Reader::read_primitive(Tag tag) {
  std::size_t hdr = 0, len = 0;
  if (!match_header(tag, &hdr, &len)) [[unlikely]] {
    return header_error(data_, size_, offset(), max_element_, tag, false);
  }
  ByteView contents{data_ + hdr, len};
  skip(hdr + len);
  return contents;
}

KRB_ALWAYS_INLINE Result<std::int64_t> decode_integer(ByteView c, std::uint32_t offset) {
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

KRB_ALWAYS_INLINE Result<std::int64_t> Reader::read_int64() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kInteger));
  return decode_integer(c, at);
}

KRB_ALWAYS_INLINE Result<std::int32_t> Reader::read_int32() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(std::int64_t v, read_int64());
  if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max())
    return Error{Err::kBadInteger, at};
  return static_cast<std::int32_t>(v);
}

KRB_ALWAYS_INLINE Result<std::uint32_t> Reader::read_uint32() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(std::int64_t v, read_int64());
  if (v < 0 || v > std::numeric_limits<std::uint32_t>::max()) return Error{Err::kBadInteger, at};
  return static_cast<std::uint32_t>(v);
}

KRB_ALWAYS_INLINE Result<std::int64_t> Reader::read_nonce() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(std::int64_t v, read_int64());
  if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::uint32_t>::max())
    return Error{Err::kBadInteger, at};
  return v;
}

KRB_ALWAYS_INLINE Result<ByteView> Reader::read_octet_string() {
  return read_primitive(kOctetString);
}

KRB_ALWAYS_INLINE Result<std::string_view> Reader::read_general_string() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kGeneralString));
  // An embedded NUL would let "alice\0x" match "alice" in C-string peers: refuse it.
  if (!c.empty() && std::memchr(c.data(), 0, c.size()) != nullptr) {
    return Error{Err::kBadString, at};
  }
  return as_chars(c);
}

namespace detail {
// Zero exactly when the 8 bytes at p are ASCII digits: each has high nibble 3, and adding 6
// does not carry out of its low nibble. Checks all bytes at once, in any byte order.
inline std::uint64_t non_digits8(const char* p) {
  constexpr std::uint64_t kHigh = 0xf0f0f0f0f0f0f0f0, kZeros = 0x3030303030303030;
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  return ((x & kHigh) ^ kZeros) | (((x + 0x0606060606060606) & kHigh) ^ kZeros);
}
inline unsigned two_digits(const char* p) {
  return (static_cast<unsigned char>(p[0]) - unsigned{'0'}) * 10 +
         (static_cast<unsigned char>(p[1]) - unsigned{'0'});
}

constexpr bool is_leap(unsigned y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's days_from_civil for
// years 0..9999, moved up 400 years (one era) so that all of it is unsigned.
constexpr std::int64_t days_from_civil(unsigned y, unsigned m, unsigned d) {
  y += 400 - (m <= 2 ? 1 : 0);
  const unsigned era = y / 400;
  const unsigned yoe = y - era * 400;
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return std::int64_t{era} * 146097 + doe - 719468 - 146097;
}
}  // namespace detail

inline Result<std::int64_t> parse_kerberos_time(std::string_view s, std::uint32_t offset) {
  // RFC 4120 §5.2.3: no fractional seconds, always UTC ("Z"), so exactly 15 characters.
  if (s.size() != 15 || s[14] != 'Z') return Error{Err::kBadTime, offset};
  const char* p = s.data();
  if ((detail::non_digits8(p) | detail::non_digits8(p + 6)) != 0) {
    return Error{Err::kBadTime, offset};
  }
  const unsigned year = detail::two_digits(p) * 100 + detail::two_digits(p + 2);
  const unsigned month = detail::two_digits(p + 4), day = detail::two_digits(p + 6);
  const unsigned hour = detail::two_digits(p + 8), minute = detail::two_digits(p + 10);
  const unsigned second = detail::two_digits(p + 12);
  static constexpr unsigned char kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return Error{Err::kBadTime, offset};
  const unsigned mdays = kDays[month - 1] + (month == 2 && detail::is_leap(year) ? 1 : 0);
  if (day < 1 || day > mdays || hour > 23 || minute > 59 || second > 60)
    return Error{Err::kBadTime, offset};
  return detail::days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

KRB_ALWAYS_INLINE Result<std::int64_t> Reader::read_kerberos_time() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kGeneralizedTime));
  return parse_kerberos_time(as_chars(c), at);
}

KRB_ALWAYS_INLINE Result<std::uint32_t> Reader::read_kerberos_flags() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kBitString));
  if (c.empty()) return Error{Err::kBadBitString, at};
  const auto unused = std::to_integer<unsigned>(c[0]);
  if (unused > 7 || (c.size() == 1 && unused != 0)) return Error{Err::kBadBitString, at};
  std::uint32_t flags = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    flags <<= 8;
    if (1 + i < c.size()) flags |= std::to_integer<std::uint32_t>(c[1 + i]);
  }
  return flags;
}

inline Status Reader::expect_end() const {
  if (size_ != 0) return error_here(Err::kTrailingData);
  return ok_status();
}

}  // namespace kdcperf::krb::der
