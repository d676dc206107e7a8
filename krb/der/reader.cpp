#include "krb/der/reader.hpp"

#include <limits>

namespace kdcperf::krb::der {

std::optional<Tag> Reader::peek_tag() const {
  if (size_ == 0) return std::nullopt;
  return static_cast<Tag>(data_[0]);
}

Result<std::optional<Reader>> Reader::read_optional(Tag tag) {
  if (!next_is(tag)) return std::optional<Reader>{};
  KRB_ASSIGN_OR_RETURN(Reader r, read(tag));
  return std::optional<Reader>{r};
}

Result<ByteView> Reader::read_any(Tag* tag_out) {
  Tag t = 0;
  std::size_t hdr = 0, len = 0;
  KRB_RETURN_IF_ERROR(parse_header(&t, &hdr, &len));
  ByteView whole{data_, hdr + len};
  data_ += hdr + len;
  size_ -= hdr + len;
  if (tag_out != nullptr) *tag_out = t;
  return whole;
}

Result<ByteView> Reader::read_raw(Tag tag) {
  if (size_ > 0 && static_cast<Tag>(data_[0]) != tag) return error_here(Err::kBadTag);
  return read_any();
}

Result<std::int64_t> Reader::read_nonce() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(std::int64_t v, read_int64());
  if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::uint32_t>::max())
    return Error{Err::kBadInteger, at};
  return v;
}

Result<bool> Reader::read_boolean() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kBoolean));
  if (c.size() != 1) return Error{Err::kBadBoolean, at};
  if (c[0] == std::byte{0x00}) return false;
  if (c[0] == std::byte{0xff}) return true;
  return Error{Err::kBadBoolean, at};
}

Result<bool> Reader::read_boolean_ber() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kBoolean));
  if (c.size() != 1) return Error{Err::kBadBoolean, at};
  return c[0] != std::byte{0x00};
}

Result<ByteView> Reader::read_octet_string() {
  return read_primitive(kOctetString);
}

Result<std::string_view> Reader::read_general_string_nul_terminated() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kGeneralString));
  if (!c.empty() && c.back() == std::byte{0}) c = c.first(c.size() - 1);
  for (std::byte b : c) {
    if (b == std::byte{0}) return Error{Err::kBadString, at};
  }
  return as_chars(c);
}

Result<std::string_view> Reader::read_general_string() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kGeneralString));
  // An embedded NUL would let "alice\0x" match "alice" in C-string peers: refuse it.
  for (std::byte b : c) {
    if (b == std::byte{0}) return Error{Err::kBadString, at};
  }
  return as_chars(c);
}

namespace {
bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's days_from_civil.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
}  // namespace

Result<std::int64_t> parse_kerberos_time(std::string_view s, std::uint32_t offset) {
  // RFC 4120 §5.2.3: no fractional seconds, always UTC ("Z"), so exactly 15 characters.
  if (s.size() != 15 || s[14] != 'Z') return Error{Err::kBadTime, offset};
  int digits[14];
  for (int i = 0; i < 14; ++i) {
    if (s[i] < '0' || s[i] > '9') return Error{Err::kBadTime, offset};
    digits[i] = s[i] - '0';
  }
  auto num = [&](int at, int n) {
    int v = 0;
    for (int i = 0; i < n; ++i) v = v * 10 + digits[at + i];
    return v;
  };
  const int year = num(0, 4), month = num(4, 2), day = num(6, 2);
  const int hour = num(8, 2), minute = num(10, 2), second = num(12, 2);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return Error{Err::kBadTime, offset};
  const int mdays = kDays[month - 1] + (month == 2 && is_leap(year) ? 1 : 0);
  if (day < 1 || day > mdays || hour > 23 || minute > 59 || second > 60)
    return Error{Err::kBadTime, offset};
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + minute * 60 + second;
}

Result<std::int64_t> Reader::read_kerberos_time() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kGeneralizedTime));
  return parse_kerberos_time(as_chars(c), at);
}

Result<std::uint32_t> Reader::read_kerberos_flags() {
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

}  // namespace kdcperf::krb::der
