// The client population: who the load generator's clients are (names, passwords) and the
// long-term keys they seal PA-ENC-TIMESTAMP with (RFC 4120 §5.2.7.2) and open AS-REPs with.
//
// Built for millions of clients. Nothing is allocated per client: names live in one arena
// (components separated by NUL, which a KerberosString cannot hold), passwords and keys in wiped
// arenas (SecretArena), salts in another arena and only when a probe learned a non-default one.
// The realm is stored once. A client is a 28-byte record plus its name, password and key bytes
// (memory_bytes() counts them; about 80 bytes a client for `user{i}`/`pw-{i}` names).
//
// Life cycle: add clients (one principal, a `user{i}` pattern, a keytab, a
// `principal[:password]` file), optionally apply what probes learned (apply_salt_info), derive
// keys on every core (derive_keys) or load them from a keytab, then share the population
// read-only (std::shared_ptr<const Population>) with the workers. Readers never lock; the
// mutating calls must not run while workers read, with one exception: apply_salt_info may run
// (from several threads) while probe requests for other clients are built: it writes only
// that client's salt, count and key fields and the salt arena, which building a request for
// another client does not read.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/secret.hpp"
#include "krb/crypto/enctype.hpp"
#include "krb/crypto/key.hpp"
#include "krb/proto/principal.hpp"

namespace kdcperf::loadgen::clients {

using krb::crypto::Enctype;

// MIT's preference order among the enctypes kdcperf implements (KERBEROS-INTEROP.md §1.2:
// 18 17 20 19 16 23 25 26 without the ones not implemented).
inline constexpr std::array<std::int32_t, 5> kDefaultEtypes = {18, 17, 20, 19, 23};

// A growable byte arena whose storage is a SecretBytes: growing copies into a new SecretBytes
// and the old one is wiped when dropped, so no copy of a password or key is left in freed memory.
class SecretArena {
 public:
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return buf_.size(); }
  void reserve(std::size_t n);
  // Appends bytes and returns their offset.
  std::size_t append(krb::ByteView bytes);
  // Grows or shrinks the used size; new bytes are zero.
  void resize(std::size_t n);
  krb::ByteView view(std::size_t off, std::size_t len) const { return {buf_.data() + off, len}; }
  krb::MutableByteView mutable_view(std::size_t off, std::size_t len) {
    return {buf_.data() + off, len};
  }

 private:
  krb::SecretBytes buf_;
  std::size_t size_ = 0;
};

// "comp1/comp2@REALM" as MIT's krb5_parse_name reads it: '/' separates components, '@' starts
// the realm, a backslash escapes the next character (\/ \@ \\ and \0 \t \n \b). realm is empty
// when the text names none.
struct ParsedPrincipal {
  std::vector<std::string> components;
  std::string realm;
};
krb::Result<ParsedPrincipal> parse_principal(std::string_view text);

// One Key per implemented enctype, refilled in place from a population's key bytes, so a worker
// can hand KeyCache::get() a Key without allocating one per request.
class KeyScratch {
 public:
  KeyScratch();
  // The scratch Key of this etype holding `bytes`; nullptr for an unknown etype or a length
  // that does not fit it.
  const krb::crypto::Key* load(Enctype etype, krb::ByteView bytes);

 private:
  std::array<krb::crypto::Key, 5> keys_;
};

// What a PA-ETYPE-INFO2 entry (RFC 4120 §5.2.7.5) told us about a client's key.
struct SaltInfo {
  Enctype etype = Enctype::AES256_CTS_HMAC_SHA1_96;
  std::optional<std::string> salt;  // nullopt: the default salt (realm || components)
  std::uint32_t iterations = 0;     // from s2kparams; 0: the etype's default
};

struct DeriveOptions {
  // The etype of clients whose etype no probe or keytab decided.
  Enctype etype = Enctype::AES256_CTS_HMAC_SHA1_96;
  unsigned threads = 0;  // 0: every core (std::thread::hardware_concurrency)
  // Called on the calling thread, about every progress_interval and once at the end.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  std::chrono::milliseconds progress_interval{250};
  bool rederive = false;  // also derive clients that already have a key
};

struct DeriveReport {
  std::uint64_t derived = 0;
  std::uint64_t skipped = 0;  // had a key already
  std::uint64_t failed = 0;   // no password, or string-to-key refused it
  std::uint32_t first_failed_client = 0;
  krb::Error first_error;
  std::chrono::nanoseconds elapsed{};
  unsigned threads = 0;
};

class Population {
 public:
  // Bytes of key storage per client: the longest key kdcperf implements (AES-256).
  static constexpr std::size_t kKeySlot = 32;
  static constexpr std::size_t kMaxClients = 0xfffffffe;  // RequestToken::client is 32 bits

  explicit Population(std::string realm = {});
  Population(Population&&) noexcept;
  Population& operator=(Population&&) noexcept;
  ~Population();

  // ---- sources (cold path) --------------------------------------------------------------
  // One principal ("alice", "host/h.test", "alice@REALM") with an optional password. A realm
  // in the name must match the population's (the first one named sets it when it is empty).
  krb::Status add(std::string_view principal, std::optional<std::string_view> password);
  // name_pattern and password_pattern with "{i}" replaced by each i in [first, last]
  // (`user{i}` / `pw-{i}`). A password pattern without "{i}" is stored once and shared.
  krb::Status add_pattern(std::string_view name_pattern, std::string_view password_pattern,
                          std::uint64_t first, std::uint64_t last);
  // One `principal[:password]` a line; blank lines and lines starting with '#' are skipped, a
  // trailing '\r' is dropped, and the password is everything after the first ':' that is not
  // escaped with a backslash.
  krb::Status add_lines(std::string_view text);
  // Every distinct principal of a keytab (krb/files), with its key: per principal the entry of
  // the first etype in `preference` it has (default kDefaultEtypes), highest kvno. No password,
  // so a reply in another etype cannot be opened.
  krb::Status add_keytab(krb::ByteView keytab, std::span<const std::int32_t> preference = {});

