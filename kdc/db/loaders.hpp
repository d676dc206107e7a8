// Where a PrincipalDb comes from: an MIT keytab, a realm file (JSON), or the zero-configuration
// embedded realm; and the way back out (export_keytab), so clients and tools can share keys
// with the KDC. Loaders run once at start-up (a cold path): they report what is wrong with
// the input as a sentence in *why (may be nullptr) besides the error code, and derive keys
// from passwords on several threads, because string-to-key is PBKDF2 (RFC 3962 §4, RFC 8009
// §4): 4096 HMAC iterations a key, about a millisecond each.
//
// The realm file. Every field but "realm" is optional; an unknown field, a value of the wrong
// type or range, a duplicate key or a duplicate principal is an error naming the principal
// and the field. Comments (// and /* */) are allowed. Durations are integer seconds or strings of
// <number><d|h|m|s> ("10h", "1d12h", "90s"). Enctypes are RFC 3961 numbers: 17, 18 (RFC 3962), 19,
// 20 (RFC 8009), 23 (RFC 4757).
//
//   {
//     "realm": "EXAMPLE.TEST",
//     "clock_skew": 300,                 // seconds (RealmPolicy defaults for all four)
//     "max_life": "10h",
//     "max_renewable_life": "7d",
//     "pac": true,
//     "krbtgt": {"password": "tgs-secret"},     // or {"keys": [...]}, or {"etypes": [18]}:
//                                               // random keys from LoadOptions::rng; absent:
//                                               // random keys of the default enctypes
//     "principals": [
//       {"name": "alice", "password": "secret"},  // keys of the default enctypes
//       {"name": "bob", "password": "pw", "etypes": [18, 17], "kvno": 3,
//        "requires_preauth": false, "disabled": false, "expiration": 1893456000,
//        "pw_expiration": 0, "max_life": "8h", "max_renewable_life": 0,
//        "allow_forwardable": true, "allow_proxiable": true, "allow_renewable": true,
//        "no_pac": false, "salt": "EXAMPLE.TESTbobby", "iterations": 8192,
//        "authorization_data": [{"ad_type": 1, "ad_data": "3000"}]},
//       {"name": "HTTP/www.example.test@EXAMPLE.TEST",   // "@REALM" must be the file's realm
//        "keys": [{"etype": 18, "kvno": 2, "key": "<64 hex digits>", "salt": "optional"},
//                 {"etype": 17, "kvno": 2, "key": "<32 hex digits>", "iterations": 4096}]}
//     ]
//   }
//
// Per principal: "name" (components joined by '/', no escaping) and exactly one of "password"
// (keys of "etypes", default kDefaultEtypes, in that order of preference) or "keys" (each with
// "etype" and "key" in hex). "kvno" (default 1), "salt" (default realm || components, RFC 4120
// §4) and "iterations" (PBKDF2 count, advertised as s2kparams when not the enctype's default;
// never below it, since MIT clients refuse that; ignored by RC4-HMAC) apply to every password
// key and are the defaults of each entry of "keys", which may set its own. krbtgt/REALM is
// named only by "krbtgt" (which takes "password", "keys", "etypes", "kvno", "salt",
// "iterations"), never in "principals".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kdc/db/principal_db.hpp"
#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/rng.hpp"
#include "krb/base/secret.hpp"

namespace kdcperf::kdc::db {

// Enctypes of keys derived from a password when none are named, in order of preference
// (MIT's 1.20 order among the enctypes libkrb implements, KERBEROS-INTEROP.md §1.2).
inline constexpr std::array<std::int32_t, 5> kDefaultEtypes = {18, 17, 20, 19, 23};

// Called on the calling thread about every 200 ms while keys are derived, and once at the
// end with done == total. Counts are keys (realm file) or users (embedded realm).
using ProgressFn = std::function<void(std::size_t done, std::size_t total)>;

struct LoadOptions {
  unsigned threads = 0;     // string-to-key threads; 0: std::thread::hardware_concurrency()
  krb::Rng* rng = nullptr;  // for random krbtgt keys; nullptr: krb::SystemRng
  ProgressFn progress;      // optional
};

// The principals of an MIT keytab (krb::files::read_keytab), one per name with all its keys,
// newest kvno first and file order within a kvno; a later entry with the same enctype and
// kvno as an earlier one is ignored (MIT's lookup finds the first). Every entry must be of
// policy.realm (kInvalidArgument otherwise); entries of enctypes libkrb does not implement are
// skipped. Keytabs hold no salts, so each key advertises the default salt (RFC 4120 §4) and the
// default iteration count: a principal whose keys were made with another salt must come from
// a realm file instead. Principals get PrincipalPolicy's defaults (pre-authentication
// required). kMissingField when krbtgt/REALM has no usable key; kInvalidArgument, or the
// decoder's error, for a malformed keytab.
krb::Result<PrincipalDb> load_keytab_realm(krb::ByteView keytab_bytes, const RealmPolicy& policy,
                                           std::string* why);

// A realm file as described at the top of this header. kInvalidArgument for every problem in
// the file (the sentence in *why says which principal and field); kMissingField never (krbtgt
// is always made); the string-to-key error when a password cannot be used (e.g. not UTF-8 for
// RC4-HMAC, RFC 4757 §2).
krb::Result<PrincipalDb> load_realm_json(std::string_view json_text, const LoadOptions& opts,
                                         std::string* why);

// The KDC's zero-configuration throwaway realm: `users` principals named by name_pattern with
// passwords from password_pattern, "{i}" replaced by i = 1..users in both ("user1"/"pw-1",
// ...), each with one key per enctype of `etypes` (default salt, default iterations, kvno 1).
// krbtgt gets random keys of the same enctypes from load.rng.
struct EmbeddedRealmOptions {
  RealmPolicy policy = RealmPolicy{.realm = "KDCPERF.TEST"};
  std::size_t users = 100;
  std::string name_pattern = "user{i}";  // '/' separates components ("host/h{i}.test")
  std::string password_pattern = "pw-{i}";
  std::vector<std::int32_t> etypes = {18};
  bool requires_preauth = true;
  // Keys drawn from load.rng instead of string-to-key: a realm too large to derive (a million
  // users at ~1 ms of PBKDF2 each), whose keys a load generator takes from export_keytab().
  // The passwords are then meaningless.
  bool random_keys = false;
  LoadOptions load;  // threads, rng, progress (counted in users)
};

// kInvalidArgument for options that cannot make a realm: an empty realm, a name pattern
// without "{i}" when users > 1, an empty name component, no enctypes, an enctype libkrb does
// not implement or given twice.
krb::Result<PrincipalDb> make_embedded_realm(const EmbeddedRealmOptions& o, std::string* why);

// Every key of every principal (krbtgt only when include_krbtgt) as an MIT 0x0502 keytab,
// principals in snapshot order and keys in preference order, each stamped with `timestamp`
// (Unix seconds). A keytab keeps no salts: only keys made with the default salt load back
// unchanged (load_keytab_realm). The bytes hold keys, so they come back as SecretBytes.
krb::Result<krb::SecretBytes> export_keytab(const PrincipalDb& db, bool include_krbtgt,
                                            std::uint32_t timestamp);

// "10h", "1d12h", "90m", "300s" or "300" as seconds: numbers each followed by d, h, m or s
// (a bare number is seconds), no sign, no spaces. kInvalidArgument otherwise or on overflow.
krb::Result<std::int64_t> parse_duration(std::string_view text);

}  // namespace kdcperf::kdc::db
