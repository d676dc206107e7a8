#include "kdc/as/pac.hpp"

#include <gtest/gtest.h>

#include <string>

#include "krb/crypto/cipher.hpp"
#include "krb/crypto/key.hpp"
#include "krb/files/keytab.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/ticket.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::kdc::as {
namespace {

using krb::crypto::Enctype;
using krb::crypto::KeyUsage;
using testing::read_file;
using testing::read_hex_file;
using testing::source_path;

std::uint64_t le(krb::ByteView b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v |= std::uint64_t{std::to_integer<unsigned>(b[at + i])} << (8 * i);
  return v;
}

krb::crypto::Key krbtgt_key(Enctype etype) {
  const krb::Buffer file = read_file(source_path("krb/testdata/mit/krbtgt.keytab"));
  auto entries = krb::files::read_keytab(file);
  EXPECT_TRUE(entries.ok());
  for (const auto& e : *entries) {
    if (e.enctype == static_cast<std::int32_t>(etype) && e.principal.components.size() == 2 &&
        e.principal.components[0] == "krbtgt") {
      return krb::crypto::Key{etype, e.key.clone()};
    }
  }
  ADD_FAILURE() << "no krbtgt key of etype " << static_cast<int>(etype);
  return {};
}

// MIT 1.20's PAC for alice, from the captured AS-REP's TGT (opened with the krbtgt key).
struct MitPac {
  krb::Buffer pac;
  std::int64_t authtime = 0;
  std::string client;
};

MitPac mit_pac() {
  MitPac out;
  const krb::Buffer rep_bytes = read_hex_file(source_path("krb/testdata/mit/aes256_as_rep.hex"));
  auto rep = krb::proto::decode_as_rep(rep_bytes);
  EXPECT_TRUE(rep.ok());
  if (!rep.ok()) return out;
  const krb::crypto::Key key = krbtgt_key(static_cast<Enctype>(rep->ticket.enc_part.etype));
  krb::Buffer plain(rep->ticket.enc_part.cipher.size());
  auto n =
      krb::crypto::open_once(key, KeyUsage::KDC_REP_TICKET, rep->ticket.enc_part.cipher, plain);
  EXPECT_TRUE(n.ok());
  if (!n.ok()) return out;
  krb::proto::EncTicketPart tkt;
  EXPECT_TRUE(krb::proto::decode_enc_ticket_part(krb::ByteView(plain.data(), *n), &tkt).ok());
  EXPECT_TRUE(tkt.authorization_data.has_value());
  if (!tkt.authorization_data) return out;
  krb::proto::AuthorizationData inner;
  EXPECT_TRUE(krb::proto::decode_ad_if_relevant((*tkt.authorization_data)[0].ad_data, &inner).ok());
  EXPECT_EQ(inner[0].ad_type, krb::proto::AuthorizationDataType::AD_WIN2K_PAC);
  out.pac.assign(inner[0].ad_data.begin(), inner[0].ad_data.end());
  out.authtime = tkt.authtime;
  out.client = std::string(tkt.cname.components[0]);
  return out;
}

TEST(MinimalPac, IsByteIdenticalToMitsPacForTheSameClientTimeAndKey) {
  const MitPac mit = mit_pac();
  ASSERT_FALSE(mit.pac.empty());
  const krb::crypto::Key key = krbtgt_key(Enctype::AES256_CTS_HMAC_SHA1_96);
  auto usage = krb::crypto::UsageKey::make(key, KeyUsage::KERB_NON_KERB_CKSUM_SALT);
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(minimal_pac_size(mit.client, *usage), mit.pac.size());
  krb::Buffer ours(minimal_pac_size(mit.client, *usage));
  auto n = build_minimal_pac(mit.client, mit.authtime, *usage, ours);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, mit.pac.size());
  EXPECT_EQ(ours, mit.pac);
}