  // ---- keys ------------------------------------------------------------------------------
  // string-to-key for every client (RFC 3961 §3; salt and iterations as apply_salt_info set
  // them, else the default salt and count), on opts.threads threads.
  krb::Result<DeriveReport> derive_keys(const DeriveOptions& opts);
  // Records what a probe learned (etype, salt, s2kparams) for a client; the next derive_keys
  // uses it. Drops the client's key if it no longer matches. Serialised by a mutex against
  // other calls; must not run concurrently with readers.
  krb::Status apply_salt_info(std::uint32_t client, const SaltInfo& info);
  // Sets one client's key (from a keytab, or a test).
  krb::Status set_key(std::uint32_t client, const krb::crypto::Key& key);
  // The derived keys as a 0x502 keytab (kvno, timestamp as given), for a second run.
  krb::Result<krb::SecretBytes> to_keytab(std::uint32_t timestamp, std::uint32_t kvno = 1) const;
  // Keys from a keytab written by to_keytab (or ktadd): matched by principal; per client the
  // entry of its etype when a probe set one, else the first etype of `preference` it has
  // (default kDefaultEtypes). Returns how many clients got a key.
  krb::Result<std::uint64_t> load_keys(krb::ByteView keytab,
                                       std::span<const std::int32_t> preference = {});

  // ---- reading (hot path; any number of threads) -------------------------------------------
  std::size_t size() const { return records_.size(); }
  const std::string& realm() const { return realm_; }
  // The client's name as an NT-PRINCIPAL PrincipalName whose views point into the arena.
  void principal_name(std::uint32_t client, krb::proto::PrincipalName* out) const;
  // Same components (RFC 4120 §6.2: the name-type does not count).
  bool same_name(std::uint32_t client, const krb::proto::PrincipalName& name) const;
  std::size_t component_count(std::uint32_t client) const { return records_[client].ncomp; }

  bool has_key(std::uint32_t client) const { return records_[client].etype != 0; }
  // The key's etype (meaningful when has_key, or after apply_salt_info).
  Enctype key_etype(std::uint32_t client) const;
  krb::ByteView key_bytes(std::uint32_t client) const;
  // A Key object holding a copy of the key (cold path: allocates).
  krb::Result<krb::crypto::Key> key(std::uint32_t client) const;

  bool has_password(std::uint32_t client) const { return records_[client].flags & kHasPassword; }
  // Borrowed from the wiped arena; valid while the population lives and is not modified.
  std::optional<std::string_view> password(std::uint32_t client) const;
  // The salt string-to-key uses: the learned one, else realm || components (RFC 4120 §4).
  void salt(std::uint32_t client, std::string* out) const;
  bool salt_equals(std::uint32_t client, std::string_view salt) const;
  bool uses_default_salt(std::uint32_t client) const {
    return !(records_[client].flags & kHasSalt);
  }
  std::uint32_t iterations(std::uint32_t client) const { return records_[client].iterations; }
  // s2kparams bytes for the learned iteration count (4 bytes big-endian), empty for default.
  void s2kparams(std::uint32_t client, std::array<std::byte, 4>* buf, krb::ByteView* out) const;
  // "name@REALM" (cold path).
  std::string unparse(std::uint32_t client) const;

  // Heap bytes held: records, name, password and salt arenas (capacity, not size).
  std::size_t memory_bytes() const;
  // Of which key storage.
  std::size_t key_bytes_total() const { return keys_.capacity(); }

 private:
  static constexpr std::uint8_t kHasPassword = 1;
  static constexpr std::uint8_t kHasSalt = 2;
  static constexpr std::uint8_t kEtypeFixed = 4;  // etype set by a probe or keytab

  struct Record {
    std::uint32_t name_off = 0;
    std::uint32_t pw_off = 0;
    std::uint32_t salt_off = 0;
    std::uint32_t iterations = 0;
    std::uint16_t name_len = 0;
    std::uint16_t pw_len = 0;
    std::uint16_t salt_len = 0;
    std::uint8_t ncomp = 0;
    std::uint8_t etype = 0;         // key etype; 0 while there is no key
    std::uint8_t wanted_etype = 0;  // etype a probe or keytab chose; 0: derive's default
    std::uint8_t flags = 0;
  };
  static_assert(sizeof(Record) <= 28);

  krb::Status adopt_realm(std::string_view realm);
  krb::Status add_parsed(const std::vector<std::string>& components,
                         std::optional<std::uint32_t> pw_off, std::uint16_t pw_len);
  krb::Result<std::uint32_t> append_password(std::string_view pw);
  std::string_view joined_name(std::uint32_t client) const {
    const Record& r = records_[client];
    return {names_.data() + r.name_off, r.name_len};
  }
  bool default_salt_equals(std::uint32_t client, std::string_view salt) const;
  void ensure_key_storage();
  krb::Status derive_one(std::uint32_t client, Enctype default_etype, std::string* salt_buf);

  std::string realm_;
  std::vector<Record> records_;
  std::string names_;  // components of every client, NUL-separated, back to back
  SecretArena passwords_;
  std::string salts_;
  SecretArena keys_;  // kKeySlot bytes per client, in client order
  std::unique_ptr<std::mutex> apply_mutex_;
};

}  // namespace kdcperf::loadgen::clients
