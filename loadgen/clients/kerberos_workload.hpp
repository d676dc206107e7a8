// KerberosWorkload: the Workload (loadgen/workload.hpp) the engine drives. It combines the
// population, client selection, the request factory and the reply checker, one instance per
// worker thread (own KeyCache, RNGs and nonce range; the population is shared read-only).
//
// Flows (issue 4, "A login as kinit does it"):
//   kLogin     probe AS-REQ without pre-auth, PREAUTH_REQUIRED with ETYPE-INFO2, then the AS-REQ
//              with PA-ENC-TIMESTAMP (follow_up), keyed by the salt the KDC named;
//   kPreauth   the pre-authenticated AS-REQ straight away (`--flow preauth`);
//   kProbeOnly only the AS-REQ without pre-auth (`--no-preauth`): PREAUTH_REQUIRED is the
//              expected answer and no second leg follows.
//
// --bad-password-ratio: that share of pre-authenticated requests is sealed with a wrong key
// (a random key per etype and worker). Whether a request was one is a keyed function of its
// nonce (bad_password()), so check() knows without any per-request state. Expected answer:
// KDC_ERR_PREAUTH_FAILED (24). Real KDCs count these towards account lockout (§3).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "krb/crypto/cipher.hpp"
#include "krb/crypto/key_cache.hpp"
#include "loadgen/check/reply_checker.hpp"
#include "loadgen/clients/nonce.hpp"
#include "loadgen/clients/population.hpp"
#include "loadgen/clients/request_factory.hpp"
#include "loadgen/clients/selection.hpp"
#include "loadgen/workload.hpp"

namespace kdcperf::loadgen::clients {

enum class Flow : std::uint8_t { kLogin, kPreauth, kProbeOnly };

// "login", "preauth", "no-preauth" (or "probe"); nullopt otherwise.
std::optional<Flow> parse_flow(std::string_view text);
// "all" -> 1, "none" -> 0, "K" or "1/K" -> K (one reply in K verified); nullopt otherwise.
std::optional<std::uint32_t> parse_verify(std::string_view text);

struct WorkloadOptions {
  Flow flow = Flow::kPreauth;
  SelectionOptions selection;
  std::uint32_t verify_every = 1;  // 0: verify none; 1: all; K: one in K
  RequestOptions request;
  double bad_password_ratio = 0.0;  // [0, 1]
  std::size_t key_cache_capacity = 65536;
  // A run-wide secret that every worker of the run shares (nonce ranges are disjoint only
  // under one key). 0: derived from selection.seed, so a run is reproducible.
  std::uint64_t run_key = 0;
};

struct WorkloadStats {
  std::uint64_t probes_built = 0;
  std::uint64_t preauth_built = 0;
  std::uint64_t bad_password_sent = 0;
  std::uint64_t bad_password_rejected = 0;   // KDC_ERR_PREAUTH_FAILED to a wrong-key request
  std::uint64_t bad_password_accepted = 0;   // an AS-REP to a wrong-key request: a KDC fault
  std::uint64_t bad_password_other = 0;      // any other answer to a wrong-key request
  std::uint64_t salt_keys_derived = 0;       // login flow: keys made for a salt the KDC named
  std::uint64_t follow_up_without_hint = 0;  // PREAUTH_REQUIRED without a usable ETYPE-INFO2
};

class KerberosWorkload final : public Workload {
 public:
  KerberosWorkload(std::shared_ptr<const Population> population, const WorkloadOptions& opts,
                   unsigned worker = 0, unsigned workers = 1);
  ~KerberosWorkload() override;

  krb::Result<std::size_t> start(krb::MutableByteView out, krb::KerberosTimestamp now,
                                 RequestToken* token) override;
  krb::Result<std::size_t> follow_up(const RequestToken& previous, krb::ByteView error_reply,
                                     krb::MutableByteView out, krb::KerberosTimestamp now,
                                     RequestToken* token) override;
  Verdict check(const RequestToken& token, krb::ByteView reply) override;
  // The pre-authenticated flow seals its PA-ENC-TIMESTAMPs in one seal_batch per
  // ReplyChecker::kMaxBatch requests; replies are opened in one open_batch likewise.
  void start_batch(std::span<RequestStart> items, krb::KerberosTimestamp now) override;
  void check_batch(std::span<ReplyCheck> items) override;

  // Whether this request's PA-ENC-TIMESTAMP was sealed with a wrong key on purpose.
  bool bad_password(const RequestToken& token) const;
  const WorkloadStats& stats() const { return stats_; }
  const krb::crypto::KeyCache& key_cache() const { return cache_; }
  const Population& population() const { return *pop_; }

 private:
  struct LearnedKey {
    krb::crypto::Key key;
    std::string salt;
    std::uint32_t iterations = 0;
  };

  krb::Result<std::size_t> build_preauth(std::uint32_t client, const krb::crypto::Key* key,
                                         krb::MutableByteView out, krb::KerberosTimestamp now,
                                         RequestToken* token);
  // Everything of a pre-authenticated request up to sealing its timestamp: the client, its
  // token, the usage-1 key (a wrong one for a bad-password request). nullptr: not buildable.
  const krb::crypto::UsageKey* preauth_key(std::uint32_t client, const krb::crypto::Key* key,
                                           RequestToken* token);
  // What check() and check_batch() do after the checker's verdict.
  void after_check(const RequestToken& token, Verdict* v);
  bool next_verify();
  const krb::crypto::Key* learned_key(std::uint32_t client) const;
  bool bad_for_nonce(std::int64_t nonce) const;

  std::shared_ptr<const Population> pop_;
  WorkloadOptions opts_;
  krb::crypto::KeyCache cache_;
  ClientSelector selector_;
  NonceGenerator nonces_;
  RequestFactory factory_;
  check::ReplyChecker checker_;
  KeyScratch scratch_;
  std::array<std::optional<krb::crypto::UsageKey>, 5> wrong_keys_;
  std::uint64_t bad_secret_ = 0;
  std::uint64_t bad_threshold_ = 0;  // a request is bad when mix(nonce) < threshold
  std::uint64_t verify_counter_ = 0;
  std::unordered_map<std::uint32_t, LearnedKey> learned_;
  WorkloadStats stats_;
  // start_batch/check_batch working set, sized once.
  static constexpr std::size_t kBatch = check::ReplyChecker::kMaxBatch;
  std::array<krb::crypto::SealJob, kBatch> seal_jobs_;
  std::array<std::array<std::byte, kMaxTimestampCipher>, kBatch> ciphers_{};
  std::array<std::size_t, kBatch> seal_item_{};
  std::array<const krb::crypto::Key*, kBatch> overrides_{};
};

}  // namespace kdcperf::loadgen::clients
