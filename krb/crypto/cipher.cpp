#include "krb/crypto/cipher.hpp"

#include <array>
#include <atomic>
#include <cstring>
#include <utility>
#include <vector>

#include "krb/base/secret.hpp"
#include "krb/crypto/aes_cts.hpp"
#include "krb/crypto/batch_ipsec_mb.hpp"
#include "krb/crypto/dk.hpp"
#include "krb/crypto/hmac.hpp"

namespace kdcperf::krb::crypto {
namespace {

constexpr std::array<std::byte, kAesBlock> kZeroIv{};
constexpr std::size_t kRc4Confounder = 8;
constexpr std::size_t kRc4Checksum = 16;

enum class Family : std::uint8_t { kRfc3962, kRfc8009, kRc4 };

Family family_of(Enctype e) {
  switch (e) {
    case Enctype::AES128_CTS_HMAC_SHA1_96:
    case Enctype::AES256_CTS_HMAC_SHA1_96:
      return Family::kRfc3962;
    case Enctype::AES128_CTS_HMAC_SHA256_128:
    case Enctype::AES256_CTS_HMAC_SHA384_192:
      return Family::kRfc8009;
    case Enctype::RC4_HMAC:
      return Family::kRc4;
  }
  return Family::kRc4;
}

// RFC 4757 §3: RC4-HMAC uses Microsoft's message types, which differ from RFC 4120 key usage
// numbers for the AS-REP enc-part (3 -> 8) and the GSS wrap token (23 -> 13); MIT
// arcfour.c:krb5int_arcfour_translate_usage.
std::uint32_t rc4_message_type(KeyUsage usage) {
  const auto u = static_cast<std::uint32_t>(usage);
  switch (u) {
    case 3:
      return 8;
    case 23:
      return 13;
    default:
      return u;
  }
}

void store_le32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::byte((v >> (8 * i)) & 0xff);
}

bool overlaps_partially(ByteView in, MutableByteView out) {
  const auto* a = in.data();
  const auto* b = out.data();
  if (in.empty() || out.empty() || a == b) return false;
  return a < b + out.size() && b < a + in.size();
}

// A stack buffer for plaintext that is wiped on every exit path.
template <std::size_t N>
struct ScratchBlock {
  std::array<std::byte, N> b{};
  ~ScratchBlock() { secure_wipe(b.data(), b.size()); }
};

}  // namespace

struct UsageKey::State {
  Enctype etype{};
  KeyUsage usage{};
  Family family{};
  std::size_t mac_bytes = 0;
  // AES (17-20): Ke as a keyed cipher (unused for RC4).
  AesCts ke;
  // The two prepared HMAC keys, shared by both families to keep cache entries small:
  // AES: Ki (message MAC) and Kc (checksum). RC4: K1 = HMAC-MD5(Kbase, T) (RFC 4757 §5) and
  // Ksign (HMAC-MD5 checksum, §4).
  HmacKey ki;
  HmacKey kc;
  HmacKey& k1() { return ki; }
  HmacKey& ksign() { return kc; }
  // RC4: the message type T as 4 little-endian bytes.
  std::array<std::byte, 4> t_le{};
  // AES: Ke and Ki prepared for the multi-buffer batch path; null where it cannot run.
  ipsec_mb::KeyStatePtr mb;
};

UsageKey::UsageKey(std::unique_ptr<State> s) : state_(std::move(s)) {}
UsageKey::UsageKey(UsageKey&&) noexcept = default;
UsageKey& UsageKey::operator=(UsageKey&&) noexcept = default;
UsageKey::~UsageKey() = default;

UsageKey::State& state_of(const UsageKey& k) {
  return *k.state_;
}

Enctype UsageKey::etype() const {
  return state_->etype;
}
KeyUsage UsageKey::usage() const {
  return state_->usage;
}

