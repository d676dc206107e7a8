// Learning a client's salt and string-to-key parameters from the KDC (--probe), as Active
// Directory needs (KERBEROS-INTEROP.md §3: take the salt from PA-ETYPE-INFO2, never derive it).
//
// The probe is an AS-REQ without pre-authentication (build_probe_request). The KDC answers
// PREAUTH_REQUIRED with METHOD-DATA e-data, or, for a principal without +requires_preauth, an
// AS-REP whose padata carries the same hint. Either way PA-ETYPE-INFO2 (RFC 4120 §5.2.7.5), or
// the older PA-ETYPE-INFO (§5.2.7.4) that AD sends for RC4-only requests, names the etype, salt
// and s2kparams of the client's key.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/proto/padata.hpp"
#include "loadgen/clients/population.hpp"

namespace kdcperf::loadgen::clients {

// A salt hint that borrows from the message it was read from (no allocation: the login flow
// reads one per exchange).
struct SaltHint {
  Enctype etype = Enctype::AES256_CTS_HMAC_SHA1_96;
  std::optional<std::string_view> salt;  // nullopt: the default salt
  std::uint32_t iterations = 0;          // 0: the etype's default count
};

// From METHOD-DATA: the entry of the first etype in `preference` (the client's order, as MIT
// and Heimdal choose, §1.3) that this library implements. PA-ETYPE-INFO2 wins over
// PA-ETYPE-INFO. s2kparams must pass MIT's client policy (check_s2kparams_policy: a hostile KDC
// cannot make us run 2^32 PBKDF2 iterations), else Err::kBadS2kParams. No usable entry:
// Err::kNotFound.
krb::Result<SaltHint> salt_hint_from_padata(std::span<const krb::proto::PaData> padata,
                                            std::span<const std::int32_t> preference);
// From a whole reply: a KRB-ERROR's e-data, or an AS-REP's padata.
krb::Result<SaltHint> salt_hint_from_reply(krb::ByteView reply,
                                           std::span<const std::int32_t> preference);

// The reply to a probe for `client`, applied to the population (Population::apply_salt_info).
// preference empty: kDefaultEtypes. Serialised against other apply calls by the population.
krb::Status apply_probe_reply(Population& population, std::uint32_t client, krb::ByteView reply,
                              std::span<const std::int32_t> preference = {});

}  // namespace kdcperf::loadgen::clients
