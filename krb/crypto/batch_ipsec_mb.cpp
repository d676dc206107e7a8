#include "krb/crypto/batch_ipsec_mb.hpp"

#include <intel-ipsec-mb.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "krb/base/secret.hpp"

namespace kdcperf::krb::crypto::ipsec_mb {

static_assert(kMaxItems <= IMB_MAX_BURST_SIZE, "one burst per algorithm must cover a chunk");

struct KeyState {
  // AES-256 has 15 round keys; ipsec-mb wants the schedules 16-byte aligned.
  alignas(16) std::array<std::uint8_t, 15 * 16> enc{};
  alignas(16) std::array<std::uint8_t, 15 * 16> dec{};
  // Hash states after one block of (Ki ^ ipad) and (Ki ^ opad), RFC 2104 §2; SHA-384's state
  // is SHA-512's eight 64-bit words.
  alignas(16) std::array<std::uint8_t, 64> ipad{};
  alignas(16) std::array<std::uint8_t, 64> opad{};
  IMB_KEY_SIZE_BYTES key_size = IMB_KEY_128_BYTES;
  IMB_HASH_ALG hash = IMB_AUTH_HMAC_SHA_1;
  std::uint32_t digest_bytes = 0;  // the full HMAC output: 20, 32 or 48
  std::uint32_t mac_bytes = 0;     // the part Kerberos keeps: 12, 16 or 24
  // RFC 8009 §5 MACs IV | ciphertext (encrypt-then-MAC); RFC 3961 §5.3 MACs the plaintext.
  bool mac_over_ciphertext = false;
};

void KeyStateDeleter::operator()(KeyState* k) const noexcept {
  secure_wipe(k, sizeof *k);
  delete k;
}

namespace {

constexpr std::size_t kBlock = 16;
constexpr std::size_t kMaxDigest = 48;
alignas(16) constexpr std::uint8_t kZeroIv[kBlock] = {};

// The best arch for the CPU (AVX2 here): AES-CBC over 8 messages at once, SHA-384 over 4.
IMB_MGR* new_manager() {
  IMB_MGR* m = alloc_mb_mgr(0);
  if (m == nullptr) return nullptr;
  IMB_ARCH arch = IMB_ARCH_NONE;
  init_mb_mgr_auto(m, &arch);
  // The no-AES-NI build emulates AES in software: correct but slower than OpenSSL.
  if (imb_get_errno(m) != 0 || arch == IMB_ARCH_NONE || arch == IMB_ARCH_NOAESNI) {
    free_mb_mgr(m);
    return nullptr;
  }
  return m;
}

// ipsec-mb 1.3 uses SHA-NI for HMAC-SHA1/SHA-256 only in its SSE arch; its AVX2 arch uses
// 8-lane AVX2 SHA code even when the CPU has SHA-NI (the SHA-NI AVX2 "type 2" also needs
// GFNI). SHA-NI is ~2x faster per message for a few messages and as fast for 32 (measured
// with BM_AsExchangeBatch on an AMD EPYC with SHA-NI, no GFNI), so where the CPU has it,
// SHA-1/SHA-256 bursts go to an SSE manager. Null otherwise.
IMB_MGR* new_sha_ni_manager() {
  if ((imb_get_feature_flags() & IMB_FEATURE_SHANI) == 0) return nullptr;
  IMB_MGR* m = alloc_mb_mgr(0);
  if (m == nullptr) return nullptr;
  init_mb_mgr_sse(m);
  if (imb_get_errno(m) != 0) {
    free_mb_mgr(m);
    return nullptr;
  }
  return m;
}

// Key expansion and one-block hashes touch no manager state (the manager only supplies the
// arch's function pointers), so one manager, made once and kept for the process, serves them
// on every thread.
IMB_MGR* setup_manager() {
  static IMB_MGR* const m = new_manager();
  return m;
}

// Per thread: managers for the bursts (~200 KiB each), the burst's job array, and scratch for
// padded, reordered and IV-prefixed copies of the messages. Heap-allocated on first use so
// threads that never batch pay nothing. Debian's build has IMB_FEATURE_SAFE_DATA: the library
// clears the message and key bytes it copies into its lanes; the scratch is wiped here.
struct Context {
  IMB_MGR* mgr = nullptr;
  IMB_MGR* sha_ni = nullptr;  // SHA-1/SHA-256 bursts when non-null
  std::array<IMB_JOB, IMB_MAX_BURST_SIZE> jobs{};
  std::vector<std::uint8_t> scratch;
  Context() : mgr(new_manager()), sha_ni(new_sha_ni_manager()) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() {
    if (!scratch.empty()) secure_wipe(scratch.data(), scratch.size());
    if (mgr != nullptr) free_mb_mgr(mgr);
    if (sha_ni != nullptr) free_mb_mgr(sha_ni);
  }
  // At least n bytes of scratch; grows (never shrinks) so steady state does not allocate.
  std::uint8_t* reserve(std::size_t n) {
    if (scratch.size() < n) {
      if (!scratch.empty()) secure_wipe(scratch.data(), scratch.size());
      scratch.assign(std::max(n, scratch.size() * 2), 0);
    }
    return scratch.data();
  }
};

Context& context() {
  thread_local std::unique_ptr<Context> c;
  if (!c) c = std::make_unique<Context>();
  return *c;
}

std::size_t round_up(std::size_t n) {
  return (n + kBlock - 1) / kBlock * kBlock;
}

// One AES-CBC or HMAC computation of the current pass, for the item at `index`.
struct CipherReq {
  std::size_t index;
  const std::uint8_t* src;
  std::uint8_t* dst;
  std::size_t len;  // whole blocks
};
struct HashReq {
  std::size_t index;
  const std::uint8_t* src;
  std::size_t len;
  std::uint8_t* tag;  // digest_bytes
};

// Runs the requests as one cipher burst per AES key size (zero IV: Kerberos CTS always starts
// from a zero IV, RFC 3962 §5 / RFC 8009 §5). Marks failed[index] for any job the library
// did not complete.
void cipher_pass(Context& c, IMB_CIPHER_DIRECTION dir, std::span<const CipherReq> reqs,
                 std::span<const KeyState* const> keys, std::span<bool> failed) {
  for (IMB_KEY_SIZE_BYTES size : {IMB_KEY_128_BYTES, IMB_KEY_256_BYTES}) {
    std::size_t n = 0;
    std::array<std::size_t, IMB_MAX_BURST_SIZE> owner;
    for (const CipherReq& r : reqs) {
      const KeyState* k = keys[r.index];
      if (k->key_size != size) continue;
      IMB_JOB& j = c.jobs[n];
      j.src = r.src;
      j.dst = r.dst;
      j.cipher_start_src_offset_in_bytes = 0;
      j.msg_len_to_cipher_in_bytes = r.len;
      j.enc_keys = k->enc.data();
      j.dec_keys = k->dec.data();
      j.key_len_in_bytes = size;
      j.iv = kZeroIv;
      j.iv_len_in_bytes = kBlock;
      j.cipher_mode = IMB_CIPHER_CBC;
      j.cipher_direction = dir;
      j.hash_alg = IMB_AUTH_NULL;
      j.chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
      owner[n++] = r.index;
    }
    if (n == 0) continue;
    const auto done = IMB_SUBMIT_CIPHER_BURST(c.mgr, c.jobs.data(), static_cast<std::uint32_t>(n),
                                              IMB_CIPHER_CBC, dir, size);
    for (std::size_t i = 0; i < n; ++i) {
      if (done != n || c.jobs[i].status != IMB_STATUS_COMPLETED) failed[owner[i]] = true;
    }
  }
}

// Runs the requests as one hash burst per HMAC algorithm, full-length tags (truncated later).
void hash_pass(Context& c, std::span<const HashReq> reqs, std::span<const KeyState* const> keys,
               std::span<bool> failed) {
  for (IMB_HASH_ALG alg : {IMB_AUTH_HMAC_SHA_1, IMB_AUTH_HMAC_SHA_256, IMB_AUTH_HMAC_SHA_384}) {
    std::size_t n = 0;
    std::array<std::size_t, IMB_MAX_BURST_SIZE> owner;
    for (const HashReq& r : reqs) {
      const KeyState* k = keys[r.index];
      if (k->hash != alg) continue;
      IMB_JOB& j = c.jobs[n];
      j.src = r.src;
      j.hash_start_src_offset_in_bytes = 0;
      j.msg_len_to_hash_in_bytes = r.len;
      j.auth_tag_output = r.tag;
      j.auth_tag_output_len_in_bytes = k->digest_bytes;
      j.u.HMAC._hashed_auth_key_xor_ipad = k->ipad.data();
      j.u.HMAC._hashed_auth_key_xor_opad = k->opad.data();
      j.hash_alg = alg;
      j.cipher_mode = IMB_CIPHER_NULL;
      owner[n++] = r.index;
    }
    if (n == 0) continue;
    IMB_MGR* m = alg != IMB_AUTH_HMAC_SHA_384 && c.sha_ni != nullptr ? c.sha_ni : c.mgr;
    const auto done = IMB_SUBMIT_HASH_BURST(m, c.jobs.data(), static_cast<std::uint32_t>(n), alg);
    for (std::size_t i = 0; i < n; ++i) {
      if (done != n || c.jobs[i].status != IMB_STATUS_COMPLETED) failed[owner[i]] = true;
    }
  }
}

// CTS (RFC 3962 §5, CS3): after CBC over the zero-padded m blocks, the last two blocks trade
// places and the (now last) C(m-1) is cut to the r bytes of the final partial block. The cut
// is the caller's (it copies n bytes); the swap is done here, in place.
void swap_last_two(std::uint8_t* c, std::size_t n) {
  const std::size_t m = round_up(n) / kBlock;
  if (m < 2) return;
  std::uint8_t* a = c + (m - 2) * kBlock;
  std::uint8_t t[kBlock];
  std::memcpy(t, a, kBlock);
  std::memcpy(a, a + kBlock, kBlock);
  std::memcpy(a + kBlock, t, kBlock);
}

}  // namespace

bool available() {
  return setup_manager() != nullptr;
}

std::size_t lane_group(const KeyState& k) {
  switch (k.hash) {
    case IMB_AUTH_HMAC_SHA_1:
      return 0;
    case IMB_AUTH_HMAC_SHA_256:
      return 1;
    default:
      return 2;
  }
}

// Crossovers measured with BM_SealBatch/BM_OpenBatch (256 and 1024 bytes, AMD EPYC with AVX2
// and SHA-NI): HMAC-SHA384 runs 4 lanes of AVX2 SHA-512, ties OpenSSL at 2 messages and wins
// from 3; HMAC-SHA1/SHA256 on SHA-NI lose a single seal by ~20% (one-lane AES-CBC) and win
// from 2. Without SHA-NI they run 8 AVX2 lanes: 3 there is a guess by the same lane
// arithmetic, not measured.
std::size_t min_batch(const KeyState& k) {
  if (k.hash == IMB_AUTH_HMAC_SHA_384) return 3;
  static const bool sha_ni = (imb_get_feature_flags() & IMB_FEATURE_SHANI) != 0;
  return sha_ni ? 2 : 3;
}

KeyStatePtr make_key_state(Enctype e, ByteView ke, ByteView ki) {
  IMB_MGR* m = setup_manager();
  if (m == nullptr) return nullptr;
  KeyStatePtr k(new KeyState);
  std::size_t block = 64;  // the hash's block size
  switch (e) {
    case Enctype::AES128_CTS_HMAC_SHA1_96:
    case Enctype::AES256_CTS_HMAC_SHA1_96:
      k->hash = IMB_AUTH_HMAC_SHA_1;
      k->digest_bytes = 20;
      k->mac_bytes = 12;
      break;
    case Enctype::AES128_CTS_HMAC_SHA256_128:
      k->hash = IMB_AUTH_HMAC_SHA_256;
      k->digest_bytes = 32;
      k->mac_bytes = 16;
      k->mac_over_ciphertext = true;
      break;
    case Enctype::AES256_CTS_HMAC_SHA384_192:
      k->hash = IMB_AUTH_HMAC_SHA_384;
      k->digest_bytes = 48;
      k->mac_bytes = 24;
      k->mac_over_ciphertext = true;
      block = 128;
      break;
    default:
      return nullptr;
  }
  if (ke.size() == 16) {
    k->key_size = IMB_KEY_128_BYTES;
    IMB_AES_KEYEXP_128(m, ke.data(), k->enc.data(), k->dec.data());
  } else if (ke.size() == 32) {
    k->key_size = IMB_KEY_256_BYTES;
    IMB_AES_KEYEXP_256(m, ke.data(), k->enc.data(), k->dec.data());
  } else {
    return nullptr;
  }
  // RFC 2104 §2: the key zero-filled to one block, XOR 0x36 (inner) or 0x5c (outer). Ki is
  // 16-32 bytes, never longer than a block, so it is never hashed first.
  if (ki.size() > block) return nullptr;
  alignas(16) std::array<std::uint8_t, 128> pad;
  WipeOnExit wipe(pad.data(), pad.size());
  for (std::uint8_t v : {std::uint8_t{0x36}, std::uint8_t{0x5c}}) {
    std::fill(pad.begin(), pad.end(), v);
    for (std::size_t i = 0; i < ki.size(); ++i) pad[i] ^= static_cast<std::uint8_t>(ki[i]);
    std::uint8_t* out = v == 0x36 ? k->ipad.data() : k->opad.data();
    switch (k->hash) {
      case IMB_AUTH_HMAC_SHA_1:
        IMB_SHA1_ONE_BLOCK(m, pad.data(), out);
        break;
      case IMB_AUTH_HMAC_SHA_256:
        IMB_SHA256_ONE_BLOCK(m, pad.data(), out);
        break;
      default:
        IMB_SHA384_ONE_BLOCK(m, pad.data(), out);
        break;
    }
  }
  return k;
}

// Per item, a slot in the scratch (n = 16 + plaintext bytes, p = n rounded up to blocks):
//   [16 zero bytes: RFC 8009's IV, so IV | C is contiguous] [A: p] [B: p] [tag: 48]
// A is confounder | plaintext | zero padding. RFC 3962: HMAC(A) and CBC A -> B in one pass.
// RFC 8009: CBC A -> A, then HMAC(IV | A) after the swap.
void seal(std::span<const SealItem> items) {
  if (items.size() > kMaxItems) {
    seal(items.first(kMaxItems));
    seal(items.subspan(kMaxItems));
    return;
  }
  const std::size_t count = items.size();
  Context& c = context();
  std::array<const KeyState*, kMaxItems> keys{};
  std::array<std::size_t, kMaxItems> slot;
  std::array<bool, kMaxItems> failed{};
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    keys[i] = items[i].key;
    slot[i] = total;
    total += 2 * round_up(kBlock + items[i].job->plaintext.size()) + kBlock + kMaxDigest;
  }
  if (c.mgr == nullptr) {
    for (std::size_t i = 0; i < count; ++i) items[i].job->status = Err::kCryptoLibrary;
    return;
  }
  std::uint8_t* const base = c.reserve(total);