Result<UsageKey> UsageKey::make(const Key& key, KeyUsage usage) {
  KRB_ASSIGN_OR_RETURN(const EnctypeInfo* info, check_key(key));
  auto s = std::make_unique<State>();
  s->etype = key.etype;
  s->usage = usage;
  s->family = family_of(key.etype);
  s->mac_bytes = info->mac_bytes;
  const auto u = static_cast<std::uint32_t>(usage);

  switch (s->family) {
    case Family::kRfc3962: {
      // RFC 3961 §5.3: Kc = DK(base, usage|0x99), Ke = DK(base, usage|0xAA),
      // Ki = DK(base, usage|0x55); one keyed AES context serves all three derivations.
      AesCts base;
      KRB_RETURN_IF_ERROR(base.set_key(key.bytes.view()));
      std::byte constant[5];
      store_be32(constant, u);
      SecretBytes k(info->key_bytes);
      SecretBytes ke(info->key_bytes);
      constant[4] = std::byte{0xAA};
      KRB_RETURN_IF_ERROR(dr_aes(base, constant, ke.mutable_view()));
      KRB_RETURN_IF_ERROR(s->ke.set_key(ke.view()));
      constant[4] = std::byte{0x55};
      KRB_RETURN_IF_ERROR(dr_aes(base, constant, k.mutable_view()));
      s->ki.set_key(Digest::kSha1, k.view());
      s->mb = ipsec_mb::make_key_state(key.etype, ke.view(), k.view());
      constant[4] = std::byte{0x99};
      KRB_RETURN_IF_ERROR(dr_aes(base, constant, k.mutable_view()));
      s->kc.set_key(Digest::kSha1, k.view());
      break;
    }
    case Family::kRfc8009: {
      const Digest d =
          key.etype == Enctype::AES128_CTS_HMAC_SHA256_128 ? Digest::kSha256 : Digest::kSha384;
      KRB_ASSIGN_OR_RETURN(SecretBytes ke, derive_usage_key(key, u, DerivedKey::kEncryption));
      KRB_RETURN_IF_ERROR(s->ke.set_key(ke.view()));
      KRB_ASSIGN_OR_RETURN(SecretBytes ki, derive_usage_key(key, u, DerivedKey::kIntegrity));
      s->ki.set_key(d, ki.view());
      s->mb = ipsec_mb::make_key_state(key.etype, ke.view(), ki.view());
      KRB_ASSIGN_OR_RETURN(SecretBytes kc, derive_usage_key(key, u, DerivedKey::kChecksum));
      s->kc.set_key(d, kc.view());
      break;
    }
    case Family::kRc4: {
      store_le32(s->t_le.data(), rc4_message_type(usage));
      std::array<std::byte, 16> k1;
      HmacKey base(Digest::kMd5, key.bytes.view());
      base.mac({s->t_le}, k1);
      s->k1().set_key(Digest::kMd5, k1);
      // RFC 4757 §4 (HMAC-MD5 checksum): Ksign = HMAC-MD5(Kbase, "signaturekey\0").
      static constexpr char kSignatureKey[] = "signaturekey";  // sizeof includes the NUL
      std::array<std::byte, 16> ksign;
      base.mac({as_bytes(std::string_view(kSignatureKey, sizeof kSignatureKey))}, ksign);
      s->ksign().set_key(Digest::kMd5, ksign);
      secure_wipe(k1.data(), k1.size());
      secure_wipe(ksign.data(), ksign.size());
      break;
    }
  }
  return UsageKey(std::move(s));
}

namespace {

std::size_t confounder_len(const UsageKey::State& s) {
  return s.family == Family::kRc4 ? kRc4Confounder : kAesBlock;
}

// seal's buffer rules (cipher.hpp), shared by both batch backends: the sealed size.
Result<std::size_t> check_seal(const UsageKey::State& s, ByteView plaintext, MutableByteView out) {
  const std::size_t total = plaintext.size() + confounder_len(s) + s.mac_bytes;
  if (out.size() < total) return Err::kBufferTooSmall;
  if (overlaps_partially(plaintext, out)) return Err::kInvalidArgument;
  return total;
}

// open's buffer rules: the plaintext length. The caller zeroes out on error.
Result<std::size_t> check_open(const UsageKey::State& s, ByteView ciphertext, MutableByteView out) {
  const std::size_t conf_len = confounder_len(s);
  if (ciphertext.size() < conf_len + s.mac_bytes) return Err::kCiphertextTooShort;
  const std::size_t pt_len = ciphertext.size() - conf_len - s.mac_bytes;
  if (out.size() < pt_len) return Err::kBufferTooSmall;
  const bool in_place = !out.empty() && ciphertext.data() == out.data();
  if (overlaps_partially(ciphertext, out) || (in_place && out.size() < ciphertext.size())) {
    return Err::kInvalidArgument;
  }
  return pt_len;
}

}  // namespace

