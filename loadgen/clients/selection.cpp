#include "loadgen/clients/selection.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace kdcperf::loadgen::clients {
namespace {

// log1p(t)/t and expm1(t)/t, both -> 1 as t -> 0, so H and its inverse stay accurate near
// s = 1 (where the antiderivative turns into a logarithm).
double log1p_over(double t) {
  return std::abs(t) > 1e-8 ? std::log1p(t) / t : 1.0 - t * (0.5 - t / 3.0);
}
double expm1_over(double t) {
  return std::abs(t) > 1e-8 ? std::expm1(t) / t : 1.0 + t * (0.5 + t / 6.0);
}

}  // namespace

std::optional<SelectionOptions> parse_selection(std::string_view text) {
  SelectionOptions o;
  if (text == "round-robin" || text == "roundrobin" || text == "rr") {
    o.kind = SelectionKind::kRoundRobin;
    return o;
  }
  if (text == "uniform" || text == "random") {
    o.kind = SelectionKind::kUniform;
    return o;
  }
  if (text == "zipf") {
    o.kind = SelectionKind::kZipf;
    return o;
  }
  if (text.starts_with("zipf:")) {
    o.kind = SelectionKind::kZipf;
    // std::from_chars for double is in libstdc++ 11+, which g++ 12 and clang 14 here use.
    const std::string_view num = text.substr(5);
    double s = 0;
    const auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), s);
    if (ec != std::errc() || p != num.data() + num.size() || !(s > 0) || !std::isfinite(s)) {
      return std::nullopt;
    }
    o.zipf_s = s;
    return o;
  }
  return std::nullopt;
}

ZipfSampler::ZipfSampler(std::uint64_t n, double s) : n_(n == 0 ? 1 : n), s_(s > 0 ? s : 1.0) {
  h_x1_ = big_h(1.5) - 1.0;
  h_n_ = big_h(static_cast<double>(n_) + 0.5);
  s_cut_ = 2.0 - big_h_inv(big_h(2.5) - h(2.0));
}

double ZipfSampler::h(double x) const {
  return std::exp(-s_ * std::log(x));
}

// H(x) = (x^(1-s) - 1) / (1-s), and log(x) for s = 1: written as log(x) * expm1(t)/t with
// t = (1-s) log(x), which covers both.
double ZipfSampler::big_h(double x) const {
  const double lx = std::log(x);
  return lx * expm1_over((1.0 - s_) * lx);
}

double ZipfSampler::big_h_inv(double y) const {
  double t = (1.0 - s_) * y;
  if (t < -1.0) t = -1.0;  // rounding at the upper end for s > 1; keeps log1p finite
  return std::exp(y * log1p_over(t));
}

std::uint64_t ZipfSampler::sample(FastRng& rng) const {
  // Draw u uniformly over the hat's area, invert, round to the nearest rank k, and accept when
  // u falls in the part of k's interval whose width is exactly h(k) (Hörmann-Derflinger §3).
  for (;;) {
    const double u = h_n_ + rng.uniform() * (h_x1_ - h_n_);
    const double x = big_h_inv(u);
    double kd = std::floor(x + 0.5);
    kd = std::clamp(kd, 1.0, static_cast<double>(n_));
    if (kd - x <= s_cut_ || u >= big_h(kd + 0.5) - h(kd)) {
      return static_cast<std::uint64_t>(kd);
    }
  }
}

ClientSelector::ClientSelector(std::uint64_t population, const SelectionOptions& opts,
                               unsigned worker, unsigned workers)
    : n_(population == 0 ? 1 : population), kind_(opts.kind), rng_(derive_seed(opts.seed, worker)) {
  if (workers == 0) workers = 1;
  cursor_ = (n_ * worker / workers) % n_;
  if (kind_ == SelectionKind::kZipf) zipf_.emplace(n_, opts.zipf_s);
}

std::uint32_t ClientSelector::next() {
  switch (kind_) {
    case SelectionKind::kRoundRobin: {
      const std::uint64_t i = cursor_;
      cursor_ = cursor_ + 1 == n_ ? 0 : cursor_ + 1;
      return static_cast<std::uint32_t>(i);
    }
    case SelectionKind::kUniform:
      return static_cast<std::uint32_t>(rng_.below(n_));
    case SelectionKind::kZipf:
      return static_cast<std::uint32_t>(zipf_->sample(rng_) - 1);
  }
  return 0;
}

}  // namespace kdcperf::loadgen::clients
