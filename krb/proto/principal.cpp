// PrincipalName (RFC 4120 §5.2.2): name-type [0] Int32, name-string [1] SEQUENCE OF
// KerberosString.
#include "krb/proto/principal.hpp"

#include "krb/proto/fields.hpp"

namespace kdcperf::krb::proto {
namespace {
constexpr der::Tag kNameType = der::ctx(0);
constexpr der::Tag kNameString = der::ctx(1);

Status decode_component(der::Reader& seq, std::string_view* out) {
  KRB_ASSIGN_OR_RETURN(*out, seq.read_general_string());
  return ok_status();
}

Status decode_components(der::Reader& r, StaticVector<std::string_view, kMaxNameComponents>* out) {
  return detail::sequence_of(r, out, decode_component);
}
}  // namespace

bool same_principal(const PrincipalName& a, const PrincipalName& b) {
  return a.components == b.components;
}

Status decode_principal_name(der::Reader& r, PrincipalName* out) {
  KRB_ASSIGN_OR_RETURN(der::Reader seq, r.read(der::kSequence));
  KRB_RETURN_IF_ERROR(detail::field(seq, kNameType, &out->name_type, &der::Reader::read_int32));
  KRB_RETURN_IF_ERROR(detail::struct_field(seq, kNameString, &out->components, decode_components));
  return seq.expect_end();
}

void encode_principal_name(der::Writer& w, const PrincipalName& name) {
  const std::size_t end = w.mark();
  detail::put_explicit(w, kNameString, [&] {
    detail::put_sequence_of<std::string_view>(
        w, name.components, [](der::Writer& ww, std::string_view s) { ww.general_string(s); });
  });
  detail::put_int(w, kNameType, static_cast<std::int32_t>(name.name_type));
  w.wrap(der::kSequence, end);
}

}  // namespace kdcperf::krb::proto
