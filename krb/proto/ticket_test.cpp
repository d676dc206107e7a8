#include "krb/proto/ticket.hpp"

#include <gtest/gtest.h>

#include "krb/proto/decode_testing.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::proto {
namespace {

using kdcperf::testing::hex;

constexpr std::int64_t kAuthtime = 1795613547;  // 20261125133227Z

template <class Encode>
Buffer encode_with(Encode&& encode) {
  der::Writer w;
  encode(w);
  EXPECT_TRUE(w.ok());
  return Buffer(w.view().begin(), w.view().end());
}

// An opaque 112-byte blob laid out like MIT 1.20's minimal PAC (KERBEROS-INTEROP.md §5.4:
// cBuffers 3, version 0, CLIENT_INFO(10) 20 B, SERVER_CHECKSUM(6) 16 B, PRIVSVR_CHECKSUM(7)
// 16 B). This layer never looks inside ad-data; only the size and nesting matter here.
Buffer pac_like_blob() {
  Buffer pac(112, std::byte{0});
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) pac[at + i] = std::byte((v >> (8 * i)) & 0xff);
  };
  put32(0, 3);
  const std::uint32_t info[3][3] = {{10, 20, 56}, {6, 16, 80}, {7, 16, 96}};
  for (std::size_t i = 0; i < 3; ++i) {
    put32(8 + 16 * i, info[i][0]);
    put32(12 + 16 * i, info[i][1]);
    put32(16 + 16 * i, info[i][2]);
  }
  return pac;
}

struct EncTicketFixture {
  Buffer session_key = Buffer(32, std::byte{0x22});
  Buffer pac = pac_like_blob();
  Buffer ipv6_loopback = hex("00000000000000000000000000000001");
  Buffer if_relevant = encode_with([&](der::Writer& w) {
    encode_ad_if_relevant(w, AuthorizationData{{AuthorizationDataType::AD_WIN2K_PAC, pac}});
  });

  EncTicketPart part() const {
    EncTicketPart p;
    p.flags = 0x50e10000;
    p.key = EncryptionKey{18, session_key};
    p.crealm = "EXAMPLE.TEST";
    p.cname = PrincipalName{NameType::NT_PRINCIPAL, {"alice"}};
    p.transited = TransitedEncoding{TransitedType::DOMAIN_X500_COMPRESS, {}};
    p.authtime = kAuthtime;
    p.starttime = kAuthtime;
    p.endtime = kAuthtime + 36000;
    p.renew_till = kAuthtime + 86400;
    p.caddr = HostAddresses{{AddressType::IPV6, ipv6_loopback}};
    p.authorization_data = AuthorizationData{{AuthorizationDataType::AD_IF_RELEVANT, if_relevant}};
    return p;
  }
};

Status decode_etp(ByteView in) {
  EncTicketPart p;
  return decode_enc_ticket_part(in, &p);
}
Status decode_tkt(ByteView in) {
  Ticket t;
  return decode_ticket(in, &t);
}

TEST(EncTicketPart, PacLikeAuthorizationDataRoundTrip) {
  EncTicketFixture f;
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_enc_ticket_part(w, f.part()); });
  EXPECT_EQ(bytes[0], std::byte{0x63});  // [APPLICATION 3]
  EncTicketPart p;
  ASSERT_TRUE(decode_enc_ticket_part(bytes, &p).ok());
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_enc_ticket_part(w, p); })),
            to_hex(bytes));

  EXPECT_EQ(p.flags, 0x50e10000u);
  EXPECT_EQ(p.key.keytype, 18);
  EXPECT_EQ(p.key.keyvalue.size(), 32u);
  EXPECT_EQ(p.crealm, "EXAMPLE.TEST");
  EXPECT_EQ(p.cname, (PrincipalName{NameType::NT_PRINCIPAL, {"alice"}}));
  EXPECT_EQ(p.transited.tr_type, TransitedType::DOMAIN_X500_COMPRESS);
  EXPECT_TRUE(p.transited.contents.empty());
  EXPECT_EQ(p.authtime, kAuthtime);
  EXPECT_EQ(p.starttime, kAuthtime);
  EXPECT_EQ(p.endtime, kAuthtime + 36000);
  EXPECT_EQ(p.renew_till, kAuthtime + 86400);
  ASSERT_TRUE(p.caddr);
  EXPECT_EQ((*p.caddr)[0].addr_type, AddressType::IPV6);

  ASSERT_TRUE(p.authorization_data);
  ASSERT_EQ(p.authorization_data->size(), 1u);
  const AuthorizationDataEntry& outer = (*p.authorization_data)[0];
  EXPECT_EQ(outer.ad_type, AuthorizationDataType::AD_IF_RELEVANT);
  AuthorizationData inner;
  ASSERT_TRUE(decode_ad_if_relevant(outer.ad_data, &inner).ok());
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner[0].ad_type, AuthorizationDataType::AD_WIN2K_PAC);
  EXPECT_EQ(to_hex(inner[0].ad_data), to_hex(f.pac));
}

