// A DER writer that builds backwards (from the end of its buffer towards the front), so every
// length is known when it is written: minimal DER, one pass, no memmove of nested contents.
//
// Fields are written last to first; a constructed element closes over what was written since
// its mark:
//     const auto end = w.mark();
//     w.integer(nonce);      // last field first
//     w.wrap(ctx(7), end);   // [7] EXPLICIT around it
//     ...
//     w.wrap(kSequence, seq_end);
//
// Two storage modes: an owned buffer that grows (and is reused across messages by reset(),
// so the hot path stops allocating once warm), or a caller's fixed span (a send buffer) that
// never grows and sets a sticky error instead. Output is right-aligned in the storage: view()
// returns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/der/tag.hpp"

namespace kdcperf::krb::der {

class Writer {
 public:
  explicit Writer(std::size_t initial_capacity = 1024);
  explicit Writer(MutableByteView fixed);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Forgets the content; keeps the storage.
  void reset();
  // Zeroes what was written, then reset(). Call it after encoding a plaintext that holds a
  // key (EncTicketPart, EncASRepPart). Storage the writer frees on growth or destruction is
  // always wiped, so keys never return to the heap.
  void wipe_and_reset();
  std::size_t size() const { return capacity_ - pos_; }
  std::size_t mark() const { return size(); }
  ByteView view() const { return {data_ + pos_, size()}; }
  bool ok() const { return ok_; }
  Status status() const { return ok_ ? ok_status() : Status(Err::kBufferTooSmall); }

  // Prepends tag and length around everything written since `mark`.
  void wrap(Tag tag, std::size_t mark);
  // Prepends raw bytes (an already-encoded element, or contents).
  void raw(ByteView bytes);

  void integer(std::int64_t v);
  void boolean(bool v);
  void octet_string(ByteView v);
  void general_string(std::string_view v);
  void kerberos_time(std::int64_t unix_seconds);
  // KerberosFlags are always encoded as 32 bits (RFC 4120 §5.2.8).
  void kerberos_flags(std::uint32_t flags);

  // [n] EXPLICIT wrappers for the common field shapes.
  void ctx_integer(unsigned n, std::int64_t v);
  void ctx_octet_string(unsigned n, ByteView v);
  void ctx_general_string(unsigned n, std::string_view v);
  void ctx_kerberos_time(unsigned n, std::int64_t unix_seconds);
  void ctx_kerberos_flags(unsigned n, std::uint32_t flags);

 private:
  // Returns where to write n bytes (at data_ + pos_ after the call), or nullptr.
  std::byte* prepend(std::size_t n) {
    if (ok_ && pos_ >= n) {
      pos_ -= n;
      return data_ + pos_;
    }
    return prepend_slow(n);
  }
  std::byte* prepend_slow(std::size_t n);  // grows, or sets the sticky error
  void prepend_length(std::size_t len);

  Buffer owned_;
  std::byte* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t pos_ = 0;
  bool growable_ = true;
  bool ok_ = true;
};

inline void Writer::prepend_length(std::size_t len) {
  if (len < 0x80) {
    if (auto* p = prepend(1)) p[0] = std::byte(len);
    return;
  }
  std::size_t n = 0;
  for (std::size_t v = len; v != 0; v >>= 8) ++n;
  if (auto* p = prepend(n + 1)) {
    p[0] = std::byte(0x80 | n);
    for (std::size_t i = 0; i < n; ++i) p[n - i] = std::byte((len >> (8 * i)) & 0xff);
  }
}

inline void Writer::wrap(Tag tag, std::size_t mark) {
  if (!ok_) return;
  prepend_length(size() - mark);
  if (auto* p = prepend(1)) p[0] = std::byte(tag);
}

// Formats Unix seconds as "YYYYMMDDHHMMSSZ" into out (15 bytes). Years are clamped to 0..9999.
void format_kerberos_time(std::int64_t unix_seconds, char out[15]);

}  // namespace kdcperf::krb::der
