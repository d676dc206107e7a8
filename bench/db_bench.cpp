// The principal database at the size of a large realm: building a 1,000,000-principal snapshot
// from prepared Principal structs (keys given, no PBKDF2), and find() on it, with names spread
// over the whole table (cache misses, as a KDC serving many clients sees) and with a small hot
// set. Counters report the memory estimate and, from glibc, what the heap really holds.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <array>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kdc/db/principal_db.hpp"
#include "krb/base/rng.hpp"
#include "krb/crypto/string_to_key.hpp"

namespace kdcperf::kdc::db {
namespace {

constexpr std::string_view kRealm = "EXAMPLE.TEST";
constexpr std::size_t kPrincipals = 1000000;

RealmPolicy realm_policy() {
  RealmPolicy p;
  p.realm = std::string(kRealm);
  return p;
}

// krbtgt plus "user1".."user{n}", each with one random AES-256 key and its default salt.
std::vector<Principal> prepare(std::size_t n) {
  krb::DeterministicRng rng(42);
  std::vector<Principal> out;
  out.reserve(n + 1);
  std::vector<std::string> tgs = {"krbtgt", std::string(kRealm)};
  for (std::size_t i = 0; i <= n; ++i) {
    Principal p;
    p.components = i == 0 ? tgs : std::vector<std::string>{"user" + std::to_string(i)};
    PrincipalKey k;
    k.key.etype = krb::crypto::Enctype::AES256_CTS_HMAC_SHA1_96;
    k.key.bytes = krb::SecretBytes(32);
    rng.fill(k.key.bytes.mutable_view());
    std::vector<std::string_view> views(p.components.begin(), p.components.end());
    // An exact-size copy, as the loaders store it (default_salt's result has slack).
    const std::string salt = krb::crypto::default_salt(kRealm, views);
    k.salt = std::string(salt);
    p.keys.push_back(std::move(k));
    out.push_back(std::move(p));
  }
  return out;
}

std::size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;  // small chunks in use + mmap'd blocks
}

// Arg: 1 to reserve() the builder first, 0 to let it grow.
void BM_BuildSnapshot(benchmark::State& state) {
  const bool reserve = state.range(0) != 0;
  double estimate = 0;
  double measured = 0;
  std::size_t size = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Principal> input = prepare(kPrincipals);
    const std::size_t heap_before = heap_in_use();
    state.ResumeTiming();

    PrincipalDb::Builder b(realm_policy());
    if (reserve) b.reserve(input.size());
    for (Principal& p : input) {
      if (!b.add(std::move(p)).ok()) state.SkipWithError("add failed");
    }
    krb::Result<PrincipalDb> db = std::move(b).build();

    state.PauseTiming();
    if (!db.ok()) {
      state.SkipWithError("build failed");
      break;
    }
    measured = static_cast<double>(heap_in_use()) - static_cast<double>(heap_before);
    size = db->size();
    estimate = static_cast<double>(db->approximate_bytes_without_keys());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(size));
  state.counters["principals"] = static_cast<double>(size);
  state.counters["est_bytes_per_principal"] = estimate / static_cast<double>(size);
  // The builder moves Principals in (their vectors and strings stay where `prepare` put them),
  // so this is what building added to the heap: the principals vector and the name index.
  state.counters["heap_added_bytes_per_principal"] = measured / static_cast<double>(size);
}
BENCHMARK(BM_BuildSnapshot)->Arg(0)->Arg(1)->Iterations(3)->Unit(benchmark::kMillisecond);

// One snapshot for the lookup benchmarks, with its heap measured from empty.
struct Shared {
  std::optional<PrincipalDb> db;
  double heap_bytes_without_keys = 0;
};

Shared& shared() {
  static Shared s = [] {
    Shared out;
    const std::size_t before = heap_in_use();
    {
      PrincipalDb::Builder b(realm_policy());
      b.reserve(kPrincipals + 1);
      for (Principal& p : prepare(kPrincipals)) {
        if (!b.add(std::move(p)).ok()) std::abort();
      }
      out.db.emplace(std::move(std::move(b).build()).value());
    }
    // Every key is a 32-byte SecretBytes buffer: a 48-byte glibc chunk.
    out.heap_bytes_without_keys =
        static_cast<double>(heap_in_use() - before) - 48.0 * static_cast<double>(out.db->size());
    return out;
  }();
  return s;
}

// Queries in random order. Arg 0: `spread` distinct names (hits), or misses when negative.
std::vector<std::string> queries(std::int64_t spread) {
  const bool miss = spread < 0;
  const auto n = static_cast<std::size_t>(miss ? -spread : spread);
  std::vector<std::string> q;
  q.reserve(n);
  for (std::size_t i = 1; i <= n; ++i) {
    q.push_back((miss ? "nobody" : "user") + std::to_string(i));
  }
  std::shuffle(q.begin(), q.end(), std::mt19937_64(7));
  return q;
}

void report(benchmark::State& state, const Shared& s) {
  state.SetItemsProcessed(state.iterations());
  state.counters["est_bytes_per_principal"] =
      static_cast<double>(s.db->approximate_bytes_without_keys()) /
      static_cast<double>(s.db->size());
  state.counters["heap_bytes_per_principal"] =
      s.heap_bytes_without_keys / static_cast<double>(s.db->size());
}

// find(span of components), as AsService calls it with the cname of an AS-REQ.
void BM_Find(benchmark::State& state) {
  const Shared& s = shared();
  const std::vector<std::string> q = queries(state.range(0));
  std::size_t i = 0;
  std::size_t found = 0;
  for (auto _ : state) {
    const std::array<std::string_view, 1> name = {q[i]};
    const Principal* p = s.db->find(std::span<const std::string_view>(name));
    benchmark::DoNotOptimize(p);
    found += p != nullptr;
    if (++i == q.size()) i = 0;
  }
  state.counters["hit_ratio"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
  report(state, s);
}
BENCHMARK(BM_Find)
    ->Arg(1000000)   // hits spread over the whole snapshot
    ->Arg(1024)      // hits on a hot set that stays in cache
    ->Arg(-1000000)  // misses
    ->Arg(-1024);

// Latency: which name is looked up next depends on the previous answer, so the CPU cannot
// overlap one lookup's cache misses with the next one's as it can in BM_Find.
void BM_FindDependent(benchmark::State& state) {
  const Shared& s = shared();
  const std::vector<std::string> q = queries(state.range(0));
  std::size_t i = 0;
  for (auto _ : state) {
    const std::array<std::string_view, 1> name = {q[i]};
    const Principal* p = s.db->find(std::span<const std::string_view>(name));
    // A data dependency, not a branch the CPU could predict and run ahead of: p is aligned,
    // so this adds 1, but the compiler (told nothing about v) and the CPU must wait for p.
    auto v = reinterpret_cast<std::uintptr_t>(p);
    benchmark::DoNotOptimize(v);
    i += 1 + (v & 1);
    if (i >= q.size()) i = 0;
  }
  report(state, s);
}
BENCHMARK(BM_FindDependent)->Arg(1000000)->Arg(1024);

// find("comp/comp"): the slash-joined overload tools and tests use.
void BM_FindSlashJoined(benchmark::State& state) {
  const Shared& s = shared();
  const std::vector<std::string> q = queries(state.range(0));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.db->find(std::string_view(q[i])));
    if (++i == q.size()) i = 0;
  }
  report(state, s);
}
BENCHMARK(BM_FindSlashJoined)->Arg(1000000)->Arg(1024);

}  // namespace
}  // namespace kdcperf::kdc::db