Result<std::size_t> seal_with_confounder(const UsageKey& key, ByteView confounder,
                                         ByteView plaintext, MutableByteView out) {
  UsageKey::State& s = state_of(key);
  const std::size_t conf_len = confounder_len(s);
  if (confounder.size() != conf_len) return Err::kInvalidArgument;
  KRB_ASSIGN_OR_RETURN(const std::size_t total, check_seal(s, plaintext, out));
  const bool in_place = !plaintext.empty() && plaintext.data() == out.data();

  if (s.family == Family::kRc4) {
    // RFC 4757 §5: checksum = HMAC-MD5(K1, confounder | plaintext), K3 = HMAC-MD5(K1, checksum),
    // output = checksum | RC4(K3, confounder | plaintext).
    const MutableByteView body = out.subspan(kRc4Checksum, conf_len + plaintext.size());
    if (in_place) {
      std::memmove(body.data() + conf_len, plaintext.data(), plaintext.size());
    } else if (!plaintext.empty()) {
      std::memcpy(body.data() + conf_len, plaintext.data(), plaintext.size());
    }
    std::memcpy(body.data(), confounder.data(), conf_len);
    const MutableByteView cksum = out.first(kRc4Checksum);
    s.k1().mac({body}, cksum);
    std::array<std::byte, 16> k3;
    s.k1().mac({cksum}, k3);
    Rc4 rc4(k3);
    rc4.apply(body, body);
    secure_wipe(k3.data(), k3.size());
    return total;
  }

  const std::size_t n = conf_len + plaintext.size();
  const MutableByteView body = out.first(n);
  const MutableByteView mac = out.subspan(n, s.mac_bytes);
  if (in_place) {
    std::memmove(body.data() + conf_len, plaintext.data(), plaintext.size());
  } else if (!plaintext.empty()) {
    std::memcpy(body.data() + conf_len, plaintext.data(), plaintext.size());
  }
  std::memcpy(body.data(), confounder.data(), conf_len);
  if (s.family == Family::kRfc3962) {
    // RFC 3961 §5.3: H = HMAC(Ki, conf | plaintext) truncated, C = E(Ke, conf | plaintext).
    s.ki.mac({body}, mac);
    if (Status st = s.ke.encrypt(kZeroIv, body, body); !st.ok()) {
      secure_wipe(out.data(), total);
      return st.error();
    }
  } else {
    // RFC 8009 §5: C = E(Ke, conf | plaintext), H = HMAC(Ki, IV | C) truncated.
    if (Status st = s.ke.encrypt(kZeroIv, body, body); !st.ok()) {
      secure_wipe(out.data(), total);
      return st.error();
    }
    s.ki.mac({kZeroIv, body}, mac);
  }
  return total;
}

Result<std::size_t> seal(const UsageKey& key, ByteView plaintext, MutableByteView out, Rng& rng) {
  std::array<std::byte, kAesBlock> conf;
  const std::size_t conf_len = enctype_info(key.etype())->confounder_bytes;
  rng.fill(MutableByteView(conf).first(conf_len));
  auto r = seal_with_confounder(key, ByteView(conf).first(conf_len), plaintext, out);
  secure_wipe(conf.data(), conf.size());
  return r;
}

