#include "loadgen/clients/population.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <thread>
#include <unordered_map>

#include "krb/crypto/string_to_key.hpp"
#include "krb/files/keytab.hpp"

namespace kdcperf::loadgen::clients {

using krb::Err;
using krb::Result;
using krb::Status;

namespace {

constexpr std::size_t kMaxArena = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kMaxField = std::numeric_limits<std::uint16_t>::max();

int etype_slot(Enctype e) {
  switch (e) {
    case Enctype::AES128_CTS_HMAC_SHA1_96:
      return 0;
    case Enctype::AES256_CTS_HMAC_SHA1_96:
      return 1;
    case Enctype::AES128_CTS_HMAC_SHA256_128:
      return 2;
    case Enctype::AES256_CTS_HMAC_SHA384_192:
      return 3;
    case Enctype::RC4_HMAC:
      return 4;
  }
  return -1;
}

constexpr std::array<Enctype, 5> kSlotEtypes = {
    Enctype::AES128_CTS_HMAC_SHA1_96, Enctype::AES256_CTS_HMAC_SHA1_96,
    Enctype::AES128_CTS_HMAC_SHA256_128, Enctype::AES256_CTS_HMAC_SHA384_192, Enctype::RC4_HMAC};

bool implemented(std::int32_t e) {
  return krb::crypto::enctype_info(e) != nullptr;
}

std::string substitute(std::string_view pattern, std::string_view value) {
  std::string out;
  out.reserve(pattern.size() + value.size());
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern.compare(i, 3, "{i}") == 0) {
      out += value;
      i += 3;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

}  // namespace

// ---- SecretArena ------------------------------------------------------------------------------

void SecretArena::reserve(std::size_t n) {
  if (n <= buf_.size()) return;
  krb::SecretBytes bigger(n);
  if (size_ != 0) std::memcpy(bigger.data(), buf_.data(), size_);
  buf_ = std::move(bigger);  // the old storage is wiped as it is dropped
}

std::size_t SecretArena::append(krb::ByteView bytes) {
  const std::size_t off = size_;
  if (size_ + bytes.size() > buf_.size()) {
    reserve(std::max<std::size_t>({64, buf_.size() * 2, size_ + bytes.size()}));
  }
  if (!bytes.empty()) std::memcpy(buf_.data() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
  return off;
}

void SecretArena::resize(std::size_t n) {
  // Geometric growth: a keytab of a million clients grows the key storage once per client.
  if (n > buf_.size()) reserve(std::max(n, buf_.size() * 2));
  if (n > size_) {
    std::memset(buf_.data() + size_, 0, n - size_);
  } else if (n < size_) {
    krb::secure_wipe(buf_.data() + n, size_ - n);
  }
  size_ = n;
}

// ---- principal names -------------------------------------------------------------------------

Result<ParsedPrincipal> parse_principal(std::string_view text) {
  ParsedPrincipal p;
  std::string cur;
  bool in_realm = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      if (++i == text.size()) return Err::kInvalidArgument;  // a lone trailing backslash
      switch (text[i]) {
        case '0':
          c = '\0';
          break;
        case 't':
          c = '\t';
          break;
        case 'n':
          c = '\n';
          break;
        case 'b':
          c = '\b';
          break;
        default:
          c = text[i];
      }
      if (c == '\0') return Err::kBadString;  // KerberosString cannot hold NUL
      cur += c;
      continue;
    }
    if (c == '\0') return Err::kBadString;
    if (c == '/' && !in_realm) {
      p.components.push_back(std::move(cur));
      cur.clear();
    } else if (c == '@' && !in_realm) {
      p.components.push_back(std::move(cur));
      cur.clear();
      in_realm = true;
    } else if (c == '@') {
      return Err::kInvalidArgument;  // a second '@'
    } else {
      cur += c;
    }
  }
  if (in_realm) {
    if (cur.empty()) return Err::kInvalidArgument;  // "name@"
    p.realm = std::move(cur);
  } else {
    p.components.push_back(std::move(cur));
  }
  if (p.components.empty() || p.components.size() > krb::proto::kMaxNameComponents) {
    return Err::kInvalidArgument;
  }
  for (const auto& c : p.components) {
    if (c.empty()) return Err::kInvalidArgument;
  }
  return p;
}

// ---- KeyScratch ------------------------------------------------------------------------------

KeyScratch::KeyScratch() {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    keys_[i].etype = kSlotEtypes[i];
    keys_[i].bytes = krb::SecretBytes(krb::crypto::enctype_info(kSlotEtypes[i])->key_bytes);
  }
}

