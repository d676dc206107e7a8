// Which client sends next: round-robin, uniform random, or Zipf(s) over the population (users
// of a real realm are not uniform: a few log in all day, most rarely). Per worker, seeded,
// O(1) per draw, no allocation and no table: Zipf uses rejection-inversion sampling
// (W. Hörmann and G. Derflinger, "Rejection-inversion to generate variates from monotone
// discrete distributions", ACM TOMACS 6(3), 1996), which needs a few exp/log per draw and no
// per-client memory, so a 100-million-client population costs nothing extra.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "krb/base/result.hpp"
#include "loadgen/clients/random.hpp"

namespace kdcperf::loadgen::clients {

enum class SelectionKind : std::uint8_t { kRoundRobin, kUniform, kZipf };

struct SelectionOptions {
  SelectionKind kind = SelectionKind::kRoundRobin;
  double zipf_s = 1.0;     // exponent, > 0; rank 1 (client 0) is the most frequent
  std::uint64_t seed = 1;  // the run seed; each worker derives its own stream
};

// "round-robin", "uniform", "zipf" or "zipf:S" (e.g. "zipf:1.1"); nullopt when unknown.
std::optional<SelectionOptions> parse_selection(std::string_view text);

// Zipf(s) over ranks 1..n by rejection-inversion. Exposed for its distribution test.
class ZipfSampler {
 public:
  ZipfSampler(std::uint64_t n, double s);
  // A rank in [1, n].
  std::uint64_t sample(FastRng& rng) const;

 private:
  double h(double x) const;          // x^-s
  double big_h(double x) const;      // an antiderivative of h
  double big_h_inv(double y) const;  // its inverse
  std::uint64_t n_;
  double s_;
  double h_x1_;   // H(1.5) - h(1)
  double h_n_;    // H(n + 0.5)
  double s_cut_;  // acceptance shortcut: k - x <= s_cut_ is always accepted
};

class ClientSelector {
 public:
  // Worker `worker` of `workers`: round-robin workers start evenly spaced, random ones use
  // independent streams derived from the seed.
  ClientSelector(std::uint64_t population, const SelectionOptions& opts, unsigned worker = 0,
                 unsigned workers = 1);
  std::uint32_t next();
  FastRng& rng() { return rng_; }

 private:
  std::uint64_t n_;
  SelectionKind kind_;
  std::uint64_t cursor_ = 0;
  FastRng rng_;
  std::optional<ZipfSampler> zipf_;
};

}  // namespace kdcperf::loadgen::clients
