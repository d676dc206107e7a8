#include "krb/proto/krb_error.hpp"

#include <gtest/gtest.h>

#include "krb/proto/decode_testing.hpp"
#include "krb/proto/der_tree_testing.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::proto {
namespace {

using kdcperf::testing::hex;
using kdcperf::testing::read_hex_file;
using kdcperf::testing::source_path;
using testing::parse_der;
using testing::serialize;

// 20261125133227Z in Unix seconds (python3: calendar.timegm((2026,11,25,13,32,27,0,0,0))).
constexpr std::int64_t kMitStime = 1795613547;

Buffer mit_preauth_required() {
  return read_hex_file(source_path("krb/testdata/proto/mit_preauth_required.hex"));
}

Buffer encode(const KrbError& e) {
  der::Writer w;
  encode_krb_error(w, e);
  EXPECT_TRUE(w.ok());
  return Buffer(w.view().begin(), w.view().end());
}

Status decode_strict(ByteView in) {
  KrbError e;
  return decode_krb_error(in, &e);
}
Status decode_lenient(ByteView in) {
  KrbError e;
  return decode_krb_error(in, &e, {.allow_trailing_bytes = true});
}
Status decode_md(ByteView in) {
  MethodData md;
  return decode_method_data(in, &md);
}
Status decode_info2(ByteView in) {
  EtypeInfo2 info;
  return decode_etype_info2(in, &info);
}

TEST(KrbError, DecodesMitPreauthRequired) {
  const Buffer in = mit_preauth_required();
  ASSERT_EQ(in.size(), 237u);
  EXPECT_EQ(peek_message_type(in), MessageType::KRB_ERROR);
  KrbError e;
  ASSERT_TRUE(decode_krb_error(in, &e).ok());
  EXPECT_FALSE(e.ctime.has_value());
  EXPECT_FALSE(e.cusec.has_value());
  EXPECT_EQ(e.stime, kMitStime);
  EXPECT_EQ(e.susec, 0x0d47e3);
  EXPECT_EQ(e.error_code, ErrorCode::KDC_ERR_PREAUTH_REQUIRED);
  EXPECT_EQ(error_code_name(e.error_code), "KDC_ERR_PREAUTH_REQUIRED");
  EXPECT_EQ(e.crealm, "EXAMPLE.TEST");
  ASSERT_TRUE(e.cname.has_value());
  EXPECT_EQ(*e.cname, (PrincipalName{NameType::NT_PRINCIPAL, {"alice"}}));
  EXPECT_EQ(e.realm, "EXAMPLE.TEST");
  EXPECT_EQ(e.sname, (PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}}));
  EXPECT_EQ(e.e_text, "NEEDED_PREAUTH");
  ASSERT_TRUE(e.e_data.has_value());
  EXPECT_EQ(e.e_data->size(), 0x51u);
  EXPECT_EQ(e.raw.size(), in.size());

  // e-data is METHOD-DATA {136 FX-FAST "", 19 ETYPE-INFO2, 2 ENC-TIMESTAMP "", 133 "MIT"}.
  MethodData md;
  ASSERT_TRUE(decode_error_method_data(e, &md).ok());
  ASSERT_EQ(md.size(), 4u);
  EXPECT_EQ(md[0].padata_type, PaDataType::PA_FX_FAST);
  EXPECT_TRUE(md[0].padata_value.empty());
  EXPECT_EQ(md[1].padata_type, PaDataType::PA_ETYPE_INFO2);
  EXPECT_EQ(md[2].padata_type, PaDataType::PA_ENC_TIMESTAMP);
  EXPECT_TRUE(md[2].padata_value.empty());
  EXPECT_EQ(md[3].padata_type, PaDataType::PA_FX_COOKIE);
  EXPECT_EQ(as_chars(md[3].padata_value), "MIT");

  // One ETYPE-INFO2 entry: etype 18 with the salt, no s2kparams.
  EtypeInfo2 info;
  ASSERT_TRUE(decode_etype_info2(md[1].padata_value, &info).ok());
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].etype, 18);
  EXPECT_EQ(info[0].salt, "EXAMPLE.TESTalice");
  EXPECT_FALSE(info[0].s2kparams.has_value());
}

TEST(KrbError, ReencodesMitErrorByteIdentical) {
  const Buffer in = mit_preauth_required();
  auto e = decode_krb_error(in);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(to_hex(encode(*e)), to_hex(in));

  // And the e-data, rebuilt from its decoded parts.
  MethodData md;
  ASSERT_TRUE(decode_error_method_data(*e, &md).ok());
  der::Writer w;
  encode_method_data(w, md);
  EXPECT_EQ(to_hex(w.view()), to_hex(*e->e_data));
  EtypeInfo2 info;
  ASSERT_TRUE(decode_etype_info2(md[1].padata_value, &info).ok());
  w.reset();
  encode_etype_info2(w, info);
  EXPECT_EQ(to_hex(w.view()), to_hex(md[1].padata_value));
}

