#include "kdc/db/loaders.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "krb/crypto/enctype.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/files/keytab.hpp"

namespace kdcperf::kdc::db {
namespace {

using krb::Err;
using krb::crypto::Enctype;
using json = nlohmann::json;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kMaxUsers = std::size_t{1} << 30;  // PrincipalDb's limit

Err fail(std::string* why, std::string message, Err code = Err::kInvalidArgument) {
  if (why != nullptr) *why = std::move(message);
  return code;
}

// A name or value quoted for a message; bytes that are not UTF-8 become U+FFFD.
std::string in_quotes(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string etype_label(std::int32_t etype) {
  const krb::crypto::EnctypeInfo* info = krb::crypto::enctype_info(etype);
  std::string s = info != nullptr ? std::string(info->name) + " (" : "(";
  return s + std::to_string(etype) + ")";
}

std::vector<std::string_view> views(const std::vector<std::string>& components) {
  return {components.begin(), components.end()};
}

std::string joined(const std::vector<std::string>& components, char sep) {
  std::string s;
  for (const std::string& c : components) {
    if (!s.empty()) s.push_back(sep);
    s.append(c);
  }
  return s;
}

// Components of a '/'-joined name; nullopt when one is empty or holds a NUL (a name the
// snapshot would refuse).
std::optional<std::vector<std::string>> split_name(std::string_view name) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = name.find('/', start);
    const std::string_view c = name.substr(start, slash - start);
    if (c.empty() || c.find('\0') != std::string_view::npos) return std::nullopt;
    out.emplace_back(c);
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

// What is left of a password once its keys are derived: nothing.
void wipe(std::string& s) {
  if (!s.empty()) krb::secure_wipe(s.data(), s.size());
}

std::array<std::byte, 4> s2kparams_of(std::uint32_t iterations) {
  std::array<std::byte, 4> b{};
  krb::store_be32(b.data(), iterations);
  return b;
}

// ---- threads --------------------------------------------------------------------------------

struct Failure {
  std::size_t index = 0;
  krb::Error error;
};

// Runs fn(i) for every i in [0, n) on `threads` threads (0: every core). The calling thread
// only reports progress. Work stops at the first failure; of the failures seen, the one with
// the lowest index is returned.
std::optional<Failure> parallel_for(std::size_t n, unsigned threads, const ProgressFn& progress,
                                    const std::function<krb::Status(std::size_t)>& fn) {
  if (threads == 0) threads = std::thread::hardware_concurrency();
  threads = static_cast<unsigned>(std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(n, 1)));
  std::atomic<std::size_t> cursor{0};
  std::atomic<std::size_t> done{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable finished;
  unsigned running = 0;  // guarded by mutex
  std::optional<Failure> failure;

  // One item per fetch: each is a PBKDF2 run of a millisecond, so the counter is never hot.
  auto work = [&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const std::size_t i = cursor.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) return;
      const krb::Status s = fn(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure || i < failure->index) failure = Failure{i, s.error()};
        stop.store(true, std::memory_order_relaxed);
      }
      done.fetch_add(1, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++running;
    }
    try {
      pool.emplace_back([&] {
        work();
        std::lock_guard<std::mutex> lock(mutex);
        if (--running == 0) finished.notify_all();
      });
    } catch (const std::system_error&) {  // out of threads: the ones started do the work
      std::lock_guard<std::mutex> lock(mutex);
      --running;
      break;
    }
  }
  if (pool.empty()) work();
  {
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished.wait_for(lock, std::chrono::milliseconds(200), [&] { return running == 0; })) {
      if (!progress) continue;
      lock.unlock();
      progress(done.load(std::memory_order_relaxed), n);
      lock.lock();
    }
  }
  for (std::thread& t : pool) t.join();
  if (progress) progress(done.load(), n);
  return failure;
}

// ---- JSON -----------------------------------------------------------------------------------

// The fields of one JSON object, read with type and range checks. Every failure writes one
// sentence "<where><key>: <problem>" to *why and returns false.
class Fields {
 public:
  Fields(const json& obj, std::string where, std::string* why)
      : obj_(obj), where_(std::move(where)), why_(why) {}

  const std::string& where() const { return where_; }
  void set_where(std::string where) { where_ = std::move(where); }
  std::string* why() const { return why_; }
  // The fields of a nested object, named "<where><prefix><key>" in messages.
  Fields child(const json& obj, std::string_view prefix) const {
    return Fields(obj, where_ + std::string(prefix), why_);
  }

  bool error(std::string_view key, std::string_view problem) const {
    fail(why_, where_ + std::string(key) + ": " + std::string(problem));
    return false;
  }

