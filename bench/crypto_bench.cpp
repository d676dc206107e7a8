// Kerberos crypto per message: the cached UsageKey path against the derive-every-time path
// and against a raw OpenSSL baseline (AES-256-CBC + HMAC-SHA1 with reused contexts) over the
// same bytes. The target: cached crypto within 2x of the raw baseline. Then the batch
// API on both backends (OpenSSL per message, intel-ipsec-mb multi-buffer) at batch sizes
// 1-128, and the crypto of a batch of AS exchanges (issue 6: <= 1 us per exchange for
// aes256-sha1 at batch 32, <= 2 us for aes256-sha384).
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <vector>

#include "krb/base/rng.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/key_cache.hpp"
#include "krb/crypto/string_to_key.hpp"

namespace kdcperf::krb::crypto {
namespace {

Key bench_key(Enctype e) {
  DeterministicRng rng(static_cast<std::uint64_t>(e));
  return std::move(make_random_key(e, rng)).value();
}

Buffer bench_plaintext(std::size_t n) {
  Buffer b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = std::byte(i & 0xff);
  return b;
}

void set_counters(benchmark::State& state, std::size_t bytes) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

// Args: {etype, plaintext bytes}.
void BM_Seal(benchmark::State& state) {
  const auto e = static_cast<Enctype>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  const Key key = bench_key(e);
  auto uk = std::move(UsageKey::make(key, KeyUsage::KDC_REP_TICKET)).value();
  const Buffer pt = bench_plaintext(n);
  Buffer out(n + uk.overhead());
  DeterministicRng rng(1);
  for (auto _ : state) {
    auto r = seal(uk, pt, out, rng);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, n);
}

void BM_Open(benchmark::State& state) {
  const auto e = static_cast<Enctype>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  const Key key = bench_key(e);
  auto uk = std::move(UsageKey::make(key, KeyUsage::KDC_REP_TICKET)).value();
  const Buffer pt = bench_plaintext(n);
  Buffer ct(n + uk.overhead());
  DeterministicRng rng(1);
  if (!seal(uk, pt, ct, rng).ok()) state.SkipWithError("seal failed");
  Buffer out(n);
  for (auto _ : state) {
    auto r = open(uk, ct, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, n);
}

void BM_SealOnce(benchmark::State& state) {
  const auto e = static_cast<Enctype>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  const Key key = bench_key(e);
  const Buffer pt = bench_plaintext(n);
  Buffer out(n + seal_overhead(e));
  DeterministicRng rng(1);
  for (auto _ : state) {
    auto r = seal_once(key, KeyUsage::KDC_REP_TICKET, pt, out, rng);
    benchmark::DoNotOptimize(r);
  }
  set_counters(state, n);
}

void BM_OpenOnce(benchmark::State& state) {
  const auto e = static_cast<Enctype>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  const Key key = bench_key(e);
  const Buffer pt = bench_plaintext(n);
  Buffer ct(n + seal_overhead(e));
  DeterministicRng rng(1);
  if (!seal_once(key, KeyUsage::KDC_REP_TICKET, pt, ct, rng).ok()) {
    state.SkipWithError("seal failed");
  }
  Buffer out(n);
  for (auto _ : state) {
    auto r = open_once(key, KeyUsage::KDC_REP_TICKET, ct, out);
    benchmark::DoNotOptimize(r);
  }
  set_counters(state, n);
}

void EtypeArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"etype", "bytes"});
  for (int e : {17, 18, 19, 20, 23}) {
    for (int n : {64, 256, 1024}) b->Args({e, n});
  }
}

BENCHMARK(BM_Seal)->Apply(EtypeArgs);
BENCHMARK(BM_Open)->Apply(EtypeArgs);
BENCHMARK(BM_SealOnce)->Apply(EtypeArgs);
BENCHMARK(BM_OpenOnce)->Apply(EtypeArgs);

