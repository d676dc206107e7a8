// PrincipalDb: the KDC's principals as one read-only snapshot in memory. Built once (by the
// loaders in kdc/db/loaders.hpp), then shared by every worker thread: lookups are const and
// take no lock. Replacing the realm means building a new snapshot.
//
// A principal is named by its components without the realm ("alice", "host/kdc.example");
// the snapshot serves exactly one realm (RFC 4120 §3.1.2: cross-realm is out of scope here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/crypto/key.hpp"

namespace kdcperf::kdc::db {

// One long-term key and what a client needs to derive it again (PA-ETYPE-INFO2, RFC 4120
// §5.2.7.5).
struct PrincipalKey {
  krb::crypto::Key key;
  std::uint32_t kvno = 1;
  // The salt string-to-key used. Advertised in ETYPE-INFO2 (RC4-HMAC ignores it).
  std::string salt;
  // PBKDF2 iteration count when it is not the enctype's default: advertised as s2kparams.
  std::optional<std::uint32_t> iterations;
};

// Ticket policy; 0 means "the realm's value".
struct PrincipalPolicy {
  bool requires_preauth = true;    // MIT's +requires_preauth
  bool disabled = false;           // answered with KDC_ERR_CLIENT_REVOKED
  std::int64_t expiration = 0;     // Unix seconds; 0: never. Past it: KDC_ERR_NAME_EXP
  std::int64_t pw_expiration = 0;  // Unix seconds; 0: never. EncASRepPart key-expiration
  std::int64_t max_life = 0;       // seconds
  std::int64_t max_renewable_life = 0;
  bool allow_forwardable = true;
  bool allow_proxiable = true;
  bool allow_renewable = true;
  bool no_pac = false;  // MIT's +no_auth_data_required
};

// An authorization-data element to place in this principal's tickets (RFC 4120 §5.2.6), in
// addition to the PAC.
struct AuthorizationElement {
  std::int32_t ad_type = 0;
  krb::Buffer ad_data;
};

struct Principal {
  std::vector<std::string> components;  // without the realm
  // Ordered by preference: the first key of an enctype the client asked for wins.
  std::vector<PrincipalKey> keys;
  PrincipalPolicy policy;
  std::vector<AuthorizationElement> authorization_data;

  // The first key of this enctype (highest kvno first when several), or nullptr.
  const PrincipalKey* key_for(std::int32_t etype) const;
};

struct RealmPolicy {
  std::string realm;
  std::int64_t clock_skew = 300;                // seconds (RFC 4120 §1.6 "typically 5 minutes")
  std::int64_t max_life = 10 * 3600;            // Debian's kdc.conf default
  std::int64_t max_renewable_life = 7 * 86400;  // Debian's kdc.conf default
  bool pac = true;                              // MIT 1.20: a minimal PAC in every TGT
};

class PrincipalDb {
 public:
  class Builder;

  PrincipalDb(PrincipalDb&&) noexcept;
  PrincipalDb& operator=(PrincipalDb&&) noexcept;
  ~PrincipalDb();

  // The principal with exactly these components, or nullptr. Components are compared byte
  // for byte (no case folding: MIT compares exactly). Const, no lock, no allocation.
  const Principal* find(std::span<const std::string_view> components) const;
  // "alice", "host/kdc.example" (components joined by '/', no escaping, at most
  // kMaxSlashComponents of them): for tools and tests.
  static constexpr std::size_t kMaxSlashComponents = 16;
  const Principal* find(std::string_view slash_joined) const;

  // krbtgt/REALM, present in every snapshot.
  const Principal& krbtgt() const;
  const RealmPolicy& policy() const;
  std::size_t size() const;  // principals, krbtgt included
  // Every principal (krbtgt included) in the order they were added: for exporters and tools.
  std::span<const Principal> principals() const;

  // Approximate heap bytes of the snapshot excluding key material, for the memory budget:
  // structs, vector capacities, strings beyond their inline buffer and the name index, each
  // heap block rounded as glibc malloc does (8-byte header, 16-byte steps, 32 bytes minimum).
  // Only the key bytes themselves (SecretBytes buffers) are left out.
  std::size_t approximate_bytes_without_keys() const;

 private:
  struct Impl;
  explicit PrincipalDb(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class PrincipalDb::Builder {
 public:
  explicit Builder(RealmPolicy policy);
  Builder(Builder&&) noexcept;
  ~Builder();

  // kInvalidArgument: no components, an empty component, a component with '\0', no keys, a
  // key of an enctype this library does not implement or of the wrong length, a name
  // already added, or 2^30 principals already. Vectors and strings are shrunk to fit.
  krb::Status add(Principal p);
  // Sizes the storage and the name index for n principals (build() then needs no rehash).
  void reserve(std::size_t n);
  // kMissingField without krbtgt/REALM.
  krb::Result<PrincipalDb> build() &&;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kdcperf::kdc::db
