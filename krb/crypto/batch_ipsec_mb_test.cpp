// The ipsec-mb batch backend against the OpenSSL per-message path (the reference): same bytes,
// same statuses, for every AES enctype and lengths 0..2048, mixed batches of 1-130 jobs,
// in-place buffers, bad buffers, and the published vectors.
#include "krb/crypto/batch_ipsec_mb.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <string>
#include <vector>

#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::crypto {
namespace {

constexpr std::array<Enctype, 4> kAes = {
    Enctype::AES128_CTS_HMAC_SHA1_96, Enctype::AES256_CTS_HMAC_SHA1_96,
    Enctype::AES128_CTS_HMAC_SHA256_128, Enctype::AES256_CTS_HMAC_SHA384_192};

Key random_key(Enctype e, std::uint64_t seed) {
  DeterministicRng rng(seed);
  return std::move(make_random_key(e, rng)).value();
}

UsageKey usage_key(const Key& k, KeyUsage u) {
  auto r = UsageKey::make(k, u);
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

Buffer pattern(std::size_t n, unsigned salt) {
  Buffer b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = std::byte((i * 131 + salt * 7 + (i >> 8)) & 0xff);
  return b;
}

bool all_zero(ByteView v) {
  return std::all_of(v.begin(), v.end(), [](std::byte b) { return b == std::byte{0}; });
}

// Hands out preset bytes (the confounders a test wants), in order.
class QueueRng final : public Rng {
 public:
  void push(ByteView b) { q_.insert(q_.end(), b.begin(), b.end()); }
  void fill(MutableByteView out) override {
    ASSERT_GE(q_.size(), out.size());
    std::copy_n(q_.begin(), out.size(), out.begin());
    q_.erase(q_.begin(), q_.begin() + static_cast<std::ptrdiff_t>(out.size()));
  }
  bool empty() const { return q_.empty(); }

 private:
  std::deque<std::byte> q_;
};

class IpsecMbBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!batch_backend_available(BatchBackend::kIpsecMb)) GTEST_SKIP() << "no AES-NI";
    saved_ = batch_backend();
    set_batch_backend(BatchBackend::kIpsecMb);
  }
  void TearDown() override { set_batch_backend(saved_); }

 private:
  BatchBackend saved_ = BatchBackend::kOpenSsl;
};

// One message of a batch: key, plaintext, confounder, the reference ciphertext, buffers.
struct Msg {
  const UsageKey* key;
  Buffer pt, conf, want, ct, back;
};

Msg make_msg(const UsageKey& k, std::size_t len, unsigned salt) {
  Msg m{
      &k, pattern(len, salt), pattern(enctype_info(k.etype())->confounder_bytes, salt + 1), {}, {},
      {}};
  m.want.resize(len + k.overhead());
  EXPECT_TRUE(seal_with_confounder(k, m.conf, m.pt, m.want).ok());
  m.ct.resize(m.want.size());
  m.back.assign(len + 3, std::byte{0xEE});  // longer than needed: untouched past the plaintext
  return m;
}

// seal_batch with the messages' confounders, then open_batch, then every message with one bit
// flipped: the same bytes as OpenSSL, the plaintext back, and kIntegrityFailed with out zeroed.
void round_trip(std::vector<Msg>& msgs) {
  QueueRng rng;
  std::vector<SealJob> seals;
  for (Msg& m : msgs) {
    rng.push(m.conf);
    seals.push_back(SealJob{m.key, m.pt, m.ct, 0, {}});
  }
  seal_batch(seals, rng);
  EXPECT_TRUE(rng.empty());
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    SCOPED_TRACE("etype " + std::to_string(static_cast<int>(msgs[i].key->etype())) + " length " +
                 std::to_string(msgs[i].pt.size()));
    ASSERT_TRUE(seals[i].status.ok()) << err_name(seals[i].status.err());
    EXPECT_EQ(seals[i].out_len, msgs[i].want.size());
    ASSERT_EQ(to_hex(msgs[i].ct), to_hex(msgs[i].want));
  }

  std::vector<OpenJob> opens;
  for (Msg& m : msgs) opens.push_back(OpenJob{m.key, m.ct, m.back, 0, {}});
  open_batch(opens);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const Msg& m = msgs[i];
    SCOPED_TRACE("open length " + std::to_string(m.pt.size()));
    ASSERT_TRUE(opens[i].status.ok()) << err_name(opens[i].status.err());
    ASSERT_EQ(opens[i].out_len, m.pt.size());
    EXPECT_TRUE(std::equal(m.pt.begin(), m.pt.end(), m.back.begin()));
    EXPECT_EQ(m.back.back(), std::byte{0xEE});
  }

  for (std::size_t i = 0; i < msgs.size(); ++i) {
    Msg& m = msgs[i];
    m.ct[(i * 7919) % m.ct.size()] ^= std::byte(1u << (i % 8));
    opens[i].status = ok_status();
  }
  open_batch(opens);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    SCOPED_TRACE("forged length " + std::to_string(msgs[i].pt.size()));
    EXPECT_EQ(opens[i].status.err(), Err::kIntegrityFailed);
    EXPECT_EQ(opens[i].out_len, 0u);
    EXPECT_TRUE(all_zero(msgs[i].back));
  }
}

