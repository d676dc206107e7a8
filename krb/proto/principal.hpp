// PrincipalName and Realm (RFC 4120 §5.2.2).
//
//   PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }
//   Realm ::= KerberosString   (GeneralString; the DER reader refuses an embedded NUL)
//
// Decoded names borrow from the input.
#pragma once

#include <string_view>

#include "krb/base/result.hpp"
#include "krb/der/reader.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/limits.hpp"
#include "krb/proto/static_vector.hpp"
#include "krb/proto/types.hpp"

namespace kdcperf::krb::proto {

using Realm = std::string_view;

struct PrincipalName {
  NameType name_type = NameType::NT_UNKNOWN;
  StaticVector<std::string_view, kMaxNameComponents> components;

  // Exact equality, name-type included (what a round-trip test wants).
  friend bool operator==(const PrincipalName&, const PrincipalName&) = default;
};

// RFC 4120 §6.2: the name-type is a hint and is not part of a name's identity; two names are
// the same principal when their components are equal.
bool same_principal(const PrincipalName& a, const PrincipalName& b);

// Reads one PrincipalName SEQUENCE from r. More than kMaxNameComponents is kTooMany.
Status decode_principal_name(der::Reader& r, PrincipalName* out);
void encode_principal_name(der::Writer& w, const PrincipalName& name);

}  // namespace kdcperf::krb::proto