  // Every key of the object must be one of `known`.
  bool only(std::span<const std::string_view> known) const {
    for (const auto& item : obj_.items()) {
      if (std::find(known.begin(), known.end(), item.key()) != known.end()) continue;
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return error(item.key(), "unknown field (known: " + list + ")");
    }
    return true;
  }
  bool only(std::initializer_list<std::string_view> known) const {
    return only(std::span<const std::string_view>(known.begin(), known.size()));
  }

  const json* get(std::string_view key) const {
    const auto it = obj_.find(std::string(key));
    return it == obj_.end() ? nullptr : &*it;
  }
  bool has(std::string_view key) const { return get(key) != nullptr; }

  // Each reader leaves *out alone when the key is absent.
  bool string(std::string_view key, std::string* out) const {
    const json* v = get(key);
    if (v == nullptr) return true;
    if (!v->is_string()) return error(key, "must be a string");
    *out = v->get<std::string>();
    return true;
  }
  bool boolean(std::string_view key, bool* out) const {
    const json* v = get(key);
    if (v == nullptr) return true;
    if (!v->is_boolean()) return error(key, "must be true or false");
    *out = v->get<bool>();
    return true;
  }
  template <class Int>
  bool integer(std::string_view key, std::int64_t lo, std::int64_t hi, Int* out) const {
    const json* v = get(key);
    if (v == nullptr) return true;
    return integer_value(*v, key, lo, hi, out);
  }
  template <class Int>
  bool integer_value(const json& v, std::string_view key, std::int64_t lo, std::int64_t hi,
                     Int* out) const {
    // Appended piece by piece: "[" + std::string trips g++ 12's -Wrestrict (PR 105651).
    std::string range = "[";
    range.append(std::to_string(lo)).append(", ").append(std::to_string(hi)).append("]");
    if (!v.is_number_integer()) return error(key, "must be an integer in " + range);
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
      return error(key, std::to_string(v.get<std::uint64_t>()) + " is not in " + range);
    }
    const auto n = v.get<std::int64_t>();
    if (n < lo || n > hi) return error(key, std::to_string(n) + " is not in " + range);
    *out = static_cast<Int>(n);
    return true;
  }
  // Integer seconds or a string for parse_duration().
  bool duration(std::string_view key, std::int64_t* out) const {
    const json* v = get(key);
    if (v == nullptr) return true;
    if (v->is_string()) {
      const krb::Result<std::int64_t> d = parse_duration(v->get<std::string>());
      if (!d.ok()) {
        return error(key, in_quotes(v->get<std::string>()) +
                              " is not a duration (seconds, or e.g. \"10h\", \"1d12h\", \"90m\")");
      }
      *out = *d;
      return true;
    }
    if (v->is_number_integer()) return integer_value(*v, key, 0, kInt64Max, out);
    return error(key, "must be seconds (an integer) or a duration string such as \"10h\"");
  }
  // A list of distinct implemented enctypes, in order.
  bool etypes(std::string_view key, std::vector<std::int32_t>* out) const {
    const json* v = get(key);
    if (v == nullptr) return true;
    if (!v->is_array() || v->empty()) return error(key, "must be a non-empty array of enctypes");
    std::vector<std::int32_t> list;
    for (std::size_t i = 0; i < v->size(); ++i) {
      const std::string item = std::string(key) + "[" + std::to_string(i) + "]";
      std::int32_t e = 0;
      if (!integer_value((*v)[i], item, std::numeric_limits<std::int32_t>::min(),
                         std::numeric_limits<std::int32_t>::max(), &e)) {
        return false;
      }
      if (krb::crypto::enctype_info(e) == nullptr) {
        return error(item,
                     std::to_string(e) + " is not an implemented enctype (17, 18, 19, 20, 23)");
      }
      if (std::find(list.begin(), list.end(), e) != list.end()) {
        return error(item, std::to_string(e) + " is listed twice");
      }
      list.push_back(e);
    }
    *out = std::move(list);
    return true;
  }

 private:
  const json& obj_;
  std::string where_;
  std::string* why_;
};

// A PBKDF2 (or MD4) job: the key principals[principal].keys[key], from this password.
struct Derivation {
  std::size_t principal;
  std::size_t key;
  const std::string* password;  // inside the parsed document, wiped when loading ends
};

// The per-principal values that apply to every password key and default each "keys" entry.
struct KeyDefaults {
  std::uint32_t kvno = 1;
  std::string salt;
  std::optional<std::uint32_t> iterations;
};

// PBKDF2 counts below the default are refused: MIT clients reject such s2kparams
// (KERBEROS-INTEROP.md §1.3), so a KDC advertising them could not be used.
bool check_iterations(const Fields& f, std::string_view key, std::int32_t etype,
                      std::uint32_t iterations) {
  if (etype == static_cast<std::int32_t>(Enctype::RC4_HMAC)) return true;
  const std::uint32_t dflt = krb::crypto::enctype_info(etype)->default_iterations;
  if (iterations < dflt) {
    return f.error(key, std::to_string(iterations) + " is below the default " +
                            std::to_string(dflt) + " of " + etype_label(etype) +
                            ", which MIT clients refuse");
  }
  return true;
}

