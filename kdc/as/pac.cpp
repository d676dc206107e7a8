#include "kdc/as/pac.hpp"

#include <array>
#include <cstring>

#include "krb/crypto/enctype.hpp"

namespace kdcperf::kdc::as {
namespace {

using krb::crypto::KeyUsage;

constexpr std::size_t kHeaderBytes = 8;       // cBuffers, Version
constexpr std::size_t kInfoBufferBytes = 16;  // ulType, cbBufferSize, Offset
constexpr std::size_t kBuffers = 3;
constexpr std::int64_t kFiletimeEpochOffset = 11644473600;  // 1601-01-01 to 1970-01-01, seconds

constexpr std::size_t align8(std::size_t n) {
  return (n + 7) & ~std::size_t{7};
}

void put_le(std::byte* p, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) p[i] = std::byte((v >> (8 * i)) & 0xff);
}

// One code point from UTF-8 at s[*i]; an invalid or truncated sequence yields U+FFFD and
// consumes one byte, so any byte string maps to some UTF-16.
char32_t next_code_point(std::string_view s, std::size_t* i) {
  const auto b0 = static_cast<unsigned char>(s[*i]);
  std::size_t len = 0;
  char32_t cp = 0;
  if (b0 < 0x80) {
    ++*i;
    return b0;
  } else if ((b0 & 0xe0) == 0xc0) {
    len = 2;
    cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3;
    cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++*i;
    return 0xfffd;
  }
  if (*i + len > s.size()) {
    ++*i;
    return 0xfffd;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + k]);
    if ((b & 0xc0) != 0x80) {
      ++*i;
      return 0xfffd;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    ++*i;
    return 0xfffd;
  }
  *i += len;
  return cp;
}

// UTF-16 code units the name needs.
std::size_t utf16_units(std::string_view s) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < s.size();) units += next_code_point(s, &i) >= 0x10000 ? 2 : 1;
  return units;
}

void write_utf16le(std::string_view s, std::byte* out) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = next_code_point(s, &i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put_le(out, 0xd800 + (cp >> 10), 2);
      put_le(out + 2, 0xdc00 + (cp & 0x3ff), 2);
      out += 4;
    } else {
      put_le(out, cp, 2);
      out += 2;
    }
  }
}

struct Layout {
  std::size_t client_info_bytes;
  std::size_t signature_bytes;  // u32 type + checksum
  std::size_t client_info_offset;
  std::size_t server_offset;
  std::size_t privsvr_offset;
  std::size_t total;
};

Layout layout(std::string_view name, std::size_t checksum_len) {
  Layout l{};
  l.client_info_bytes = 8 + 2 + 2 * utf16_units(name);
  l.signature_bytes = 4 + checksum_len;
  l.client_info_offset = align8(kHeaderBytes + kBuffers * kInfoBufferBytes);
  l.server_offset = l.client_info_offset + align8(l.client_info_bytes);
  l.privsvr_offset = l.server_offset + align8(l.signature_bytes);
  l.total = l.privsvr_offset + l.signature_bytes;
  return l;
}

std::size_t checksum_len(const krb::crypto::UsageKey& key) {
  return krb::crypto::checksum_bytes(krb::crypto::enctype_info(key.etype())->checksum);
}

}  // namespace

std::size_t minimal_pac_size(std::string_view client_name, const krb::crypto::UsageKey& key) {
  return layout(client_name, checksum_len(key)).total;
}

krb::Result<std::size_t> build_minimal_pac(std::string_view client_name, std::int64_t authtime,
                                           const krb::crypto::UsageKey& key,
                                           krb::MutableByteView out) {
  if (client_name.size() > kMaxPacNameBytes || key.usage() != KeyUsage::KERB_NON_KERB_CKSUM_SALT) {
    return krb::Err::kInvalidArgument;
  }
  const std::size_t cksum = checksum_len(key);
  const Layout l = layout(client_name, cksum);
  if (out.size() < l.total) return krb::Err::kBufferTooSmall;
  std::byte* p = out.data();
  std::memset(p, 0, l.total);  // padding and both signatures start zeroed (MS-PAC §2.8.1)

  put_le(p, kBuffers, 4);
  put_le(p + 4, 0, 4);  // Version
  const struct {
    PacBufferType type;
    std::size_t size, offset;
  } infos[kBuffers] = {
      {PacBufferType::CLIENT_INFO, l.client_info_bytes, l.client_info_offset},
      {PacBufferType::SERVER_CHECKSUM, l.signature_bytes, l.server_offset},
      {PacBufferType::PRIVSVR_CHECKSUM, l.signature_bytes, l.privsvr_offset},
  };
  for (std::size_t i = 0; i < kBuffers; ++i) {
    std::byte* info = p + kHeaderBytes + i * kInfoBufferBytes;
    put_le(info, static_cast<std::uint32_t>(infos[i].type), 4);
    put_le(info + 4, infos[i].size, 4);
    put_le(info + 8, infos[i].offset, 8);
  }

  // PAC_CLIENT_INFO (MS-PAC §2.7): ClientId is the authtime as a FILETIME.
  std::byte* ci = p + l.client_info_offset;
  put_le(ci, static_cast<std::uint64_t>(authtime + kFiletimeEpochOffset) * 10000000u, 8);
  put_le(ci + 8, l.client_info_bytes - 10, 2);
  write_utf16le(client_name, ci + 10);

  const auto cksum_type =
      static_cast<std::uint32_t>(krb::crypto::enctype_info(key.etype())->checksum);
  std::byte* server = p + l.server_offset;
  std::byte* privsvr = p + l.privsvr_offset;
  put_le(server, cksum_type, 4);
  put_le(privsvr, cksum_type, 4);
  // MS-PAC §2.8.1: the server signature covers the whole PAC with both signature fields zero;
  // the KDC signature covers the server signature's bytes.
  KRB_RETURN_IF_ERROR(krb::crypto::make_checksum(key, krb::ByteView(p, l.total),
                                                 krb::MutableByteView(server + 4, cksum)));
  KRB_RETURN_IF_ERROR(krb::crypto::make_checksum(key, krb::ByteView(server + 4, cksum),
                                                 krb::MutableByteView(privsvr + 4, cksum)));
  return l.total;
}

}  // namespace kdcperf::kdc::as