// Every length 0..2048: every CTS tail length (RFC 3962 §5) with 1 to 129 blocks.
std::vector<std::size_t> lengths() {
  std::vector<std::size_t> v;
  for (std::size_t n = 0; n <= 2048; ++n) v.push_back(n);
  return v;
}

TEST_F(IpsecMbBatch, EveryLengthUpTo2048MatchesOpenSsl) {
  const std::vector<std::size_t> all = lengths();
  for (Enctype e : kAes) {
    SCOPED_TRACE(std::string(enctype_info(e)->name));
    const UsageKey k = usage_key(random_key(e, 7), KeyUsage::KDC_REP_TICKET);
    // Batches of 100 lengths (one chunk of ipsec_mb::kMaxItems), and one of all of them (many).
    for (std::size_t from = 0; from < all.size(); from += 100) {
      std::vector<Msg> msgs;
      for (std::size_t i = from; i < std::min(from + 100, all.size()); ++i) {
        msgs.push_back(make_msg(k, all[i], static_cast<unsigned>(i)));
      }
      round_trip(msgs);
      if (HasFatalFailure()) return;
    }
  }
  const UsageKey k = usage_key(random_key(Enctype::AES256_CTS_HMAC_SHA1_96, 8), KeyUsage::AS_REQ);
  std::vector<Msg> msgs;
  for (std::size_t i = 0; i < all.size(); i += 2) msgs.push_back(make_msg(k, all[i] / 2, 5));
  round_trip(msgs);
}

TEST_F(IpsecMbBatch, MixedBatchesOfEverySize) {
  // Two keys per enctype, three usages, and RC4 (per-message path) in among the AES jobs.
  std::vector<Key> keys;
  for (Enctype e : kAes) {
    keys.push_back(random_key(e, 100 + keys.size()));
    keys.push_back(random_key(e, 100 + keys.size()));
  }
  keys.push_back(random_key(Enctype::RC4_HMAC, 99));
  std::vector<UsageKey> uks;
  for (const Key& k : keys) {
    for (KeyUsage u :
         {KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, KeyUsage::KDC_REP_TICKET, KeyUsage::AS_REP_ENC_PART}) {
      uks.push_back(usage_key(k, u));
    }
  }
  DeterministicRng pick(3);
  for (std::size_t size = 1; size <= 130; ++size) {
    SCOPED_TRACE("batch size " + std::to_string(size));
    std::vector<Msg> msgs;
    for (std::size_t i = 0; i < size; ++i) {
      std::array<std::byte, 4> r;
      pick.fill(r);
      const auto a = static_cast<std::size_t>(r[0]) | static_cast<std::size_t>(r[1]) << 8;
      const UsageKey& k = uks[static_cast<std::size_t>(r[2]) % uks.size()];
      msgs.push_back(make_msg(k, a % 400, static_cast<unsigned>(size * 1000 + i)));
    }
    round_trip(msgs);
    if (HasFatalFailure()) return;
  }
}