// The advertised count: nothing when it is the enctype's default (or RC4-HMAC, which has none).
std::optional<std::uint32_t> advertised(std::int32_t etype, std::optional<std::uint32_t> n) {
  if (!n || etype == static_cast<std::int32_t>(Enctype::RC4_HMAC)) return std::nullopt;
  if (*n == krb::crypto::enctype_info(etype)->default_iterations) return std::nullopt;
  return n;
}

// One element of "keys": "etype" and "key" (hex), and "kvno", "salt", "iterations" over the
// principal's defaults.
bool read_key(const Fields& parent, const json& v, std::size_t i, const KeyDefaults& d,
              PrincipalKey* out) {
  const std::string item = "keys[" + std::to_string(i) + "]";
  if (!v.is_object()) return parent.error(item, "must be an object");
  const Fields f = parent.child(v, item + ".");
  if (!f.only({"etype", "key", "kvno", "salt", "iterations"})) return false;
  if (!f.has("etype")) return f.error("etype", "missing");
  if (!f.has("key")) return f.error("key", "missing");
  std::int32_t etype = 0;
  if (!f.integer("etype", std::numeric_limits<std::int32_t>::min(),
                 std::numeric_limits<std::int32_t>::max(), &etype)) {
    return false;
  }
  const krb::crypto::EnctypeInfo* info = krb::crypto::enctype_info(etype);
  if (info == nullptr) {
    return f.error("etype",
                   std::to_string(etype) + " is not an implemented enctype (17, 18, 19, 20, 23)");
  }
  KeyDefaults k = d;
  if (!f.integer("kvno", 0, std::numeric_limits<std::uint32_t>::max(), &k.kvno) ||
      !f.string("salt", &k.salt)) {
    return false;
  }
  if (f.has("iterations")) {
    std::uint32_t n = 0;
    if (!f.integer("iterations", 1, krb::crypto::kMaxS2kIterations, &n)) return false;
    k.iterations = n;
  }
  if (k.iterations && !check_iterations(f, "iterations", etype, *k.iterations)) return false;

  const json& hex = *f.get("key");
  if (!hex.is_string()) return f.error("key", "must be a string of hex digits");
  std::optional<krb::Buffer> bytes = krb::from_hex(hex.get_ref<const std::string&>());
  if (!bytes) return f.error("key", "is not hex (an even number of 0-9, a-f digits)");
  krb::SecretBytes secret(*bytes);
  if (!bytes->empty()) krb::secure_wipe(bytes->data(), bytes->size());
  if (secret.size() != info->key_bytes) {
    return f.error("key", std::to_string(secret.size()) + " bytes, but " + etype_label(etype) +
                              " keys have " + std::to_string(info->key_bytes));
  }
  out->key = krb::crypto::Key{static_cast<Enctype>(etype), std::move(secret)};
  out->kvno = k.kvno;
  out->salt = std::move(k.salt);
  out->iterations = advertised(etype, k.iterations);
  return true;
}

// A realm file's principals before their password keys exist; [0] is krbtgt.
struct Parsed {
  std::vector<Principal> principals;
  std::vector<std::string> labels;  // message prefixes: "krbtgt.", "principals[3] (\"bob\"): "
  std::vector<Derivation> derivations;
};

