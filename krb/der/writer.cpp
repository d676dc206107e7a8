#include "krb/der/writer.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "krb/base/secret.hpp"

namespace kdcperf::krb::der {

Writer::Writer(std::size_t initial_capacity) : owned_(initial_capacity) {
  data_ = owned_.data();
  capacity_ = owned_.size();
  pos_ = capacity_;
}

Writer::Writer(MutableByteView fixed)
    : data_(fixed.data()), capacity_(fixed.size()), pos_(fixed.size()), growable_(false) {}

Writer::~Writer() {
  if (growable_) secure_wipe(owned_.data(), owned_.size());
}

void Writer::wipe_and_reset() {
  secure_wipe(data_ + pos_, size());
  reset();
}

void Writer::reset() {
  pos_ = capacity_;
  ok_ = true;
}

std::byte* Writer::prepend_slow(std::size_t n) {
  if (!ok_) return nullptr;
  if (!growable_) {
    ok_ = false;
    return nullptr;
  }
  const std::size_t used = size();
  const std::size_t new_cap = std::max(capacity_ * 2, used + n + 256);
  Buffer bigger(new_cap);
  if (used != 0) std::memcpy(bigger.data() + new_cap - used, data_ + pos_, used);
  owned_.swap(bigger);
  secure_wipe(bigger.data(), bigger.size());  // the old storage may hold key plaintext
  data_ = owned_.data();
  capacity_ = new_cap;
  pos_ = new_cap - used - n;
  return data_ + pos_;
}

void Writer::raw(ByteView bytes) {
  if (bytes.empty()) return;
  if (auto* p = prepend(bytes.size())) std::memcpy(p, bytes.data(), bytes.size());
}

void Writer::integer(std::int64_t v) {
  // Minimal two's complement (X.690 §8.3.2): the fewest octets n whose value range holds v.
  // Tag, length and contents go in with one prepend: a KDC reply has a few dozen INTEGERs.
  std::size_t n = 1;
  while (n < 8) {
    const std::int64_t half = std::int64_t{1} << (8 * n - 1);
    if (v >= -half && v < half) break;
    ++n;
  }
  if (auto* p = prepend(n + 2)) {
    p[0] = std::byte(kInteger);
    p[1] = std::byte(n);
    const auto u = static_cast<std::uint64_t>(v);
    for (std::size_t i = 0; i < n; ++i) p[1 + n - i] = std::byte((u >> (8 * i)) & 0xff);
  }
}

void Writer::boolean(bool v) {
  const std::size_t end = mark();
  const std::byte b = v ? std::byte{0xff} : std::byte{0x00};
  raw(ByteView(&b, 1));
  wrap(kBoolean, end);
}

void Writer::octet_string(ByteView v) {
  const std::size_t end = mark();
  raw(v);
  wrap(kOctetString, end);
}

void Writer::general_string(std::string_view v) {
  const std::size_t end = mark();
  raw(as_bytes(v));
  wrap(kGeneralString, end);
}

void format_kerberos_time(std::int64_t t, char out[15]) {
  // Years 0..9999 only; clamping first also keeps the day arithmetic below from overflowing.
  constexpr std::int64_t kYear0 = -62167219200LL, kYear10000 = 253402300800LL;
  if (t < kYear0) t = kYear0;
  if (t >= kYear10000) t = kYear10000 - 1;
  // civil_from_days (Howard Hinnant).
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - days * 86400;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  const unsigned mo = m, dd = d;
  const auto hh = static_cast<unsigned>(secs / 3600), mi = static_cast<unsigned>(secs / 60 % 60),
             ss = static_cast<unsigned>(secs % 60);
  auto put = [&](int at, unsigned v, int n) {
    for (int i = n - 1; i >= 0; --i, v /= 10) out[at + i] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<unsigned>(y), 4);
  put(4, mo, 2);
  put(6, dd, 2);
  put(8, hh, 2);
  put(10, mi, 2);
  put(12, ss, 2);
  out[14] = 'Z';
}

void Writer::kerberos_time(std::int64_t unix_seconds) {
  // A reply carries the same few times (now, now + lifetime, renew-till) in its ticket and its
  // enc-part, and every reply of a second shares them: remember the last few formatted.
  struct Formatted {
    std::int64_t t = std::numeric_limits<std::int64_t>::min();
    char s[15];
  };
  thread_local std::array<Formatted, 4> recent;
  thread_local std::size_t next = 0;
  const Formatted* f = nullptr;
  for (const Formatted& r : recent) {
    if (r.t == unix_seconds) f = &r;
  }
  if (f == nullptr) {
    Formatted& slot = recent[next++ % recent.size()];
    format_kerberos_time(unix_seconds, slot.s);
    slot.t = unix_seconds;
    f = &slot;
  }
  if (auto* p = prepend(17)) {
    p[0] = std::byte(kGeneralizedTime);
    p[1] = std::byte(15);
    std::memcpy(p + 2, f->s, 15);
  }
}

void Writer::kerberos_flags(std::uint32_t flags) {
  std::byte c[5] = {std::byte{0}};
  store_be32(c + 1, flags);
  const std::size_t end = mark();
  raw(ByteView(c, 5));
  wrap(kBitString, end);
}

void Writer::ctx_integer(unsigned n, std::int64_t v) {
  const std::size_t end = mark();
  integer(v);
  wrap(ctx(n), end);
}

void Writer::ctx_octet_string(unsigned n, ByteView v) {
  const std::size_t end = mark();
  octet_string(v);
  wrap(ctx(n), end);
}

void Writer::ctx_general_string(unsigned n, std::string_view v) {
  const std::size_t end = mark();
  general_string(v);
  wrap(ctx(n), end);
}

void Writer::ctx_kerberos_time(unsigned n, std::int64_t unix_seconds) {
  const std::size_t end = mark();
  kerberos_time(unix_seconds);
  wrap(ctx(n), end);
}

void Writer::ctx_kerberos_flags(unsigned n, std::uint32_t flags) {
  const std::size_t end = mark();
  kerberos_flags(flags);
  wrap(ctx(n), end);
}

}  // namespace kdcperf::krb::der