namespace {

// Decrypts AES-CTS ciphertext c (confounder block first) into conf (16 bytes) and pt
// (c.size() - 16 bytes), in place when pt aliases c. For more than two blocks the confounder
// block is decrypted alone and the rest with C1 as the IV: CTS only involves the last two
// blocks, so this is the same as decrypting the whole, without a scratch copy of the message.
Status aes_decrypt_split(AesCts& ke, ByteView c, MutableByteView conf, MutableByteView pt,
                         bool in_place) {
  const std::size_t n = c.size();
  if (in_place) {
    // pt.data() == c.data(): decrypt the whole in place, then shift the plaintext down.
    MutableByteView whole(pt.data(), n);
    KRB_RETURN_IF_ERROR(ke.decrypt(kZeroIv, c, whole));
    std::memcpy(conf.data(), whole.data(), kAesBlock);
    std::memmove(whole.data(), whole.data() + kAesBlock, n - kAesBlock);
    return ok_status();
  }
  if (n <= 2 * kAesBlock) {
    ScratchBlock<2 * kAesBlock> tmp;
    const MutableByteView t = MutableByteView(tmp.b).first(n);
    KRB_RETURN_IF_ERROR(ke.decrypt(kZeroIv, c, t));
    std::memcpy(conf.data(), t.data(), kAesBlock);
    if (n > kAesBlock) std::memcpy(pt.data(), t.data() + kAesBlock, n - kAesBlock);
    return ok_status();
  }
  KRB_RETURN_IF_ERROR(ke.decrypt(kZeroIv, c.first(kAesBlock), conf));
  return ke.decrypt(c.first(kAesBlock), c.subspan(kAesBlock), pt.first(n - kAesBlock));
}

}  // namespace

Result<std::size_t> open(const UsageKey& key, ByteView ciphertext, MutableByteView out) {
  UsageKey::State& s = state_of(key);
  // Every failure leaves `out` all zeros, so no caller can act on unverified plaintext.
  auto fail = [&](Err e) -> Result<std::size_t> {
    if (!out.empty()) secure_wipe(out.data(), out.size());
    return e;
  };
  const std::size_t conf_len = confounder_len(s);
  const auto checked = check_open(s, ciphertext, out);
  if (!checked.ok()) return fail(checked.err());
  const std::size_t pt_len = *checked;
  const bool in_place = !out.empty() && ciphertext.data() == out.data();
  std::array<std::byte, kMaxDigestBytes> expected;
  std::array<std::byte, kMaxDigestBytes> received;
  ScratchBlock<kAesBlock> conf;

  if (s.family == Family::kRc4) {
    // RFC 4757 §5: checksum first, then RC4(K3) of confounder | plaintext.
    std::memcpy(received.data(), ciphertext.data(), kRc4Checksum);
    const ByteView cksum = ByteView(received).first(kRc4Checksum);
    std::array<std::byte, 16> k3;
    s.k1().mac({cksum}, k3);
    Rc4 rc4(k3);
    secure_wipe(k3.data(), k3.size());
    const ByteView body = ciphertext.subspan(kRc4Checksum);
    const MutableByteView c = MutableByteView(conf.b).first(kRc4Confounder);
    rc4.apply(body.first(kRc4Confounder), c);
    if (in_place) {
      // Decrypt after the confounder in place, then move the plaintext to the front.
      MutableByteView rest(out.data() + kRc4Checksum + kRc4Confounder, pt_len);
      rc4.apply(body.subspan(kRc4Confounder), rest);
      std::memmove(out.data(), rest.data(), pt_len);
    } else {
      rc4.apply(body.subspan(kRc4Confounder), out.first(pt_len));
    }
    s.k1().mac({c, out.first(pt_len)}, MutableByteView(expected).first(kRc4Checksum));
    if (!constant_time_equal(ByteView(expected).first(kRc4Checksum), cksum)) {
      return fail(Err::kIntegrityFailed);
    }
    if (in_place) secure_wipe(out.data() + pt_len, ciphertext.size() - pt_len);
    return pt_len;
  }

  const std::size_t n = conf_len + pt_len;
  const ByteView c = ciphertext.first(n);
  std::memcpy(received.data(), ciphertext.data() + n, s.mac_bytes);
  const ByteView mac = ByteView(received).first(s.mac_bytes);
  const MutableByteView exp = MutableByteView(expected).first(s.mac_bytes);

  if (s.family == Family::kRfc8009) {
    // Encrypt-then-MAC (RFC 8009 §5): verify HMAC(Ki, IV | C) before decrypting anything.
    s.ki.mac({kZeroIv, c}, exp);
    if (!constant_time_equal(exp, mac)) return fail(Err::kIntegrityFailed);
    if (Status st = aes_decrypt_split(s.ke, c, conf.b, out, in_place); !st.ok()) {
      return fail(st.err());
    }
  } else {
    // RFC 3961 §5.3: the MAC covers the plaintext, so decrypt first, then verify.
    if (Status st = aes_decrypt_split(s.ke, c, conf.b, out, in_place); !st.ok()) {
      return fail(st.err());
    }
    s.ki.mac({conf.b, out.first(pt_len)}, exp);
    if (!constant_time_equal(exp, mac)) return fail(Err::kIntegrityFailed);
  }
  if (in_place) secure_wipe(out.data() + pt_len, ciphertext.size() - pt_len);
  return pt_len;
}