// "password" or "keys" (or for krbtgt neither: random keys) with kvno, salt, iterations, etypes.
bool read_keys(const Fields& f, std::size_t index, bool random_ok, std::string_view realm,
               krb::Rng& rng, Parsed* parsed) {
  Principal& p = parsed->principals[index];
  const json* password = f.get("password");
  const json* keys = f.get("keys");
  if (password != nullptr && keys != nullptr) {
    return f.error("password", "give either \"password\" or \"keys\", not both");
  }
  if (password == nullptr && keys == nullptr && !random_ok) {
    return f.error("password", "missing (give \"password\" or \"keys\")");
  }
  KeyDefaults d;
  d.salt = krb::crypto::default_salt(realm, views(p.components));
  if (!f.integer("kvno", 0, std::numeric_limits<std::uint32_t>::max(), &d.kvno) ||
      !f.string("salt", &d.salt)) {
    return false;
  }
  if (f.has("iterations")) {
    std::uint32_t n = 0;
    if (!f.integer("iterations", 1, krb::crypto::kMaxS2kIterations, &n)) return false;
    d.iterations = n;
  }
  std::vector<std::int32_t> etypes(kDefaultEtypes.begin(), kDefaultEtypes.end());
  if (!f.etypes("etypes", &etypes)) return false;

  if (keys != nullptr) {
    if (f.has("etypes")) return f.error("etypes", "only with \"password\" (each key has one)");
    if (!keys->is_array() || keys->empty()) {
      return f.error("keys", "must be a non-empty array of {\"etype\", \"key\", ...}");
    }
    for (std::size_t i = 0; i < keys->size(); ++i) {
      PrincipalKey k;
      if (!read_key(f, (*keys)[i], i, d, &k)) return false;
      for (const PrincipalKey& other : p.keys) {
        if (other.key.etype == k.key.etype && other.kvno == k.kvno) {
          return f.error("keys[" + std::to_string(i) + "]",
                         "a second key of " + etype_label(static_cast<int>(k.key.etype)) +
                             " with kvno " + std::to_string(k.kvno));
        }
      }
      p.keys.push_back(std::move(k));
    }
    return true;
  }
  if (password != nullptr) {
    if (!password->is_string()) return f.error("password", "must be a string");
    if (password->get_ref<const std::string&>().empty()) return f.error("password", "is empty");
  }
  for (const std::int32_t e : etypes) {
    if (d.iterations && !check_iterations(f, "iterations", e, *d.iterations)) return false;
    PrincipalKey k;
    k.key.etype = static_cast<Enctype>(e);
    k.kvno = d.kvno;
    k.salt = d.salt;
    k.iterations = advertised(e, d.iterations);
    if (password != nullptr) {
      parsed->derivations.push_back(
          Derivation{index, p.keys.size(), &password->get_ref<const std::string&>()});
    } else {
      krb::Result<krb::crypto::Key> r = krb::crypto::make_random_key(k.key.etype, rng);
      if (!r.ok()) return f.error("etypes", std::string(krb::err_name(r.err())));
      k.key = std::move(*r);
    }
    p.keys.push_back(std::move(k));
  }
  return true;
}

bool read_policy(const Fields& f, PrincipalPolicy* p) {
  return f.boolean("requires_preauth", &p->requires_preauth) &&
         f.boolean("disabled", &p->disabled) &&
         f.integer("expiration", 0, kInt64Max, &p->expiration) &&
         f.integer("pw_expiration", 0, kInt64Max, &p->pw_expiration) &&
         f.duration("max_life", &p->max_life) &&
         f.duration("max_renewable_life", &p->max_renewable_life) &&
         f.boolean("allow_forwardable", &p->allow_forwardable) &&
         f.boolean("allow_proxiable", &p->allow_proxiable) &&
         f.boolean("allow_renewable", &p->allow_renewable) && f.boolean("no_pac", &p->no_pac);
}

bool read_authorization_data(const Fields& f, std::vector<AuthorizationElement>* out) {
  const json* v = f.get("authorization_data");
  if (v == nullptr) return true;
  if (!v->is_array()) return f.error("authorization_data", "must be an array");
  for (std::size_t i = 0; i < v->size(); ++i) {
    const std::string item = "authorization_data[" + std::to_string(i) + "]";
    if (!(*v)[i].is_object()) return f.error(item, "must be an object");
    const Fields g = f.child((*v)[i], item + ".");
    AuthorizationElement e;
    std::string hex;
    if (!g.only({"ad_type", "ad_data"})) return false;
    if (!g.has("ad_type")) return g.error("ad_type", "missing");
    if (!g.has("ad_data")) return g.error("ad_data", "missing");
    if (!g.integer("ad_type", std::numeric_limits<std::int32_t>::min(),
                   std::numeric_limits<std::int32_t>::max(), &e.ad_type) ||
        !g.string("ad_data", &hex)) {
      return false;
    }
    std::optional<krb::Buffer> data = krb::from_hex(hex);
    if (!data) return g.error("ad_data", "is not hex");
    e.ad_data = std::move(*data);
    out->push_back(std::move(e));
  }
  return true;
}

// Passwords and hex keys are copied out of the parsed document into keys; the document's
// strings are wiped before it is freed. (The caller owns, and should wipe, the text itself.)
void wipe_secrets(json& doc) {
  auto wipe_keys_of = [](json& principal) {
    if (!principal.is_object()) return;
    const auto pw = principal.find("password");
    if (pw != principal.end() && pw->is_string()) wipe(pw->get_ref<std::string&>());
    const auto keys = principal.find("keys");
    if (keys == principal.end() || !keys->is_array()) return;
    for (json& k : *keys) {
      if (!k.is_object()) continue;
      const auto hex = k.find("key");
      if (hex != k.end() && hex->is_string()) wipe(hex->get_ref<std::string&>());
    }
  };
  if (!doc.is_object()) return;
  const auto tgs = doc.find("krbtgt");
  if (tgs != doc.end()) wipe_keys_of(*tgs);
  const auto list = doc.find("principals");
  if (list == doc.end() || !list->is_array()) return;
  for (json& p : *list) wipe_keys_of(p);
}

