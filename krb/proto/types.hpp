// Protocol numbers of RFC 4120 and the extensions the AS exchange meets (RFC 6113 FAST,
// RFC 6806, RFC 8070, MS-KILE, MS-PAC), as enum class with the RFC names.
//
// Every one of these is an Int32 on the wire, and peers send values this list does not name
// (unknown PA-DATA types, negative vendor numbers). The enums therefore have int32 underlying
// types and decoders store whatever number arrived: static_cast<std::int32_t>(x) gives it
// back, and an unknown value survives decode -> encode unchanged.
#pragma once

#include <cstdint>
#include <string_view>

namespace kdcperf::krb::proto {

// msg-type (RFC 4120 §7.5.7). For a message it equals its [APPLICATION n] tag number.
enum class MessageType : std::int32_t {
  NONE = 0,  // not an RFC value: peek_message_type() on bytes that are no Kerberos message
  AS_REQ = 10,
  AS_REP = 11,
  TGS_REQ = 12,
  TGS_REP = 13,
  AP_REQ = 14,
  AP_REP = 15,
  KRB_RESERVED16 = 16,  // TGT-REQ (user-to-user, never standardized)
  KRB_RESERVED17 = 17,
  KRB_SAFE = 20,
  KRB_PRIV = 21,
  KRB_CRED = 22,
  KRB_ERROR = 30,
};

// [APPLICATION n] tag numbers of the non-message types (RFC 4120 §5, ASN.1 module).
enum class ApplicationTag : std::uint8_t {
  TICKET = 1,
  AUTHENTICATOR = 2,
  ENC_TICKET_PART = 3,
  ENC_AS_REP_PART = 25,
  ENC_TGS_REP_PART = 26,
  ENC_AP_REP_PART = 27,
  ENC_KRB_PRIV_PART = 28,
  ENC_KRB_CRED_PART = 29,
};

// padata-type (RFC 4120 §7.5.2 and the IANA "Pre-authentication and Typed Data" registry).
enum class PaDataType : std::int32_t {
  PA_NONE = 0,
  PA_TGS_REQ = 1,
  PA_ENC_TIMESTAMP = 2,
  PA_PW_SALT = 3,
  PA_ENC_UNIX_TIME = 5,
  PA_SANDIA_SECUREID = 6,
  PA_SESAME = 7,
  PA_OSF_DCE = 8,
  PA_CYBERSAFE_SECUREID = 9,
  PA_AFS3_SALT = 10,
  PA_ETYPE_INFO = 11,
  PA_SAM_CHALLENGE = 12,
  PA_SAM_RESPONSE = 13,
  PA_PK_AS_REQ_OLD = 14,  // draft PKINIT (Windows 2000)
  PA_PK_AS_REP_OLD = 15,
  PA_PK_AS_REQ = 16,  // RFC 4556
  PA_PK_AS_REP = 17,
  PA_ETYPE_INFO2 = 19,
  PA_USE_SPECIFIED_KVNO = 20,  // also PA-SVR-REFERRAL-INFO (same number)
  PA_SAM_REDIRECT = 21,
  PA_GET_FROM_TYPED_DATA = 22,
  PA_SAM_ETYPE_INFO = 23,
  PA_ALT_PRINC = 24,
  PA_SERVER_REFERRAL = 25,
  PA_SAM_CHALLENGE2 = 30,
  PA_SAM_RESPONSE2 = 31,
  PA_EXTRA_TGT = 41,
  PA_PAC_REQUEST = 128,  // MS-KILE §2.2.3 KERB-PA-PAC-REQUEST
  PA_FOR_USER = 129,     // MS-SFU S4U2Self
  PA_FOR_X509_USER = 130,
  PA_FOR_CHECK_DUPS = 131,
  PA_AS_CHECKSUM = 132,
  PA_FX_COOKIE = 133,  // RFC 6113
  PA_AUTHENTICATION_SET = 134,
  PA_AUTH_SET_SELECTED = 135,
  PA_FX_FAST = 136,
  PA_FX_ERROR = 137,
  PA_ENCRYPTED_CHALLENGE = 138,
  PA_OTP_CHALLENGE = 141,  // RFC 6560
  PA_OTP_REQUEST = 142,
  PA_OTP_CONFIRM = 143,
  PA_OTP_PIN_CHANGE = 144,
  PA_EPAK_AS_REQ = 145,
  PA_EPAK_AS_REP = 146,
  PA_PKINIT_KX = 147,  // RFC 8062
  PA_PKU2U_NAME = 148,
  PA_REQ_ENC_PA_REP = 149,  // RFC 6806 §11
  PA_AS_FRESHNESS = 150,    // RFC 8070
  PA_SPAKE = 151,
  PA_SUPPORTED_ETYPES = 165,  // MS-KILE §2.2.8 PA-SUPPORTED-ENCTYPES
  PA_PAC_OPTIONS = 167,       // MS-KILE §2.2.10
};

// name-type (RFC 4120 §6.2; RFC 6806, RFC 6111; negative values are Microsoft's).
enum class NameType : std::int32_t {
  NT_UNKNOWN = 0,
  NT_PRINCIPAL = 1,
  NT_SRV_INST = 2,
  NT_SRV_HST = 3,
  NT_SRV_XHST = 4,
  NT_UID = 5,
  NT_X500_PRINCIPAL = 6,
  NT_SMTP_NAME = 7,
  NT_ENTERPRISE = 10,  // RFC 6806 §5
  NT_WELLKNOWN = 11,   // RFC 6111
  NT_SRV_HST_DOMAIN = 12,
  NT_MS_PRINCIPAL = -128,
  NT_MS_PRINCIPAL_AND_ID = -129,
  NT_ENT_PRINCIPAL_AND_ID = -130,
};

// error-code (RFC 4120 §7.5.9; 77-81 RFC 4556, 85-86 IAKERB, 90-93 RFC 6113, 100 RFC 8636).
enum class ErrorCode : std::int32_t {
  KDC_ERR_NONE = 0,
  KDC_ERR_NAME_EXP = 1,
  KDC_ERR_SERVICE_EXP = 2,
  KDC_ERR_BAD_PVNO = 3,
  KDC_ERR_C_OLD_MAST_KVNO = 4,
  KDC_ERR_S_OLD_MAST_KVNO = 5,
  KDC_ERR_C_PRINCIPAL_UNKNOWN = 6,
  KDC_ERR_S_PRINCIPAL_UNKNOWN = 7,
  KDC_ERR_PRINCIPAL_NOT_UNIQUE = 8,
  KDC_ERR_NULL_KEY = 9,
  KDC_ERR_CANNOT_POSTDATE = 10,
  KDC_ERR_NEVER_VALID = 11,
  KDC_ERR_POLICY = 12,
  KDC_ERR_BADOPTION = 13,
  KDC_ERR_ETYPE_NOSUPP = 14,
  KDC_ERR_SUMTYPE_NOSUPP = 15,
  KDC_ERR_PADATA_TYPE_NOSUPP = 16,
  KDC_ERR_TRTYPE_NOSUPP = 17,
  KDC_ERR_CLIENT_REVOKED = 18,
  KDC_ERR_SERVICE_REVOKED = 19,
  KDC_ERR_TGT_REVOKED = 20,
  KDC_ERR_CLIENT_NOTYET = 21,
  KDC_ERR_SERVICE_NOTYET = 22,
  KDC_ERR_KEY_EXPIRED = 23,
  KDC_ERR_PREAUTH_FAILED = 24,
  KDC_ERR_PREAUTH_REQUIRED = 25,
  KDC_ERR_SERVER_NOMATCH = 26,
  KDC_ERR_MUST_USE_USER2USER = 27,
  KDC_ERR_PATH_NOT_ACCEPTED = 28,
  KDC_ERR_SVC_UNAVAILABLE = 29,
  KRB_AP_ERR_BAD_INTEGRITY = 31,
  KRB_AP_ERR_TKT_EXPIRED = 32,
  KRB_AP_ERR_TKT_NYV = 33,
  KRB_AP_ERR_REPEAT = 34,
  KRB_AP_ERR_NOT_US = 35,
  KRB_AP_ERR_BADMATCH = 36,
  KRB_AP_ERR_SKEW = 37,
  KRB_AP_ERR_BADADDR = 38,
  KRB_AP_ERR_BADVERSION = 39,
  KRB_AP_ERR_MSG_TYPE = 40,
  KRB_AP_ERR_MODIFIED = 41,
  KRB_AP_ERR_BADORDER = 42,
  KRB_AP_ERR_ILL_CR_TKT = 43,  // RFC 1510; absent from RFC 4120's table
  KRB_AP_ERR_BADKEYVER = 44,
  KRB_AP_ERR_NOKEY = 45,
  KRB_AP_ERR_MUT_FAIL = 46,
  KRB_AP_ERR_BADDIRECTION = 47,
  KRB_AP_ERR_METHOD = 48,
  KRB_AP_ERR_BADSEQ = 49,
  KRB_AP_ERR_INAPP_CKSUM = 50,
  KRB_AP_PATH_NOT_ACCEPTED = 51,
  KRB_ERR_RESPONSE_TOO_BIG = 52,
  KRB_ERR_GENERIC = 60,
  KRB_ERR_FIELD_TOOLONG = 61,
  KDC_ERROR_CLIENT_NOT_TRUSTED = 62,
  KDC_ERROR_KDC_NOT_TRUSTED = 63,
  KDC_ERROR_INVALID_SIG = 64,
  KDC_ERR_KEY_TOO_WEAK = 65,  // RFC 4556 renamed it KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED
  KDC_ERR_CERTIFICATE_MISMATCH = 66,
  KRB_AP_ERR_NO_TGT = 67,
  KDC_ERR_WRONG_REALM = 68,
  KRB_AP_ERR_USER_TO_USER_REQUIRED = 69,
  KDC_ERR_CANT_VERIFY_CERTIFICATE = 70,
  KDC_ERR_INVALID_CERTIFICATE = 71,
  KDC_ERR_REVOKED_CERTIFICATE = 72,
  KDC_ERR_REVOCATION_STATUS_UNKNOWN = 73,
  KDC_ERR_REVOCATION_STATUS_UNAVAILABLE = 74,
  KDC_ERR_CLIENT_NAME_MISMATCH = 75,
  KDC_ERR_KDC_NAME_MISMATCH = 76,
  KDC_ERR_INCONSISTENT_KEY_PURPOSE = 77,
  KDC_ERR_DIGEST_IN_CERT_NOT_ACCEPTED = 78,
  KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED = 79,
  KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED = 80,
  KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED = 81,
  KRB_AP_ERR_IAKERB_KDC_NOT_FOUND = 85,
  KRB_AP_ERR_IAKERB_KDC_NO_RESPONSE = 86,
  KDC_ERR_PREAUTH_EXPIRED = 90,
  KDC_ERR_MORE_PREAUTH_DATA_REQUIRED = 91,
  KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET = 92,
  KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS = 93,
  KDC_ERR_NO_ACCEPTABLE_KDF = 100,
};

// The RFC name ("KDC_ERR_PREAUTH_REQUIRED"), or an empty view for a number not listed above.
std::string_view error_code_name(ErrorCode code);

// authorization-data ad-type (RFC 4120 §7.5.4; RFC 6113, RFC 7751, RFC 8129; MS-PAC, MS-KILE).
enum class AuthorizationDataType : std::int32_t {
  AD_IF_RELEVANT = 1,
  AD_INTENDED_FOR_SERVER = 2,
  AD_INTENDED_FOR_APPLICATION_CLASS = 3,
  AD_KDC_ISSUED = 4,
  AD_AND_OR = 5,
  AD_MANDATORY_TICKET_EXTENSIONS = 6,
  AD_IN_TICKET_EXTENSIONS = 7,
  AD_MANDATORY_FOR_KDC = 8,
  OSF_DCE = 64,
  SESAME = 65,
  AD_OSF_DCE_PKI_CERTID = 66,
  AD_AUTHENTICATION_STRENGTH = 70,
  AD_FX_FAST_ARMOR = 71,
  AD_FX_FAST_USED = 72,
  AD_CAMMAC = 96,
  AD_AUTHENTICATION_INDICATOR = 97,
  AD_WIN2K_PAC = 128,
  AD_ETYPE_NEGOTIATION = 129,
  KERB_AUTH_DATA_TOKEN_RESTRICTIONS = 141,
  KERB_LOCAL = 142,
  AD_AUTH_DATA_AP_OPTIONS = 143,
  KERB_AUTH_DATA_TARGET_PRINCIPAL = 144,
};

// lr-type (RFC 4120 §5.4.2). A negative value means the same thing for this principal only.
enum class LastReqType : std::int32_t {
  LR_NONE = 0,
  LR_INITIAL_TGT = 1,  // last initial TGT request
  LR_INITIAL = 2,      // last initial request
  LR_ISSUE_USE_TGT = 3,
  LR_RENEWAL = 4,
  LR_REQUEST = 5,
  LR_PW_EXPTIME = 6,
  LR_ACCT_EXPTIME = 7,
};

// addr-type (RFC 4120 §7.5.3).
enum class AddressType : std::int32_t {
  IPV4 = 2,
  DIRECTIONAL = 3,
  CHAOSNET = 5,
  XNS = 6,
  ISO = 7,
  DECNET_PHASE_IV = 12,
  APPLETALK_DDP = 16,
  NETBIOS = 20,
  IPV6 = 24,
};

// tr-type (RFC 4120 §7.5.5).
enum class TransitedType : std::int32_t {
  DOMAIN_X500_COMPRESS = 1,
};

// KerberosFlags bit n is the n-th bit from the most significant end of the first 32 bits, so
// in the big-endian u32 the DER reader returns, bit 0 is 0x80000000 (RFC 4120 §5.2.8).
constexpr std::uint32_t kerberos_flag(unsigned bit) {
  return 0x80000000u >> bit;
}

// KDCOptions (RFC 4120 §5.4.1; canonicalize RFC 6806, request-anonymous RFC 8062,
// cname-in-addl-tkt MS-SFU).
struct KdcOptions {
  static constexpr std::uint32_t RESERVED = kerberos_flag(0);
  static constexpr std::uint32_t FORWARDABLE = kerberos_flag(1);
  static constexpr std::uint32_t FORWARDED = kerberos_flag(2);
  static constexpr std::uint32_t PROXIABLE = kerberos_flag(3);
  static constexpr std::uint32_t PROXY = kerberos_flag(4);
  static constexpr std::uint32_t ALLOW_POSTDATE = kerberos_flag(5);
  static constexpr std::uint32_t POSTDATED = kerberos_flag(6);
  static constexpr std::uint32_t RENEWABLE = kerberos_flag(8);
  static constexpr std::uint32_t OPT_HARDWARE_AUTH = kerberos_flag(11);
  static constexpr std::uint32_t CNAME_IN_ADDL_TKT = kerberos_flag(14);
  static constexpr std::uint32_t CANONICALIZE = kerberos_flag(15);
  static constexpr std::uint32_t REQUEST_ANONYMOUS = kerberos_flag(16);
  static constexpr std::uint32_t DISABLE_TRANSITED_CHECK = kerberos_flag(26);
  static constexpr std::uint32_t RENEWABLE_OK = kerberos_flag(27);
  static constexpr std::uint32_t ENC_TKT_IN_SKEY = kerberos_flag(28);
  static constexpr std::uint32_t RENEW = kerberos_flag(30);
  static constexpr std::uint32_t VALIDATE = kerberos_flag(31);
};

// TicketFlags (RFC 4120 §5.3; enc-pa-rep RFC 6806 §11, anonymous RFC 8062).
struct TicketFlags {
  static constexpr std::uint32_t RESERVED = kerberos_flag(0);
  static constexpr std::uint32_t FORWARDABLE = kerberos_flag(1);
  static constexpr std::uint32_t FORWARDED = kerberos_flag(2);
  static constexpr std::uint32_t PROXIABLE = kerberos_flag(3);
  static constexpr std::uint32_t PROXY = kerberos_flag(4);
  static constexpr std::uint32_t MAY_POSTDATE = kerberos_flag(5);
  static constexpr std::uint32_t POSTDATED = kerberos_flag(6);
  static constexpr std::uint32_t INVALID = kerberos_flag(7);
  static constexpr std::uint32_t RENEWABLE = kerberos_flag(8);
  static constexpr std::uint32_t INITIAL = kerberos_flag(9);
  static constexpr std::uint32_t PRE_AUTHENT = kerberos_flag(10);
  static constexpr std::uint32_t HW_AUTHENT = kerberos_flag(11);
  static constexpr std::uint32_t TRANSITED_POLICY_CHECKED = kerberos_flag(12);
  static constexpr std::uint32_t OK_AS_DELEGATE = kerberos_flag(13);
  static constexpr std::uint32_t ENC_PA_REP = kerberos_flag(15);
  static constexpr std::uint32_t ANONYMOUS = kerberos_flag(16);
};

}  // namespace kdcperf::krb::proto