TEST(KrbError, HostileInputIsAnErrorNeverACrash) {
  const Buffer in = mit_preauth_required();
  testing::expect_every_truncation_fails(in, decode_strict);
  testing::expect_every_truncation_fails(in, decode_lenient);
  // 21 constructed elements (python3 one-off walking the DER tree), two kinds of junk.
  EXPECT_EQ(testing::expect_junk_inside_every_element_rejected(in, decode_strict), 2u * 21u);
  testing::expect_junk_inside_every_element_rejected(in, decode_lenient);

  // The same sweeps over the e-data METHOD-DATA and the ETYPE-INFO2 inside it.
  auto e = decode_krb_error(in);
  ASSERT_TRUE(e.ok());
  testing::expect_every_truncation_fails(*e->e_data, decode_md);
  testing::expect_junk_inside_every_element_rejected(*e->e_data, decode_md);
  MethodData md;
  ASSERT_TRUE(decode_error_method_data(*e, &md).ok());
  testing::expect_every_truncation_fails(md[1].padata_value, decode_info2);
  testing::expect_junk_inside_every_element_rejected(md[1].padata_value, decode_info2);
}

TEST(KrbError, TrailingBytesAfterTheMessage) {
  Buffer in = mit_preauth_required();
  in.push_back(std::byte{0});
  EXPECT_EQ(decode_strict(in).err(), Err::kTrailingData);
  KrbError e;
  ASSERT_TRUE(decode_krb_error(in, &e, {.allow_trailing_bytes = true}).ok());
  EXPECT_EQ(e.raw.size(), in.size() - 1);
}

TEST(KrbError, PvnoAndMsgTypeAreChecked) {
  auto root = parse_der(mit_preauth_required());
  ASSERT_TRUE(root);
  root->child(0x30)->child(0xa0)->child(0x02)->content = hex("04");
  EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kBadPvno);
  root->child(0x30)->child(0xa0)->child(0x02)->content = hex("05");
  root->child(0x30)->child(0xa1)->child(0x02)->content = hex("0b");
  EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kBadMsgType);
}

TEST(KrbError, EdataThatIsNotMethodDataAndAbsentEdata) {
  KrbError e;
  e.error_code = ErrorCode::KRB_AP_ERR_SKEW;
  MethodData md;
  EXPECT_EQ(decode_error_method_data(e, &md).err(), Err::kMissingField);
  const Buffer junk = hex("0401ff");
  e.e_data = junk;
  EXPECT_FALSE(decode_error_method_data(e, &md).ok());
}

// Shaped like MIT's clock-skew error (KERBEROS-INTEROP.md §1.6: stime/susec, crealm/cname,
// e-text), built by hand with every optional field added (ctime/cusec and e-data).
TEST(KrbError, HandBuiltRoundTripWithEveryField) {
  const Buffer enc_timestamp_hint = hex("3009a103020102a2020400");  // PA-DATA {2, ""} as in §1.3
  KrbError e;
  e.ctime = 1795613000;
  e.cusec = 999999;
  e.stime = kMitStime;
  e.susec = 0;
  e.error_code = ErrorCode::KRB_AP_ERR_SKEW;
  e.crealm = "EXAMPLE.TEST";
  e.cname = PrincipalName{NameType::NT_PRINCIPAL, {"alice"}};
  e.realm = "EXAMPLE.TEST";
  e.sname = PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
  e.e_text = "PREAUTH_FAILED";
  der::Writer ew;
  encode_method_data(ew, MethodData{{PaDataType::PA_ENC_TIMESTAMP, {}}});
  EXPECT_EQ(to_hex(ew.view()), "300b" + to_hex(enc_timestamp_hint));
  const Buffer method_data(ew.view().begin(), ew.view().end());
  e.e_data = method_data;

  const Buffer first = encode(e);
  EXPECT_EQ(peek_message_type(first), MessageType::KRB_ERROR);
  auto back = decode_krb_error(first);
  ASSERT_TRUE(back.ok()) << err_name(back.err());
  EXPECT_EQ(to_hex(encode(*back)), to_hex(first));
  EXPECT_EQ(back->ctime, e.ctime);
  EXPECT_EQ(back->cusec, 999999);
  EXPECT_EQ(back->stime, kMitStime);
  EXPECT_EQ(back->susec, 0);
  EXPECT_EQ(back->error_code, ErrorCode::KRB_AP_ERR_SKEW);
  EXPECT_EQ(back->e_text, "PREAUTH_FAILED");
  MethodData md;
  ASSERT_TRUE(decode_error_method_data(*back, &md).ok());
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0].padata_type, PaDataType::PA_ENC_TIMESTAMP);
}

// The minimal error MIT sends for an oversized UDP reply (RESPONSE_TOO_BIG, §5.1): no cname,
// crealm, e-text or e-data. Unknown and negative error codes are kept as numbers.
TEST(KrbError, MinimalErrorAndUnknownCodes) {
  KrbError e;
  e.stime = kMitStime;
  e.susec = 12;
  e.error_code = ErrorCode::KRB_ERR_RESPONSE_TOO_BIG;
  e.realm = "EXAMPLE.TEST";
  e.sname = PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
  const Buffer minimal = encode(e);
  auto back = decode_krb_error(minimal);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->error_code, ErrorCode::KRB_ERR_RESPONSE_TOO_BIG);
  EXPECT_FALSE(back->crealm || back->cname || back->e_text || back->e_data || back->ctime);

  for (std::int32_t code : {-1, 0x7fff, 2147483647}) {
    e.error_code = static_cast<ErrorCode>(code);
    const Buffer bytes = encode(e);
    back = decode_krb_error(bytes);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(static_cast<std::int32_t>(back->error_code), code);
    EXPECT_TRUE(error_code_name(back->error_code).empty());
    EXPECT_EQ(to_hex(encode(*back)), to_hex(bytes));
  }
}

}  // namespace
}  // namespace kdcperf::krb::proto
