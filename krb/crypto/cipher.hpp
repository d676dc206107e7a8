// Encrypting and checksumming Kerberos messages (RFC 3961 §5.3 "simplified profile", RFC 3962,
// RFC 8009, RFC 4757) with an AEAD-style contract (cf. BoringSSL EVP_AEAD_CTX_seal/open):
//   - seal writes confounder-encrypted ciphertext plus MAC; out must hold
//     plaintext.size() + seal_overhead(etype) bytes; returns the bytes written.
//   - open verifies the MAC in constant time before releasing any plaintext; on failure out is
//     zeroed and Err::kIntegrityFailed returned; returns the plaintext length.
//   - in and out may alias only if they start at the same byte (in place); then out must
//     cover the longer of the two (seal: plaintext + overhead; open: the whole ciphertext).
//     Any other overlap is Err::kInvalidArgument.
//   - UsageKey owns OpenSSL contexts and is used without locks: one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/base/rng.hpp"
#include "krb/crypto/enctype.hpp"
#include "krb/crypto/key.hpp"

namespace kdcperf::krb::crypto {

// The derived keys (Ke, Ki, Kc of RFC 3961 §5.3 / RFC 8009 §5; K1/K2-ready state for RC4) and
// prepared cipher and MAC state for one (key, usage), made once and reused for every message.
// It owns OpenSSL contexts, so it is not thread-safe: each worker thread keeps its own (see
// KeyCache). Move-only; wipes its derived keys on destruction.
class UsageKey {
 public:
  static Result<UsageKey> make(const Key& key, KeyUsage usage);
  UsageKey(UsageKey&&) noexcept;
  UsageKey& operator=(UsageKey&&) noexcept;
  ~UsageKey();

  Enctype etype() const;
  KeyUsage usage() const;
  std::size_t overhead() const { return seal_overhead(etype()); }

  struct State;  // defined in the implementation

 private:
  explicit UsageKey(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
  friend State& state_of(const UsageKey&);
};

// Encrypts with a confounder drawn from rng.
Result<std::size_t> seal(const UsageKey& key, ByteView plaintext, MutableByteView out, Rng& rng);
// Encrypts with a caller-given confounder (test vectors, batching that drew confounders in bulk).
Result<std::size_t> seal_with_confounder(const UsageKey& key, ByteView confounder,
                                         ByteView plaintext, MutableByteView out);
Result<std::size_t> open(const UsageKey& key, ByteView ciphertext, MutableByteView out);

// The enctype's keyed checksum (get_mic) over data with this usage; out gets checksum_bytes().
Result<std::size_t> make_checksum(const UsageKey& key, ByteView data, MutableByteView out);
// Constant-time verification; Err::kIntegrityFailed on mismatch.
Status verify_checksum(const UsageKey& key, ByteView data, ByteView mac);

// One-shot checksum forms (derive Kc / Ksign per call).
Result<std::size_t> make_checksum_once(const Key& key, KeyUsage usage, ByteView data,
                                       MutableByteView out);
Status verify_checksum_once(const Key& key, KeyUsage usage, ByteView data, ByteView mac);

// One-shot forms that derive everything per call: the slow reference the benchmarks compare
// against, and convenient for cold paths (kinit, tests).
Result<std::size_t> seal_once(const Key& key, KeyUsage usage, ByteView plaintext,
                              MutableByteView out, Rng& rng);
Result<std::size_t> open_once(const Key& key, KeyUsage usage, ByteView ciphertext,
                              MutableByteView out);

// Many messages at once: every job is independent. Confounders for a whole seal batch come
// from one rng call. Each job gets its own status; one failure does not stop the others.
struct SealJob {
  const UsageKey* key = nullptr;
  ByteView plaintext;
  MutableByteView out;
  std::size_t out_len = 0;
  Status status;
};
struct OpenJob {
  const UsageKey* key = nullptr;
  ByteView ciphertext;
  MutableByteView out;
  std::size_t out_len = 0;
  Status status;
};
void seal_batch(std::span<SealJob> jobs, Rng& rng);
void open_batch(std::span<OpenJob> jobs);

// Which implementation seal_batch/open_batch use for the AES enctypes (17-20); RC4 always
// goes message by message through OpenSSL. kOpenSsl is that per-message path (the reference);
// kIpsecMb runs AES-CBC and HMAC over many messages per call with intel-ipsec-mb
// (batch_ipsec_mb.hpp), and falls back to kOpenSsl where the CPU has no AES-NI. Both give the
// same bytes and statuses. Process-wide, for tests and benchmarks to compare; set it before
// worker threads start.
enum class BatchBackend : std::uint8_t { kOpenSsl, kIpsecMb };
void set_batch_backend(BatchBackend b);
BatchBackend batch_backend();
// Whether b would actually run here (kIpsecMb needs AES-NI).
bool batch_backend_available(BatchBackend b);

}  // namespace kdcperf::krb::crypto
