#include "krb/proto/types.hpp"

#include <gtest/gtest.h>

#include "krb/proto/message.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::proto {
namespace {

using kdcperf::testing::hex;

// Bit 0 is the MSB of the 32-bit value (RFC 4120 §5.2.8). Expected values: MIT krb5.h
// (KDC_OPT_*, TKT_FLG_*) and the flags observed on the wire (KERBEROS-INTEROP.md §1.2, §1.5).
TEST(Flags, BitNumbersMatchMitAndTheWire) {
  EXPECT_EQ(KdcOptions::FORWARDABLE, 0x40000000u);
  EXPECT_EQ(KdcOptions::PROXIABLE, 0x10000000u);
  EXPECT_EQ(KdcOptions::RENEWABLE, 0x00800000u);
  EXPECT_EQ(KdcOptions::CANONICALIZE, 0x00010000u);
  EXPECT_EQ(KdcOptions::RENEWABLE_OK, 0x00000010u);
  EXPECT_EQ(KdcOptions::ENC_TKT_IN_SKEY, 0x00000008u);
  EXPECT_EQ(KdcOptions::RENEW, 0x00000002u);
  EXPECT_EQ(KdcOptions::VALIDATE, 0x00000001u);
  // kinit with Debian's krb5.conf: forwardable | proxiable | renewable-ok.
  EXPECT_EQ(KdcOptions::FORWARDABLE | KdcOptions::PROXIABLE | KdcOptions::RENEWABLE_OK,
            0x50000010u);

  EXPECT_EQ(TicketFlags::FORWARDABLE, 0x40000000u);
  EXPECT_EQ(TicketFlags::RENEWABLE, 0x00800000u);
  EXPECT_EQ(TicketFlags::INITIAL, 0x00400000u);
  EXPECT_EQ(TicketFlags::PRE_AUTHENT, 0x00200000u);
  EXPECT_EQ(TicketFlags::OK_AS_DELEGATE, 0x00040000u);
  EXPECT_EQ(TicketFlags::ENC_PA_REP, 0x00010000u);
  EXPECT_EQ(TicketFlags::ANONYMOUS, 0x00008000u);
  // MIT's TGT for kinit: F P R I A + enc-pa-rep.
  EXPECT_EQ(TicketFlags::FORWARDABLE | TicketFlags::PROXIABLE | TicketFlags::RENEWABLE |
                TicketFlags::INITIAL | TicketFlags::PRE_AUTHENT | TicketFlags::ENC_PA_REP,
            0x50e10000u);
}

TEST(ErrorCode, NamesAreTheRfcNames) {
  EXPECT_EQ(error_code_name(ErrorCode::KDC_ERR_NONE), "KDC_ERR_NONE");
  EXPECT_EQ(error_code_name(ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN), "KDC_ERR_C_PRINCIPAL_UNKNOWN");
  EXPECT_EQ(error_code_name(ErrorCode::KDC_ERR_PREAUTH_FAILED), "KDC_ERR_PREAUTH_FAILED");
  EXPECT_EQ(error_code_name(ErrorCode::KRB_AP_ERR_SKEW), "KRB_AP_ERR_SKEW");
  EXPECT_EQ(error_code_name(ErrorCode::KRB_ERR_RESPONSE_TOO_BIG), "KRB_ERR_RESPONSE_TOO_BIG");
  EXPECT_EQ(error_code_name(ErrorCode::KRB_ERR_FIELD_TOOLONG), "KRB_ERR_FIELD_TOOLONG");
  // RFC 4120 §7.5.9 numbers.
  EXPECT_EQ(static_cast<int>(ErrorCode::KDC_ERR_BADOPTION), 13);
  EXPECT_EQ(static_cast<int>(ErrorCode::KDC_ERR_ETYPE_NOSUPP), 14);
  EXPECT_EQ(static_cast<int>(ErrorCode::KDC_ERR_CLIENT_REVOKED), 18);
  EXPECT_EQ(static_cast<int>(ErrorCode::KRB_ERR_GENERIC), 60);
  EXPECT_EQ(static_cast<int>(ErrorCode::KDC_ERR_KDC_NAME_MISMATCH), 76);
  // Every number 0..29 is named (the table has no gap there); 30 is not.
  for (int code = 0; code < 30; ++code)
    EXPECT_FALSE(error_code_name(static_cast<ErrorCode>(code)).empty()) << code;
  EXPECT_TRUE(error_code_name(static_cast<ErrorCode>(30)).empty());
  EXPECT_TRUE(error_code_name(static_cast<ErrorCode>(-1)).empty());
}

TEST(PeekMessageType, RoutesByApplicationTag) {
  EXPECT_EQ(peek_message_type(hex("6a81b6")), MessageType::AS_REQ);
  EXPECT_EQ(peek_message_type(hex("6b820344")), MessageType::AS_REP);
  EXPECT_EQ(peek_message_type(hex("7e81ea")), MessageType::KRB_ERROR);
  EXPECT_EQ(peek_message_type(hex("6d00")), MessageType::TGS_REP);
  // Not a message: empty, one byte, a universal SEQUENCE, a primitive APPLICATION tag, a
  // context tag, the high-tag-number form.
  EXPECT_EQ(peek_message_type({}), MessageType::NONE);
  EXPECT_EQ(peek_message_type(hex("6b")), MessageType::NONE);
  EXPECT_EQ(peek_message_type(hex("3000")), MessageType::NONE);
  EXPECT_EQ(peek_message_type(hex("4b00")), MessageType::NONE);
  EXPECT_EQ(peek_message_type(hex("ab00")), MessageType::NONE);
  EXPECT_EQ(peek_message_type(hex("7f1f00")), MessageType::NONE);
  // A number nobody named is still reported as that number.
  EXPECT_EQ(static_cast<int>(peek_message_type(hex("7900"))), 25);
}

}  // namespace
}  // namespace kdcperf::krb::proto
