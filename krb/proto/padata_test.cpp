#include "krb/proto/padata.hpp"

#include <gtest/gtest.h>

#include "krb/proto/decode_testing.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::proto {
namespace {

using kdcperf::testing::hex;

template <class Encode>
Buffer encode_with(Encode&& encode) {
  der::Writer w;
  encode(w);
  EXPECT_TRUE(w.ok());
  return Buffer(w.view().begin(), w.view().end());
}

// The PA-ENC-TS-ENC plaintext kinit encrypted in AS-REQ #2 (KERBEROS-INTEROP.md §1.4):
// 301a a011 180f "20261125133227Z" a105 0203 0d47ea.
TEST(PaEncTsEnc, DecodesMitPlaintext) {
  Buffer plain = hex("301aa011180f");
  const ByteView t = as_bytes("20261125133227Z");
  plain.insert(plain.end(), t.begin(), t.end());
  const Buffer usec = hex("a10502030d47ea");
  plain.insert(plain.end(), usec.begin(), usec.end());

  PaEncTsEnc ts;
  ASSERT_TRUE(decode_pa_enc_ts_enc(plain, &ts).ok());
  EXPECT_EQ(ts.patimestamp, 1795613547);  // python3 calendar.timegm((2026,11,25,13,32,27,...))
  EXPECT_EQ(ts.pausec, 0x0d47ea);
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_pa_enc_ts_enc(w, ts); })),
            to_hex(plain));

  ts.pausec.reset();
  const Buffer no_usec = encode_with([&](der::Writer& w) { encode_pa_enc_ts_enc(w, ts); });
  PaEncTsEnc back;
  ASSERT_TRUE(decode_pa_enc_ts_enc(no_usec, &back).ok());
  EXPECT_FALSE(back.pausec);

  auto decode = [](ByteView in2) {
    PaEncTsEnc x;
    return decode_pa_enc_ts_enc(in2, &x);
  };
  testing::expect_every_truncation_fails(plain, decode);
  testing::expect_junk_inside_every_element_rejected(plain, decode);
}

// PA-ENC-TIMESTAMP value of kinit's AS-REQ #2 (§1.4): EncryptedData{etype 18, no kvno, 56 B}.
TEST(PaEncTimestamp, DecodesEncryptedData) {
  Buffer value = hex("3041a003020112a23a0438");
  value.resize(value.size() + 56, std::byte{0x58});
  EncryptedData d;
  ASSERT_TRUE(decode_pa_enc_timestamp(value, &d).ok());
  EXPECT_EQ(d.etype, 18);
  EXPECT_FALSE(d.kvno);
  EXPECT_EQ(d.cipher.size(), 56u);
  value.push_back(std::byte{0});
  EXPECT_EQ(decode_pa_enc_timestamp(value, &d).err(), Err::kTrailingData);
}

// MS-KILE §2.2.3; the bytes Windows and impacket send for TRUE (KERBEROS-INTEROP.md §3).
TEST(PaPacRequest, DecodesAndEncodes) {
  PaPacRequest req{false};
  ASSERT_TRUE(decode_pa_pac_request(hex("3005a0030101ff"), &req).ok());
  EXPECT_TRUE(req.include_pac);
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_pa_pac_request(w, req); })),
            "3005a0030101ff");
  req.include_pac = false;
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_pa_pac_request(w, req); })),
            "3005a003010100");
  // BER TRUE (any nonzero octet) from a non-DER encoder is accepted, as MIT accepts it, and
  // re-encodes as DER.
  ASSERT_TRUE(decode_pa_pac_request(hex("3005a003010101"), &req).ok());
  EXPECT_TRUE(req.include_pac);
  EXPECT_EQ(decode_pa_pac_request(hex("3006a00401020000"), &req).err(), Err::kBadBoolean);
}

TEST(EtypeInfo2, EveryFieldAndLimits) {
  const Buffer s2k = hex("00001000");
  EtypeInfo2 info{{18, "EXAMPLE.TESTalice", s2k}, {23, std::nullopt, std::nullopt}};
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_etype_info2(w, info); });
  EtypeInfo2 back;
  ASSERT_TRUE(decode_etype_info2(bytes, &back).ok());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].salt, "EXAMPLE.TESTalice");
  EXPECT_EQ(to_hex(*back[0].s2kparams), "00001000");
  EXPECT_EQ(back[1].etype, 23);
  EXPECT_FALSE(back[1].salt || back[1].s2kparams);
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_etype_info2(w, back); })),
            to_hex(bytes));

  // An empty list decodes; over kMaxEtypeInfo entries is kTooMany.
  ASSERT_TRUE(decode_etype_info2(hex("3000"), &back).ok());
  EXPECT_TRUE(back.empty());
  StaticVector<EtypeInfo2Entry, kMaxEtypeInfo + 1> many;
  while (!many.full()) ASSERT_TRUE(many.push_back({18, "S", std::nullopt}));
  const Buffer too_many = encode_with([&](der::Writer& w) { encode_etype_info2(w, many); });
  EXPECT_EQ(decode_etype_info2(too_many, &back).err(), Err::kTooMany);
}

TEST(EtypeInfo, OctetStringSalt) {
  EtypeInfo info{{23, std::nullopt}, {18, as_bytes("EXAMPLE.TESTalice")}};
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_etype_info(w, info); });
  EtypeInfo back;
  ASSERT_TRUE(decode_etype_info(bytes, &back).ok());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_FALSE(back[0].salt);
  EXPECT_EQ(as_chars(*back[1].salt), "EXAMPLE.TESTalice");
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_etype_info(w, back); })),
            to_hex(bytes));
}

TEST(MethodData, FindAndEncode) {
  const Buffer cookie = hex("4d4954");
  MethodData md{{PaDataType::PA_FX_COOKIE, cookie},
                {PaDataType::PA_ENC_TIMESTAMP, {}},
                {PaDataType::PA_FX_COOKIE, {}}};
  EXPECT_EQ(find_pa_data(md, PaDataType::PA_FX_COOKIE), &md[0]);
  EXPECT_EQ(find_pa_data(md, PaDataType::PA_PAC_REQUEST), nullptr);
  // PA-DATA's first tag is [1], not [0] (RFC 4120 §5.2.7).
  EXPECT_EQ(to_hex(encode_with([&](der::Writer& w) { encode_pa_data(w, md[0]); })),
            "300da10402020085a2050403"
            "4d4954");
  MethodData back;
  const Buffer bytes = encode_with([&](der::Writer& w) { encode_method_data(w, md); });
  ASSERT_TRUE(decode_method_data(bytes, &back).ok());
  EXPECT_EQ(back.size(), 3u);
  // An element that is not a SEQUENCE, and a PA-DATA with [0] instead of [1], are refused.
  EXPECT_EQ(decode_method_data(hex("3002 0400"), &back).err(), Err::kBadTag);
  EXPECT_FALSE(decode_method_data(hex("300c 300a a004 02020085 a2020400"), &back).ok());
}

}  // namespace
}  // namespace kdcperf::krb::proto
