#include "krb/files/keytab.hpp"

#include <limits>
#include <string>

#include "krb/files/wire.hpp"

namespace kdcperf::krb::files {
namespace {

using detail::WireReader;
using detail::WireWriter;

// MIT reads every 16-bit length and count into a signed krb5_int16 and treats a negative
// value as the end of the keytab, so nothing longer than this is readable by MIT.
constexpr std::size_t kMaxField = 0x7fff;

// A u16-length field that MIT requires to be non-empty (realm, component, key).
Result<ByteView> read_counted(WireReader& r) {
  const std::uint32_t at = r.offset();
  KRB_ASSIGN_OR_RETURN(const std::uint16_t len, r.u16());
  if (len == 0) return Error{Err::kBadFileFormat, at};
  auto v = r.bytes(len);
  if (!v.ok()) return Error{Err::kTruncated, at};  // the length field is the culprit
  return v;
}

// Reads one entry from the bytes of one record (`record` excludes the size field). Reads stop
// at the record's end, so kTruncated here means a field runs past the record.
Result<KeytabEntry> read_entry(ByteView record, std::size_t record_offset, std::uint16_t version,
                               const KeytabLimits& limits) {
  const bool v1 = version == kKeytabVersion1;
  WireReader r(record, record_offset, v1 ? detail::kHostIsBigEndian : true);
  KeytabEntry e;
  const std::uint32_t count_at = r.offset();
  KRB_ASSIGN_OR_RETURN(std::size_t ncomp, r.u16());
  if (v1) {
    // Version 1 counts the realm as a component.
    if (ncomp == 0) return Error{Err::kBadFileFormat, count_at};
    --ncomp;
  }
  if (ncomp == 0) return Error{Err::kBadFileFormat, count_at};
  if (ncomp > limits.max_components) return Error{Err::kTooMany, count_at};

  KRB_ASSIGN_OR_RETURN(const ByteView realm, read_counted(r));
  e.principal.realm = detail::to_string(realm);
  e.principal.components.reserve(ncomp);
  for (std::size_t i = 0; i < ncomp; ++i) {
    KRB_ASSIGN_OR_RETURN(const ByteView comp, read_counted(r));
    e.principal.components.push_back(detail::to_string(comp));
  }
  if (v1) {
    e.principal.name_type = kNtUnknown;  // not stored in version 1
  } else {
    KRB_ASSIGN_OR_RETURN(const std::uint32_t name_type, r.u32());
    e.principal.name_type = static_cast<std::int32_t>(name_type);
  }
  KRB_ASSIGN_OR_RETURN(e.timestamp, r.u32());
  KRB_ASSIGN_OR_RETURN(e.kvno, r.u8());
  KRB_ASSIGN_OR_RETURN(const std::uint16_t enctype, r.u16());
  // MIT reads the enctype into a krb5_int16, so 0xffff means -1.
  e.enctype = static_cast<std::int16_t>(enctype);
  KRB_ASSIGN_OR_RETURN(const ByteView key, read_counted(r));
  e.key = SecretBytes(key);
  // The 32-bit kvno (MIT 1.14+) follows when the record has room for it; zero there is
  // padding, not a kvno.
  if (r.remaining() >= 4) {
    const std::uint32_t kvno32 = r.u32().value();
    if (kvno32 != 0) e.kvno = kvno32;
  }
  return e;
}

Status check_field(std::size_t len) {
  return (len == 0 || len > kMaxField) ? Status(Err::kInvalidArgument) : ok_status();
}

// Bytes of one 0x0502 record after its size field.
std::size_t record_size(const KeytabEntry& e) {
  std::size_t n = 2 + 2 + e.principal.realm.size();
  for (const std::string& c : e.principal.components) n += 2 + c.size();
  return n + 4 + 4 + 1 + 2 + 2 + e.key.size() + 4;
}

void serialize(WireWriter& w, std::span<const KeytabEntry> entries) {
  w.u16(kKeytabVersion2);
  for (const KeytabEntry& e : entries) {
    const Principal& p = e.principal;
    w.u32(static_cast<std::uint32_t>(record_size(e)));
    w.u16(static_cast<std::uint16_t>(p.components.size()));
    w.u16(static_cast<std::uint16_t>(p.realm.size()));
    w.bytes(p.realm);
    for (const std::string& c : p.components) {
      w.u16(static_cast<std::uint16_t>(c.size()));
      w.bytes(c);
    }
    w.u32(static_cast<std::uint32_t>(p.name_type));
    w.u32(e.timestamp);
    // MIT stores the low byte in the old field and the whole kvno after the key.
    w.u8(static_cast<std::uint8_t>(e.kvno & 0xff));
    w.u16(static_cast<std::uint16_t>(e.enctype));
    w.u16(static_cast<std::uint16_t>(e.key.size()));
    w.bytes(e.key.view());
    w.u32(e.kvno);
  }
}

}  // namespace

Result<std::vector<KeytabEntry>> read_keytab(ByteView file, const KeytabLimits& limits) {
  if (file.size() < 2) return Error{Err::kTruncated, 0};
  // The version is always stored big-endian, even for the host-order version 1.
  const std::uint16_t version = load_be16(file.data());
  if (version != kKeytabVersion1 && version != kKeytabVersion2)
    return Error{Err::kBadFileVersion, 0};
  const bool big_endian = version == kKeytabVersion2 || detail::kHostIsBigEndian;
  WireReader r(file.subspan(2), 2, big_endian);

  std::vector<KeytabEntry> entries;
  while (!r.empty()) {
    const std::uint32_t size_at = r.offset();
    // A partial size field: the file was cut short (MIT would stop quietly).
    KRB_ASSIGN_OR_RETURN(const std::uint32_t raw_size, r.u32());
    const auto size = static_cast<std::int32_t>(raw_size);
    if (size == 0) break;  // explicit end marker; MIT ignores whatever follows
    if (size < 0) {
      // -INT32_MIN does not exist (MIT: KRB5_KT_FORMAT).
      if (size == std::numeric_limits<std::int32_t>::min())
        return Error{Err::kBadFileFormat, size_at};
      const auto hole = static_cast<std::size_t>(-static_cast<std::int64_t>(size));
      if (hole > r.remaining()) return Error{Err::kTruncated, size_at};
      KRB_RETURN_IF_ERROR(r.skip(hole));
      continue;
    }
    const auto record_size = static_cast<std::size_t>(size);
    if (record_size > limits.max_record_size) return Error{Err::kElementTooLarge, size_at};
    if (record_size > r.remaining()) return Error{Err::kTruncated, size_at};
    if (entries.size() >= limits.max_entries) return Error{Err::kTooMany, size_at};
    const std::uint32_t record_at = r.offset();
    const ByteView record = r.bytes(record_size).value();
    auto e = read_entry(record, record_at, version, limits);
    if (!e.ok()) {
      // Inside a record, running out of bytes means the record's size field lied.
      if (e.err() == Err::kTruncated) return Error{Err::kBadFileFormat, e.error().offset};
      return e.error();
    }
    entries.push_back(std::move(e).value());
  }
  return entries;
}

Result<SecretBytes> write_keytab(std::span<const KeytabEntry> entries, const KeytabLimits& limits) {
  if (entries.size() > limits.max_entries) return Err::kInvalidArgument;
  for (const KeytabEntry& e : entries) {
    const Principal& p = e.principal;
    if (p.components.empty() || p.components.size() > limits.max_components)
      return Err::kInvalidArgument;
    KRB_RETURN_IF_ERROR(check_field(p.realm.size()));
    for (const std::string& c : p.components) KRB_RETURN_IF_ERROR(check_field(c.size()));
    KRB_RETURN_IF_ERROR(check_field(e.key.size()));
    if (e.enctype < std::numeric_limits<std::int16_t>::min() ||
        e.enctype > std::numeric_limits<std::uint16_t>::max())
      return Err::kInvalidArgument;
    if (record_size(e) > limits.max_record_size) return Err::kInvalidArgument;
  }
  WireWriter counter;
  serialize(counter, entries);
  SecretBytes out(counter.size());
  WireWriter w(out.mutable_view());
  serialize(w, entries);
  if (!w.ok() || w.size() != out.size()) return Err::kInvalidArgument;  // unreachable
  return out;
}

}  // namespace kdcperf::krb::files
