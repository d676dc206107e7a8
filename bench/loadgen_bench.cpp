// The load generator's per-request Kerberos cost on one core (loadgen/clients,
// loadgen/check): building an AS-REQ (KerberosWorkload::start: client choice,
// nonce, key-cache lookup, PA-ENC-TIMESTAMP seal, DER encoding) and checking a
// reply (check: decode, open with key usage 3, decode EncASRepPart, compare).
// The target is 180k exchanges/s on one core, so build + check + the
// engine's share must stay near 5 µs. Replies are MIT's captured AS-REPs
// (krb/testdata/mit), one per etype, with the nonce of the captured request.
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "bench/testdata.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/proto/kdc_req.hpp"
#include "loadgen/check/reply_checker.hpp"
#include "loadgen/clients/kerberos_workload.hpp"
#include "loadgen/clients/nonce.hpp"
#include "loadgen/clients/selection.hpp"

namespace kdcperf::loadgen::clients {
namespace {

using bench::read_testdata_hex;
using krb::crypto::Enctype;
constexpr krb::KerberosTimestamp kNow{1764080000, 250000};

std::shared_ptr<Population> make_population(std::uint64_t n, Enctype e) {
  auto pop = std::make_shared<Population>("KDCPERF.TEST");
  (void)pop->add_pattern("user{i}", "pw-{i}", 1, n);
  if (e == Enctype::RC4_HMAC || n <= 64) {
    DeriveOptions o;
    o.etype = e;
    (void)pop->derive_keys(o);
  } else {
    // Random keys: the request cost does not depend on how a key was made, and
    // deriving hundreds of thousands of AES keys (PBKDF2) would dominate the
    // run.
    krb::DeterministicRng rng(1);
    for (std::uint32_t i = 0; i < n; ++i) {
      (void)pop->set_key(i, krb::crypto::make_random_key(e, rng).value());
    }
  }
  return pop;
}

// Args: {etype, population, selection (0 round-robin, 1 uniform, 2 zipf 1.1)}.
void BM_BuildPreauthRequest(benchmark::State& state) {
  const auto e = static_cast<Enctype>(state.range(0));
  const auto n = static_cast<std::uint64_t>(state.range(1));
  auto pop = make_population(n, e);
  WorkloadOptions o;
  o.selection.kind = static_cast<SelectionKind>(state.range(2));
  KerberosWorkload wl(pop, o);
  std::array<std::byte, kMaxRequestBytes> out{};
  RequestToken t;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto r = wl.start(out, kNow, &t);
    if (!r.ok()) {
      state.SkipWithError("start failed");
      break;
    }
    bytes = *r;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["cache_miss_%"] = 100.0 * static_cast<double>(wl.key_cache().misses()) /
                                   static_cast<double>(std::max<std::size_t>(
                                       1, wl.key_cache().hits() + wl.key_cache().misses()));
}

void BM_BuildProbeRequest(benchmark::State& state) {
  auto pop = make_population(1000, Enctype::AES256_CTS_HMAC_SHA1_96);
  WorkloadOptions o;
  o.flow = Flow::kProbeOnly;
  KerberosWorkload wl(pop, o);
  std::array<std::byte, kMaxRequestBytes> out{};
  RequestToken t;
  for (auto _ : state) {
    auto r = wl.start(out, kNow, &t);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

struct Captured {
  const char* prefix;
  const char* name;
  const char* password;
  Enctype etype;
};
constexpr Captured kCaptured[] = {
    {"aes128", "aes128user", "secret-17", Enctype::AES128_CTS_HMAC_SHA1_96},
    {"aes256", "alice", "secret", Enctype::AES256_CTS_HMAC_SHA1_96},
    {"aes128sha256", "aes128sha256user", "secret-19", Enctype::AES128_CTS_HMAC_SHA256_128},
    {"aes256sha384", "aes256sha384user", "secret-20", Enctype::AES256_CTS_HMAC_SHA384_192},
    {"rc4", "rc4user", "secret-23", Enctype::RC4_HMAC}};

// MIT's reply to a captured pre-authenticated request, that request's nonce, and a population
// of its one client with the key the reply is sealed under.
struct CapturedExchange {
  krb::Buffer rep;
  std::int64_t nonce = 0;
  std::shared_ptr<Population> pop = std::make_shared<Population>("KDCPERF.TEST");

  explicit CapturedExchange(const Captured& c) {
    const std::string dir = "krb/testdata/mit/";
    rep = read_testdata_hex(dir + c.prefix + "_as_rep.hex");
    const krb::Buffer req = read_testdata_hex(dir + c.prefix + "_as_req_preauth.hex");
    krb::proto::AsReq r;
    if (rep.empty() || !krb::proto::decode_as_req(req, &r).ok()) {
      rep.clear();
      return;
    }
    nonce = r.req_body.nonce;
    (void)pop->add(c.name, std::string_view(c.password));
    (void)pop->apply_salt_info(0, {c.etype, std::nullopt, 0});
    (void)pop->derive_keys({});
  }
};

// Args: {index into kCaptured, verify (1) or decode only (0)}.
void BM_CheckMitAsRep(benchmark::State& state) {
  const CapturedExchange x(kCaptured[state.range(0)]);
  if (x.rep.empty()) {
    state.SkipWithError("missing capture");
    return;
  }
  const krb::Buffer& rep = x.rep;
  krb::crypto::KeyCache cache(16);
  check::ReplyChecker checker(*x.pop, cache);
  const RequestToken token{0, x.nonce, Leg::kPreauth, state.range(1) != 0};
  for (auto _ : state) {
    const Verdict v = checker.check(token, rep);
    if (v.failure != CheckFailure::kNone || v.kind != ReplyKind::kAsRep) {
      state.SkipWithError("check failed");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(rep.size());
}

// KerberosWorkload::check_batch as the engine calls it with one completion drain's replies:
// the same captured AS-REP `batch` times, one open_batch per 64. Args {capture, batch}.
void BM_CheckBatchMitAsRep(benchmark::State& state) {
  const CapturedExchange x(kCaptured[state.range(0)]);
  const auto batch = static_cast<std::size_t>(state.range(1));
  if (x.rep.empty()) {
    state.SkipWithError("missing capture");
    return;
  }
  KerberosWorkload wl(x.pop, WorkloadOptions{});
  const RequestToken token{0, x.nonce, Leg::kPreauth, true};
  std::vector<ReplyCheck> items(batch, ReplyCheck{&token, x.rep, {}});
  for (auto _ : state) {
    wl.check_batch(items);
    if (items[0].verdict.failure != CheckFailure::kNone) {
      state.SkipWithError("check failed");
      break;
    }
    benchmark::DoNotOptimize(items.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

// KerberosWorkload::start_batch: `batch` pre-authenticated AS-REQs, their timestamps sealed in
// one seal_batch per 64. Args {etype, batch}; 1000 clients, round-robin.
void BM_StartBatchPreauth(benchmark::State& state) {
  const auto e = static_cast<Enctype>(state.range(0));
  const auto batch = static_cast<std::size_t>(state.range(1));
  KerberosWorkload wl(make_population(1000, e), WorkloadOptions{});
  std::vector<std::array<std::byte, kMaxRequestBytes>> outs(batch);
  std::vector<RequestStart> items(batch);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) items[i].out = outs[i];
    wl.start_batch(items, kNow);
    if (items[0].len == 0) {
      state.SkipWithError("start failed");
      break;
    }
    benchmark::DoNotOptimize(outs.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

void BM_CheckKrbError(benchmark::State& state) {
  const krb::Buffer err = read_testdata_hex("krb/testdata/mit/aes256_preauth_required.hex");
  Population pop("KDCPERF.TEST");
  (void)pop.add("alice", std::nullopt);
  krb::crypto::KeyCache cache(4);
  check::ReplyChecker checker(pop, cache);
  const RequestToken token{0, 1, Leg::kProbe, true};
  for (auto _ : state) {
    const Verdict v = checker.check(token, err);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

// Population::derive_keys on one thread: string-to-key per client (PBKDF2 4096 iterations for
// 17/18, 32768 for 19/20, MD4 for 23), what a million-client start costs without --load-keys.
void BM_DeriveKeys(benchmark::State& state) {
  const auto e = static_cast<Enctype>(state.range(0));
  constexpr std::uint64_t kClients = 16;
  Population pop("KDCPERF.TEST");
  (void)pop.add_pattern("user{i}", "pw-{i}", 1, kClients);
  DeriveOptions o;
  o.etype = e;
  o.threads = 1;
  o.rederive = true;
  for (auto _ : state) {
    auto r = pop.derive_keys(o);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kClients));
}
BENCHMARK(BM_DeriveKeys)
    ->UseRealTime()
    ->ArgName("etype")
    ->Arg(17)
    ->Arg(18)
    ->Arg(19)
    ->Arg(20)
    ->Arg(23);

void BM_NonceNext(benchmark::State& state) {
  NonceGenerator g(12345);
  for (auto _ : state) benchmark::DoNotOptimize(g.next());
  state.SetItemsProcessed(state.iterations());
}

void BM_SelectClient(benchmark::State& state) {
  SelectionOptions o;
  o.kind = static_cast<SelectionKind>(state.range(0));
  o.zipf_s = 1.1;
  ClientSelector s(1'000'000, o);
  for (auto _ : state) benchmark::DoNotOptimize(s.next());
  state.SetItemsProcessed(state.iterations());
}

void EtypeArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"etype", "clients", "select"});
  for (const int e : {17, 18, 19, 20, 23}) b->Args({e, 1000, 0});
  // A population larger than the 65536-entry key cache, uniform: mostly misses.
  b->Args({18, 200'000, 1});
  // Zipf over the same population: the hot head stays cached.
  b->Args({18, 200'000, 2});
}
BENCHMARK(BM_BuildPreauthRequest)->Apply(EtypeArgs);
BENCHMARK(BM_BuildProbeRequest);
BENCHMARK(BM_CheckMitAsRep)
    ->ArgNames({"capture", "verify"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({2, 1})
    ->Args({3, 1})
    ->Args({4, 1})
    ->Args({1, 0});
BENCHMARK(BM_CheckBatchMitAsRep)
    ->ArgNames({"capture", "batch"})
    ->Args({1, 1})
    ->Args({1, 8})
    ->Args({1, 64})
    ->Args({3, 64});
BENCHMARK(BM_StartBatchPreauth)
    ->ArgNames({"etype", "batch"})
    ->Args({18, 1})
    ->Args({18, 8})
    ->Args({18, 64})
    ->Args({20, 64});
BENCHMARK(BM_CheckKrbError);
BENCHMARK(BM_NonceNext);
BENCHMARK(BM_SelectClient)->ArgName("select")->Arg(0)->Arg(1)->Arg(2);

}  // namespace
}  // namespace kdcperf::loadgen::clients