Result<std::size_t> make_checksum(const UsageKey& key, ByteView data, MutableByteView out) {
  UsageKey::State& s = state_of(key);
  const std::size_t len = checksum_bytes(enctype_info(s.etype)->checksum);
  if (out.size() < len) return Err::kBufferTooSmall;
  if (s.family == Family::kRc4) {
    // RFC 4757 §4: HMAC-MD5(Ksign, MD5(T | data)), T the message type as 4 LE bytes.
    std::array<std::byte, 16> tmp;
    hash(Digest::kMd5, {s.t_le, data}, tmp);
    s.ksign().mac({tmp}, out.first(len));
    return len;
  }
  // RFC 3962 §7 / RFC 8009 §6: HMAC(Kc, data) truncated.
  s.kc.mac({data}, out.first(len));
  return len;
}

Status verify_checksum(const UsageKey& key, ByteView data, ByteView mac) {
  std::array<std::byte, kMaxDigestBytes> expected;
  KRB_ASSIGN_OR_RETURN(const std::size_t len, make_checksum(key, data, expected));
  if (!constant_time_equal(ByteView(expected).first(len), mac)) return Err::kIntegrityFailed;
  return ok_status();
}

Result<std::size_t> seal_once(const Key& key, KeyUsage usage, ByteView plaintext,
                              MutableByteView out, Rng& rng) {
  KRB_ASSIGN_OR_RETURN(UsageKey uk, UsageKey::make(key, usage));
  return seal(uk, plaintext, out, rng);
}

Result<std::size_t> open_once(const Key& key, KeyUsage usage, ByteView ciphertext,
                              MutableByteView out) {
  KRB_ASSIGN_OR_RETURN(UsageKey uk, UsageKey::make(key, usage));
  return open(uk, ciphertext, out);
}

Result<std::size_t> make_checksum_once(const Key& key, KeyUsage usage, ByteView data,
                                       MutableByteView out) {
  KRB_ASSIGN_OR_RETURN(UsageKey uk, UsageKey::make(key, usage));
  return make_checksum(uk, data, out);
}

Status verify_checksum_once(const Key& key, KeyUsage usage, ByteView data, ByteView mac) {
  KRB_ASSIGN_OR_RETURN(UsageKey uk, UsageKey::make(key, usage));
  return verify_checksum(uk, data, mac);
}

namespace {

// Default: ipsec-mb. bench/crypto_bench.cpp (BM_AsExchangeBatch, aes256-sha1, batch 32) puts
// it at ~0.8 us per AS exchange against ~1.6 us per message; below min_batch() it is the same
// per-message path.
std::atomic<BatchBackend> g_batch_backend{BatchBackend::kIpsecMb};

// Messages per HMAC (ipsec_mb::lane_group) in a batch that ipsec-mb could take.
template <class Job>
std::array<std::size_t, ipsec_mb::kLaneGroups> count_lanes(std::span<Job> jobs, bool mb) {
  std::array<std::size_t, ipsec_mb::kLaneGroups> n{};
  if (!mb) return n;
  for (const Job& j : jobs) {
    if (j.key == nullptr) continue;
    if (const ipsec_mb::KeyState* ks = state_of(*j.key).mb.get()) ++n[ipsec_mb::lane_group(*ks)];
  }
  return n;
}

// The ipsec-mb state to use for this key in a batch, or null for the per-message path (RC4,
// no AES-NI, or too few messages of its HMAC to fill the lanes).
const ipsec_mb::KeyState* batch_state(const UsageKey& key,
                                      const std::array<std::size_t, ipsec_mb::kLaneGroups>& n) {
  const ipsec_mb::KeyState* ks = state_of(key).mb.get();
  if (ks == nullptr || n[ipsec_mb::lane_group(*ks)] < ipsec_mb::min_batch(*ks)) return nullptr;
  return ks;
}

}  // namespace