const krb::crypto::Key* KeyScratch::load(Enctype etype, krb::ByteView bytes) {
  const int slot = etype_slot(etype);
  if (slot < 0) return nullptr;
  krb::crypto::Key& k = keys_[static_cast<std::size_t>(slot)];
  if (bytes.size() != k.bytes.size()) return nullptr;
  std::memcpy(k.bytes.data(), bytes.data(), bytes.size());
  return &k;
}

// ---- Population: building ------------------------------------------------------------------

Population::Population(std::string realm)
    : realm_(std::move(realm)), apply_mutex_(std::make_unique<std::mutex>()) {}
Population::Population(Population&&) noexcept = default;
Population& Population::operator=(Population&&) noexcept = default;
Population::~Population() = default;

Status Population::adopt_realm(std::string_view realm) {
  if (realm.empty()) return krb::ok_status();
  if (realm_.empty()) {
    if (realm.find('\0') != std::string_view::npos) return Err::kBadString;
    realm_ = std::string(realm);
    return krb::ok_status();
  }
  return realm == realm_ ? krb::ok_status() : Status(Err::kInvalidArgument);
}

Result<std::uint32_t> Population::append_password(std::string_view pw) {
  if (pw.size() > kMaxField) return Err::kInvalidArgument;
  if (passwords_.size() + pw.size() > kMaxArena) return Err::kTooMany;
  return static_cast<std::uint32_t>(passwords_.append(krb::as_bytes(pw)));
}

Status Population::add_parsed(const std::vector<std::string>& components,
                              std::optional<std::uint32_t> pw_off, std::uint16_t pw_len) {
  if (records_.size() >= kMaxClients) return Err::kTooMany;
  std::size_t len = components.size() - 1;
  for (const auto& c : components) len += c.size();
  if (len > kMaxField) return Err::kInvalidArgument;
  if (names_.size() + len > kMaxArena) return Err::kTooMany;
  Record r;
  r.name_off = static_cast<std::uint32_t>(names_.size());
  r.name_len = static_cast<std::uint16_t>(len);
  r.ncomp = static_cast<std::uint8_t>(components.size());
  for (std::size_t i = 0; i < components.size(); ++i) {
    if (i != 0) names_ += '\0';
    names_ += components[i];
  }
  if (pw_off) {
    r.pw_off = *pw_off;
    r.pw_len = pw_len;
    r.flags |= kHasPassword;
  }
  records_.push_back(r);
  return krb::ok_status();
}

Status Population::add(std::string_view principal, std::optional<std::string_view> password) {
  KRB_ASSIGN_OR_RETURN(ParsedPrincipal p, parse_principal(principal));
  KRB_RETURN_IF_ERROR(adopt_realm(p.realm));
  std::optional<std::uint32_t> off;
  if (password) {
    KRB_ASSIGN_OR_RETURN(off, append_password(*password));
  }
  return add_parsed(p.components, off, static_cast<std::uint16_t>(password ? password->size() : 0));
}

Status Population::add_pattern(std::string_view name_pattern, std::string_view password_pattern,
                               std::uint64_t first, std::uint64_t last) {
  if (last < first) return Err::kInvalidArgument;
  if (name_pattern.find("{i}") == std::string_view::npos) return Err::kInvalidArgument;
  if (last - first >= kMaxClients - records_.size()) return Err::kTooMany;
  const bool shared_pw = password_pattern.find("{i}") == std::string_view::npos;
  std::optional<std::uint32_t> shared_off;
  if (shared_pw) {
    KRB_ASSIGN_OR_RETURN(shared_off, append_password(password_pattern));
  }
  const std::uint64_t n = last - first + 1;
  records_.reserve(records_.size() + n);
  // Pre-size the arenas from the longest expansion, so a million clients do not regrow them
  // twenty times (each SecretArena regrowth copies and wipes).
  const std::size_t digits = std::to_string(last).size();
  names_.reserve(names_.size() + n * (name_pattern.size() + digits));
  if (!shared_pw) passwords_.reserve(passwords_.size() + n * (password_pattern.size() + digits));
  std::string pw;
  for (std::uint64_t i = first;; ++i) {
    const std::string num = std::to_string(i);
    KRB_ASSIGN_OR_RETURN(ParsedPrincipal p, parse_principal(substitute(name_pattern, num)));
    KRB_RETURN_IF_ERROR(adopt_realm(p.realm));
    std::optional<std::uint32_t> off = shared_off;
    std::size_t pw_len = password_pattern.size();
    if (!shared_pw) {
      pw = substitute(password_pattern, num);
      KRB_ASSIGN_OR_RETURN(off, append_password(pw));
      pw_len = pw.size();
      krb::secure_wipe(pw.data(), pw.size());
    }
    KRB_RETURN_IF_ERROR(add_parsed(p.components, off, static_cast<std::uint16_t>(pw_len)));
    if (i == last) break;
  }
  return krb::ok_status();
}

