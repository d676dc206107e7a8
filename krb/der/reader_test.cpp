#include "krb/der/reader.hpp"

#include <gtest/gtest.h>

#include <string>

#include "krb/der/writer.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::der {
namespace {

using testing::hex;

TEST(DerReader, ReadsNestedSequence) {
  const Buffer in = hex("3006 a004 0202 0100");
  Reader r(in);
  auto seq = r.read(kSequence);
  ASSERT_TRUE(seq.ok());
  EXPECT_TRUE(r.expect_end().ok());
  auto field = seq->read(ctx(0));
  ASSERT_TRUE(field.ok());
  auto v = field->read_int32();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 256);
  EXPECT_EQ(field->depth(), 2u);
}

TEST(DerReader, RejectsIndefiniteAndNonMinimalLengths) {
  EXPECT_EQ(Reader(hex("3080 0000")).read_any().err(), Err::kIndefiniteLength);
  EXPECT_EQ(Reader(hex("0481 05 0102030405")).read_any().err(), Err::kNonMinimalLength);
  EXPECT_EQ(Reader(hex("0482 0005 0102030405")).read_any().err(), Err::kNonMinimalLength);
  EXPECT_EQ(Reader(hex("0485 0000000001 00")).read_any().err(), Err::kLengthTooLong);
  EXPECT_EQ(Reader(hex("1f01 00")).read_any().err(), Err::kHighTagNumber);
}

TEST(DerReader, LengthPastEndIsTruncated) {
  auto r = Reader(hex("0405 010203")).read_octet_string();
  EXPECT_EQ(r.err(), Err::kTruncated);
  EXPECT_EQ(r.error().offset, 0u);
}

TEST(DerReader, ElementSizeLimit) {
  Limits small{.max_depth = 24, .max_element = 3};
  EXPECT_EQ(Reader(hex("0404 01020304"), small).read_octet_string().err(), Err::kElementTooLarge);
}

TEST(DerReader, DepthLimit) {
  Buffer in;
  // 30 nested SEQUENCEs: 3002 3000 ... built backwards.
  Writer w;
  w.raw({});
  for (int i = 0; i < 30; ++i) w.wrap(kSequence, 0);
  Reader r(w.view());
  Status st;
  for (int i = 0; i < 30; ++i) {
    auto child = r.read(kSequence);
    if (!child.ok()) {
      st = child.error();
      break;
    }
    r = *child;
  }
  EXPECT_EQ(st.err(), Err::kTooDeep);
}

TEST(DerReader, Integers) {
  EXPECT_EQ(*Reader(hex("0201 7f")).read_int32(), 127);
  EXPECT_EQ(*Reader(hex("0202 0080")).read_int32(), 128);
  EXPECT_EQ(*Reader(hex("0201 80")).read_int32(), -128);
  EXPECT_EQ(Reader(hex("0202 007f")).read_int32().err(), Err::kBadInteger);
  EXPECT_EQ(Reader(hex("0202 ff80")).read_int32().err(), Err::kBadInteger);
  EXPECT_EQ(Reader(hex("0200")).read_int32().err(), Err::kBadInteger);
  EXPECT_EQ(Reader(hex("0205 0080000000")).read_int32().err(), Err::kBadInteger);
  EXPECT_EQ(*Reader(hex("0205 00ffffffff")).read_uint32(), 0xffffffffu);
}

// Heimdal 7.8 TGS nonces are full 32-bit values encoded as signed int32 (negative); a correct
// encoder sends values >= 2^31 as 5 bytes. Both must decode and keep their value.
TEST(DerReader, NonceToleratesNegativeAndFiveByteForms) {
  EXPECT_EQ(*Reader(hex("0204 b3ca4322")).read_nonce(), static_cast<std::int32_t>(0xb3ca4322));
  EXPECT_EQ(*Reader(hex("0205 00b3ca4322")).read_nonce(), 0xb3ca4322LL);
  EXPECT_EQ(*Reader(hex("0204 33ca4322")).read_nonce(), 0x33ca4322LL);
  EXPECT_EQ(Reader(hex("0205 0100000000")).read_nonce().err(), Err::kBadInteger);
}

TEST(DerReader, KerberosTime) {
  EXPECT_EQ(*Reader(as_bytes(std::string_view("\x18\x0f"
                                              "19700101000000Z",
                                              17)))
                 .read_kerberos_time(),
            0);
  EXPECT_EQ(*Reader(as_bytes(std::string_view("\x18\x0f"
                                              "20261126133227Z",
                                              17)))
                 .read_kerberos_time(),
            1795699947);
  // Windows 11 clients send 9999-09-13; it must parse into 64-bit time.
  EXPECT_EQ(*Reader(as_bytes(std::string_view("\x18\x0f"
                                              "99990913024805Z",
                                              17)))
                 .read_kerberos_time(),
            253392806885LL);
  for (std::string_view bad : {"2026112613322Z", "20261126133227.5Z", "20261326133227Z",
                               "20260230133227Z", "2026112613322aZ", "20261126133227+"}) {
    Writer w;
    w.raw(as_bytes(bad));
    w.wrap(kGeneralizedTime, 0);
    EXPECT_EQ(Reader(w.view()).read_kerberos_time().err(), Err::kBadTime) << bad;
  }
}

