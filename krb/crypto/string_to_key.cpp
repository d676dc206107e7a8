#include "krb/crypto/string_to_key.hpp"

#include <openssl/evp.h>

#include <climits>
#include <string>

#include "krb/crypto/dk.hpp"
#include "krb/crypto/hmac.hpp"

namespace kdcperf::krb::crypto {
namespace {

// RFC 4757 §2 wants the password as UTF-16LE ("unicode"). Strict UTF-8 decoding: overlong
// forms, surrogates and values past U+10FFFF are errors rather than guesses.
Status utf8_to_utf16le_into(std::string_view s, Buffer& out) {
  auto put = [&out](std::uint32_t u) {
    out.push_back(std::byte(u & 0xff));
    out.push_back(std::byte(u >> 8));
  };
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp;
    std::size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1f;
      len = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0f;
      len = 3;
    } else if ((c & 0xf8) == 0xf0) {
      cp = c & 0x07;
      len = 4;
    } else {
      return Err::kBadString;
    }
    if (i + len > s.size()) return Err::kBadString;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return Err::kBadString;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return Err::kBadString;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xd800 + (cp >> 10));
      put(0xdc00 + (cp & 0x3ff));
    } else {
      put(cp);
    }
    i += len;
  }
  return ok_status();
}

// The output is a password in another form: wiped on every path but success. Never grows
// past its reservation (UTF-16 needs at most two bytes per UTF-8 byte), so no copy is freed.
Result<Buffer> utf8_to_utf16le(std::string_view s) {
  Buffer out;
  out.reserve(s.size() * 2);
  if (Status st = utf8_to_utf16le_into(s, out); !st.ok()) {
    secure_wipe(out.data(), out.size());
    return st.error();
  }
  return out;
}

const EVP_MD* pbkdf2_md(Enctype e) {
  switch (e) {
    case Enctype::AES128_CTS_HMAC_SHA1_96:
    case Enctype::AES256_CTS_HMAC_SHA1_96:
      return EVP_sha1();
    case Enctype::AES128_CTS_HMAC_SHA256_128:
      return EVP_sha256();
    case Enctype::AES256_CTS_HMAC_SHA384_192:
      return EVP_sha384();
    case Enctype::RC4_HMAC:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

Result<std::uint32_t> s2k_iterations(Enctype etype, ByteView s2kparams) {
  const EnctypeInfo* info = enctype_info(etype);
  if (info == nullptr) return Err::kUnknownEnctype;
  if (etype == Enctype::RC4_HMAC) {
    if (!s2kparams.empty()) return Err::kBadS2kParams;
    return std::uint32_t{0};
  }
  if (s2kparams.empty()) return info->default_iterations;
  if (s2kparams.size() != 4) return Err::kBadS2kParams;
  const std::uint32_t n = load_be32(s2kparams.data());
  if (n == 0 || n > kMaxS2kIterations) return Err::kBadS2kParams;
  return n;
}

Status check_s2kparams_policy(Enctype etype, ByteView s2kparams) {
  KRB_ASSIGN_OR_RETURN(const std::uint32_t n, s2k_iterations(etype, s2kparams));
  if (etype != Enctype::RC4_HMAC && n < enctype_info(etype)->default_iterations) {
    return Err::kBadS2kParams;
  }
  return ok_status();
}

Result<Key> string_to_key(Enctype etype, std::string_view password, std::string_view salt,
                          ByteView s2kparams) {
  KRB_ASSIGN_OR_RETURN(const std::uint32_t iterations, s2k_iterations(etype, s2kparams));
  const EnctypeInfo* info = enctype_info(etype);
  Key key{etype, SecretBytes(info->key_bytes)};

  if (etype == Enctype::RC4_HMAC) {
    KRB_ASSIGN_OR_RETURN(Buffer utf16, utf8_to_utf16le(password));
    md4(utf16, key.bytes.mutable_view());
    if (!utf16.empty()) secure_wipe(utf16.data(), utf16.size());
    return key;
  }

  // RFC 8009 §4: the PBKDF2 salt is the enctype name, a zero byte, then the salt.
  std::string saltp;
  const bool sha2 =
      etype == Enctype::AES128_CTS_HMAC_SHA256_128 || etype == Enctype::AES256_CTS_HMAC_SHA384_192;
  if (sha2) {
    saltp.append(info->name);
    saltp.push_back('\0');
  }
  saltp.append(salt);
  if (password.size() > INT_MAX || saltp.size() > INT_MAX) return Err::kInvalidArgument;

  SecretBytes tkey(info->key_bytes);
  if (PKCS5_PBKDF2_HMAC(password.empty() ? "" : password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(saltp.data()),
                        static_cast<int>(saltp.size()), static_cast<int>(iterations),
                        pbkdf2_md(etype), static_cast<int>(tkey.size()),
                        u8(tkey.mutable_view())) != 1) {
    return Err::kCryptoLibrary;
  }
  static constexpr std::string_view kKerberos = "kerberos";
  if (sha2) {
    // RFC 8009 §4: base-key = KDF-HMAC-SHA2(tkey, "kerberos", keylength).
    kdf_hmac_sha2(etype == Enctype::AES128_CTS_HMAC_SHA256_128 ? Digest::kSha256 : Digest::kSha384,
                  tkey.view(), as_bytes(kKerberos), {}, key.bytes.mutable_view());
  } else {
    // RFC 3962 §4: key = DK(random-to-key(PBKDF2 output), "kerberos").
    KRB_RETURN_IF_ERROR(dr_aes(tkey.view(), as_bytes(kKerberos), key.bytes.mutable_view()));
  }
  return key;
}

std::string default_salt(std::string_view realm, std::span<const std::string_view> components) {
  std::string s(realm);
  for (std::string_view c : components) s.append(c);
  return s;
}

Result<Key> random_to_key(Enctype etype, ByteView random) {
  const EnctypeInfo* info = enctype_info(etype);
  if (info == nullptr) return Err::kUnknownEnctype;
  if (random.size() != info->key_bytes) return Err::kBadKeyLength;
  return Key{etype, SecretBytes(random)};
}

Result<Key> make_random_key(Enctype etype, Rng& rng) {
  const EnctypeInfo* info = enctype_info(etype);
  if (info == nullptr) return Err::kUnknownEnctype;
  Key key{etype, SecretBytes(info->key_bytes)};
  rng.fill(key.bytes.mutable_view());
  return key;
}

}  // namespace kdcperf::krb::crypto
