#include "krb/base/result.hpp"

namespace kdcperf::krb {

std::string_view err_name(Err e) {
  switch (e) {
    case Err::kOk:
      return "ok";
    case Err::kTruncated:
      return "truncated";
    case Err::kBadTag:
      return "bad_tag";
    case Err::kHighTagNumber:
      return "high_tag_number";
    case Err::kIndefiniteLength:
      return "indefinite_length";
    case Err::kNonMinimalLength:
      return "non_minimal_length";
    case Err::kLengthTooLong:
      return "length_too_long";
    case Err::kElementTooLarge:
      return "element_too_large";
    case Err::kTooDeep:
      return "too_deep";
    case Err::kTooMany:
      return "too_many";
    case Err::kTrailingData:
      return "trailing_data";
    case Err::kBadInteger:
      return "bad_integer";
    case Err::kBadTime:
      return "bad_time";
    case Err::kBadString:
      return "bad_string";
    case Err::kBadBitString:
      return "bad_bit_string";
    case Err::kBadBoolean:
      return "bad_boolean";
    case Err::kMissingField:
      return "missing_field";
    case Err::kBufferTooSmall:
      return "buffer_too_small";
    case Err::kBadPvno:
      return "bad_pvno";
    case Err::kBadMsgType:
      return "bad_msg_type";
    case Err::kUnsupported:
      return "unsupported";
    case Err::kUnknownEnctype:
      return "unknown_enctype";
    case Err::kBadKeyLength:
      return "bad_key_length";
    case Err::kBadS2kParams:
      return "bad_s2kparams";
    case Err::kCiphertextTooShort:
      return "ciphertext_too_short";
    case Err::kIntegrityFailed:
      return "integrity_failed";
    case Err::kCryptoLibrary:
      return "crypto_library";
    case Err::kBadChecksumType:
      return "bad_checksum_type";
    case Err::kBadFileVersion:
      return "bad_file_version";
    case Err::kBadFileFormat:
      return "bad_file_format";
    case Err::kNotFound:
      return "not_found";
    case Err::kInvalidArgument:
      return "invalid_argument";
  }
  return "unknown";
}

}  // namespace kdcperf::krb