struct WipeSecretsOnExit {
  json& doc;
  ~WipeSecretsOnExit() { wipe_secrets(doc); }
};

// nlohmann keeps the last of duplicate keys silently; a realm file where "password" appears
// twice is a mistake worth naming, so the parse callback records the first duplicate.
krb::Result<json> parse_json(std::string_view text, std::string* why) {
  std::vector<std::unordered_set<std::string>> open;
  std::string duplicate;
  const json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second &&
            duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/true,
                      /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    return fail(why, std::string("not valid JSON: ") + e.what());
  }
  if (!duplicate.empty()) {
    wipe_secrets(doc);
    return fail(why, "key " + in_quotes(duplicate) + " appears twice in one object");
  }
  return doc;
}

bool valid_realm(std::string_view realm) {
  return !realm.empty() && realm.find_first_of(std::string_view("\0/@", 3)) == std::string::npos;
}

constexpr std::array<std::string_view, 18> kPrincipalFields = {"name",
                                                               "password",
                                                               "keys",
                                                               "etypes",
                                                               "kvno",
                                                               "salt",
                                                               "iterations",
                                                               "requires_preauth",
                                                               "disabled",
                                                               "expiration",
                                                               "pw_expiration",
                                                               "max_life",
                                                               "max_renewable_life",
                                                               "allow_forwardable",
                                                               "allow_proxiable",
                                                               "allow_renewable",
                                                               "no_pac",
                                                               "authorization_data"};

// principals[i]: its name (checked against the realm, krbtgt and the names before it), then
// every other field.
bool read_principal(const Fields& top, const json& v, std::size_t i, const std::string& realm,
                    krb::Rng& rng, std::unordered_map<std::string, std::string>* seen,
                    Parsed* parsed) {
  const std::string item = "principals[" + std::to_string(i) + "]";
  if (!v.is_object()) return top.error(item, "must be an object");
  Fields f = top.child(v, item + ": ");
  std::string name;
  if (!f.has("name")) return f.error("name", "missing");
  if (!f.string("name", &name)) return false;
  f.set_where(item + " (" + in_quotes(name) + "): ");
  if (!f.only(kPrincipalFields)) return false;

  std::string_view local = name;
  if (const std::size_t at = local.find('@'); at != std::string_view::npos) {
    if (local.substr(at + 1) != realm) {
      return f.error("name", "realm " + in_quotes(local.substr(at + 1)) + " is not the file's " +
                                 in_quotes(realm) + " (one realm per file)");
    }
    local = local.substr(0, at);
  }
  std::optional<std::vector<std::string>> components = split_name(local);
  if (!components) return f.error("name", "has an empty component or a NUL byte");
  if (components->size() == 2 && (*components)[0] == "krbtgt" && (*components)[1] == realm) {
    return f.error("name", "krbtgt/" + realm + " is set by the top-level \"krbtgt\" field");
  }
  const auto [it, fresh] = seen->emplace(joined(*components, '\0'), item);
  if (!fresh) return f.error("name", "is already the name of " + it->second);

  const std::size_t index = parsed->principals.size();
  parsed->principals.emplace_back();
  parsed->labels.push_back(f.where());
  Principal& p = parsed->principals.back();
  p.components = std::move(*components);
  return read_policy(f, &p.policy) && read_authorization_data(f, &p.authorization_data) &&
         read_keys(f, index, /*random_ok=*/false, realm, rng, parsed);
}

}  // namespace

krb::Result<std::int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return Err::kInvalidArgument;
  std::int64_t total = 0;
  std::size_t i = 0;
  bool had_unit = false;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return Err::kInvalidArgument;
    std::int64_t n = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      const int digit = text[i] - '0';
      if (n > (kInt64Max - digit) / 10) return Err::kInvalidArgument;
      n = n * 10 + digit;
    }
    std::int64_t unit = 1;
    if (i == text.size()) {
      if (had_unit) return Err::kInvalidArgument;  // "1h30": 30 what?
    } else {
      switch (text[i++]) {
        case 'd':
          unit = 86400;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'm':
          unit = 60;
          break;
        case 's':
          unit = 1;
          break;
        default:
          return Err::kInvalidArgument;
      }
      had_unit = true;
    }
    if (n > (kInt64Max - total) / unit) return Err::kInvalidArgument;
    total += n * unit;
  }
  return total;
}