void set_batch_backend(BatchBackend b) {
  g_batch_backend.store(b, std::memory_order_relaxed);
}

BatchBackend batch_backend() {
  return g_batch_backend.load(std::memory_order_relaxed);
}

bool batch_backend_available(BatchBackend b) {
  return b == BatchBackend::kOpenSsl || ipsec_mb::available();
}

void seal_batch(std::span<SealJob> jobs, Rng& rng) {
  // One RNG call for every confounder of the batch (each SystemRng call is a syscall).
  std::size_t total = 0;
  for (SealJob& j : jobs) {
    if (j.key != nullptr) total += enctype_info(j.key->etype())->confounder_bytes;
  }
  // Room for a KDC batch of 128 seals (64 requests: ticket and reply) without allocating.
  static constexpr std::size_t kStackConfounders = 256 * kAesBlock;
  std::array<std::byte, kStackConfounders> stack_buf;
  std::vector<std::byte> heap_buf;
  MutableByteView confounders;
  if (total <= stack_buf.size()) {
    confounders = MutableByteView(stack_buf).first(total);
  } else {
    heap_buf.resize(total);
    confounders = heap_buf;
  }
  if (total != 0) rng.fill(confounders);
  const auto lanes = count_lanes(jobs, batch_backend() == BatchBackend::kIpsecMb);
  // AES jobs for ipsec-mb gather here (valid buffers only) and run a chunk at a time.
  std::array<ipsec_mb::SealItem, ipsec_mb::kMaxItems> items;
  std::size_t n_items = 0;
  std::size_t off = 0;
  for (SealJob& j : jobs) {
    j.out_len = 0;
    if (j.key == nullptr) {
      j.status = Err::kInvalidArgument;
      continue;
    }
    const std::size_t n = enctype_info(j.key->etype())->confounder_bytes;
    const ByteView conf = confounders.subspan(off, n);
    off += n;
    if (const ipsec_mb::KeyState* ks = batch_state(*j.key, lanes)) {
      if (auto c = check_seal(state_of(*j.key), j.plaintext, j.out); !c.ok()) {
        j.status = c.error();
        continue;
      }
      items[n_items++] = {ks, conf.data(), &j};
      if (n_items == items.size()) {
        ipsec_mb::seal(items);
        n_items = 0;
      }
      continue;
    }
    auto r = seal_with_confounder(*j.key, conf, j.plaintext, j.out);
    if (r.ok()) {
      j.out_len = *r;
      j.status = ok_status();
    } else {
      j.status = r.error();
    }
  }
  if (n_items != 0) ipsec_mb::seal(std::span(items).first(n_items));
  if (total != 0) secure_wipe(confounders.data(), confounders.size());
}

void open_batch(std::span<OpenJob> jobs) {
  const auto lanes = count_lanes(jobs, batch_backend() == BatchBackend::kIpsecMb);
  std::array<ipsec_mb::OpenItem, ipsec_mb::kMaxItems> items;
  std::size_t n_items = 0;
  for (OpenJob& j : jobs) {
    j.out_len = 0;
    if (j.key == nullptr) {
      j.status = Err::kInvalidArgument;
      continue;
    }
    if (const ipsec_mb::KeyState* ks = batch_state(*j.key, lanes)) {
      if (auto c = check_open(state_of(*j.key), j.ciphertext, j.out); !c.ok()) {
        if (!j.out.empty()) secure_wipe(j.out.data(), j.out.size());
        j.status = c.error();
        continue;
      }
      items[n_items++] = {ks, &j};
      if (n_items == items.size()) {
        ipsec_mb::open(items);
        n_items = 0;
      }
      continue;
    }
    auto r = open(*j.key, j.ciphertext, j.out);
    if (r.ok()) {
      j.out_len = *r;
      j.status = ok_status();
    } else {
      j.status = r.error();
    }
  }
  if (n_items != 0) ipsec_mb::open(std::span(items).first(n_items));
}

}  // namespace kdcperf::krb::crypto
