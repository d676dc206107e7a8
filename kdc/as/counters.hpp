// What the AS service saw and answered, per worker. Plain integers written by the worker that
// owns the service; the engine publishes a copy after every batch for readers on other threads.
// A load generator's counts are checked against these (issue: "counts equal the KDC's own").
#pragma once

#include <array>
#include <cstdint>

#include "krb/proto/types.hpp"

namespace kdcperf::kdc::as {

struct AsCounters {
  // RFC 4120 error codes are small; everything from kMaxErrorCode up lands in the last slot.
  static constexpr std::size_t kMaxErrorCode = 128;

  std::uint64_t requests = 0;        // datagrams / TCP messages handed to the service
  std::uint64_t as_rep = 0;          // AS-REPs sent (tickets issued)
  std::uint64_t errors = 0;          // KRB-ERRORs sent, all codes
  std::uint64_t malformed = 0;       // requests that did not decode as an AS-REQ (subset of errors)
  std::uint64_t preauth_ok = 0;      // PA-ENC-TIMESTAMPs that opened and were in the skew
  std::uint64_t preauth_failed = 0;  // PA-ENC-TIMESTAMPs that did not open or decode
  std::uint64_t internal = 0;        // encoding or crypto failures on our side (errors too)
  std::array<std::uint64_t, kMaxErrorCode + 1> by_error{};

  void count_error(krb::proto::ErrorCode code) {
    ++errors;
    const auto c = static_cast<std::int64_t>(code);
    ++by_error[c >= 0 && c < static_cast<std::int64_t>(kMaxErrorCode) ? static_cast<std::size_t>(c)
                                                                      : kMaxErrorCode];
  }
  std::uint64_t error_count(krb::proto::ErrorCode code) const {
    const auto c = static_cast<std::int64_t>(code);
    return c >= 0 && c < static_cast<std::int64_t>(kMaxErrorCode) ? by_error[c] : 0;
  }

  AsCounters& operator+=(const AsCounters& o) {
    requests += o.requests;
    as_rep += o.as_rep;
    errors += o.errors;
    malformed += o.malformed;
    preauth_ok += o.preauth_ok;
    preauth_failed += o.preauth_failed;
    internal += o.internal;
    for (std::size_t i = 0; i < by_error.size(); ++i) by_error[i] += o.by_error[i];
    return *this;
  }
};

}  // namespace kdcperf::kdc::as
