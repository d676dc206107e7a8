#include "krb/proto/kdc_rep.hpp"

#include <gtest/gtest.h>

#include "krb/proto/decode_testing.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::proto {
namespace {

using kdcperf::testing::hex;

constexpr std::int64_t kAuthtime = 1795613547;  // 20261125133227Z

Buffer filled(std::size_t n, std::uint8_t v) {
  return Buffer(n, std::byte{v});
}

template <class Encode>
Buffer encode_with(Encode&& encode) {
  der::Writer w;
  encode(w);
  EXPECT_TRUE(w.ok());
  return Buffer(w.view().begin(), w.view().end());
}

// Shaped like the AS-REP MIT sent kinit (KERBEROS-INTEROP.md §1.5): padata ETYPE-INFO2 {18,
// "EXAMPLE.TESTalice"}, ticket enc-part 341 bytes with kvno 1, enc-part 285 bytes, no kvno.
struct AsRepFixture {
  Buffer info2 = encode_with([](der::Writer& w) {
    encode_etype_info2(w, EtypeInfo2{{18, "EXAMPLE.TESTalice", std::nullopt}});
  });
  Buffer ticket_cipher = filled(341, 0xa5);
  Buffer reply_cipher = filled(285, 0x5a);

  AsRep rep() const {
    AsRep r;
    r.padata = MethodData{{PaDataType::PA_ETYPE_INFO2, info2}};
    r.crealm = "EXAMPLE.TEST";
    r.cname = PrincipalName{NameType::NT_PRINCIPAL, {"alice"}};
    r.ticket.realm = "EXAMPLE.TEST";
    r.ticket.sname = PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
    r.ticket.enc_part = EncryptedData{18, 1u, ticket_cipher};
    r.enc_part = EncryptedData{18, std::nullopt, reply_cipher};
    return r;
  }
};

// Shaped like MIT's decrypted enc-part (§1.5): tag 26, last-req {0, 0}, flags 0x50e10000,
// endtime +10 h, renew-till +24 h, encrypted-pa-data {149 Checksum{16, 12 B}, 136 ""}; with
// key-expiration and caddr added so every field is present.
struct EncPartFixture {
  Buffer session_key = filled(32, 0x11);
  Buffer checksum = encode_with([](der::Writer& w) {
    encode_checksum(w, Checksum{16, hex("b844354dc1307a4de1504404")});
  });
  Buffer ipv4 = hex("7f000001");

  EncKdcRepPart part() const {
    EncKdcRepPart p;
    p.tag = EncRepPartTag::ENC_TGS_REP_PART;
    p.key = EncryptionKey{18, session_key};
    p.last_req = LastReq{{LastReqType::LR_NONE, 0}};
    p.nonce = 0x382dd119;
    p.key_expiration = kAuthtime + 86400 * 5;
    p.flags = 0x50e10000;
    p.authtime = kAuthtime;
    p.endtime = kAuthtime + 36000;
    p.renew_till = kAuthtime + 86400;
    p.srealm = "EXAMPLE.TEST";
    p.sname = PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
    p.caddr = HostAddresses{{AddressType::IPV4, ipv4}};
    p.encrypted_pa_data =
        MethodData{{PaDataType::PA_REQ_ENC_PA_REP, checksum}, {PaDataType::PA_FX_FAST, {}}};
    return p;
  }
};

Status decode_rep_strict(ByteView in) {
  AsRep r;
  return decode_as_rep(in, &r);
}
Status decode_part_strict(ByteView in) {
  EncKdcRepPart p;
  return decode_enc_as_rep_part(in, &p);
}

TEST(AsRep, HandBuiltRoundTrip) {
  AsRepFixture f;
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_as_rep(w, f.rep()); });
  EXPECT_EQ(peek_message_type(bytes), MessageType::AS_REP);
  // Same fields and sizes as the AS-REP MIT sent, so the same length: 840 bytes, starting
  // 6b820344 30820340 as observed (KERBEROS-INTEROP.md §1.5).
  EXPECT_EQ(bytes.size(), 840u);
  EXPECT_EQ(to_hex(ByteView(bytes).first(8)), "6b82034430820340");

  AsRep rep;
  ASSERT_TRUE(decode_as_rep(bytes, &rep).ok());
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_as_rep(w, rep); })), to_hex(bytes));
  ASSERT_TRUE(rep.padata);
  ASSERT_EQ(rep.padata->size(), 1u);
  EtypeInfo2 info;
  ASSERT_TRUE(decode_etype_info2((*rep.padata)[0].padata_value, &info).ok());
  EXPECT_EQ(info[0].salt, "EXAMPLE.TESTalice");
  EXPECT_EQ(rep.crealm, "EXAMPLE.TEST");
  EXPECT_EQ(rep.cname, (PrincipalName{NameType::NT_PRINCIPAL, {"alice"}}));
  EXPECT_EQ(rep.ticket.realm, "EXAMPLE.TEST");
  EXPECT_EQ(rep.ticket.enc_part.kvno, 1u);
  EXPECT_EQ(rep.ticket.enc_part.cipher.size(), 341u);
  EXPECT_FALSE(rep.enc_part.kvno);
  EXPECT_EQ(rep.enc_part.cipher.size(), 285u);
  EXPECT_EQ(rep.raw.size(), bytes.size());

  // ticket.raw is the Ticket element exactly, and decodes on its own (the ccache stores it).
  EXPECT_EQ(rep.ticket.raw[0], std::byte{0x61});
  Ticket alone;
  ASSERT_TRUE(decode_ticket(rep.ticket.raw, &alone).ok());
  EXPECT_EQ(alone.sname, rep.ticket.sname);
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_ticket(w, alone); })),
            to_hex(rep.ticket.raw));
}