Status Population::add_lines(std::string_view text) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    // The first ':' not escaped by a backslash ends the principal.
    std::size_t colon = std::string_view::npos;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
      } else if (line[i] == ':') {
        colon = i;
        break;
      }
    }
    if (colon == std::string_view::npos) {
      KRB_RETURN_IF_ERROR(add(line, std::nullopt));
    } else {
      KRB_RETURN_IF_ERROR(add(line.substr(0, colon), line.substr(colon + 1)));
    }
  }
  return krb::ok_status();
}

Status Population::add_keytab(krb::ByteView keytab, std::span<const std::int32_t> preference) {
  KRB_ASSIGN_OR_RETURN(auto entries, krb::files::read_keytab(keytab));
  if (preference.empty()) preference = kDefaultEtypes;
  auto rank = [&](std::int32_t e) -> std::size_t {
    const auto it = std::find(preference.begin(), preference.end(), e);
    return it == preference.end() ? preference.size()
                                  : static_cast<std::size_t>(it - preference.begin());
  };
  // Best entry per distinct principal, in order of first appearance.
  std::vector<std::size_t> best;                      // index into entries, per new client
  std::unordered_map<std::string, std::size_t> seen;  // joined name -> position in best
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.principal.realm.empty() || !implemented(e.enctype) ||
        rank(e.enctype) == preference.size()) {
      continue;
    }
    std::string joined;
    for (std::size_t c = 0; c < e.principal.components.size(); ++c) {
      if (c != 0) joined += '\0';
      joined += e.principal.components[c];
    }
    auto [it, fresh] = seen.emplace(std::move(joined), best.size());
    if (fresh) {
      best.push_back(i);
      continue;
    }
    const auto& cur = entries[best[it->second]];
    if (rank(e.enctype) < rank(cur.enctype) || (e.enctype == cur.enctype && e.kvno > cur.kvno)) {
      best[it->second] = i;
    }
  }
  if (best.empty()) return Err::kNotFound;
  records_.reserve(records_.size() + best.size());
  for (const std::size_t i : best) {
    const auto& e = entries[i];
    KRB_RETURN_IF_ERROR(adopt_realm(e.principal.realm));
    if (e.principal.realm != realm_) return Err::kInvalidArgument;
    if (e.principal.components.empty() ||
        e.principal.components.size() > krb::proto::kMaxNameComponents) {
      return Err::kInvalidArgument;
    }
    for (const auto& c : e.principal.components) {
      if (c.empty() || c.find('\0') != std::string::npos) return Err::kBadString;
    }
    KRB_RETURN_IF_ERROR(add_parsed(e.principal.components, std::nullopt, 0));
    const krb::crypto::Key k{static_cast<Enctype>(e.enctype), e.key.clone()};
    KRB_RETURN_IF_ERROR(set_key(static_cast<std::uint32_t>(records_.size() - 1), k));
  }
  return krb::ok_status();
}

// ---- Population: keys ------------------------------------------------------------------------

void Population::ensure_key_storage() {
  const std::size_t need = records_.size() * kKeySlot;
  if (keys_.size() < need) keys_.resize(need);
}

Status Population::set_key(std::uint32_t client, const krb::crypto::Key& key) {
  if (client >= records_.size()) return Err::kInvalidArgument;
  const auto* info = krb::crypto::enctype_info(key.etype);
  if (info == nullptr) return Err::kUnknownEnctype;
  if (key.bytes.size() != info->key_bytes || key.bytes.size() > kKeySlot) {
    return Err::kBadKeyLength;
  }
  ensure_key_storage();
  auto slot = keys_.mutable_view(client * kKeySlot, kKeySlot);
  std::memset(slot.data(), 0, slot.size());
  std::memcpy(slot.data(), key.bytes.data(), key.bytes.size());
  Record& r = records_[client];
  r.etype = static_cast<std::uint8_t>(key.etype);
  r.wanted_etype = r.etype;
  r.flags |= kEtypeFixed;
  return krb::ok_status();
}

