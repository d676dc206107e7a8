#include "loadgen/clients/probe.hpp"

#include <string>

#include "krb/crypto/string_to_key.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/krb_error.hpp"
#include "krb/proto/message.hpp"

namespace kdcperf::loadgen::clients {

namespace proto = krb::proto;
using krb::Err;
using krb::Result;

namespace {

Result<SaltHint> make_hint(std::int32_t etype, std::optional<std::string_view> salt,
                           std::optional<krb::ByteView> s2kparams) {
  const auto e = static_cast<Enctype>(etype);
  SaltHint h;
  h.etype = e;
  h.salt = salt;
  if (s2kparams) {
    KRB_RETURN_IF_ERROR(krb::crypto::check_s2kparams_policy(e, *s2kparams));
    KRB_ASSIGN_OR_RETURN(const std::uint32_t it, krb::crypto::s2k_iterations(e, *s2kparams));
    // The default count is stored as 0, so a KDC that spells the default out does not make the
    // client look different from one that leaves it implicit.
    h.iterations = it == krb::crypto::enctype_info(e)->default_iterations ? 0 : it;
  }
  return h;
}

}  // namespace

Result<SaltHint> salt_hint_from_padata(std::span<const proto::PaData> padata,
                                       std::span<const std::int32_t> preference) {
  if (preference.empty()) preference = kDefaultEtypes;
  if (const auto* pa = proto::find_pa_data(padata, proto::PaDataType::PA_ETYPE_INFO2)) {
    proto::EtypeInfo2 info;
    KRB_RETURN_IF_ERROR(proto::decode_etype_info2(pa->padata_value, &info));
    for (const std::int32_t want : preference) {
      if (krb::crypto::enctype_info(want) == nullptr) continue;
      for (const auto& entry : info) {
        if (entry.etype == want) return make_hint(entry.etype, entry.salt, entry.s2kparams);
      }
    }
    return Err::kNotFound;
  }
  if (const auto* pa = proto::find_pa_data(padata, proto::PaDataType::PA_ETYPE_INFO)) {
    proto::EtypeInfo info;
    KRB_RETURN_IF_ERROR(proto::decode_etype_info(pa->padata_value, &info));
    for (const std::int32_t want : preference) {
      if (krb::crypto::enctype_info(want) == nullptr) continue;
      for (const auto& entry : info) {
        if (entry.etype != want) continue;
        std::optional<std::string_view> salt;
        if (entry.salt) salt = krb::as_chars(*entry.salt);
        return make_hint(entry.etype, salt, std::nullopt);
      }
    }
    return Err::kNotFound;
  }
  return Err::kNotFound;
}

Result<SaltHint> salt_hint_from_reply(krb::ByteView reply,
                                      std::span<const std::int32_t> preference) {
  switch (proto::peek_message_type(reply)) {
    case proto::MessageType::KRB_ERROR: {
      proto::KrbError err;
      KRB_RETURN_IF_ERROR(proto::decode_krb_error(reply, &err));
      proto::MethodData md;
      KRB_RETURN_IF_ERROR(proto::decode_error_method_data(err, &md));
      return salt_hint_from_padata(md, preference);
    }
    case proto::MessageType::AS_REP: {
      proto::AsRep rep;
      KRB_RETURN_IF_ERROR(proto::decode_as_rep(reply, &rep));
      if (!rep.padata) return Err::kNotFound;
      return salt_hint_from_padata(*rep.padata, preference);
    }
    default:
      return Err::kBadTag;
  }
}

krb::Status apply_probe_reply(Population& population, std::uint32_t client, krb::ByteView reply,
                              std::span<const std::int32_t> preference) {
  KRB_ASSIGN_OR_RETURN(const SaltHint h, salt_hint_from_reply(reply, preference));
  SaltInfo info;
  info.etype = h.etype;
  if (h.salt) info.salt = std::string(*h.salt);
  info.iterations = h.iterations;
  return population.apply_salt_info(client, info);
}

}  // namespace kdcperf::loadgen::clients
