// Time as pure code sees it: passed in, never read from the system inside libkrb.
// Kerberos time (wall clock, RFC 4120 §5.2.3 KerberosTime + microseconds) and monotonic time
// (for latency) are distinct types so they cannot be mixed up.
#pragma once

#include <cstdint>

namespace kdcperf::krb {

// Seconds since the Unix epoch plus microseconds, as KerberosTime + Microseconds carry it.
struct KerberosTimestamp {
  std::int64_t seconds = 0;
  std::int32_t usec = 0;
  friend bool operator==(const KerberosTimestamp&, const KerberosTimestamp&) = default;
};

// Nanoseconds from an arbitrary origin; only differences mean anything.
struct MonotonicNanos {
  std::int64_t ns = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual KerberosTimestamp now() const = 0;
};

// For tests and for a batch that takes the time once.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(KerberosTimestamp t) : t_(t) {}
  KerberosTimestamp now() const override { return t_; }
  void set(KerberosTimestamp t) { t_ = t; }

 private:
  KerberosTimestamp t_;
};

}  // namespace kdcperf::krb
