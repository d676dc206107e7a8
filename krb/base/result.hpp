// Result<T>: a value or an error code, without exceptions (modelled on absl::StatusOr).
// Decode errors carry the byte offset where they were found, so a test or a log can point at
// the offending byte of a hostile message.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

namespace kdcperf::krb {

// What failed. Grouped by layer; the numbers are not on the wire and may change.
enum class Err : std::uint16_t {
  kOk = 0,
  // DER (krb/der)
  kTruncated,         // a tag, length or content runs past the end of the input
  kBadTag,            // the element is not the one the grammar expects here
  kHighTagNumber,     // tag number >= 31 (never used by Kerberos)
  kIndefiniteLength,  // BER indefinite form (0x80): not DER
  kNonMinimalLength,  // long form where the short form fits, or leading zero length octets
  kLengthTooLong,     // more than 4 length octets
  kElementTooLarge,   // over Limits::max_element
  kTooDeep,           // nesting over Limits::max_depth
  kTooMany,           // SEQUENCE OF count over its limit
  kTrailingData,      // bytes left after the last expected element
  kBadInteger,        // empty, non-minimal, or out of range for the field
  kBadTime,           // KerberosTime not exactly YYYYMMDDHHMMSSZ, or an invalid date
  kBadString,         // a string with bytes the field does not allow
  kBadBitString,      // BIT STRING with no unused-bits octet or an invalid count
  kBadBoolean,        // BOOLEAN not 0x00/0xFF
  kMissingField,      // a required field is absent
  kBufferTooSmall,    // the writer ran out of its fixed output span
  // Kerberos messages (krb/proto)
  kBadPvno,      // pvno != 5
  kBadMsgType,   // msg-type does not match the application tag
  kUnsupported,  // a valid message or field this library does not handle
  // Crypto (krb/crypto)
  kUnknownEnctype,      // etype not implemented
  kBadKeyLength,        // key bytes wrong for the etype
  kBadS2kParams,        // s2kparams not 4 bytes, zero, or out of range
  kCiphertextTooShort,  // shorter than confounder + checksum
  kIntegrityFailed,     // MAC did not verify: wrong key, usage, or tampered
  kCryptoLibrary,       // OpenSSL or libsodium reported a failure
  kBadChecksumType,     // checksum type not implemented or not for this key
  // Files (krb/files)
  kBadFileVersion,  // keytab/ccache version not supported
  kBadFileFormat,   // a record inconsistent with its own lengths
  // Policy (kdc, loadgen)
  kNotFound,
  kInvalidArgument,
};

std::string_view err_name(Err e);

struct Error {
  Err code = Err::kOk;
  std::uint32_t offset = 0;  // byte offset into the input for decode errors, else 0
};

// A value or an Error. Reading the value of an error aborts: there are no exceptions, and
// callers are expected to test ok() first (or use the macros below).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(const T& v) : err_{}, has_(true) { new (&value_) T(v); }            // NOLINT implicit
  Result(T&& v) : err_{}, has_(true) { new (&value_) T(std::move(v)); }      // NOLINT implicit
  Result(Err e, std::uint32_t offset = 0) : err_{e, offset}, has_(false) {}  // NOLINT implicit
  Result(Error e) : err_(e), has_(false) {}                                  // NOLINT implicit
  Result(const Result& o) : err_(o.err_), has_(o.has_) {
    if (has_) new (&value_) T(o.value_);
  }
  Result(Result&& o) noexcept : err_(o.err_), has_(o.has_) {
    if (has_) new (&value_) T(std::move(o.value_));
  }
  Result& operator=(Result o) noexcept {
    destroy();
    err_ = o.err_;
    has_ = o.has_;
    if (has_) new (&value_) T(std::move(o.value_));
    return *this;
  }
  ~Result() { destroy(); }

  bool ok() const { return has_; }
  explicit operator bool() const { return has_; }
  Err err() const { return err_.code; }
  Error error() const { return err_; }

  T& value() & {
    check();
    return value_;
  }
  const T& value() const& {
    check();
    return value_;
  }
  T&& value() && {
    check();
    return std::move(value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check() const {
    if (!has_) std::abort();
  }
  void destroy() {
    if (has_) value_.~T();
    has_ = false;
  }
  Error err_;
  bool has_;
  union {
    T value_;
  };
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Err e, std::uint32_t offset = 0) : err_{e, offset} {}  // NOLINT implicit
  Status(Error e) : err_(e) {}                                  // NOLINT implicit
  bool ok() const { return err_.code == Err::kOk; }
  explicit operator bool() const { return ok(); }
  Err err() const { return err_.code; }
  Error error() const { return err_; }

 private:
  Error err_{};
};

inline Status ok_status() {
  return Status();
}

}  // namespace kdcperf::krb

#define KRB_CONCAT_INNER_(a, b) a##b
#define KRB_CONCAT_(a, b) KRB_CONCAT_INNER_(a, b)

// Returns the error of a Status or Result expression from the enclosing function.
#define KRB_RETURN_IF_ERROR(expr)                      \
  do {                                                 \
    auto&& krb_status_ = (expr);                       \
    if (!krb_status_.ok()) return krb_status_.error(); \
  } while (0)

// KRB_ASSIGN_OR_RETURN(auto x, expr): declares x from a Result, or returns its error.
#define KRB_ASSIGN_OR_RETURN(lhs, expr) \
  KRB_ASSIGN_OR_RETURN_IMPL_(KRB_CONCAT_(krb_result_, __LINE__), lhs, expr)
#define KRB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.error();               \
  lhs = std::move(tmp).value()
