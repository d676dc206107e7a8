#include "loadgen/clients/kerberos_workload.hpp"

#include <charconv>
#include <cmath>

#include "krb/base/rng.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/proto/types.hpp"
#include "loadgen/clients/probe.hpp"
#include "loadgen/clients/random.hpp"

namespace kdcperf::loadgen::clients {

namespace crypto = krb::crypto;
using krb::Err;
using krb::Result;

namespace {

constexpr std::size_t kMaxLearnedKeys = 4096;
constexpr std::array<Enctype, 5> kWrongKeyEtypes = {
    Enctype::AES128_CTS_HMAC_SHA1_96, Enctype::AES256_CTS_HMAC_SHA1_96,
    Enctype::AES128_CTS_HMAC_SHA256_128, Enctype::AES256_CTS_HMAC_SHA384_192, Enctype::RC4_HMAC};

int wrong_key_slot(Enctype e) {
  for (std::size_t i = 0; i < kWrongKeyEtypes.size(); ++i) {
    if (kWrongKeyEtypes[i] == e) return static_cast<int>(i);
  }
  return -1;
}

std::uint64_t mix64(std::uint64_t x) {
  std::uint64_t s = x;
  return splitmix64(s);
}

check::CheckerOptions checker_options(const WorkloadOptions& o) {
  check::CheckerOptions c;
  c.etypes = o.request.etypes;
  return c;
}

std::uint64_t run_key_of(const WorkloadOptions& o) {
  return o.run_key != 0 ? o.run_key : derive_seed(o.selection.seed, 0x6e6f6e6365ULL);
}

}  // namespace

std::optional<Flow> parse_flow(std::string_view text) {
  if (text == "login") return Flow::kLogin;
  if (text == "preauth") return Flow::kPreauth;
  if (text == "no-preauth" || text == "probe") return Flow::kProbeOnly;
  return std::nullopt;
}

std::optional<std::uint32_t> parse_verify(std::string_view text) {
  if (text == "all") return 1;
  if (text == "none") return 0;
  if (text.starts_with("1/")) text.remove_prefix(2);
  std::uint32_t k = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (ec != std::errc() || p != text.data() + text.size() || k == 0) return std::nullopt;
  return k;
}

KerberosWorkload::KerberosWorkload(std::shared_ptr<const Population> population,
                                   const WorkloadOptions& opts, unsigned worker, unsigned workers)
    : pop_(std::move(population)),
      opts_(opts),
      // A batch holds up to kBatch pointers into the cache, pinned while it runs; room for
      // all of them keeps a batch from growing the cache past its capacity.
      cache_(std::max(opts.key_cache_capacity, 2 * kBatch)),
      selector_(pop_->size(), opts.selection, worker, workers),
      nonces_(run_key_of(opts), worker, workers),
      factory_(*pop_, opts.request),
      checker_(*pop_, cache_, checker_options(opts)) {
  const double ratio = std::isfinite(opts.bad_password_ratio) ? opts.bad_password_ratio : 0.0;
  if (ratio > 0) {
    bad_secret_ = derive_seed(run_key_of(opts), 0x62616470ULL);
    bad_threshold_ =
        ratio >= 1.0 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(std::ldexp(ratio, 64));
    // The wrong keys: random, one per etype, made once (never a client's key: 2^-128).
    krb::SystemRng rng;
    for (std::size_t i = 0; i < kWrongKeyEtypes.size(); ++i) {
      auto k = crypto::make_random_key(kWrongKeyEtypes[i], rng);
      if (!k.ok()) continue;
      auto uk = crypto::UsageKey::make(*k, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP);
      if (uk.ok()) wrong_keys_[i].emplace(std::move(uk).value());
    }
  }
}

KerberosWorkload::~KerberosWorkload() = default;

bool KerberosWorkload::bad_for_nonce(std::int64_t nonce) const {
  if (bad_threshold_ == 0) return false;
  if (bad_threshold_ == ~std::uint64_t{0}) return true;
  return mix64(static_cast<std::uint64_t>(nonce) ^ bad_secret_) < bad_threshold_;
}

bool KerberosWorkload::bad_password(const RequestToken& token) const {
  return token.leg == Leg::kPreauth && bad_for_nonce(token.nonce);
}

bool KerberosWorkload::next_verify() {
  if (opts_.verify_every == 0) return false;
  return verify_counter_++ % opts_.verify_every == 0;
}

const crypto::Key* KerberosWorkload::learned_key(std::uint32_t client) const {
  if (learned_.empty()) return nullptr;
  const auto it = learned_.find(client);
  return it == learned_.end() ? nullptr : &it->second.key;
}

const crypto::UsageKey* KerberosWorkload::preauth_key(std::uint32_t client, const crypto::Key* key,
                                                      RequestToken* token) {
  if (key == nullptr) {
    if (!pop_->has_key(client)) return nullptr;
    key = scratch_.load(pop_->key_etype(client), pop_->key_bytes(client));
    if (key == nullptr) return nullptr;
  }
  token->client = client;
  token->nonce = nonces_.next();
  token->leg = Leg::kPreauth;
  token->verify = next_verify();
  const crypto::UsageKey* uk = nullptr;
  if (bad_for_nonce(token->nonce)) {
    const int slot = wrong_key_slot(key->etype);
    if (slot >= 0 && wrong_keys_[static_cast<std::size_t>(slot)]) {
      uk = &*wrong_keys_[static_cast<std::size_t>(slot)];
      ++stats_.bad_password_sent;
    }
  }
  if (uk == nullptr) {
    auto got = cache_.get(*key, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP);
    if (!got.ok()) return nullptr;
    uk = *got;
  }
  ++stats_.preauth_built;
  return uk;
}

Result<std::size_t> KerberosWorkload::build_preauth(std::uint32_t client, const crypto::Key* key,
                                                    krb::MutableByteView out,
                                                    krb::KerberosTimestamp now,
                                                    RequestToken* token) {
  const crypto::UsageKey* uk = preauth_key(client, key, token);
  if (uk == nullptr) return Err::kNotFound;
  return factory_.build_preauth(client, *uk, token->nonce, now, out);
}

void KerberosWorkload::start_batch(std::span<RequestStart> items, krb::KerberosTimestamp now) {
  if (opts_.flow != Flow::kPreauth || pop_->size() == 0) {
    Workload::start_batch(items, now);
    return;
  }
  // One timestamp for the whole batch: every request is built at this instant.
  const auto plain = factory_.timestamp_plaintext(now);
  for (std::size_t at = 0; at < items.size(); at += kBatch) {
    const auto chunk = items.subspan(at, std::min(kBatch, items.size() - at));
    const crypto::KeyCache::Pin pin(cache_);  // seal_jobs_ hold pointers into it
    std::size_t jobs = 0;
    for (std::size_t j = 0; j < chunk.size(); ++j) {
      RequestStart& r = chunk[j];
      r.len = 0;
      const std::uint32_t client = selector_.next();
      const crypto::UsageKey* uk = preauth_key(client, learned_key(client), &r.token);
      if (uk == nullptr || !plain.ok() || plain->size() + uk->overhead() > kMaxTimestampCipher) {
        continue;
      }
      seal_jobs_[jobs] = crypto::SealJob{uk, *plain, ciphers_[jobs], 0, {}};
      seal_item_[jobs++] = j;
    }
    crypto::seal_batch(std::span(seal_jobs_.data(), jobs), factory_.confounder_rng());
    for (std::size_t k = 0; k < jobs; ++k) {
      const crypto::SealJob& job = seal_jobs_[k];
      if (!job.status.ok()) continue;
      RequestStart& r = chunk[seal_item_[k]];
      const auto n = factory_.build_sealed(r.token.client, job.key->etype(),
                                           krb::ByteView(job.out.data(), job.out_len),
                                           r.token.nonce, now, r.out);
      r.len = n.ok() ? *n : 0;
    }
  }
}

Result<std::size_t> KerberosWorkload::start(krb::MutableByteView out, krb::KerberosTimestamp now,
                                            RequestToken* token) {
  if (pop_->size() == 0) return Err::kNotFound;
  const std::uint32_t client = selector_.next();
  if (opts_.flow == Flow::kPreauth) {
    return build_preauth(client, learned_key(client), out, now, token);
  }
  token->client = client;
  token->nonce = nonces_.next();
  token->leg = Leg::kProbe;
  token->verify = next_verify();
  ++stats_.probes_built;
  return factory_.build_probe(client, token->nonce, now, out);
}

Result<std::size_t> KerberosWorkload::follow_up(const RequestToken& previous,
                                                krb::ByteView error_reply, krb::MutableByteView out,
                                                krb::KerberosTimestamp now, RequestToken* token) {
  const std::uint32_t client = previous.client;
  if (client >= pop_->size()) return Err::kInvalidArgument;
  const auto hint = salt_hint_from_reply(error_reply, factory_.etypes_for(client));
  if (!hint.ok()) {
    // No usable ETYPE-INFO2: MIT's client then uses the first requested etype and the default
    // salt (§1.3); the population key is our best guess.
    ++stats_.follow_up_without_hint;
    return build_preauth(client, learned_key(client), out, now, token);
  }
  const bool population_key =
      pop_->has_key(client) && hint->etype == pop_->key_etype(client) &&
      (hint->salt ? pop_->salt_equals(client, *hint->salt) : pop_->uses_default_salt(client)) &&
      hint->iterations == pop_->iterations(client);
  if (population_key) {
    if (!learned_.empty()) learned_.erase(client);
    return build_preauth(client, nullptr, out, now, token);
  }
  // The KDC names another etype, salt or count than the key we hold (an AD account whose salt
  // is not realm||name, §3): derive once from the password and keep it for this client.
  if (const auto it = learned_.find(client); it != learned_.end()) {
    const LearnedKey& l = it->second;
    std::string default_salt;
    if (!hint->salt) pop_->salt(client, &default_salt);
    const std::string_view want = hint->salt ? *hint->salt : std::string_view(default_salt);
    if (l.key.etype == hint->etype && l.salt == want && l.iterations == hint->iterations) {
      return build_preauth(client, &l.key, out, now, token);
    }
  }
  const auto password = pop_->password(client);
  if (!password) return build_preauth(client, nullptr, out, now, token);
  LearnedKey l;
  if (hint->salt) {
    l.salt = std::string(*hint->salt);
  } else {
    // Default salt: realm || components, never a salt learned earlier.
    l.salt = pop_->realm();
    krb::proto::PrincipalName name;
    pop_->principal_name(client, &name);
    for (const auto c : name.components) l.salt += c;
  }
  l.iterations = hint->iterations;
  std::array<std::byte, 4> s2k_buf{};
  krb::ByteView s2k;
  if (l.iterations != 0) {
    krb::store_be32(s2k_buf.data(), l.iterations);
    s2k = krb::ByteView(s2k_buf.data(), 4);
  }
  KRB_ASSIGN_OR_RETURN(l.key, crypto::string_to_key(hint->etype, *password, l.salt, s2k));
  ++stats_.salt_keys_derived;
  if (learned_.size() >= kMaxLearnedKeys) learned_.clear();
  auto& stored = learned_[client] = std::move(l);
  return build_preauth(client, &stored.key, out, now, token);
}

void KerberosWorkload::after_check(const RequestToken& token, Verdict* v) {
  if (opts_.flow != Flow::kLogin) v->login_continues = false;
  if (bad_password(token)) {
    if (v->kind == ReplyKind::kKrbError &&
        v->error_code == static_cast<std::int32_t>(krb::proto::ErrorCode::KDC_ERR_PREAUTH_FAILED)) {
      ++stats_.bad_password_rejected;
    } else if (v->kind == ReplyKind::kAsRep) {
      ++stats_.bad_password_accepted;
    } else {
      ++stats_.bad_password_other;
    }
  }
}

Verdict KerberosWorkload::check(const RequestToken& token, krb::ByteView reply) {
  Verdict v = checker_.check(token, reply, learned_key(token.client));
  after_check(token, &v);
  return v;
}

void KerberosWorkload::check_batch(std::span<ReplyCheck> items) {
  for (std::size_t at = 0; at < items.size(); at += kBatch) {
    const auto chunk = items.subspan(at, std::min(kBatch, items.size() - at));
    std::span<const crypto::Key* const> overrides;
    if (!learned_.empty()) {
      for (std::size_t j = 0; j < chunk.size(); ++j) {
        overrides_[j] = learned_key(chunk[j].token->client);
      }
      overrides = std::span(overrides_.data(), chunk.size());
    }
    checker_.check_batch(chunk, overrides);
    for (ReplyCheck& c : chunk) after_check(*c.token, &c.verdict);
  }
}

}  // namespace kdcperf::loadgen::clients