TEST_F(IpsecMbBatch, InPlaceSealAndOpen) {
  for (Enctype e : kAes) {
    SCOPED_TRACE(std::string(enctype_info(e)->name));
    const UsageKey k = usage_key(random_key(e, 11), KeyUsage::AS_REP_ENC_PART);
    std::vector<Msg> msgs;
    std::vector<Buffer> bufs;
    for (std::size_t len : {0, 1, 15, 16, 17, 31, 32, 33, 255, 1000}) {
      msgs.push_back(make_msg(k, len, static_cast<unsigned>(len)));
      Buffer b(len + k.overhead());
      std::copy(msgs.back().pt.begin(), msgs.back().pt.end(), b.begin());
      bufs.push_back(std::move(b));
    }
    QueueRng rng;
    std::vector<SealJob> seals;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      rng.push(msgs[i].conf);
      seals.push_back(SealJob{&k, ByteView(bufs[i]).first(msgs[i].pt.size()), bufs[i], 0, {}});
    }
    seal_batch(seals, rng);
    std::vector<OpenJob> opens;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      ASSERT_TRUE(seals[i].status.ok());
      EXPECT_EQ(bufs[i], msgs[i].want);
      opens.push_back(OpenJob{&k, bufs[i], bufs[i], 0, {}});
    }
    open_batch(opens);
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      const std::size_t n = msgs[i].pt.size();
      ASSERT_TRUE(opens[i].status.ok());
      ASSERT_EQ(opens[i].out_len, n);
      EXPECT_TRUE(std::equal(msgs[i].pt.begin(), msgs[i].pt.end(), bufs[i].begin()));
      // As open(): the bytes after the plaintext are wiped.
      EXPECT_TRUE(all_zero(ByteView(bufs[i]).subspan(n)));
    }
  }
}

// Bad buffers give the same status on both backends, and open zeroes out.
TEST_F(IpsecMbBatch, BufferErrorsMatchOpenSsl) {
  const UsageKey k =
      usage_key(random_key(Enctype::AES256_CTS_HMAC_SHA384_192, 12), KeyUsage::KDC_REP_TICKET);
  const Buffer pt = pattern(40, 1);
  Buffer small(pt.size() + k.overhead() - 1);
  Buffer overlap(pt.size() + k.overhead() + 8);
  Buffer sealed(pt.size() + k.overhead());
  DeterministicRng rng(4);
  ASSERT_TRUE(seal(k, pt, sealed, rng).ok());
  for (BatchBackend b : {BatchBackend::kOpenSsl, BatchBackend::kIpsecMb}) {
    set_batch_backend(b);
    // Three jobs of the HMAC, so ipsec-mb takes them (ipsec_mb::min_batch).
    Buffer good(sealed.size());
    std::array<SealJob, 3> seals = {
        SealJob{&k, pt, small, 0, {}},
        SealJob{&k, ByteView(overlap).first(pt.size()), MutableByteView(overlap).subspan(4), 0, {}},
        SealJob{&k, pt, good, 0, {}}};
    seal_batch(seals, rng);
    EXPECT_EQ(seals[0].status.err(), Err::kBufferTooSmall);
    EXPECT_EQ(seals[1].status.err(), Err::kInvalidArgument);
    EXPECT_TRUE(seals[2].status.ok());

    Buffer out_small(pt.size() - 1, std::byte{1});
    Buffer out_short(8, std::byte{1});
    Buffer in_place = sealed;
    in_place.resize(in_place.size() + 4);
    std::array<OpenJob, 3> opens = {
        OpenJob{&k, sealed, out_small, 0, {}},
        OpenJob{&k, ByteView(sealed).first(k.overhead() - 1), out_short, 0, {}},
        OpenJob{
            &k, ByteView(in_place).subspan(4, sealed.size()), MutableByteView(in_place), 0, {}}};
    open_batch(opens);
    EXPECT_EQ(opens[0].status.err(), Err::kBufferTooSmall);
    EXPECT_TRUE(all_zero(out_small));
    EXPECT_EQ(opens[1].status.err(), Err::kCiphertextTooShort);
    EXPECT_TRUE(all_zero(out_short));
    EXPECT_EQ(opens[2].status.err(), Err::kInvalidArgument);
  }
}

// The vector files mix kinds; vectors_test.cpp checks the others. A block must be consumed
// whole, so the attributes of the kinds skipped here are taken and dropped.
void drop_rest(testing::VectorBlock& v) {
  for (const char* a : {"Etype",    "Iterations",   "PasswordHex", "SaltHex",    "Key",
                        "Usage",    "Which",        "Derived",     "Kc",         "Data",
                        "Checksum", "ChecksumType", "Input",       "Output",     "Principal",
                        "Ke",       "Ki",           "Plaintext",   "Confounder", "Ciphertext"}) {
    if (v.has(a)) v.take(a);
  }
}

