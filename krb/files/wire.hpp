// Fixed-width integers and length-prefixed fields of the MIT file formats (keytab, FILE
// ccache). Internal to krb/files.
//
// WireReader is a bounded cursor over a byte span: every read checks what remains first and
// returns an Error carrying the absolute offset of the field that failed, so a test can point
// at the byte. Old format versions store integers in host byte order (keytab 0x0501, ccache
// v1/v2), so the byte order is a parameter. WireWriter writes big-endian fields into a span.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

// The byte order of this machine: the "host order" format versions (keytab 0x0501) are read
// as a file written on a machine like this one.
inline constexpr bool kHostIsBigEndian = std::endian::native == std::endian::big;

// Appends big-endian fields to a fixed span. Serializers run twice: first with no output
// (a null span) to count the bytes, then into storage of exactly that size. Key material is
// written straight into SecretBytes that way, never through a growing vector whose old
// allocations would keep copies of the keys.
class WireWriter {
 public:
  WireWriter() = default;  // counting only
  explicit WireWriter(MutableByteView out) : out_(out) {}

  void u8(std::uint8_t v) {
    if (std::byte* p = take(1)) p[0] = std::byte(v);
  }
  void u16(std::uint16_t v) {
    if (std::byte* p = take(2)) store_be16(p, v);
  }
  void u32(std::uint32_t v) {
    if (std::byte* p = take(4)) store_be32(p, v);
  }
  void bytes(ByteView v) {
    std::byte* p = take(v.size());
    if (p != nullptr && !v.empty()) std::memcpy(p, v.data(), v.size());
  }
  void bytes(std::string_view s) { bytes(as_bytes(s)); }
  std::size_t size() const { return pos_; }
  // False if a writing pass ran past its span (the counting pass disagreed: a bug).
  bool ok() const { return ok_; }

 private:
  std::byte* take(std::size_t n) {
    const std::size_t at = pos_;
    pos_ += n;
    if (out_.empty()) return nullptr;
    if (pos_ > out_.size()) {
      ok_ = false;
      return nullptr;
    }
    return out_.data() + at;
  }
  MutableByteView out_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

inline std::string to_string(ByteView v) {
  return std::string(as_chars(v));
}

}  // namespace kdcperf::krb::files::detail
