#include "loadgen/clients/selection.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "loadgen/clients/nonce.hpp"
#include "loadgen/clients/random.hpp"

namespace kdcperf::loadgen::clients {
namespace {

// Pearson's chi-square of observed counts against expected probabilities.
double chi_square(const std::vector<std::uint64_t>& observed, const std::vector<double>& p,
                  std::uint64_t draws) {
  double chi = 0;
  for (std::size_t k = 0; k < observed.size(); ++k) {
    const double e = p[k] * static_cast<double>(draws);
    const double d = static_cast<double>(observed[k]) - e;
    chi += d * d / e;
  }
  return chi;
}

// Zipf pmf by direct summation (independent of the sampler's integral formulas).
std::vector<double> zipf_pmf(std::uint64_t n, double s) {
  std::vector<double> p(n);
  double sum = 0;
  for (std::uint64_t k = 1; k <= n; ++k) sum += p[k - 1] = std::pow(static_cast<double>(k), -s);
  for (auto& v : p) v /= sum;
  return p;
}

// A chi-square with `dof` degrees of freedom has mean dof and variance 2 dof; with a fixed seed
// the statistic is a fixed number, so this bound (mean + 6 sd) is a sanity check, not a flaky
// test: a sampler with a biased shape lands in the hundreds or thousands.
double bound(std::size_t dof) {
  return static_cast<double>(dof) + 6.0 * std::sqrt(2.0 * static_cast<double>(dof));
}

TEST(Zipf, MatchesExactDistributionForSeveralExponents) {
  constexpr std::uint64_t kN = 50;
  constexpr std::uint64_t kDraws = 500'000;
  for (const double s : {0.5, 0.99, 1.0, 1.01, 1.3, 2.0, 3.5}) {
    ZipfSampler z(kN, s);
    FastRng rng(12345);
    std::vector<std::uint64_t> counts(kN, 0);
    for (std::uint64_t i = 0; i < kDraws; ++i) {
      const std::uint64_t k = z.sample(rng);
      ASSERT_GE(k, 1u);
      ASSERT_LE(k, kN);
      ++counts[k - 1];
    }
    const double chi = chi_square(counts, zipf_pmf(kN, s), kDraws);
    EXPECT_LT(chi, bound(kN - 1)) << "s=" << s;
  }
}

TEST(Zipf, HeadOfAMillionClientPopulation) {
  constexpr std::uint64_t kN = 1'000'000;
  constexpr std::uint64_t kDraws = 2'000'000;
  const double s = 1.1;
  const auto p = zipf_pmf(kN, s);
  ZipfSampler z(kN, s);
  FastRng rng(7);
  std::vector<std::uint64_t> head(11, 0);  // ranks 1..10 and "the rest"
  std::uint64_t max_rank = 0;
  for (std::uint64_t i = 0; i < kDraws; ++i) {
    const std::uint64_t k = z.sample(rng);
    ASSERT_LE(k, kN);
    max_rank = std::max(max_rank, k);
    ++head[k <= 10 ? k - 1 : 10];
  }
  std::vector<double> hp(11, 0);
  for (std::size_t k = 0; k < 10; ++k) hp[k] = p[k];
  hp[10] = 1.0;
  for (std::size_t k = 0; k < 10; ++k) hp[10] -= p[k];
  EXPECT_LT(chi_square(head, hp, kDraws), bound(10));
  EXPECT_GT(max_rank, kN / 2) << "the tail is reached";
}

TEST(Zipf, SingleClient) {
  ZipfSampler z(1, 1.2);
  FastRng rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(z.sample(rng), 1u);
}

TEST(Uniform, BelowIsUnbiased) {
  constexpr std::uint64_t kN = 37;
  constexpr std::uint64_t kDraws = 370'000;
  FastRng rng(99);
  std::vector<std::uint64_t> counts(kN, 0);
  for (std::uint64_t i = 0; i < kDraws; ++i) ++counts[rng.below(kN)];
  EXPECT_LT(chi_square(counts, std::vector<double>(kN, 1.0 / kN), kDraws), bound(kN - 1));
}

TEST(ClientSelector, RoundRobinCyclesFromEvenlySpacedStarts) {
  SelectionOptions o;
  ClientSelector w0(10, o, 0, 2);
  ClientSelector w1(10, o, 1, 2);
  std::vector<std::uint32_t> a, b;
  for (int i = 0; i < 12; ++i) {
    a.push_back(w0.next());
    b.push_back(w1.next());
  }
  EXPECT_EQ(a, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1}));
  EXPECT_EQ(b, (std::vector<std::uint32_t>{5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6}));
}

TEST(ClientSelector, SeededStreamsAreReproducibleAndDistinctPerWorker) {
  SelectionOptions o;
  o.kind = SelectionKind::kZipf;
  o.zipf_s = 1.1;
  o.seed = 2024;
  ClientSelector a(1000, o, 0, 2), a2(1000, o, 0, 2), b(1000, o, 1, 2);
  int same_as_other_worker = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, a2.next());
    EXPECT_LT(x, 1000u);
    if (x == b.next()) ++same_as_other_worker;
  }
  EXPECT_LT(same_as_other_worker, 900);
}