// RFC 8009 Appendix A's encryption vectors through seal_batch (with their confounders) and
// open_batch, all in one batch.
TEST_F(IpsecMbBatch, Rfc8009Vectors) {
  auto blocks = testing::read_vector_file(testing::source_path("krb/testdata/crypto/rfc8009.txt"));
  std::vector<UsageKey> uks;
  uks.reserve(blocks.size());
  std::vector<Buffer> pts, cts;
  QueueRng rng;
  for (auto& v : blocks) {
    if (v.take("Test") != "encrypt") {
      drop_rest(v);
      continue;
    }
    const auto e = static_cast<Enctype>(std::stoi(v.take("Etype")));
    const Key key{e, SecretBytes(ByteView(v.take_hex("Key")))};
    uks.push_back(usage_key(key, static_cast<KeyUsage>(std::stoi(v.take("Usage")))));
    pts.push_back(v.take_hex("Plaintext"));
    rng.push(v.take_hex("Confounder"));
    cts.push_back(v.take_hex("Ciphertext"));
    drop_rest(v);  // Ke, Ki: vectors_test.cpp checks the derivation
  }
  ASSERT_EQ(uks.size(), 8u);
  std::vector<Buffer> outs, backs;
  std::vector<SealJob> seals;
  for (std::size_t i = 0; i < uks.size(); ++i) {
    outs.emplace_back(cts[i].size());
    backs.emplace_back(pts[i].size());
  }
  for (std::size_t i = 0; i < uks.size(); ++i) seals.push_back({&uks[i], pts[i], outs[i], 0, {}});
  seal_batch(seals, rng);
  std::vector<OpenJob> opens;
  for (std::size_t i = 0; i < uks.size(); ++i) {
    ASSERT_TRUE(seals[i].status.ok());
    EXPECT_EQ(to_hex(outs[i]), to_hex(cts[i])) << i;
    opens.push_back({&uks[i], cts[i], backs[i], 0, {}});
  }
  open_batch(opens);
  for (std::size_t i = 0; i < uks.size(); ++i) {
    ASSERT_TRUE(opens[i].status.ok());
    EXPECT_EQ(to_hex(backs[i]), to_hex(pts[i])) << i;
  }
}

// MIT's known-answer decryptions (k5test vectors for aes-sha1 and aes-sha2) through
// open_batch, all in one batch.
TEST_F(IpsecMbBatch, MitDecryptVectors) {
  auto blocks =
      testing::read_vector_file(testing::source_path("krb/testdata/crypto/mit_known_answers.txt"));
  std::vector<UsageKey> uks;
  uks.reserve(blocks.size());
  std::vector<Buffer> pts, cts;
  for (auto& v : blocks) {
    const std::string test = v.take("Test");
    const auto e = static_cast<Enctype>(std::stoi(v.take("Etype")));
    if (test != "decrypt" || e == Enctype::RC4_HMAC) {
      drop_rest(v);
      continue;
    }
    const Key key{e, SecretBytes(ByteView(v.take_hex("Key")))};
    uks.push_back(usage_key(key, static_cast<KeyUsage>(std::stoi(v.take("Usage")))));
    pts.push_back(v.take_hex("Plaintext"));
    cts.push_back(v.take_hex("Ciphertext"));
  }
  ASSERT_GE(uks.size(), 8u);
  std::vector<Buffer> backs;
  std::vector<OpenJob> opens;
  for (std::size_t i = 0; i < uks.size(); ++i) backs.emplace_back(pts[i].size());
  for (std::size_t i = 0; i < uks.size(); ++i) opens.push_back({&uks[i], cts[i], backs[i], 0, {}});
  open_batch(opens);
  for (std::size_t i = 0; i < uks.size(); ++i) {
    ASSERT_TRUE(opens[i].status.ok()) << i;
    EXPECT_EQ(to_hex(backs[i]), to_hex(pts[i])) << i;
  }
}

TEST(BatchBackend, IsProcessWideAndSwitchable) {
  const BatchBackend saved = batch_backend();
  set_batch_backend(BatchBackend::kOpenSsl);
  EXPECT_EQ(batch_backend(), BatchBackend::kOpenSsl);
  set_batch_backend(BatchBackend::kIpsecMb);
  EXPECT_EQ(batch_backend(), BatchBackend::kIpsecMb);
  EXPECT_TRUE(batch_backend_available(BatchBackend::kOpenSsl));
  set_batch_backend(saved);
}

}  // namespace
}  // namespace kdcperf::krb::crypto
