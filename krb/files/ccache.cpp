#include "krb/files/ccache.hpp"

#include <limits>
#include <string>

#include "krb/files/wire.hpp"

namespace kdcperf::krb::files {
namespace {

using detail::WireReader;
using detail::WireWriter;

// data := u32 length; bytes. The length is checked against what remains before anything is
// allocated, then against the limit.
Result<ByteView> read_data(WireReader& r, std::size_t max) {
  const std::uint32_t at = r.offset();
  KRB_ASSIGN_OR_RETURN(const std::uint32_t len, r.u32());
  if (len > r.remaining()) return Error{Err::kTruncated, at};
  if (len > max) return Error{Err::kElementTooLarge, at};
  return r.bytes(len);
}

Result<Principal> read_principal(WireReader& r, const CcacheLimits& limits) {
  Principal p;
  KRB_ASSIGN_OR_RETURN(const std::uint32_t name_type, r.u32());
  p.name_type = static_cast<std::int32_t>(name_type);
  const std::uint32_t count_at = r.offset();
  KRB_ASSIGN_OR_RETURN(const std::uint32_t ncomp, r.u32());
  if (ncomp > limits.max_components) return Error{Err::kTooMany, count_at};
  KRB_ASSIGN_OR_RETURN(const ByteView realm, read_data(r, limits.max_data));
  p.realm = detail::to_string(realm);
  p.components.reserve(ncomp);
  for (std::uint32_t i = 0; i < ncomp; ++i) {
    KRB_ASSIGN_OR_RETURN(const ByteView comp, read_data(r, limits.max_data));
    p.components.push_back(detail::to_string(comp));
  }
  return p;
}

// A u32 count of list items; each item takes at least `min_item` bytes, so a count the rest
// of the input cannot hold is rejected before anything is reserved.
Result<std::uint32_t> read_count(WireReader& r, std::size_t max, std::size_t min_item) {
  const std::uint32_t at = r.offset();
  KRB_ASSIGN_OR_RETURN(const std::uint32_t n, r.u32());
  if (n > max) return Error{Err::kTooMany, at};
  if (static_cast<std::size_t>(n) * min_item > r.remaining()) return Error{Err::kTruncated, at};
  return n;
}

Result<Credential> read_credential(WireReader& r, std::uint16_t version,
                                   const CcacheLimits& limits) {
  Credential c;
  KRB_ASSIGN_OR_RETURN(c.client, read_principal(r, limits));
  KRB_ASSIGN_OR_RETURN(c.server, read_principal(r, limits));
  KRB_ASSIGN_OR_RETURN(const std::uint16_t enctype, r.u16());
  c.enctype = enctype;
  if (version == kCcacheVersion3) {
    KRB_RETURN_IF_ERROR(r.skip(2));  // the enctype again; MIT ignores it too
  }
  KRB_ASSIGN_OR_RETURN(const ByteView key, read_data(r, limits.max_key));
  c.key = SecretBytes(key);
  KRB_ASSIGN_OR_RETURN(c.authtime, r.u32());
  KRB_ASSIGN_OR_RETURN(c.starttime, r.u32());
  KRB_ASSIGN_OR_RETURN(c.endtime, r.u32());
  KRB_ASSIGN_OR_RETURN(c.renew_till, r.u32());
  KRB_ASSIGN_OR_RETURN(c.is_skey, r.u8());
  KRB_ASSIGN_OR_RETURN(c.ticket_flags, r.u32());

  KRB_ASSIGN_OR_RETURN(const std::uint32_t naddr, read_count(r, limits.max_addresses, 6));
  c.addresses.reserve(naddr);
  for (std::uint32_t i = 0; i < naddr; ++i) {
    HostAddress a;
    KRB_ASSIGN_OR_RETURN(a.type, r.u16());
    KRB_ASSIGN_OR_RETURN(const ByteView addr, read_data(r, limits.max_data));
    a.address.assign(addr.begin(), addr.end());
    c.addresses.push_back(std::move(a));
  }
  KRB_ASSIGN_OR_RETURN(const std::uint32_t nad, read_count(r, limits.max_authdata, 6));
  c.authdata.reserve(nad);
  for (std::uint32_t i = 0; i < nad; ++i) {
    AuthData ad;
    KRB_ASSIGN_OR_RETURN(const std::uint16_t type, r.u16());
    ad.type = static_cast<std::int16_t>(type);  // MIT: "Authdata types can be negative"
    KRB_ASSIGN_OR_RETURN(const ByteView contents, read_data(r, limits.max_data));
    ad.contents.assign(contents.begin(), contents.end());
    c.authdata.push_back(std::move(ad));
  }
  KRB_ASSIGN_OR_RETURN(const ByteView ticket, read_data(r, limits.max_data));
  c.ticket.assign(ticket.begin(), ticket.end());
  KRB_ASSIGN_OR_RETURN(const ByteView second, read_data(r, limits.max_data));
  c.second_ticket.assign(second.begin(), second.end());
  return c;
}

// v4 header fields (cc_file.c read_header): tags until headerlen is used up exactly.
Result<std::optional<TimeOffset>> read_header_tags(WireReader& r) {
  const std::uint32_t len_at = r.offset();
  KRB_ASSIGN_OR_RETURN(const std::uint16_t header_len, r.u16());
  if (header_len > r.remaining()) return Error{Err::kTruncated, len_at};
  WireReader h(r.bytes(header_len).value(), len_at + 2, true);
  std::optional<TimeOffset> offset;
  while (!h.empty()) {
    const std::uint32_t tag_at = h.offset();
    if (h.remaining() < 4) return Error{Err::kBadFileFormat, tag_at};
    const std::uint16_t tag = h.u16().value();
    const std::uint16_t len = h.u16().value();
    if (len > h.remaining()) return Error{Err::kBadFileFormat, tag_at};
    if (tag == kCcacheTagDeltaTime) {
      if (len != 8) return Error{Err::kBadFileFormat, tag_at};
      const auto sec = static_cast<std::int32_t>(h.u32().value());
      const auto usec = static_cast<std::int32_t>(h.u32().value());
      if (!offset) offset = TimeOffset{sec, usec};  // the first one wins, as in MIT
    } else {
      KRB_RETURN_IF_ERROR(h.skip(len));  // unknown tags are for newer writers
    }
  }
  return offset;
}

bool fits16(std::int32_t v) {
  return v >= std::numeric_limits<std::int16_t>::min() &&
         v <= std::numeric_limits<std::uint16_t>::max();
}

Status check_principal(const Principal& p, const CcacheLimits& limits) {
  if (p.components.size() > limits.max_components) return Err::kInvalidArgument;
  if (p.realm.size() > limits.max_data) return Err::kInvalidArgument;
  for (const std::string& c : p.components)
    if (c.size() > limits.max_data) return Err::kInvalidArgument;
  return ok_status();
}

Status check_credential(const Credential& c, const CcacheLimits& limits) {
  KRB_RETURN_IF_ERROR(check_principal(c.client, limits));
  KRB_RETURN_IF_ERROR(check_principal(c.server, limits));
  if (!fits16(c.enctype) || c.key.size() > limits.max_key) return Err::kInvalidArgument;
  if (c.addresses.size() > limits.max_addresses || c.authdata.size() > limits.max_authdata)
    return Err::kInvalidArgument;
  for (const HostAddress& a : c.addresses)
    if (a.address.size() > limits.max_data) return Err::kInvalidArgument;
  for (const AuthData& ad : c.authdata)
    if (!fits16(ad.type) || ad.contents.size() > limits.max_data) return Err::kInvalidArgument;
  if (c.ticket.size() > limits.max_data || c.second_ticket.size() > limits.max_data)
    return Err::kInvalidArgument;
  return ok_status();
}

void put_data(WireWriter& w, ByteView v) {
  w.u32(static_cast<std::uint32_t>(v.size()));
  w.bytes(v);
}

void put_principal(WireWriter& w, const Principal& p) {
  w.u32(static_cast<std::uint32_t>(p.name_type));
  w.u32(static_cast<std::uint32_t>(p.components.size()));
  put_data(w, as_bytes(p.realm));
  for (const std::string& c : p.components) put_data(w, as_bytes(c));
}

void serialize(WireWriter& w, const Ccache& cache) {
  w.u16(kCcacheVersion4);
  if (cache.time_offset) {
    w.u16(12);
    w.u16(kCcacheTagDeltaTime);
    w.u16(8);
    w.u32(static_cast<std::uint32_t>(cache.time_offset->seconds));
    w.u32(static_cast<std::uint32_t>(cache.time_offset->usec));
  } else {
    w.u16(0);
  }
  put_principal(w, cache.default_principal);
  for (const Credential& c : cache.creds) {
    put_principal(w, c.client);
    put_principal(w, c.server);
    w.u16(static_cast<std::uint16_t>(c.enctype));
    put_data(w, c.key.view());
    w.u32(c.authtime);
    w.u32(c.starttime);
    w.u32(c.endtime);
    w.u32(c.renew_till);
    w.u8(c.is_skey);
    w.u32(c.ticket_flags);
    w.u32(static_cast<std::uint32_t>(c.addresses.size()));
    for (const HostAddress& a : c.addresses) {
      w.u16(a.type);
      put_data(w, a.address);
    }
    w.u32(static_cast<std::uint32_t>(c.authdata.size()));
    for (const AuthData& ad : c.authdata) {
      w.u16(static_cast<std::uint16_t>(ad.type));
      put_data(w, ad.contents);
    }
    put_data(w, c.ticket);
    put_data(w, c.second_ticket);
  }
}

}  // namespace

bool is_config_entry(const Credential& c) {
  return c.server.realm == kConfigRealm && !c.server.components.empty() &&
         c.server.components[0] == kConfigName;
}

Result<Ccache> read_ccache(ByteView file, const CcacheLimits& limits) {
  if (file.size() < 2) return Error{Err::kTruncated, 0};
  const std::uint16_t version = load_be16(file.data());
  // v1/v2 (host byte order, pre-1.0 MIT) are not read.
  if (version != kCcacheVersion3 && version != kCcacheVersion4)
    return Error{Err::kBadFileVersion, 0};
  WireReader r(file.subspan(2), 2, true);
  Ccache cache;
  if (version == kCcacheVersion4) {
    KRB_ASSIGN_OR_RETURN(cache.time_offset, read_header_tags(r));
  }
  KRB_ASSIGN_OR_RETURN(cache.default_principal, read_principal(r, limits));
  while (!r.empty()) {
    if (cache.creds.size() >= limits.max_credentials) return r.error_here(Err::kTooMany);
    KRB_ASSIGN_OR_RETURN(Credential c, read_credential(r, version, limits));
    cache.creds.push_back(std::move(c));
  }
  return cache;
}

Result<SecretBytes> write_ccache(const Ccache& cache, const CcacheLimits& limits) {
  KRB_RETURN_IF_ERROR(check_principal(cache.default_principal, limits));
  if (cache.creds.size() > limits.max_credentials) return Err::kInvalidArgument;
  for (const Credential& c : cache.creds) KRB_RETURN_IF_ERROR(check_credential(c, limits));
  WireWriter counter;
  serialize(counter, cache);
  SecretBytes out(counter.size());
  WireWriter w(out.mutable_view());
  serialize(w, cache);
  if (!w.ok() || w.size() != out.size()) return Err::kInvalidArgument;  // unreachable
  return out;
}

}  // namespace kdcperf::krb::files
