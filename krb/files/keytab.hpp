// MIT keytab files (the FILE: keytab type) over byte spans: libkrb opens no files, so callers
// read the bytes and write the Buffer themselves.
//
// Format (MIT doc/formats/keytab_file_format.rst, lib/krb5/keytab/kt_file.c):
//   u16 version: 0x0502 (integers big-endian) or 0x0501 (integers in the writer's host byte
//       order, and the component count includes the realm)
//   record*: s32 size. size > 0: an entry of `size` bytes follows; size < 0: a hole of -size
//       bytes (a deleted entry) to skip; size 0 or end of input: no more entries.
//   entry: u16 ncomponents; u16-len realm; u16-len component*; u32 name_type (0x0502 only);
//       u32 timestamp; u8 kvno; u16 enctype; u16-len key;
//       [u32 kvno32: read when >= 4 bytes remain in the record; when nonzero it replaces the
//        8-bit kvno]; any further bytes of the record are ignored (an entry may sit in a hole
//        larger than itself).
// Enctypes are raw int32 values: a keytab may hold enctypes this library does not implement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/secret.hpp"
#include "krb/files/principal.hpp"

namespace kdcperf::krb::files {

inline constexpr std::uint16_t kKeytabVersion1 = 0x0501;
inline constexpr std::uint16_t kKeytabVersion2 = 0x0502;

struct KeytabLimits {
  // Real principals have 1-3 components; MIT has no limit of its own below 32767.
  std::size_t max_components = 32;
  // One entry is well under 1 KiB (the longest keys are 32 bytes); holes are only skipped.
  std::size_t max_record_size = 1 << 16;
  // A load generator may keep every client key in one keytab.
  std::size_t max_entries = 1 << 22;
};
inline constexpr KeytabLimits kDefaultKeytabLimits{};

struct KeytabEntry {
  Principal principal;
  std::uint32_t timestamp = 0;  // when the key was written, Unix seconds
  std::uint32_t kvno = 0;       // the 32-bit kvno when present, else the 8-bit one
  std::int32_t enctype = 0;     // 16 bits in the file, sign-extended as MIT does
  SecretBytes key;

  // A deep copy (the key is move-only).
  KeytabEntry clone() const {
    return KeytabEntry{principal, timestamp, kvno, enctype, key.clone()};
  }
};

// Decodes a whole keytab file. Stricter than MIT where MIT silently stops reading: a record
// with zero components, an empty realm, component or key, a partial size field, a record or
// hole running past the end of the input, and a record whose fields run past its size are
// all errors (MIT would end the listing there, hiding the rest of the file).
// Errors: kTruncated, kBadFileVersion, kBadFileFormat, kTooMany, kElementTooLarge (each with
// the offset of the offending field).
Result<std::vector<KeytabEntry>> read_keytab(ByteView file,
                                             const KeytabLimits& limits = kDefaultKeytabLimits);

// Encodes entries as a 0x0502 keytab, one record per entry, exactly as MIT's
// krb5_ktfileint_write_entry lays them out: the 8-bit kvno field holds kvno & 0xff and the
// 32-bit kvno is always appended. The timestamp is written as given (MIT stamps the time of
// writing; callers pass it in). Entries that MIT could not read back are rejected with
// kInvalidArgument: no components, an empty realm, component or key, a field over 32767 bytes,
// an enctype outside [-32768, 65535], or over the limits.
// The output holds keys, so it comes back as SecretBytes (wiped when dropped).
Result<SecretBytes> write_keytab(std::span<const KeytabEntry> entries,
                                 const KeytabLimits& limits = kDefaultKeytabLimits);

}  // namespace kdcperf::krb::files