krb::Result<PrincipalDb> load_realm_json(std::string_view json_text, const LoadOptions& opts,
                                         std::string* why) {
  KRB_ASSIGN_OR_RETURN(json doc, parse_json(json_text, why));
  const WipeSecretsOnExit wipe_on_exit{doc};
  if (!doc.is_object()) return fail(why, "the realm file must be a JSON object");
  const Fields top(doc, "", why);
  if (!top.only({"realm", "clock_skew", "max_life", "max_renewable_life", "pac", "krbtgt",
                 "principals"})) {
    return Err::kInvalidArgument;
  }

  RealmPolicy policy;
  if (!top.has("realm")) return fail(why, "realm: missing");
  if (!top.string("realm", &policy.realm)) return Err::kInvalidArgument;
  if (!valid_realm(policy.realm)) {
    return fail(why, "realm: " + in_quotes(policy.realm) + " is empty or holds '/', '@' or NUL");
  }
  if (!top.duration("clock_skew", &policy.clock_skew) ||
      !top.duration("max_life", &policy.max_life) ||
      !top.duration("max_renewable_life", &policy.max_renewable_life) ||
      !top.boolean("pac", &policy.pac)) {
    return Err::kInvalidArgument;
  }
  if (policy.max_life == 0) return fail(why, "max_life: must be more than 0 seconds");
  const std::string& realm = policy.realm;

  krb::SystemRng system_rng;
  krb::Rng& rng = opts.rng != nullptr ? *opts.rng : system_rng;
  Parsed parsed;
  parsed.principals.emplace_back();
  parsed.principals[0].components = {"krbtgt", realm};
  parsed.labels.emplace_back("krbtgt.");
  const json empty = json::object();
  const json* tgs = top.get("krbtgt");
  if (tgs != nullptr && !tgs->is_object()) return fail(why, "krbtgt: must be an object");
  const Fields tf = top.child(tgs != nullptr ? *tgs : empty, "krbtgt.");
  if (!tf.only({"password", "keys", "etypes", "kvno", "salt", "iterations"}) ||
      !read_keys(tf, 0, /*random_ok=*/true, realm, rng, &parsed)) {
    return Err::kInvalidArgument;
  }

  std::unordered_map<std::string, std::string> seen;
  if (const json* list = top.get("principals"); list != nullptr) {
    if (!list->is_array()) return fail(why, "principals: must be an array");
    parsed.principals.reserve(list->size() + 1);
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (!read_principal(top, (*list)[i], i, realm, rng, &seen, &parsed)) {
        return Err::kInvalidArgument;
      }
    }
  }

  // Each derivation writes its own PrincipalKey; nothing else changes while they run.
  const std::optional<Failure> failure = parallel_for(
      parsed.derivations.size(), opts.threads, opts.progress, [&](std::size_t i) -> krb::Status {
        const Derivation& d = parsed.derivations[i];
        PrincipalKey& k = parsed.principals[d.principal].keys[d.key];
        std::array<std::byte, 4> s2k{};
        krb::ByteView params;
        if (k.iterations) {
          s2k = s2kparams_of(*k.iterations);
          params = s2k;
        }
        KRB_ASSIGN_OR_RETURN(k.key,
                             krb::crypto::string_to_key(k.key.etype, *d.password, k.salt, params));
        return krb::ok_status();
      });
  if (failure) {
    const Derivation& d = parsed.derivations[failure->index];
    const auto etype =
        static_cast<std::int32_t>(parsed.principals[d.principal].keys[d.key].key.etype);
    return fail(why,
                parsed.labels[d.principal] + "password: string-to-key for " + etype_label(etype) +
                    " failed (" + std::string(krb::err_name(failure->error.code)) + ")",
                failure->error.code);
  }

  PrincipalDb::Builder builder(std::move(policy));
  builder.reserve(parsed.principals.size());
  for (std::size_t i = 0; i < parsed.principals.size(); ++i) {
    const krb::Status s = builder.add(std::move(parsed.principals[i]));
    if (!s.ok()) {
      return fail(why, parsed.labels[i] + "refused by PrincipalDb (" +
                           std::string(krb::err_name(s.err())) + ")");
    }
  }
  return std::move(builder).build();
}