TEST(AsRep, WithoutPadataAndHostileInput) {
  AsRepFixture f;
  AsRep r = f.rep();
  r.padata.reset();
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_as_rep(w, r); });
  auto back = decode_as_rep(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->padata);

  const Buffer full = encode_with([&](der::Writer& w) { encode_as_rep(w, f.rep()); });
  testing::expect_every_truncation_fails(full, decode_rep_strict);
  EXPECT_GT(testing::expect_junk_inside_every_element_rejected(full, decode_rep_strict), 20u);
}

TEST(AsRep, PvnoMsgTypeAndTrailingBytes) {
  AsRepFixture f;
  Buffer bytes = encode_with([&](der::Writer& w) { encode_as_rep(w, f.rep()); });
  // A KRB-ERROR or AS-REQ tag is not an AS-REP.
  Buffer wrong = bytes;
  wrong[0] = std::byte{0x7e};
  EXPECT_EQ(decode_rep_strict(wrong).err(), Err::kBadTag);
  // pvno is at a fixed place: 6b 82 xx xx 30 82 xx xx a0 03 02 01 05.
  ASSERT_EQ(to_hex(ByteView(bytes).subspan(8, 5)), "a003020105");
  wrong = bytes;
  wrong[12] = std::byte{0x04};
  EXPECT_EQ(decode_rep_strict(wrong).err(), Err::kBadPvno);
  ASSERT_EQ(to_hex(ByteView(bytes).subspan(13, 5)), "a10302010b");
  wrong = bytes;
  wrong[17] = std::byte{0x0d};
  EXPECT_EQ(decode_rep_strict(wrong).err(), Err::kBadMsgType);

  bytes.push_back(std::byte{0x00});
  EXPECT_EQ(decode_rep_strict(bytes).err(), Err::kTrailingData);
  AsRep r;
  EXPECT_TRUE(decode_as_rep(bytes, &r, {.allow_trailing_bytes = true}).ok());
}

TEST(EncAsRepPart, HandBuiltRoundTripWithEveryField) {
  EncPartFixture f;
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_enc_kdc_rep_part(w, f.part()); });
  EXPECT_EQ(bytes[0], std::byte{0x7a});  // [APPLICATION 26], as MIT's KDC sends it
  EncKdcRepPart p;
  ASSERT_TRUE(decode_enc_as_rep_part(bytes, &p).ok());
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_enc_kdc_rep_part(w, p); })),
            to_hex(bytes));
  EXPECT_EQ(p.tag, EncRepPartTag::ENC_TGS_REP_PART);
  EXPECT_EQ(p.key.keytype, 18);
  EXPECT_EQ(to_hex(p.key.keyvalue), to_hex(f.session_key));
  ASSERT_EQ(p.last_req.size(), 1u);
  EXPECT_EQ(p.last_req[0].lr_type, LastReqType::LR_NONE);
  EXPECT_EQ(p.last_req[0].lr_value, 0);
  EXPECT_EQ(p.nonce, 0x382dd119);
  EXPECT_EQ(p.key_expiration, kAuthtime + 86400 * 5);
  EXPECT_EQ(p.flags, TicketFlags::FORWARDABLE | TicketFlags::PROXIABLE | TicketFlags::RENEWABLE |
                         TicketFlags::INITIAL | TicketFlags::PRE_AUTHENT | TicketFlags::ENC_PA_REP);
  EXPECT_EQ(p.authtime, kAuthtime);
  EXPECT_FALSE(p.starttime);
  EXPECT_EQ(p.endtime, kAuthtime + 36000);
  EXPECT_EQ(p.renew_till, kAuthtime + 86400);
  EXPECT_EQ(p.srealm, "EXAMPLE.TEST");
  ASSERT_TRUE(p.caddr);
  EXPECT_EQ(to_hex((*p.caddr)[0].address), "7f000001");
  ASSERT_TRUE(p.encrypted_pa_data);
  ASSERT_EQ(p.encrypted_pa_data->size(), 2u);
  const PaData* req_enc = find_pa_data(*p.encrypted_pa_data, PaDataType::PA_REQ_ENC_PA_REP);
  ASSERT_NE(req_enc, nullptr);
  Checksum ck;
  ASSERT_TRUE(decode_checksum(req_enc->padata_value, &ck).ok());
  EXPECT_EQ(ck.cksumtype, 16);
  EXPECT_EQ(to_hex(ck.checksum), "b844354dc1307a4de1504404");
}