TEST(MinimalPac, LayoutAndChecksumsFollowMsPac) {
  const krb::crypto::Key key{Enctype::AES128_CTS_HMAC_SHA1_96, krb::SecretBytes(16)};
  auto usage = krb::crypto::UsageKey::make(key, KeyUsage::KERB_NON_KERB_CKSUM_SALT);
  ASSERT_TRUE(usage.ok());
  // "jür/x": a two-byte UTF-8 character becomes one UTF-16 unit.
  const std::string name = "j\xc3\xbcr/x";
  krb::Buffer pac(minimal_pac_size(name, *usage));
  ASSERT_TRUE(build_minimal_pac(name, 86400, *usage, pac).ok());
  EXPECT_EQ(le(pac, 0, 4), 3u);  // cBuffers
  EXPECT_EQ(le(pac, 4, 4), 0u);  // Version
  const std::uint64_t ci = le(pac, 8 + 8, 8);
  EXPECT_EQ(le(pac, 8, 4), 10u);
  EXPECT_EQ(ci % 8, 0u);
  // FILETIME of 1970-01-02: (11644473600 + 86400) * 10^7.
  EXPECT_EQ(le(pac, ci, 8), (11644473600ull + 86400) * 10000000ull);
  EXPECT_EQ(le(pac, ci + 8, 2), 10u);     // 5 UTF-16 units
  EXPECT_EQ(le(pac, ci + 10, 2), 0x6au);  // j
  EXPECT_EQ(le(pac, ci + 12, 2), 0xfcu);  // ü
  const std::uint64_t server = le(pac, 8 + 16 + 8, 8);
  const std::uint64_t privsvr = le(pac, 8 + 32 + 8, 8);
  EXPECT_EQ(le(pac, 8 + 16, 4), 6u);
  EXPECT_EQ(le(pac, 8 + 32, 4), 7u);
  EXPECT_EQ(le(pac, server, 4), 15u);  // hmac-sha1-96-aes128
  // Zero both signatures and recompute: the server checksum covers that, the KDC one the
  // server signature.
  krb::Buffer zeroed = pac;
  std::fill_n(zeroed.begin() + static_cast<std::ptrdiff_t>(server + 4), 12, std::byte{0});
  std::fill_n(zeroed.begin() + static_cast<std::ptrdiff_t>(privsvr + 4), 12, std::byte{0});
  EXPECT_TRUE(
      krb::crypto::verify_checksum(*usage, zeroed, krb::ByteView(pac).subspan(server + 4, 12))
          .ok());
  EXPECT_TRUE(krb::crypto::verify_checksum(*usage, krb::ByteView(pac).subspan(server + 4, 12),
                                           krb::ByteView(pac).subspan(privsvr + 4, 12))
                  .ok());
}

TEST(MinimalPac, RefusesWrongUsageLongNamesAndShortBuffers) {
  const krb::crypto::Key key{Enctype::AES256_CTS_HMAC_SHA1_96, krb::SecretBytes(32)};
  auto wrong = krb::crypto::UsageKey::make(key, KeyUsage::KDC_REP_TICKET);
  auto right = krb::crypto::UsageKey::make(key, KeyUsage::KERB_NON_KERB_CKSUM_SALT);
  ASSERT_TRUE(wrong.ok() && right.ok());
  krb::Buffer out(4096);
  EXPECT_EQ(build_minimal_pac("alice", 0, *wrong, out).err(), krb::Err::kInvalidArgument);
  EXPECT_EQ(build_minimal_pac(std::string(kMaxPacNameBytes + 1, 'a'), 0, *right, out).err(),
            krb::Err::kInvalidArgument);
  krb::Buffer small(minimal_pac_size("alice", *right) - 1);
  EXPECT_EQ(build_minimal_pac("alice", 0, *right, small).err(), krb::Err::kBufferTooSmall);
  // Invalid UTF-8 maps to U+FFFD, one unit per bad byte.
  EXPECT_EQ(minimal_pac_size("\xff\xfe", *right), minimal_pac_size("ab", *right));
}

}  // namespace
}  // namespace kdcperf::kdc::as