  std::array<CipherReq, kMaxItems> cipher;
  std::array<HashReq, kMaxItems> hash;
  std::size_t nc = 0, nh = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const SealJob& j = *items[i].job;
    const std::size_t n = kBlock + j.plaintext.size();
    const std::size_t p = round_up(n);
    std::uint8_t* s = base + slot[i];
    std::uint8_t* a = s + kBlock;
    std::memset(s, 0, kBlock);
    std::memcpy(a, items[i].confounder, kBlock);
    if (!j.plaintext.empty()) std::memcpy(a + kBlock, j.plaintext.data(), j.plaintext.size());
    std::memset(a + n, 0, p - n);
    std::uint8_t* tag = a + 2 * p;
    if (keys[i]->mac_over_ciphertext) {
      cipher[nc++] = {i, a, a, p};
    } else {
      // RFC 3961 §5.3: H = HMAC(Ki, conf | plaintext); C = E(Ke, conf | plaintext).
      hash[nh++] = {i, a, n, tag};
      cipher[nc++] = {i, a, a + p, p};
    }
  }
  cipher_pass(c, IMB_DIR_ENCRYPT, {cipher.data(), nc}, keys, failed);
  hash_pass(c, {hash.data(), nh}, keys, failed);

  // RFC 8009 §5: H = HMAC(Ki, IV | C) over the finished (swapped, cut) ciphertext.
  nh = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t n = kBlock + items[i].job->plaintext.size();
    const std::size_t p = round_up(n);
    std::uint8_t* s = base + slot[i];
    std::uint8_t* ct = keys[i]->mac_over_ciphertext ? s + kBlock : s + kBlock + p;
    swap_last_two(ct, n);
    if (keys[i]->mac_over_ciphertext && !failed[i]) hash[nh++] = {i, s, kBlock + n, ct + 2 * p};
  }
  hash_pass(c, {hash.data(), nh}, keys, failed);

  for (std::size_t i = 0; i < count; ++i) {
    SealJob& j = *items[i].job;
    const std::size_t n = kBlock + j.plaintext.size();
    const std::size_t p = round_up(n);
    const std::uint8_t* s = base + slot[i];
    const std::uint8_t* ct = keys[i]->mac_over_ciphertext ? s + kBlock : s + kBlock + p;
    const std::uint8_t* tag = s + kBlock + 2 * p;
    if (failed[i]) {
      secure_wipe(j.out.data(), n + keys[i]->mac_bytes);  // as seal_with_confounder
      j.status = Err::kCryptoLibrary;
      continue;
    }
    std::memcpy(j.out.data(), ct, n);
    std::memcpy(j.out.data() + n, tag, keys[i]->mac_bytes);
    j.out_len = n + keys[i]->mac_bytes;
    j.status = ok_status();
  }
  secure_wipe(base, total);  // plaintext copies
}

