// Fixed-width integers and length-prefixed fields of the MIT file formats (keytab, FILE
// ccache). Internal to krb/files.
//
// WireReader is a bounded cursor over a byte span: every read checks what remains first and
// returns an Error carrying the absolute offset of the field that failed, so a test can point
// at the byte. Old format versions store integers in host byte order (keytab 0x0501, ccache
// v1/v2), so the byte order is a parameter. WireWriter appends big-endian fields to a Buffer.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"

namespace kdcperf::krb::files::detail {

class WireReader {
 public:
  // `base_offset` is the offset of input[0] in the whole file, for error offsets.
  WireReader(ByteView input, std::size_t base_offset, bool big_endian)
      : data_(input), base_(base_offset), big_endian_(big_endian) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  // Absolute offset of the next unread byte.
  std::uint32_t offset() const { return static_cast<std::uint32_t>(base_ + pos_); }
  Error error_here(Err e) const { return Error{e, offset()}; }

  Result<std::uint8_t> u8() {
    if (remaining() < 1) return error_here(Err::kTruncated);
    return std::to_integer<std::uint8_t>(data_[pos_++]);
  }
  Result<std::uint16_t> u16() {
    if (remaining() < 2) return error_here(Err::kTruncated);
    const std::byte* p = data_.data() + pos_;
    pos_ += 2;
    const std::uint16_t be = load_be16(p);
    return big_endian_ ? be : static_cast<std::uint16_t>((be >> 8) | (be << 8));
  }
  Result<std::uint32_t> u32() {
    if (remaining() < 4) return error_here(Err::kTruncated);
    const std::byte* p = data_.data() + pos_;
    pos_ += 4;
    const std::uint32_t be = load_be32(p);
    return big_endian_ ? be : byteswap32(be);
  }
  // n raw bytes, borrowed from the input.
  Result<ByteView> bytes(std::size_t n) {
    if (remaining() < n) return error_here(Err::kTruncated);
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  Status skip(std::size_t n) {
    if (remaining() < n) return error_here(Err::kTruncated);
    pos_ += n;
    return ok_status();
  }
  ByteView rest() const { return data_.subspan(pos_); }

 private:
  static std::uint32_t byteswap32(std::uint32_t v) {
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
  }

  ByteView data_;
  std::size_t pos_ = 0;
  std::size_t base_;
  bool big_endian_;
};

// True when this machine stores integers little-endian (the byte order of the "host order"
// format versions written here).
inline constexpr bool kHostIsBigEndian = std::endian::native == std::endian::big;

class WireWriter {
 public:
  explicit WireWriter(Buffer& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(std::byte(v)); }
  void u16(std::uint16_t v) {
    const std::size_t at = grow(2);
    store_be16(out_.data() + at, v);
  }
  void u32(std::uint32_t v) {
    const std::size_t at = grow(4);
    store_be32(out_.data() + at, v);
  }
  void bytes(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void bytes(std::string_view s) { bytes(as_bytes(s)); }
  std::size_t size() const { return out_.size(); }
  // Overwrites 4 bytes at `at` (a length patched after the record is written).
  void patch_u32(std::size_t at, std::uint32_t v) { store_be32(out_.data() + at, v); }

 private:
  std::size_t grow(std::size_t n) {
    const std::size_t at = out_.size();
    out_.resize(at + n);
    return at;
  }
  Buffer& out_;
};

inline std::string to_string(ByteView v) { return std::string(as_chars(v)); }

}  // namespace kdcperf::krb::files::detail