Enctype Population::key_etype(std::uint32_t client) const {
  const Record& r = records_[client];
  return static_cast<Enctype>(r.etype != 0 ? r.etype : r.wanted_etype);
}

krb::ByteView Population::key_bytes(std::uint32_t client) const {
  const Record& r = records_[client];
  if (r.etype == 0) return {};
  const auto* info = krb::crypto::enctype_info(static_cast<std::int32_t>(r.etype));
  return keys_.view(client * kKeySlot, info->key_bytes);
}

Result<krb::crypto::Key> Population::key(std::uint32_t client) const {
  if (client >= records_.size() || !has_key(client)) return Err::kNotFound;
  return krb::crypto::Key{key_etype(client), krb::SecretBytes(key_bytes(client))};
}

std::optional<std::string_view> Population::password(std::uint32_t client) const {
  const Record& r = records_[client];
  if (!(r.flags & kHasPassword)) return std::nullopt;
  return krb::as_chars(passwords_.view(r.pw_off, r.pw_len));
}

void Population::salt(std::uint32_t client, std::string* out) const {
  const Record& r = records_[client];
  out->clear();
  if (r.flags & kHasSalt) {
    out->assign(salts_.data() + r.salt_off, r.salt_len);
    return;
  }
  // RFC 4120 §4: the realm followed by the components, without separators.
  out->append(realm_);
  for (const char c : joined_name(client)) {
    if (c != '\0') out->push_back(c);
  }
}

bool Population::default_salt_equals(std::uint32_t client, std::string_view salt) const {
  if (!salt.starts_with(realm_)) return false;
  salt.remove_prefix(realm_.size());
  std::size_t j = 0;
  for (const char c : joined_name(client)) {
    if (c == '\0') continue;
    if (j == salt.size() || salt[j] != c) return false;
    ++j;
  }
  return j == salt.size();
}

bool Population::salt_equals(std::uint32_t client, std::string_view salt) const {
  const Record& r = records_[client];
  if (r.flags & kHasSalt) return salt == std::string_view(salts_.data() + r.salt_off, r.salt_len);
  return default_salt_equals(client, salt);
}

void Population::s2kparams(std::uint32_t client, std::array<std::byte, 4>* buf,
                           krb::ByteView* out) const {
  const std::uint32_t it = records_[client].iterations;
  if (it == 0) {
    *out = {};
    return;
  }
  krb::store_be32(buf->data(), it);
  *out = krb::ByteView(buf->data(), 4);
}

Status Population::apply_salt_info(std::uint32_t client, const SaltInfo& info) {
  if (client >= records_.size()) return Err::kInvalidArgument;
  if (krb::crypto::enctype_info(info.etype) == nullptr) return Err::kUnknownEnctype;
  std::lock_guard<std::mutex> lock(*apply_mutex_);
  Record& r = records_[client];
  const bool same_salt = info.salt ? salt_equals(client, *info.salt) : !(r.flags & kHasSalt);
  const bool same = r.etype == static_cast<std::uint8_t>(info.etype) && same_salt &&
                    r.iterations == info.iterations;
  if (info.salt && !same_salt) {
    if (default_salt_equals(client, *info.salt)) {
      r.flags &= static_cast<std::uint8_t>(~kHasSalt);
    } else {
      if (info.salt->size() > kMaxField || salts_.size() + info.salt->size() > kMaxArena) {
        return Err::kTooMany;
      }
      r.salt_off = static_cast<std::uint32_t>(salts_.size());
      r.salt_len = static_cast<std::uint16_t>(info.salt->size());
      salts_ += *info.salt;
      r.flags |= kHasSalt;
    }
  } else if (!info.salt) {
    r.flags &= static_cast<std::uint8_t>(~kHasSalt);
  }
  r.iterations = info.iterations;
  r.wanted_etype = static_cast<std::uint8_t>(info.etype);
  r.flags |= kEtypeFixed;
  if (!same && r.etype != 0) {
    // The stored key was made for another etype, salt or count: it is no longer this client's.
    if (keys_.size() >= (client + 1) * kKeySlot) {
      krb::secure_wipe(keys_.mutable_view(client * kKeySlot, kKeySlot).data(), kKeySlot);
    }
    r.etype = 0;
  }
  return krb::ok_status();
}

