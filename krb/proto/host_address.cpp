// HostAddress (RFC 4120 §5.2.5): addr-type [0] Int32, address [1] OCTET STRING.
#include "krb/proto/host_address.hpp"

#include "krb/proto/fields.hpp"

namespace kdcperf::krb::proto {
namespace {
constexpr der::Tag kAddrType = der::ctx(0);
constexpr der::Tag kAddress = der::ctx(1);
}  // namespace

Status decode_host_address(der::Reader& r, HostAddress* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kAddrType, &out->addr_type, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(detail::field(seq, kAddress, &out->address, &der::Reader::read_octet_string));
  return seq.expect_end();
}

Status decode_host_addresses(der::Reader& r, HostAddresses* out) {
  return detail::sequence_of(r, out, decode_host_address);
}

void encode_host_address(der::Writer& w, const HostAddress& a) {
  const std::size_t end = w.mark();
  detail::put_octets(w, kAddress, a.address);
  detail::put_int(w, kAddrType, static_cast<std::int32_t>(a.addr_type));
  w.wrap(der::kSequence, end);
}

void encode_host_addresses(der::Writer& w, std::span<const HostAddress> addresses) {
  detail::put_sequence_of(w, addresses, encode_host_address);
}

}  // namespace kdcperf::krb::proto