// Per item a slot (n = ciphertext without MAC, p = n rounded up to blocks):
//   [16 zero bytes: IV] [A: p] [D(X): 16] [tag: 48] [received MAC: 48]
// CTS decryption (RFC 3962 §5): the input is C1..C(m-2), X, Y with X = E(pad(Pm) ^ C(m-1))
// and Y the first r bytes of C(m-1). D(X) = pad(Pm) ^ C(m-1) gives C(m-1)'s missing tail
// (pad(Pm) is zero there), and plain CBC decryption of C1..C(m-1), X then yields
// P1..P(m-1), pad(Pm): so one extra block, D(X), is all CTS costs on top of CBC (none when
// r = 16: C(m-1) = Y).
void open(std::span<const OpenItem> items) {
  if (items.size() > kMaxItems) {
    open(items.first(kMaxItems));
    open(items.subspan(kMaxItems));
    return;
  }
  const std::size_t count = items.size();
  Context& c = context();
  std::array<const KeyState*, kMaxItems> keys{};
  std::array<std::size_t, kMaxItems> slot;
  std::array<bool, kMaxItems> failed{};
  std::array<bool, kMaxItems> forged{};
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    keys[i] = items[i].key;
    slot[i] = total;
    const std::size_t n = items[i].job->ciphertext.size() - keys[i]->mac_bytes;
    total += round_up(n) + 2 * kBlock + 2 * kMaxDigest;
  }
  if (c.mgr == nullptr) {
    for (std::size_t i = 0; i < count; ++i) {
      OpenJob& j = *items[i].job;
      if (!j.out.empty()) secure_wipe(j.out.data(), j.out.size());
      j.status = Err::kCryptoLibrary;
    }
    return;
  }
  std::uint8_t* const base = c.reserve(total);
  auto size_of = [&](std::size_t i) {
    return items[i].job->ciphertext.size() - keys[i]->mac_bytes;
  };

  // Pass 1: RFC 8009's MAC over IV | C, and D(X) for every message whose last block is partial.
  std::array<CipherReq, kMaxItems> cipher;
  std::array<HashReq, kMaxItems> hash;
  std::size_t nc = 0, nh = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const OpenJob& j = *items[i].job;
    const std::size_t n = size_of(i);
    const std::size_t p = round_up(n);
    std::uint8_t* s = base + slot[i];
    std::uint8_t* a = s + kBlock;
    std::memset(s, 0, kBlock);
    std::memcpy(a, j.ciphertext.data(), n);
    std::memset(a + n, 0, p - n);
    std::uint8_t* dx = a + p;
    std::uint8_t* tag = dx + kBlock;
    std::memcpy(tag + kMaxDigest, j.ciphertext.data() + n, keys[i]->mac_bytes);
    if (keys[i]->mac_over_ciphertext) hash[nh++] = {i, s, kBlock + n, tag};
    if (p >= 2 * kBlock && p != n) cipher[nc++] = {i, a + p - 2 * kBlock, dx, kBlock};
  }
  hash_pass(c, {hash.data(), nh}, keys, failed);
  cipher_pass(c, IMB_DIR_DECRYPT, {cipher.data(), nc}, keys, failed);

  // Verify RFC 8009 MACs before decrypting; reorder the last two blocks (see above).
  nc = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t n = size_of(i);
    const std::size_t p = round_up(n);
    std::uint8_t* a = base + slot[i] + kBlock;
    const std::uint8_t* dx = a + p;
    const std::uint8_t* tag = dx + kBlock;
    if (keys[i]->mac_over_ciphertext && !failed[i] &&
        !constant_time_equal(
            ByteView(reinterpret_cast<const std::byte*>(tag), keys[i]->mac_bytes),
            ByteView(reinterpret_cast<const std::byte*>(tag + kMaxDigest), keys[i]->mac_bytes))) {
      forged[i] = true;
    }
    if (failed[i] || forged[i]) continue;
    if (p >= 2 * kBlock) {
      const std::size_t r = n - (p - kBlock);  // bytes of the final block, 1..16
      std::uint8_t* x = a + p - 2 * kBlock;
      std::uint8_t* y = x + kBlock;
      std::uint8_t t[kBlock];
      std::memcpy(t, x, kBlock);  // X
      std::memmove(x, y, r);      // C(m-1) = Y | tail of D(X)
      if (r < kBlock) std::memcpy(x + r, dx + r, kBlock - r);
      std::memcpy(y, t, kBlock);
    }
    cipher[nc++] = {i, a, a, p};
  }
  cipher_pass(c, IMB_DIR_DECRYPT, {cipher.data(), nc}, keys, failed);

  // RFC 3961 §5.3: the MAC covers confounder | plaintext.
  nh = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (keys[i]->mac_over_ciphertext || failed[i]) continue;
    const std::size_t p = round_up(size_of(i));
    std::uint8_t* a = base + slot[i] + kBlock;
    hash[nh++] = {i, a, size_of(i), a + p + kBlock};
  }
  hash_pass(c, {hash.data(), nh}, keys, failed);

  for (std::size_t i = 0; i < count; ++i) {
    OpenJob& j = *items[i].job;
    const std::size_t n = size_of(i);
    const std::size_t p = round_up(n);
    const std::uint8_t* a = base + slot[i] + kBlock;
    const std::uint8_t* tag = a + p + kBlock;
    if (!keys[i]->mac_over_ciphertext && !failed[i] &&
        !constant_time_equal(
            ByteView(reinterpret_cast<const std::byte*>(tag), keys[i]->mac_bytes),
            ByteView(reinterpret_cast<const std::byte*>(tag + kMaxDigest), keys[i]->mac_bytes))) {
      forged[i] = true;
    }
    if (failed[i] || forged[i]) {
      if (!j.out.empty()) secure_wipe(j.out.data(), j.out.size());
      j.status = failed[i] ? Err::kCryptoLibrary : Err::kIntegrityFailed;
      continue;
    }
    const std::size_t pt_len = n - kBlock;
    const bool in_place = !j.out.empty() && j.out.data() == j.ciphertext.data();
    if (pt_len != 0) std::memcpy(j.out.data(), a + kBlock, pt_len);
    if (in_place) secure_wipe(j.out.data() + pt_len, j.ciphertext.size() - pt_len);
    j.out_len = pt_len;
    j.status = ok_status();
  }
  secure_wipe(base, total);  // decrypted plaintext
}

}  // namespace kdcperf::krb::crypto::ipsec_mb
