// HostAddress and HostAddresses (RFC 4120 §5.2.5).
//
//   HostAddress ::= SEQUENCE { addr-type [0] Int32, address [1] OCTET STRING }
//   HostAddresses ::= SEQUENCE OF HostAddress
#pragma once

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/der/reader.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/limits.hpp"
#include "krb/proto/static_vector.hpp"
#include "krb/proto/types.hpp"

namespace kdcperf::krb::proto {

struct HostAddress {
  AddressType addr_type = AddressType::IPV4;
  ByteView address;
};

using HostAddresses = StaticVector<HostAddress, kMaxAddresses>;

Status decode_host_address(der::Reader& r, HostAddress* out);
// More than kMaxAddresses is kTooMany.
Status decode_host_addresses(der::Reader& r, HostAddresses* out);
void encode_host_address(der::Writer& w, const HostAddress& a);
void encode_host_addresses(der::Writer& w, std::span<const HostAddress> addresses);

}  // namespace kdcperf::krb::proto