// parse_kerberos_time checks the digits eight at a time and computes the date unsigned:
// calendar edges, each field's range, and a non-digit in every position.
TEST(DerReader, KerberosTimeCalendarEdges) {
  EXPECT_EQ(*parse_kerberos_time("20000229000000Z", 0), 951782400);   // 400-year leap day
  EXPECT_EQ(*parse_kerberos_time("20240229235960Z", 0), 1709251200);  // leap second
  EXPECT_EQ(*parse_kerberos_time("19691231235959Z", 0), -1);
  EXPECT_EQ(*parse_kerberos_time("00000101000000Z", 0), -62167219200);
  for (std::string_view bad : {"19000229000000Z", "20230229000000Z", "20261100000000Z",
                               "20260001000000Z", "20261301000000Z", "20261131000000Z",
                               "20261126240000Z", "20261126236000Z", "20261126235961Z"}) {
    EXPECT_EQ(parse_kerberos_time(bad, 7).error().offset, 7u) << bad;
  }
  for (std::size_t i = 0; i < 14; ++i) {
    for (const char c : {'/', ':', 'Z', ' '}) {
      std::string s = "20261126133227Z";
      s[i] = c;
      EXPECT_EQ(parse_kerberos_time(s, 0).err(), Err::kBadTime) << s;
    }
  }
}

TEST(DerReader, KerberosFlagsAnyLength) {
  EXPECT_EQ(*Reader(hex("0305 0050000010")).read_kerberos_flags(), 0x50000010u);
  EXPECT_EQ(*Reader(hex("0302 0040")).read_kerberos_flags(), 0x40000000u);
  EXPECT_EQ(*Reader(hex("0307 00500000100102")).read_kerberos_flags(), 0x50000010u);
  EXPECT_EQ(*Reader(hex("0301 00")).read_kerberos_flags(), 0u);
  EXPECT_EQ(Reader(hex("0300")).read_kerberos_flags().err(), Err::kBadBitString);
  EXPECT_EQ(Reader(hex("0302 0800")).read_kerberos_flags().err(), Err::kBadBitString);
}

TEST(DerReader, GeneralStringRejectsNul) {
  EXPECT_EQ(*Reader(hex("1b05 616c696365")).read_general_string(), "alice");
  EXPECT_EQ(Reader(hex("1b03 610062")).read_general_string().err(), Err::kBadString);
}

// Old MIT KDCs send e-text as strlen + 1 bytes: one trailing NUL is tolerated (and dropped)
// for that field only; an embedded NUL is still refused.
TEST(DerReader, NulTerminatedTextAndBerBoolean) {
  EXPECT_EQ(
      *Reader(hex("1b0f 4e45454445445f50524541555448 00")).read_general_string_nul_terminated(),
      "NEEDED_PREAUTH");
  EXPECT_EQ(Reader(hex("1b03 610062")).read_general_string_nul_terminated().err(), Err::kBadString);
  EXPECT_EQ(Reader(hex("1b03 616200")).read_general_string().err(), Err::kBadString);
  EXPECT_TRUE(*Reader(hex("0101 01")).read_boolean_ber());
  EXPECT_FALSE(*Reader(hex("0101 00")).read_boolean_ber());
  EXPECT_EQ(Reader(hex("0101 01")).read_boolean().err(), Err::kBadBoolean);
}

TEST(DerReader, OptionalField) {
  const Buffer in = hex("a103020105");
  Reader r(in);
  auto absent = r.read_optional(ctx(0));
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  auto present = r.read_optional(ctx(1));
  ASSERT_TRUE(present.ok());
  ASSERT_TRUE(present->has_value());
  EXPECT_EQ(*(*present)->read_int32(), 5);
}

TEST(DerReader, TruncationAtEveryByteIsAnError) {
  const Buffer in = hex("3081 85 a003020105 a181 7d 04 7b" + std::string(246, '4'));
  for (std::size_t n = 0; n < in.size(); ++n) {
    Reader r(ByteView(in).first(n));
    auto seq = r.read(kSequence);
    if (!seq.ok()) continue;
    auto a = seq->read(ctx(0));
    auto b = seq->read(ctx(1));
    EXPECT_FALSE(a.ok() && b.ok() && b->read_octet_string().ok()) << n;
  }
}

}  // namespace
}  // namespace kdcperf::krb::der
