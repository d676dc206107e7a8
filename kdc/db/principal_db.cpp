#include "kdc/db/principal_db.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>

#include "krb/crypto/enctype.hpp"

namespace kdcperf::kdc::db {
namespace {

using krb::Err;

// The name index is an open-addressing table of 8-byte slots over the principals vector, not
// a std::unordered_map keyed by the joined name: a map node (pointer, key string, value,
// cached hash) costs about 72 bytes a principal with malloc's rounding, which would not fit
// the 300-byte budget next to the Principal struct itself. Slots cost 8 / 0.7 = 11.4 bytes.
// A slot keeps 32 bits of the hash as a tag, so a probe only touches a Principal when the
// tags agree; linear probing keeps a miss within one or two cache lines at this load.
struct Slot {
  std::uint32_t tag;
  std::uint32_t index;
};
constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();
// Keeps slots_for(2 * n) below 2^32, which home() needs (a billion principals is ~300 GiB).
constexpr std::size_t kMaxPrincipals = std::size_t{1} << 30;

// Slots for n principals at a load factor of at most 0.7 (and always one empty slot, which
// ends every probe sequence).
std::size_t slots_for(std::size_t n) {
  return std::max<std::size_t>(8, n + (n * 3 + 6) / 7 + 1);
}

std::uint64_t fmix64(std::uint64_t h) {  // MurmurHash3's finalizer
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// One hash for a query (string_views) and a stored name (strings), component by component,
// so find() needs no joined copy of the name. The seed is fixed: names come from the
// operator's files, and a client can only query them, never insert colliding ones.
template <class Components>
std::uint64_t hash_name(const Components& components) {
  std::uint64_t h = 0x243f6a8885a308d3ULL ^ components.size();
  for (const auto& c : components) {
    h = fmix64(h + std::hash<std::string_view>{}(std::string_view(c)));
  }
  return h;
}

template <class Components>
bool same_name(const Principal& p, const Components& q) {
  if (p.components.size() != q.size()) return false;
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (std::string_view(p.components[i]) != std::string_view(q[i])) return false;
  }
  return true;
}

// Lemire's multiply-shift maps the hash to [0, n) for any n below 2^32, so the table can be
// sized to the load factor exactly instead of to the next power of two.
std::size_t home(std::uint64_t h, std::size_t n) {
  return static_cast<std::size_t>(((h >> 32) * static_cast<std::uint64_t>(n)) >> 32);
}

template <class Components>
std::uint32_t lookup(const std::vector<Slot>& slots, const std::vector<Principal>& principals,
                     const Components& q, std::uint64_t h) {
  const std::size_t n = slots.size();
  if (n == 0) return kEmpty;
  const auto tag = static_cast<std::uint32_t>(h);
  for (std::size_t i = home(h, n);; i = i + 1 == n ? 0 : i + 1) {
    const Slot s = slots[i];
    if (s.index == kEmpty) return kEmpty;
    if (s.tag == tag && same_name(principals[s.index], q)) return s.index;
  }
}

template <class Components>
std::uint32_t lookup(const std::vector<Slot>& slots, const std::vector<Principal>& principals,
                     const Components& q) {
  return slots.empty() ? kEmpty : lookup(slots, principals, q, hash_name(q));
}

void insert_new(std::vector<Slot>& slots, std::uint64_t h, std::uint32_t index) {
  const std::size_t n = slots.size();
  std::size_t i = home(h, n);
  while (slots[i].index != kEmpty) i = i + 1 == n ? 0 : i + 1;
  slots[i] = Slot{static_cast<std::uint32_t>(h), index};
}

void rehash(std::vector<Slot>& slots, const std::vector<Principal>& principals, std::size_t n) {
  std::vector<Slot> fresh(n, Slot{0, kEmpty});
  for (std::size_t i = 0; i < principals.size(); ++i) {
    insert_new(fresh, hash_name(principals[i].components), static_cast<std::uint32_t>(i));
  }
  slots = std::move(fresh);
}

// What glibc malloc takes for a request of n bytes: an 8-byte header, 16-byte granularity,
// 32 bytes at least (mmap'd blocks over 128 KiB round to pages; the difference is noise).
std::size_t heap_block(std::size_t n) {
  if (n == 0) return 0;
  return std::max<std::size_t>(32, (n + 8 + 15) & ~std::size_t{15});
}

std::size_t string_heap(const std::string& s) {
  const auto self = reinterpret_cast<std::uintptr_t>(&s);
  const auto data = reinterpret_cast<std::uintptr_t>(s.data());
  if (data >= self && data < self + sizeof(s)) return 0;  // short-string buffer, inline
  return heap_block(s.capacity() + 1);
}

template <class T>
std::size_t vector_heap(const std::vector<T>& v) {
  return heap_block(v.capacity() * sizeof(T));
}

std::size_t principal_heap(const Principal& p) {
  std::size_t n =
      vector_heap(p.components) + vector_heap(p.keys) + vector_heap(p.authorization_data);
  for (const std::string& c : p.components) n += string_heap(c);
  for (const PrincipalKey& k : p.keys) n += string_heap(k.salt);
  for (const AuthorizationElement& a : p.authorization_data) n += vector_heap(a.ad_data);
  return n;
}

bool valid_key(const PrincipalKey& k) {
  const krb::crypto::EnctypeInfo* info = krb::crypto::enctype_info(k.key.etype);
  return info != nullptr && k.key.bytes.size() == info->key_bytes;
}

// The snapshot keeps what it is given for years of uptime: give back the slack of vectors
// and strings that grew while the caller built them.
void shrink(Principal& p) {
  p.components.shrink_to_fit();
  for (std::string& c : p.components) c.shrink_to_fit();
  p.keys.shrink_to_fit();
  for (PrincipalKey& k : p.keys) k.salt.shrink_to_fit();
  p.authorization_data.shrink_to_fit();
  for (AuthorizationElement& a : p.authorization_data) a.ad_data.shrink_to_fit();
}

}  // namespace

const PrincipalKey* Principal::key_for(std::int32_t etype) const {
  const PrincipalKey* best = nullptr;
  for (const PrincipalKey& k : keys) {
    if (static_cast<std::int32_t>(k.key.etype) != etype) continue;
    if (best == nullptr || k.kvno > best->kvno) best = &k;
  }
  return best;
}

struct PrincipalDb::Impl {
  RealmPolicy policy;
  std::vector<Principal> principals;
  std::vector<Slot> slots;
  std::uint32_t krbtgt = kEmpty;
  std::size_t approximate_bytes = 0;
};

PrincipalDb::PrincipalDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrincipalDb::PrincipalDb(PrincipalDb&&) noexcept = default;
PrincipalDb& PrincipalDb::operator=(PrincipalDb&&) noexcept = default;
PrincipalDb::~PrincipalDb() = default;

const Principal* PrincipalDb::find(std::span<const std::string_view> components) const {
  const std::uint32_t i = lookup(impl_->slots, impl_->principals, components);
  return i == kEmpty ? nullptr : &impl_->principals[i];
}

const Principal* PrincipalDb::find(std::string_view slash_joined) const {
  std::array<std::string_view, kMaxSlashComponents> parts;
  std::size_t n = 0;
  std::size_t start = 0;
  for (;;) {
    if (n == parts.size()) return nullptr;
    const std::size_t slash = slash_joined.find('/', start);
    parts[n++] = slash_joined.substr(start, slash - start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return find(std::span<const std::string_view>(parts.data(), n));
}

const Principal& PrincipalDb::krbtgt() const {
  return impl_->principals[impl_->krbtgt];
}
const RealmPolicy& PrincipalDb::policy() const {
  return impl_->policy;
}
std::size_t PrincipalDb::size() const {
  return impl_->principals.size();
}
std::span<const Principal> PrincipalDb::principals() const {
  return impl_->principals;
}
std::size_t PrincipalDb::approximate_bytes_without_keys() const {
  return impl_->approximate_bytes;
}

PrincipalDb::Builder::Builder(RealmPolicy policy) : impl_(std::make_unique<Impl>()) {
  impl_->policy = std::move(policy);
}
PrincipalDb::Builder::Builder(Builder&&) noexcept = default;
PrincipalDb::Builder::~Builder() = default;

void PrincipalDb::Builder::reserve(std::size_t n) {
  if (!impl_ || n > kMaxPrincipals) return;
  impl_->principals.reserve(n);
  if (slots_for(n) > impl_->slots.size()) rehash(impl_->slots, impl_->principals, slots_for(n));
}

krb::Status PrincipalDb::Builder::add(Principal p) {
  if (!impl_) return Err::kInvalidArgument;  // build() was called
  if (p.components.empty() || p.keys.empty()) return Err::kInvalidArgument;
  for (const std::string& c : p.components) {
    if (c.empty() || c.find('\0') != std::string::npos) return Err::kInvalidArgument;
  }
  for (const PrincipalKey& k : p.keys) {
    if (!valid_key(k)) return Err::kInvalidArgument;
  }
  std::vector<Principal>& ps = impl_->principals;
  if (ps.size() >= kMaxPrincipals) return Err::kInvalidArgument;
  const std::uint64_t h = hash_name(p.components);
  if (lookup(impl_->slots, ps, p.components, h) != kEmpty) return Err::kInvalidArgument;

  if (slots_for(ps.size() + 1) > impl_->slots.size()) {
    rehash(impl_->slots, ps, slots_for(2 * (ps.size() + 1)));
  }
  shrink(p);
  const auto index = static_cast<std::uint32_t>(ps.size());
  insert_new(impl_->slots, h, index);
  ps.push_back(std::move(p));
  return krb::ok_status();
}

krb::Result<PrincipalDb> PrincipalDb::Builder::build() && {
  if (!impl_) return Err::kInvalidArgument;
  Impl& m = *impl_;
  const std::array<std::string_view, 2> tgs = {"krbtgt", m.policy.realm};
  m.krbtgt = lookup(m.slots, m.principals, tgs);
  if (m.krbtgt == kEmpty) return Err::kMissingField;

  // Growth left slack in both vectors; the snapshot keeps exactly what it needs.
  m.principals.shrink_to_fit();
  if (m.slots.size() != slots_for(m.principals.size())) {
    rehash(m.slots, m.principals, slots_for(m.principals.size()));
  }

  std::size_t bytes = heap_block(sizeof(Impl)) + string_heap(m.policy.realm) +
                      vector_heap(m.principals) + vector_heap(m.slots);
  for (const Principal& p : m.principals) bytes += principal_heap(p);
  m.approximate_bytes = bytes;
  return PrincipalDb(std::move(impl_));
}

}  // namespace kdcperf::kdc::db