// RFC 4120 says [APPLICATION 25]; MIT's KDC sends 26; clients accept both (§1.5). The decoder
// accepts both, records which, and re-encodes the same tag. Any other tag is refused.
TEST(EncAsRepPart, Tag25And26BothDecode) {
  EncPartFixture f;
  Buffer bytes = encode_with([&](der::Writer& w) { encode_enc_kdc_rep_part(w, f.part()); });
  bytes[0] = std::byte{0x79};  // [APPLICATION 25]
  EncKdcRepPart p;
  ASSERT_TRUE(decode_enc_as_rep_part(bytes, &p).ok());
  EXPECT_EQ(p.tag, EncRepPartTag::ENC_AS_REP_PART);
  EXPECT_EQ(p.nonce, 0x382dd119);
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_enc_kdc_rep_part(w, p); })),
            to_hex(bytes));

  EncKdcRepPart chosen = f.part();
  chosen.tag = EncRepPartTag::ENC_AS_REP_PART;
  EXPECT_EQ(encode_with([&](der::Writer& w) { encode_enc_kdc_rep_part(w, chosen); })[0],
            std::byte{0x79});

  for (std::uint8_t other : {0x7bu, 0x6bu, 0x30u}) {
    bytes[0] = std::byte{other};
    EXPECT_EQ(decode_part_strict(bytes).err(), Err::kBadTag) << int(other);
  }
}

// Minimal MIT form: no key-expiration, no caddr, no encrypted-pa-data; nonce negative
// (Heimdal TGS style) and an empty last-req (MIT/Heimdal clients accept it).
TEST(EncAsRepPart, MinimalFormAndEmptyLastReq) {
  EncPartFixture f;
  EncKdcRepPart p = f.part();
  p.key_expiration.reset();
  p.caddr.reset();
  p.encrypted_pa_data.reset();
  p.last_req.clear();
  p.starttime = kAuthtime;
  p.nonce = -5;
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_enc_kdc_rep_part(w, p); });
  EncKdcRepPart back;
  ASSERT_TRUE(decode_enc_as_rep_part(bytes, &back).ok());
  EXPECT_TRUE(back.last_req.empty());
  EXPECT_EQ(back.nonce, -5);
  EXPECT_EQ(back.starttime, kAuthtime);
  EXPECT_FALSE(back.key_expiration || back.caddr || back.encrypted_pa_data);
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_enc_kdc_rep_part(w, back); })),
            to_hex(bytes));
}

TEST(EncAsRepPart, HostileInputAndPadding) {
  EncPartFixture f;
  Buffer bytes = encode_with([&](der::Writer& w) { encode_enc_kdc_rep_part(w, f.part()); });
  testing::expect_every_truncation_fails(bytes, decode_part_strict);
  EXPECT_GT(testing::expect_junk_inside_every_element_rejected(bytes, decode_part_strict), 30u);

  bytes.push_back(std::byte{0});  // padding after the element
  EXPECT_EQ(decode_part_strict(bytes).err(), Err::kTrailingData);
  EncKdcRepPart p;
  EXPECT_TRUE(decode_enc_as_rep_part(bytes, &p, {.allow_trailing_bytes = true}).ok());
}

TEST(EncAsRepPart, OverLimitLastReqIsTooMany) {
  EncPartFixture f;
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_enc_kdc_rep_part(w, f.part()); });
  auto root = testing::parse_der(bytes);
  ASSERT_TRUE(root);
  testing::DerNode* entries = root->child(0x30)->child(0xa1)->child(0x30);
  ASSERT_NE(entries, nullptr);
  while (entries->children.size() < kMaxLastReq) entries->children.push_back(entries->children[0]);
  EncKdcRepPart p;
  const Buffer at_limit = testing::serialize(*root);
  ASSERT_TRUE(decode_enc_as_rep_part(at_limit, &p).ok());
  EXPECT_EQ(p.last_req.size(), kMaxLastReq);
  entries->children.push_back(entries->children[0]);
  EXPECT_EQ(decode_part_strict(testing::serialize(*root)).err(), Err::kTooMany);
}

}  // namespace
}  // namespace kdcperf::krb::proto