Status Population::derive_one(std::uint32_t client, Enctype default_etype, std::string* salt_buf) {
  Record& r = records_[client];
  if (!(r.flags & kHasPassword)) return Err::kNotFound;
  const Enctype etype = r.wanted_etype != 0 ? static_cast<Enctype>(r.wanted_etype) : default_etype;
  salt(client, salt_buf);
  std::array<std::byte, 4> s2k_buf;
  krb::ByteView s2k;
  s2kparams(client, &s2k_buf, &s2k);
  const auto pw = krb::as_chars(passwords_.view(r.pw_off, r.pw_len));
  KRB_ASSIGN_OR_RETURN(krb::crypto::Key k, krb::crypto::string_to_key(etype, pw, *salt_buf, s2k));
  auto slot = keys_.mutable_view(client * kKeySlot, kKeySlot);
  std::memset(slot.data(), 0, slot.size());
  std::memcpy(slot.data(), k.bytes.data(), k.bytes.size());
  r.etype = static_cast<std::uint8_t>(etype);
  return krb::ok_status();
}

Result<DeriveReport> Population::derive_keys(const DeriveOptions& opts) {
  if (krb::crypto::enctype_info(opts.etype) == nullptr) return Err::kUnknownEnctype;
  if (realm_.empty()) return Err::kInvalidArgument;
  ensure_key_storage();
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t total = records_.size();
  unsigned threads = opts.threads != 0 ? opts.threads : std::thread::hardware_concurrency();
  if (threads == 0) threads = 1;
  threads =
      static_cast<unsigned>(std::min<std::uint64_t>(threads, std::max<std::uint64_t>(1, total)));

  // Work is handed out in chunks from one atomic cursor; each thread writes only the records
  // and key slots of its own chunks, so no two threads touch the same bytes.
  constexpr std::uint64_t kChunk = 32;
  std::atomic<std::uint64_t> cursor{0};
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> derived{0};
  std::atomic<std::uint64_t> skipped{0};
  std::mutex fail_mutex;
  DeriveReport report;
  auto work = [&] {
    std::string salt_buf;
    for (;;) {
      const std::uint64_t begin = cursor.fetch_add(kChunk);
      if (begin >= total) return;
      const std::uint64_t end = std::min(total, begin + kChunk);
      for (std::uint64_t i = begin; i < end; ++i) {
        const auto c = static_cast<std::uint32_t>(i);
        if (records_[c].etype != 0 && !opts.rederive) {
          skipped.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        const Status s = derive_one(c, opts.etype, &salt_buf);
        if (s.ok()) {
          derived.fetch_add(1, std::memory_order_relaxed);
        } else {
          std::lock_guard<std::mutex> lock(fail_mutex);
          if (report.failed++ == 0) {
            report.first_failed_client = c;
            report.first_error = s.error();
          }
        }
      }
      done.fetch_add(end - begin, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> pool;
  pool.reserve(threads);
  std::mutex wake_mutex;
  std::condition_variable wake;
  std::atomic<unsigned> running{threads};
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      work();
      if (running.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(wake_mutex);
        wake.notify_all();
      }
    });
  }
  {
    std::unique_lock<std::mutex> lock(wake_mutex);
    while (running.load() != 0) {
      wake.wait_for(lock, opts.progress_interval, [&] { return running.load() == 0; });
      if (opts.progress && running.load() != 0) {
        lock.unlock();
        opts.progress(done.load(std::memory_order_relaxed), total);
        lock.lock();
      }
    }
  }
  for (auto& t : pool) t.join();
  if (opts.progress) opts.progress(total, total);
  report.derived = derived.load();
  report.skipped = skipped.load();
  report.threads = threads;
  report.elapsed = std::chrono::steady_clock::now() - t0;
  return report;
}

Result<krb::SecretBytes> Population::to_keytab(std::uint32_t timestamp, std::uint32_t kvno) const {
  std::vector<krb::files::KeytabEntry> entries;
  entries.reserve(records_.size());
  for (std::uint32_t i = 0; i < records_.size(); ++i) {
    if (!has_key(i)) continue;
    krb::files::KeytabEntry e;
    e.principal.name_type = krb::files::kNtPrincipal;
    e.principal.realm = realm_;
    const std::string_view name = joined_name(i);
    std::size_t start = 0;
    for (;;) {
      const std::size_t z = name.find('\0', start);
      e.principal.components.emplace_back(name.substr(start, z - start));
      if (z == std::string_view::npos) break;
      start = z + 1;
    }
    e.timestamp = timestamp;
    e.kvno = kvno;
    e.enctype = records_[i].etype;
    e.key = krb::SecretBytes(key_bytes(i));
    entries.push_back(std::move(e));
  }
  if (entries.empty()) return Err::kNotFound;
  return krb::files::write_keytab(entries);
}

Result<std::uint64_t> Population::load_keys(krb::ByteView keytab,
                                            std::span<const std::int32_t> preference) {
  if (preference.empty()) preference = kDefaultEtypes;
  if (preference.size() >= 0xff) return Err::kInvalidArgument;
  KRB_ASSIGN_OR_RETURN(auto entries, krb::files::read_keytab(keytab));
  std::unordered_map<std::string_view, std::uint32_t> index;
  index.reserve(records_.size());
  for (std::uint32_t i = 0; i < records_.size(); ++i) index.emplace(joined_name(i), i);
  // Per client, the rank of the chosen entry (lower is better) and which entry it is.
  constexpr std::uint8_t kNone = 0xff;
  std::vector<std::uint8_t> best_rank(records_.size(), kNone);
  std::vector<std::uint32_t> best_entry(records_.size(), 0);
  std::string joined;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const auto& e = entries[k];
    if (e.principal.realm != realm_ || !implemented(e.enctype)) continue;
    joined.clear();
    for (std::size_t c = 0; c < e.principal.components.size(); ++c) {
      if (c != 0) joined += '\0';
      joined += e.principal.components[c];
    }
    const auto it = index.find(joined);
    if (it == index.end()) continue;
    const std::uint32_t client = it->second;
    const Record& r = records_[client];
    std::uint8_t rank;
    if (r.flags & kEtypeFixed) {
      if (e.enctype != r.wanted_etype) continue;
      rank = 0;
    } else {
      const auto p = std::find(preference.begin(), preference.end(), e.enctype);
      if (p == preference.end()) continue;
      rank = static_cast<std::uint8_t>(p - preference.begin());
    }
    if (rank < best_rank[client] ||
        (rank == best_rank[client] && e.kvno > entries[best_entry[client]].kvno)) {
      best_rank[client] = rank;
      best_entry[client] = static_cast<std::uint32_t>(k);
    }
  }
  std::uint64_t loaded = 0;
  for (std::uint32_t i = 0; i < records_.size(); ++i) {
    if (best_rank[i] == kNone) continue;
    const auto& e = entries[best_entry[i]];
    const std::uint8_t keep_flags = records_[i].flags;
    KRB_RETURN_IF_ERROR(
        set_key(i, krb::crypto::Key{static_cast<Enctype>(e.enctype), e.key.clone()}));
    if (!(keep_flags & kEtypeFixed)) {
      // A key from a file does not pin the etype a later probe may choose.
      records_[i].flags = static_cast<std::uint8_t>(records_[i].flags & ~kEtypeFixed);
    }
    ++loaded;
  }
  return loaded;
}

