#include "loadgen/net/schedule.hpp"

#include <cmath>

namespace kdcperf::loadgen::net {

RateSchedule::RateSchedule(std::vector<RateSegment> segments) : segments_(std::move(segments)) {}

std::optional<std::int64_t> RateSchedule::next() {
  while (segment_ < segments_.size()) {
    const RateSegment& s = segments_[segment_];
    const double duration_s = static_cast<double>(s.duration_ns) / 1e9;
    // Requests in this segment so far: N(t) = r0 t + (r1 - r0) t^2 / (2 T). The k-th request
    // is due at the t where N(t) = k.
    const double k = static_cast<double>(issued_in_segment_);
    const double a = duration_s > 0 ? (s.end_rate - s.start_rate) / (2 * duration_s) : 0;
    const double b = s.start_rate;
    double t = -1;
    if (std::abs(a) < 1e-12) {
      if (b > 0) t = k / b;
    } else {
      const double disc = b * b + 4 * a * k;
      if (disc >= 0) t = (-b + std::sqrt(disc)) / (2 * a);
    }
    if (t >= 0 && t < duration_s) {
      ++issued_in_segment_;
      return segment_start_ns_ + static_cast<std::int64_t>(std::llround(t * 1e9));
    }
    segment_start_ns_ += s.duration_ns;
    ++segment_;
    issued_in_segment_ = 0;
  }
  return std::nullopt;
}

double RateSchedule::rate_at(std::int64_t t_ns) const {
  std::int64_t start = 0;
  for (const RateSegment& s : segments_) {
    if (t_ns < start + s.duration_ns) {
      const double f = s.duration_ns > 0
                           ? static_cast<double>(t_ns - start) / static_cast<double>(s.duration_ns)
                           : 0;
      return s.start_rate + (s.end_rate - s.start_rate) * f;
    }
    start += s.duration_ns;
  }
  return 0;
}

std::int64_t RateSchedule::total_duration_ns() const {
  std::int64_t total = 0;
  for (const RateSegment& s : segments_) total += s.duration_ns;
  return total;
}

}  // namespace kdcperf::loadgen::net
