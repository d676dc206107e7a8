#include "krb/der/reader.hpp"

namespace kdcperf::krb::der {

Status Reader::parse_header(Tag* tag, std::size_t* header_len, std::size_t* content_len) const {
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
  if (len > max_element_) return error_here(Err::kElementTooLarge);
  if (len > size_ - hdr) return error_here(Err::kTruncated);
  *tag = t;
  *header_len = hdr;
  *content_len = len;
  return ok_status();
}

Error Reader::header_error(const std::byte* data, std::size_t size, std::uint32_t offset,
                           std::uint32_t max_element, Tag tag, bool too_deep) {
  Reader r;
  r.data_ = data;
  r.size_ = size;
  r.base_ = data - offset;
  r.max_element_ = max_element;
  Tag t = 0;
  std::size_t hdr = 0, len = 0;
  if (const Status st = r.parse_header(&t, &hdr, &len); !st.ok()) return st.error();
  if (t != tag) return r.error_here(Err::kBadTag);
  if (too_deep) return r.error_here(Err::kTooDeep);
  // Not reached: match_header() accepts exactly what passes the checks above.
  return r.error_here(Err::kBadTag);
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
  skip(hdr + len);
  if (tag_out != nullptr) *tag_out = t;
  return whole;
}

Result<ByteView> Reader::read_raw(Tag tag) {
  if (size_ > 0 && static_cast<Tag>(data_[0]) != tag) return error_here(Err::kBadTag);
  return read_any();
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

Result<std::string_view> Reader::read_general_string_nul_terminated() {
  const std::uint32_t at = offset();
  KRB_ASSIGN_OR_RETURN(ByteView c, read_primitive(kGeneralString));
  if (!c.empty() && c.back() == std::byte{0}) c = c.first(c.size() - 1);
  for (std::byte b : c) {
    if (b == std::byte{0}) return Error{Err::kBadString, at};
  }
  return as_chars(c);
}

}  // namespace kdcperf::krb::der