// The baseline: 16 random bytes + plaintext (padded to whole blocks) through AES-256-CBC with
// a context keyed once (only the IV reset per message), and HMAC-SHA1 through an EVP_MAC
// context keyed once (EVP_MAC_init with no key per message): what "reused OpenSSL contexts"
// means without any Kerberos framing.
void BM_RawAes256CbcHmacSha1(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::size_t body = (n + 16 + 15) / 16 * 16;
  std::vector<unsigned char> key(32, 0x11), mac_key(32, 0x22), iv(16, 0);
  std::vector<unsigned char> in(body, 0x33), out(body + 20);
  EVP_CIPHER* cbc = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex2(c, cbc, key.data(), iv.data(), nullptr);
  EVP_CIPHER_CTX_set_padding(c, 0);
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* m = EVP_MAC_CTX_new(hmac);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA1"), 0),
      OSSL_PARAM_construct_end()};
  EVP_MAC_init(m, mac_key.data(), mac_key.size(), params);
  for (auto _ : state) {
    int outl = 0;
    std::size_t macl = 0;
    EVP_EncryptInit_ex2(c, nullptr, nullptr, iv.data(), nullptr);
    EVP_EncryptUpdate(c, out.data(), &outl, in.data(), static_cast<int>(body));
    EVP_MAC_init(m, nullptr, 0, nullptr);
    EVP_MAC_update(m, in.data(), body);
    EVP_MAC_final(m, out.data() + body, &macl, 20);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, n);
  EVP_MAC_CTX_free(m);
  EVP_MAC_free(hmac);
  EVP_CIPHER_CTX_free(c);
  EVP_CIPHER_free(cbc);
}
BENCHMARK(BM_RawAes256CbcHmacSha1)->ArgName("bytes")->Arg(64)->Arg(256)->Arg(1024);

