// The time an engine worker spent waiting with requests due and every socket held by the KDC:
// the KDC's time, not the generator's, so it is taken out of the generator's own lateness (a
// stalled KDC leaves a backlog behind it; the requests' latency, counted from when they were
// due, already charges the KDC for it). Queries come in intended-send order, so history before
// the oldest query is dropped, and each query costs O(1) amortized however long the backlog
// (a scan over every wait made a long backlog quadratic: the generator then fell further
// behind the longer it was behind).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace kdcperf::loadgen::net {

class BlockedTime {
 public:
  // A wait [start, end), starting at or after the end of every earlier one.
  void add(std::int64_t start, std::int64_t end) {
    if (end <= start) return;
    if (waits_.size() >= kMaxWaits) {
      // Bounded memory in an endless backlog: the two oldest waits become one, and the gap
      // between them counts as blocked (the generator's lag is then understated by at most
      // that gap, only after kMaxWaits waits without a send due before them).
      const Wait a = waits_[0];
      waits_.pop_front();
      total_ += waits_.front().start - a.end;
      waits_.front().start = a.start;
    }
    waits_.push_back({start, end});
    total_ += end - start;
  }

  // Blocked time from `from` until now (every wait added has ended). `from` never decreases
  // from one call to the next.
  std::int64_t since(std::int64_t from) {
    while (!waits_.empty() && waits_.front().end <= from) {
      dropped_ += waits_.front().end - waits_.front().start;
      waits_.pop_front();
    }
    std::int64_t before = dropped_;
    if (!waits_.empty() && waits_.front().start < from) before += from - waits_.front().start;
    return total_ - before;
  }

  std::size_t waits() const { return waits_.size(); }
  static constexpr std::size_t kMaxWaits = 1 << 16;

 private:
  struct Wait {
    std::int64_t start, end;
  };
  std::deque<Wait> waits_;
  std::int64_t total_ = 0;    // every wait's length, dropped ones included
  std::int64_t dropped_ = 0;  // the dropped waits' lengths
};

}  // namespace kdcperf::loadgen::net