TEST(ClientSelector, ParseSelection) {
  EXPECT_EQ(parse_selection("round-robin")->kind, SelectionKind::kRoundRobin);
  EXPECT_EQ(parse_selection("uniform")->kind, SelectionKind::kUniform);
  auto z = parse_selection("zipf:1.25");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->kind, SelectionKind::kZipf);
  EXPECT_DOUBLE_EQ(z->zipf_s, 1.25);
  EXPECT_FALSE(parse_selection("zipf:0"));
  EXPECT_FALSE(parse_selection("zipf:-1"));
  EXPECT_FALSE(parse_selection("zipf:x"));
  EXPECT_FALSE(parse_selection("sometimes"));
}

// ---- nonces ----------------------------------------------------------------------------------

TEST(NonceGenerator, TenMillionDrawsArePositiveAndUnique) {
  constexpr std::size_t kDraws = 10'000'000;
  NonceGenerator g(0x0123456789abcdefULL);
  std::vector<std::uint32_t> v(kDraws);
  for (auto& x : v) {
    const std::int32_t n = g.next();
    ASSERT_GT(n, 0);
    x = static_cast<std::uint32_t>(n);
  }
  std::sort(v.begin(), v.end());
  EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
  // Spread over the whole 31-bit range, not a small window.
  EXPECT_LT(v.front(), 1000u);
  EXPECT_GT(v.back(), 0x7fffffffu - 1000u);
}

TEST(NonceGenerator, WorkersOfARunNeverCollide) {
  constexpr std::size_t kDraws = 1'000'000;
  NonceGenerator w0(77, 0, 2), w1(77, 1, 2);
  std::vector<std::uint32_t> v;
  v.reserve(2 * kDraws);
  for (std::size_t i = 0; i < kDraws; ++i) {
    v.push_back(static_cast<std::uint32_t>(w0.next()));
    v.push_back(static_cast<std::uint32_t>(w1.next()));
  }
  std::sort(v.begin(), v.end());
  EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
}

TEST(NonceGenerator, KeyedAndReproducible) {
  NonceGenerator a(1), b(1), c(2);
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    if (x == c.next()) ++same;
  }
  EXPECT_LT(same, 5);
  // The permutation stays within 31 bits.
  for (std::uint32_t x : {0u, 1u, 0x7ffffffeu, 0x7fffffffu, 0x40000000u}) {
    EXPECT_LE(a.permute(x), 0x7fffffffu);
  }
}

TEST(BufferedRng, HandsOutTheUpstreamStreamInOrder) {
  krb::DeterministicRng up1(5), up2(5);
  BufferedRng buffered(up1);
  std::vector<std::byte> direct(10000), via(10000);
  up2.fill(std::span<std::byte>(direct.data(), BufferedRng::kBlockBytes));
  up2.fill(
      std::span<std::byte>(direct.data() + BufferedRng::kBlockBytes, BufferedRng::kBlockBytes));
  up2.fill(std::span<std::byte>(direct.data() + 2 * BufferedRng::kBlockBytes,
                                10000 - 2 * BufferedRng::kBlockBytes));
  for (std::size_t off = 0; off < via.size();) {
    const std::size_t n = std::min<std::size_t>(via.size() - off, 1 + off % 97);
    buffered.fill(std::span<std::byte>(via.data() + off, n));
    off += n;
  }
  EXPECT_EQ(direct, via);
}

// The default stream: ChaCha20 rekeyed from its own output at every block. Blocks never
// repeat, the key is not handed out, and two keys give unrelated streams.
TEST(BufferedRng, ChaChaStreamRekeysEachBlockAndDependsOnTheKey) {
  std::array<std::byte, BufferedRng::kKeyBytes> key{};
  key[0] = std::byte{1};
  BufferedRng a(key), b(key);
  key[0] = std::byte{2};
  BufferedRng other(key);
  constexpr std::size_t kBlock = BufferedRng::kBlockBytes;
  std::vector<std::byte> sa(3 * kBlock), sb(3 * kBlock), so(3 * kBlock);
  // Piecewise reads hand out the same stream as one read.
  for (std::size_t off = 0; off < sa.size(); off += 16) {
    a.fill(std::span<std::byte>(sa.data() + off, 16));
  }
  b.fill(sb);
  other.fill(so);
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, so);
  const auto block = [&](std::size_t i) {
    return std::vector<std::byte>(sa.begin() + static_cast<std::ptrdiff_t>(i * kBlock),
                                  sa.begin() + static_cast<std::ptrdiff_t>((i + 1) * kBlock));
  };
  EXPECT_NE(block(0), block(1));
  EXPECT_NE(block(1), block(2));
  EXPECT_NE(block(0), std::vector<std::byte>(kBlock));
  // The 32 bytes that become the next key are never part of the output.
  std::array<std::byte, 32 + kBlock> first{};
  static constexpr unsigned char kNonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
  std::array<unsigned char, 32> k0{};
  k0[0] = 1;
  crypto_stream_chacha20_ietf(reinterpret_cast<unsigned char*>(first.data()), first.size(), kNonce,
                              k0.data());
  EXPECT_TRUE(std::equal(first.begin() + 32, first.end(), sa.begin()));
  EXPECT_EQ(std::search(sa.begin(), sa.end(), first.begin(), first.begin() + 32), sa.end());
  // The default constructor keys itself from the system: two generators differ.
  BufferedRng s1, s2;
  std::vector<std::byte> x(64), y(64);
  s1.fill(x);
  s2.fill(y);
  EXPECT_NE(x, y);
}

}  // namespace
}  // namespace kdcperf::loadgen::clients