TEST(EncTicketPart, MinimalFormWithoutOptionalFields) {
  EncTicketFixture f;
  EncTicketPart p = f.part();
  p.starttime.reset();
  p.renew_till.reset();
  p.caddr.reset();
  p.authorization_data.reset();
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_enc_ticket_part(w, p); });
  EncTicketPart back;
  ASSERT_TRUE(decode_enc_ticket_part(bytes, &back).ok());
  EXPECT_FALSE(back.starttime || back.renew_till || back.caddr || back.authorization_data);
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_enc_ticket_part(w, back); })),
            to_hex(bytes));
}

TEST(EncTicketPart, HostileInput) {
  EncTicketFixture f;
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_enc_ticket_part(w, f.part()); });
  testing::expect_every_truncation_fails(bytes, decode_etp);
  EXPECT_GT(testing::expect_junk_inside_every_element_rejected(bytes, decode_etp), 30u);
  // An over-full AuthorizationData is kTooMany.
  auto root = testing::parse_der(bytes);
  ASSERT_TRUE(root);
  testing::DerNode* ad = root->child(0x30)->child(0xaa)->child(0x30);
  ASSERT_NE(ad, nullptr);
  while (ad->children.size() < kMaxAuthorizationData) ad->children.push_back(ad->children[0]);
  EXPECT_TRUE(decode_etp(testing::serialize(*root)).ok());
  ad->children.push_back(ad->children[0]);
  EXPECT_EQ(decode_etp(testing::serialize(*root)).err(), Err::kTooMany);
}

TEST(Ticket, RoundTripVnoAndHostileInput) {
  const Buffer cipher(341, std::byte{0x33});
  Ticket t;
  t.realm = "EXAMPLE.TEST";
  t.sname = PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
  t.enc_part = EncryptedData{18, 1u, cipher};
  Buffer bytes = encode_with([&](der::Writer& w) { encode_ticket(w, t); });
  Ticket back;
  ASSERT_TRUE(decode_ticket(bytes, &back).ok());
  EXPECT_EQ(back.realm, "EXAMPLE.TEST");
  EXPECT_EQ(back.sname, t.sname);
  EXPECT_EQ(back.enc_part.etype, 18);
  EXPECT_EQ(back.enc_part.kvno, 1u);
  EXPECT_EQ(back.raw.size(), bytes.size());
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_ticket(w, back); })), to_hex(bytes));

  testing::expect_every_truncation_fails(bytes, decode_tkt);
  testing::expect_junk_inside_every_element_rejected(bytes, decode_tkt);

  // tkt-vno [0] INTEGER 5 sits at a fixed place: 61 82 xx xx 30 82 xx xx a0 03 02 01 05.
  ASSERT_EQ(to_hex(ByteView(bytes).subspan(8, 5)), "a003020105");
  bytes[12] = std::byte{0x04};
  EXPECT_EQ(decode_tkt(bytes).err(), Err::kBadPvno);
}

// kvno is UInt32: a 5-byte value up to 2^32-1 decodes, a negative INTEGER is refused (as MIT
// refuses it: k5_asn1_decode_uint).
TEST(Ticket, KvnoIsUnsigned) {
  const Buffer cipher = hex("00");
  EncryptedData d{18, 0xffffffffu, cipher};
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_encrypted_data(w, d); });
  EXPECT_EQ(to_hex(bytes), "3013a003020112a107020500ffffffffa203040100");
  der::Reader r(bytes);
  EncryptedData back;
  ASSERT_TRUE(decode_encrypted_data(r, &back).ok());
  EXPECT_EQ(back.kvno, 0xffffffffu);

  const Buffer negative = hex("300fa003020112a103020180a203040100");
  der::Reader rn(negative);
  EXPECT_EQ(decode_encrypted_data(rn, &back).err(), Err::kBadInteger);
}

}  // namespace
}  // namespace kdcperf::krb::proto
