// Kerberos crypto per message: the cached UsageKey path against the derive-every-time path
// and against a raw OpenSSL baseline (AES-256-CBC + HMAC-SHA1 with reused contexts) over the
// same bytes. The target: cached crypto within 2x of the raw baseline.
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

}  // namespace
}  // namespace kdcperf::krb::crypto
