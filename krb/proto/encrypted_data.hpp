// The three crypto containers of RFC 4120 §5.2.9. Etypes and checksum types stay raw Int32
// here (this layer does not depend on krb/crypto), so unknown and negative numbers survive.
//
//   EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING
//   } EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING } Checksum      ::=
//   SEQUENCE { cksumtype [0] Int32, checksum [1] OCTET STRING }
#pragma once

#include <cstdint>
#include <optional>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/der/reader.hpp"
#include "krb/der/writer.hpp"

namespace kdcperf::krb::proto {

struct EncryptedData {
  std::int32_t etype = 0;
  // UInt32, strict as MIT decodes it (a negative INTEGER is refused).
  std::optional<std::uint32_t> kvno;
  ByteView cipher;
};

// keyvalue is key material. Decoded, it borrows from the caller's decrypted plaintext, which
// the caller keeps in wiped storage (SecretBytes) and copies the key out of; to encode, it
// points at the caller's SecretBytes. This type never owns or copies key bytes.
struct EncryptionKey {
  std::int32_t keytype = 0;
  ByteView keyvalue;
};

struct Checksum {
  std::int32_t cksumtype = 0;
  ByteView checksum;
};

Status decode_encrypted_data(der::Reader& r, EncryptedData* out);
Status decode_encryption_key(der::Reader& r, EncryptionKey* out);
Status decode_checksum(der::Reader& r, Checksum* out);
// A whole input that is exactly one Checksum (the PA-REQ-ENC-PA-REP padata-value).
Status decode_checksum(ByteView in, Checksum* out);

void encode_encrypted_data(der::Writer& w, const EncryptedData& d);
void encode_encryption_key(der::Writer& w, const EncryptionKey& k);
void encode_checksum(der::Writer& w, const Checksum& c);

}  // namespace kdcperf::krb::proto