void BM_KeyCacheHit(benchmark::State& state) {
  KeyCache cache;
  const Key key = bench_key(Enctype::AES256_CTS_HMAC_SHA1_96);
  if (!cache.get(key, KeyUsage::AS_REP_ENC_PART).ok()) state.SkipWithError("get failed");
  for (auto _ : state) {
    auto r = cache.get(key, KeyUsage::AS_REP_ENC_PART);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyCacheHit);

void BM_UsageKeyMake(benchmark::State& state) {
  const Key key = bench_key(static_cast<Enctype>(state.range(0)));
  for (auto _ : state) {
    auto r = UsageKey::make(key, KeyUsage::AS_REP_ENC_PART);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UsageKeyMake)->ArgName("etype")->Arg(17)->Arg(18)->Arg(19)->Arg(20)->Arg(23);

// The crypto of one AS exchange with PA-ENC-TIMESTAMP on the KDC side, aes256-sha1 (18):
// three cache lookups, open the 56-byte encrypted timestamp (usage 1), seal a ~300-byte
// EncTicketPart (usage 2, krbtgt key) and a ~200-byte EncASRepPart (usage 3, client key),
// and the PA-REQ-ENC-PA-REP checksum (usage 56) over a ~280-byte AS-REQ.
void BM_AsExchangeCrypto(benchmark::State& state) {
  const auto e = static_cast<Enctype>(state.range(0));
  KeyCache cache;
  const Key client = bench_key(e);
  DeterministicRng seed(9);
  const Key krbtgt = std::move(make_random_key(e, seed)).value();
  DeterministicRng rng(2);
  const Buffer ts = bench_plaintext(28), ticket = bench_plaintext(300), rep = bench_plaintext(200),
               req = bench_plaintext(280);
  Buffer ts_ct(ts.size() + seal_overhead(e)), ts_out(ts.size());
  if (!seal_once(client, KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, ts, ts_ct, rng).ok()) {
    state.SkipWithError("seal failed");
  }
  Buffer ticket_ct(ticket.size() + seal_overhead(e)), rep_ct(rep.size() + seal_overhead(e));
  Buffer mac(48);
  for (auto _ : state) {
    const UsageKey* k1 = *cache.get(client, KeyUsage::AS_REQ_PA_ENC_TIMESTAMP);
    const UsageKey* k2 = *cache.get(krbtgt, KeyUsage::KDC_REP_TICKET);
    const UsageKey* k3 = *cache.get(client, KeyUsage::AS_REP_ENC_PART);
    const UsageKey* k4 = *cache.get(client, KeyUsage::AS_REQ);
    auto a = open(*k1, ts_ct, ts_out);
    auto b = seal(*k2, ticket, ticket_ct, rng);
    auto c = seal(*k3, rep, rep_ct, rng);
    auto d = make_checksum(*k4, req, mac);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
    benchmark::DoNotOptimize(c);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AsExchangeCrypto)->ArgName("etype")->Arg(17)->Arg(18)->Arg(19)->Arg(20)->Arg(23);

// seal_batch/open_batch per backend: args {backend (0 OpenSSL, 1 ipsec-mb), etype, plaintext
// bytes, batch size}; one key for the whole batch (a KDC's krbtgt tickets). per_msg is the time
// per message; the backend is restored after each run.
// The backend state.range(0) names, for the benchmark's lifetime; the previous one after.
class BackendScope {
 public:
  explicit BackendScope(benchmark::State& state) : saved_(batch_backend()) {
    const auto b = state.range(0) == 0 ? BatchBackend::kOpenSsl : BatchBackend::kIpsecMb;
    if (!batch_backend_available(b)) state.SkipWithError("backend not available here");
    set_batch_backend(b);
  }
  ~BackendScope() { set_batch_backend(saved_); }
  BackendScope(const BackendScope&) = delete;
  BackendScope& operator=(const BackendScope&) = delete;

 private:
  BatchBackend saved_;
};

// What BM_SealBatch and BM_OpenBatch share: args {backend, etype, bytes, batch}, one key.
struct BatchSetup {
  explicit BatchSetup(benchmark::State& state)
      : backend(state),
        n(static_cast<std::size_t>(state.range(2))),
        batch(static_cast<std::size_t>(state.range(3))),
        uk(std::move(UsageKey::make(bench_key(static_cast<Enctype>(state.range(1))),
                                    KeyUsage::KDC_REP_TICKET))
               .value()),
        pt(bench_plaintext(n)) {}
  BackendScope backend;
  std::size_t n;
  std::size_t batch;
  UsageKey uk;
  Buffer pt;
};

void set_batch_counters(benchmark::State& state, std::size_t batch, std::size_t bytes) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(batch * bytes));
  state.counters["per_msg"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}

void BM_SealBatch(benchmark::State& state) {
  BatchSetup b(state);
  const std::size_t n = b.n, batch = b.batch;
  const UsageKey& uk = b.uk;
  const Buffer& pt = b.pt;
  std::vector<Buffer> outs(batch, Buffer(n + uk.overhead()));
  std::vector<SealJob> jobs(batch);
  DeterministicRng rng(1);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) jobs[i] = SealJob{&uk, pt, outs[i], 0, {}};
    seal_batch(jobs, rng);
    benchmark::DoNotOptimize(jobs.data());
  }
  if (!jobs[0].status.ok()) state.SkipWithError("seal failed");
  set_batch_counters(state, batch, n);
}

void BM_OpenBatch(benchmark::State& state) {
  BatchSetup b(state);
  const std::size_t n = b.n, batch = b.batch;
  const UsageKey& uk = b.uk;
  const Buffer& pt = b.pt;
  std::vector<Buffer> cts(batch, Buffer(n + uk.overhead()));
  std::vector<Buffer> outs(batch, Buffer(n));
  DeterministicRng rng(1);
  for (Buffer& ct : cts) {
    if (!seal(uk, pt, ct, rng).ok()) state.SkipWithError("seal failed");
  }
  std::vector<OpenJob> jobs(batch);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) jobs[i] = OpenJob{&uk, cts[i], outs[i], 0, {}};
    open_batch(jobs);
    benchmark::DoNotOptimize(jobs.data());
  }
  if (!jobs[0].status.ok()) state.SkipWithError("open failed");
  set_batch_counters(state, batch, n);
}

void BatchArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"backend", "etype", "bytes", "batch"});
  for (int e : {18, 20}) {
    for (int n : {256, 1024}) {
      for (int batch : {1, 8, 32, 128}) {
        for (int backend : {0, 1}) b->Args({backend, e, n, batch});
      }
    }
  }
}
BENCHMARK(BM_SealBatch)->Apply(BatchArgs);
BENCHMARK(BM_OpenBatch)->Apply(BatchArgs);

// The crypto of a batch of AS exchanges as AsService does it: one open_batch of the
// PA-ENC-TIMESTAMPs (28 bytes, usage 1, client keys) and one seal_batch of the tickets (300
// bytes, usage 2, krbtgt key) and reply parts (200 bytes, usage 3, client keys); 16 distinct
// clients. per_msg here is per exchange (2 seals + 1 open). Args {backend, etype, batch}.
void BM_AsExchangeBatch(benchmark::State& state) {
  const BackendScope backend(state);
  const auto e = static_cast<Enctype>(state.range(1));
  const auto batch = static_cast<std::size_t>(state.range(2));
  constexpr std::size_t kClients = 16;
  DeterministicRng rng(2);
  std::vector<UsageKey> ts_keys, rep_keys;
  for (std::size_t c = 0; c < kClients; ++c) {
    const Key k = std::move(make_random_key(e, rng)).value();
    ts_keys.push_back(std::move(UsageKey::make(k, KeyUsage::AS_REQ_PA_ENC_TIMESTAMP)).value());
    rep_keys.push_back(std::move(UsageKey::make(k, KeyUsage::AS_REP_ENC_PART)).value());
  }
  const Key krbtgt = std::move(make_random_key(e, rng)).value();
  auto tgt = std::move(UsageKey::make(krbtgt, KeyUsage::KDC_REP_TICKET)).value();
  const Buffer ts = bench_plaintext(28), ticket = bench_plaintext(300), rep = bench_plaintext(200);
  std::vector<Buffer> ts_cts(batch, Buffer(ts.size() + seal_overhead(e)));
  std::vector<Buffer> ts_outs(batch, Buffer(ts.size()));
  std::vector<Buffer> seal_outs(2 * batch, Buffer(ticket.size() + seal_overhead(e)));
  for (std::size_t i = 0; i < batch; ++i) {
    if (!seal(ts_keys[i % kClients], ts, ts_cts[i], rng).ok()) state.SkipWithError("seal");
  }
  std::vector<OpenJob> opens(batch);
  std::vector<SealJob> seals(2 * batch);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) {
      opens[i] = OpenJob{&ts_keys[i % kClients], ts_cts[i], ts_outs[i], 0, {}};
    }
    open_batch(opens);
    for (std::size_t i = 0; i < batch; ++i) {
      seals[2 * i] = SealJob{&tgt, ticket, seal_outs[2 * i], 0, {}};
      seals[2 * i + 1] = SealJob{&rep_keys[i % kClients], rep, seal_outs[2 * i + 1], 0, {}};
    }
    seal_batch(seals, rng);
    benchmark::DoNotOptimize(seals.data());
  }
  if (!opens[0].status.ok() || !seals[1].status.ok()) state.SkipWithError("batch failed");
  set_batch_counters(state, batch, 0);
}
BENCHMARK(BM_AsExchangeBatch)
    ->ArgNames({"backend", "etype", "batch"})
    ->ArgsProduct({{0, 1}, {17, 18, 19, 20}, {1, 8, 32, 128}});

}  // namespace
}  // namespace kdcperf::krb::crypto
