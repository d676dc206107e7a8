// When each request of an open-loop run is due. Latency is measured from this intended time,
// not from when the generator got round to sending (wrk2's correction of coordinated
// omission): a KDC that stalls for a second is charged a second for every request that should
// have gone out during the stall.
//
// A schedule is a list of segments, each a rate that moves linearly from start_rate to
// end_rate over its duration (equal rates: constant; a list of constant segments: steps).
// Pure code: times are nanoseconds from the start of the run.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace kdcperf::loadgen::net {

struct RateSegment {
  double start_rate = 0;  // requests per second at the start of the segment
  double end_rate = 0;    // ... and at its end
  std::int64_t duration_ns = 0;
};

class RateSchedule {
 public:
  explicit RateSchedule(std::vector<RateSegment> segments);
  static RateSchedule constant(double rate, std::int64_t duration_ns) {
    return RateSchedule({{rate, rate, duration_ns}});
  }

  // The intended send time of the next request, or nullopt when the schedule is over.
  // Exact: the k-th request (from 0) of a segment is due when the integral of the rate reaches
  // k, so long runs do not drift as summed 1/rate steps would.
  std::optional<std::int64_t> next();
  // The rate the schedule asks for at time t (for per-second "target rate" reports).
  double rate_at(std::int64_t t_ns) const;
  std::int64_t total_duration_ns() const;

 private:
  std::vector<RateSegment> segments_;
  std::size_t segment_ = 0;
  std::int64_t segment_start_ns_ = 0;
  std::uint64_t issued_in_segment_ = 0;
};

}  // namespace kdcperf::loadgen::net