// ---- Population: reading ---------------------------------------------------------------------

void Population::principal_name(std::uint32_t client, krb::proto::PrincipalName* out) const {
  out->name_type = krb::proto::NameType::NT_PRINCIPAL;
  out->components.clear();
  const std::string_view name = joined_name(client);
  std::size_t start = 0;
  for (;;) {
    const std::size_t z = name.find('\0', start);
    // ncomp <= kMaxNameComponents was checked when the client was added.
    (void)out->components.push_back(name.substr(start, z - start));
    if (z == std::string_view::npos) break;
    start = z + 1;
  }
}

bool Population::same_name(std::uint32_t client, const krb::proto::PrincipalName& name) const {
  const std::string_view joined = joined_name(client);
  if (name.components.size() != records_[client].ncomp) return false;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < name.components.size(); ++i) {
    const std::string_view c = name.components[i];
    if (i != 0) {
      if (pos >= joined.size() || joined[pos] != '\0') return false;
      ++pos;
    }
    if (joined.compare(pos, c.size(), c) != 0) return false;
    pos += c.size();
  }
  return pos == joined.size();
}

std::string Population::unparse(std::uint32_t client) const {
  krb::files::Principal p;
  p.realm = realm_;
  krb::proto::PrincipalName n;
  principal_name(client, &n);
  for (const auto c : n.components) p.components.emplace_back(c);
  return krb::files::unparse(p);
}

std::size_t Population::memory_bytes() const {
  return records_.capacity() * sizeof(Record) + names_.capacity() + passwords_.capacity() +
         salts_.capacity() + keys_.capacity() + realm_.capacity();
}

}  // namespace kdcperf::loadgen::clients