krb::Result<PrincipalDb> load_keytab_realm(krb::ByteView keytab_bytes, const RealmPolicy& policy,
                                           std::string* why) {
  if (!valid_realm(policy.realm)) {
    return fail(why, "realm " + in_quotes(policy.realm) + " is empty or holds '/', '@' or NUL");
  }
  krb::Result<std::vector<krb::files::KeytabEntry>> entries = krb::files::read_keytab(keytab_bytes);
  if (!entries.ok()) {
    return fail(why,
                "keytab: " + std::string(krb::err_name(entries.err())) + " at byte " +
                    std::to_string(entries.error().offset),
                entries.err());
  }

  std::vector<Principal> principals;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    krb::files::KeytabEntry& e = (*entries)[i];
    const std::string entry = "keytab entry " + std::to_string(i + 1) + " of " +
                              std::to_string(entries->size()) + " (" +
                              in_quotes(krb::files::unparse(e.principal)) + "): ";
    if (e.principal.realm != policy.realm) {
      return fail(why, entry + "realm " + in_quotes(e.principal.realm) + " is not " +
                           in_quotes(policy.realm) + " (a snapshot serves one realm)");
    }
    const krb::crypto::EnctypeInfo* info = krb::crypto::enctype_info(e.enctype);
    if (info == nullptr) continue;  // e.g. DES or Camellia keys MIT also wrote
    if (e.key.size() != info->key_bytes) {
      return fail(why, entry + "a " + std::to_string(e.key.size()) + "-byte key of " +
                           etype_label(e.enctype) + ", which has " +
                           std::to_string(info->key_bytes) + "-byte keys");
    }
    for (const std::string& c : e.principal.components) {
      if (c.find('\0') != std::string::npos) {
        return fail(why, entry + "a name component holds a NUL byte");
      }
    }
    const auto [it, fresh] = index.emplace(joined(e.principal.components, '\0'), principals.size());
    if (fresh) {
      principals.emplace_back();
      principals.back().components = e.principal.components;
    }
    Principal& p = principals[it->second];
    const auto etype = static_cast<Enctype>(e.enctype);
    const bool again = std::any_of(p.keys.begin(), p.keys.end(), [&](const PrincipalKey& k) {
      return k.key.etype == etype && k.kvno == e.kvno;
    });
    if (again) continue;
    PrincipalKey k;
    k.key = krb::crypto::Key{etype, std::move(e.key)};
    k.kvno = e.kvno;
    k.salt = krb::crypto::default_salt(policy.realm, views(p.components));
    p.keys.push_back(std::move(k));
  }
  const std::vector<std::string> tgs = {"krbtgt", policy.realm};
  if (index.find(joined(tgs, '\0')) == index.end()) {
    return fail(why,
                "the keytab has no key of an implemented enctype for krbtgt/" + policy.realm + "@" +
                    policy.realm,
                Err::kMissingField);
  }

  PrincipalDb::Builder builder(policy);
  builder.reserve(principals.size());
  for (Principal& p : principals) {
    // Newest kvno first; MIT's ktadd order (the KDC's key preference) within one kvno.
    std::stable_sort(p.keys.begin(), p.keys.end(),
                     [](const PrincipalKey& a, const PrincipalKey& b) { return a.kvno > b.kvno; });
    const std::string name = joined(p.components, '/');
    const krb::Status s = builder.add(std::move(p));
    if (!s.ok()) {
      return fail(why, "principal " + in_quotes(name) + " refused by PrincipalDb (" +
                           std::string(krb::err_name(s.err())) + ")");
    }
  }
  return std::move(builder).build();
}

namespace {

std::string expand(std::string_view pattern, std::size_t i) {
  const std::string n = std::to_string(i);
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t hole = pattern.find("{i}", pos);
    out.append(pattern.substr(pos, hole - pos));
    if (hole == std::string_view::npos) return out;
    out.append(n);
    pos = hole + 3;
  }
}

}  // namespace

krb::Result<PrincipalDb> make_embedded_realm(const EmbeddedRealmOptions& o, std::string* why) {
  const std::string& realm = o.policy.realm;
  if (!valid_realm(realm)) {
    return fail(why, "realm " + in_quotes(realm) + " is empty or holds '/', '@' or NUL");
  }
  if (o.users > kMaxUsers) {
    return fail(why,
                "users: " + std::to_string(o.users) + " is more than " + std::to_string(kMaxUsers));
  }
  if (o.etypes.empty()) return fail(why, "etypes: empty");
  for (std::size_t i = 0; i < o.etypes.size(); ++i) {
    if (krb::crypto::enctype_info(o.etypes[i]) == nullptr) {
      return fail(why, "etypes: " + std::to_string(o.etypes[i]) + " is not implemented");
    }
    if (std::find(o.etypes.begin(), o.etypes.begin() + static_cast<std::ptrdiff_t>(i),
                  o.etypes[i]) != o.etypes.begin() + static_cast<std::ptrdiff_t>(i)) {
      return fail(why, "etypes: " + std::to_string(o.etypes[i]) + " is listed twice");
    }
  }
  if (o.users > 1 && o.name_pattern.find("{i}") == std::string::npos) {
    return fail(why, "name pattern " + in_quotes(o.name_pattern) +
                         " has no {i}: every user would have the same name");
  }
  // "{i}" never expands to nothing, so if user 1's name is valid, every user's is.
  if (!split_name(expand(o.name_pattern, 1))) {
    return fail(
        why, "name pattern " + in_quotes(o.name_pattern) + " has an empty component or a NUL byte");
  }

  krb::SystemRng system_rng;
  krb::Rng& rng = o.load.rng != nullptr ? *o.load.rng : system_rng;
  Principal tgs;
  tgs.components = {"krbtgt", realm};
  const std::string tgs_salt = krb::crypto::default_salt(realm, views(tgs.components));
  for (const std::int32_t e : o.etypes) {
    KRB_ASSIGN_OR_RETURN(krb::crypto::Key key,
                         krb::crypto::make_random_key(static_cast<Enctype>(e), rng));
    tgs.keys.push_back(PrincipalKey{std::move(key), 1, tgs_salt, std::nullopt});
  }

  // Random keys for every user from one RNG call (the RNG need not be thread-safe).
  std::size_t key_bytes_per_user = 0;
  for (const std::int32_t e : o.etypes) {
    key_bytes_per_user += krb::crypto::enctype_info(e)->key_bytes;
  }
  krb::SecretBytes random(o.random_keys ? o.users * key_bytes_per_user : 0);
  if (o.random_keys && !random.empty()) rng.fill(random.mutable_view());

  // Each user is made by whichever thread takes its index, into its own slot.
  std::vector<Principal> users(o.users);
  const std::optional<Failure> failure =
      parallel_for(o.users, o.load.threads, o.load.progress, [&](std::size_t slot) -> krb::Status {
        const std::size_t i = slot + 1;
        Principal& p = users[slot];
        std::optional<std::vector<std::string>> components = split_name(expand(o.name_pattern, i));
        if (!components) return Err::kInvalidArgument;
        p.components = std::move(*components);
        p.policy.requires_preauth = o.requires_preauth;
        const std::string salt = krb::crypto::default_salt(realm, views(p.components));
        std::string password = o.random_keys ? std::string() : expand(o.password_pattern, i);
        krb::Status status;
        p.keys.reserve(o.etypes.size());
        std::size_t offset = slot * key_bytes_per_user;
        for (const std::int32_t e : o.etypes) {
          const std::size_t n = krb::crypto::enctype_info(e)->key_bytes;
          krb::Result<krb::crypto::Key> key =
              o.random_keys ? krb::crypto::random_to_key(static_cast<Enctype>(e),
                                                         random.view().subspan(offset, n))
                            : krb::crypto::string_to_key(static_cast<Enctype>(e), password, salt);
          offset += n;
          if (!key.ok()) {
            status = key.error();
            break;
          }
          p.keys.push_back(PrincipalKey{std::move(*key), 1, salt, std::nullopt});
        }
        wipe(password);
        return status;
      });
  if (failure) {
    const std::size_t i = failure->index + 1;
    return fail(why,
                "user " + std::to_string(i) + " (" + in_quotes(expand(o.name_pattern, i)) +
                    "): string-to-key failed (" + std::string(krb::err_name(failure->error.code)) +
                    ")",
                failure->error.code);
  }

  PrincipalDb::Builder builder(o.policy);
  builder.reserve(o.users + 1);
  if (const krb::Status s = builder.add(std::move(tgs)); !s.ok()) {
    return fail(why, "krbtgt refused by PrincipalDb (" + std::string(krb::err_name(s.err())) + ")");
  }
  for (std::size_t slot = 0; slot < users.size(); ++slot) {
    if (const krb::Status s = builder.add(std::move(users[slot])); !s.ok()) {
      const std::size_t i = slot + 1;
      return fail(why, "user " + std::to_string(i) + " (" + in_quotes(expand(o.name_pattern, i)) +
                           "): refused by PrincipalDb (" + std::string(krb::err_name(s.err())) +
                           "), e.g. the name of krbtgt");
    }
  }
  users.clear();
  return std::move(builder).build();
}

krb::Result<krb::SecretBytes> export_keytab(const PrincipalDb& db, bool include_krbtgt,
                                            std::uint32_t timestamp) {
  const Principal* tgs = &db.krbtgt();
  std::vector<krb::files::KeytabEntry> entries;
  for (const Principal& p : db.principals()) {
    if (&p == tgs && !include_krbtgt) continue;
    for (const PrincipalKey& k : p.keys) {
      krb::files::KeytabEntry e;
      // MIT names krbtgt NT-SRV-INST (RFC 4120 §6.2) and users NT-PRINCIPAL.
      e.principal.name_type = &p == tgs ? krb::files::kNtSrvInst : krb::files::kNtPrincipal;
      e.principal.realm = db.policy().realm;
      e.principal.components = p.components;
      e.timestamp = timestamp;
      e.kvno = k.kvno;
      e.enctype = static_cast<std::int32_t>(k.key.etype);
      e.key = k.key.bytes.clone();
      entries.push_back(std::move(e));
    }
  }
  krb::files::KeytabLimits limits;
  limits.max_entries = std::max(limits.max_entries, entries.size());
  return krb::files::write_keytab(entries, limits);
}

}  // namespace kdcperf::kdc::db
