// Test only: a minimal in-process AS service that answers the load generator's requests the way
// MIT's KDC does in outline (KERBEROS-INTEROP.md §1.3, §5.3, §5.4), so the workload, checker and
// kinit can be driven end to end without a real KDC:
//   unknown client                          -> KRB-ERROR 6 C_PRINCIPAL_UNKNOWN
//   no PA-ENC-TIMESTAMP, preauth required   -> KRB-ERROR 25 with METHOD-DATA {19 ETYPE-INFO2
//                                              {key etype, salt}, 2 ""}
//   PA-ENC-TIMESTAMP that does not open     -> KRB-ERROR 24 PREAUTH_FAILED
//   otherwise                               -> AS-REP: nonce echoed, enc-part sealed with the
//                                              client key (usage 3), [APPLICATION 26] like MIT
// Built only with the krb/proto encoders and krb/crypto; nothing here is a reference for the
// checks (the captured MIT replies are), it only feeds the code paths. Header-only so it is
// compiled into the test binary alone.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "krb/base/clock.hpp"
#include "krb/base/rng.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/krb_error.hpp"
#include "krb/proto/padata.hpp"
#include "krb/proto/ticket.hpp"

namespace kdcperf::loadgen::testing {

class FakeKdc {
 public:
  struct Client {
    krb::crypto::Key key;
    std::string salt;
    bool requires_preauth = true;
  };

  explicit FakeKdc(std::string realm) : realm_(std::move(realm)), rng_(42) {}

  void add(const std::string& name, krb::crypto::Key key, std::string salt,
           bool requires_preauth = true) {
    clients_[name] = Client{std::move(key), std::move(salt), requires_preauth};
  }
  // A client whose key comes from a password and the default salt.
  void add_password(const std::string& name, krb::crypto::Enctype etype,
                    const std::string& password, bool requires_preauth = true) {
    const std::string salt = realm_ + name;
    add(name, krb::crypto::string_to_key(etype, password, salt).value(), salt, requires_preauth);
  }

  // Knobs for negative tests.
  std::optional<std::int64_t> nonce_override;
  std::optional<std::string> cname_override;
  int requests = 0;

  krb::Buffer handle(krb::ByteView request, krb::KerberosTimestamp now) {
    ++requests;
    krb::proto::AsReq req;
    if (!krb::proto::decode_as_req(request, &req).ok() || !req.req_body.cname ||
        req.req_body.cname->components.size() != 1) {
      return error(krb::proto::ErrorCode::KRB_ERR_GENERIC, now, nullptr, {});
    }
    const std::string name(req.req_body.cname->components[0]);
    const auto it = clients_.find(name);
    if (it == clients_.end()) {
      return error(krb::proto::ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN, now, &req, {});
    }
    const Client& c = it->second;
    const krb::proto::PaData* ts = nullptr;
    if (req.padata)
      ts = krb::proto::find_pa_data(*req.padata, krb::proto::PaDataType::PA_ENC_TIMESTAMP);
    if (ts == nullptr && c.requires_preauth) {
      return error(krb::proto::ErrorCode::KDC_ERR_PREAUTH_REQUIRED, now, &req, hints(c));
    }
    bool preauth = false;
    if (ts != nullptr) {
      krb::proto::EncryptedData ed;
      krb::Buffer plain(512);
      krb::proto::PaEncTsEnc stamp;
      const bool ok =
          krb::proto::decode_pa_enc_timestamp(ts->padata_value, &ed).ok() &&
          ed.etype == static_cast<std::int32_t>(c.key.etype) && [&] {
            auto n = krb::crypto::open_once(c.key, krb::crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP,
                                            ed.cipher, plain);
            return n.ok() &&
                   krb::proto::decode_pa_enc_ts_enc(krb::ByteView(plain.data(), *n), &stamp).ok();
          }();
      if (!ok) return error(krb::proto::ErrorCode::KDC_ERR_PREAUTH_FAILED, now, &req, hints(c));
      preauth = true;
    }
    return as_rep(req, c, now, preauth);
  }

 private:
  krb::Buffer hints(const Client& c) {
    krb::der::Writer info;
    const krb::proto::EtypeInfo2Entry e{static_cast<std::int32_t>(c.key.etype), c.salt,
                                        std::nullopt};
    krb::proto::encode_etype_info2(info, std::span<const krb::proto::EtypeInfo2Entry>(&e, 1));
    const krb::Buffer info_bytes(info.view().begin(), info.view().end());
    const krb::proto::PaData md[2] = {{krb::proto::PaDataType::PA_ETYPE_INFO2, info_bytes},
                                      {krb::proto::PaDataType::PA_ENC_TIMESTAMP, {}}};
    krb::der::Writer w;
    krb::proto::encode_method_data(w, md);
    return krb::Buffer(w.view().begin(), w.view().end());
  }

  krb::Buffer error(krb::proto::ErrorCode code, krb::KerberosTimestamp now,
                    const krb::proto::AsReq* req, const krb::Buffer& e_data) {
    krb::proto::KrbError err;
    err.stime = now.seconds;
    err.susec = now.usec;
    err.error_code = code;
    if (req != nullptr) {
      err.crealm = req->req_body.realm;
      err.cname = req->req_body.cname;
    }
    err.realm = realm_;
    err.sname = krbtgt();
    if (!e_data.empty()) err.e_data = krb::ByteView(e_data);
    krb::der::Writer w;
    krb::proto::encode_krb_error(w, err);
    return krb::Buffer(w.view().begin(), w.view().end());
  }

  krb::proto::PrincipalName krbtgt() const {
    krb::proto::PrincipalName n;
    n.name_type = krb::proto::NameType::NT_SRV_INST;
    (void)n.components.push_back("krbtgt");
    (void)n.components.push_back(realm_);
    return n;
  }

  krb::Buffer as_rep(const krb::proto::AsReq& req, const Client& c, krb::KerberosTimestamp now,
                     bool preauth) {
    auto session =
        krb::crypto::make_random_key(krb::crypto::Enctype::AES256_CTS_HMAC_SHA1_96, rng_).value();
    krb::proto::EncKdcRepPart part;
    part.tag = krb::proto::EncRepPartTag::ENC_TGS_REP_PART;  // MIT's choice (§1.5)
    part.key = {static_cast<std::int32_t>(session.etype), session.bytes.view()};
    (void)part.last_req.push_back({krb::proto::LastReqType::LR_NONE, 0});
    part.nonce = nonce_override.value_or(req.req_body.nonce);
    part.flags =
        krb::proto::TicketFlags::INITIAL | (preauth ? krb::proto::TicketFlags::PRE_AUTHENT : 0);
    part.authtime = now.seconds;
    part.endtime = now.seconds + 36000;
    part.srealm = realm_;
    part.sname = krbtgt();
    krb::der::Writer pw;
    krb::proto::encode_enc_kdc_rep_part(pw, part);
    krb::Buffer sealed(pw.view().size() + 64);
    const std::size_t n = krb::crypto::seal_once(c.key, krb::crypto::KeyUsage::AS_REP_ENC_PART,
                                                 pw.view(), sealed, rng_)
                              .value();
    sealed.resize(n);

    krb::Buffer ticket_cipher(96);
    rng_.fill(ticket_cipher);  // never opened by the client
    krb::proto::AsRep rep;
    rep.crealm = realm_;
    rep.cname = *req.req_body.cname;
    if (cname_override) rep.cname.components[0] = *cname_override;
    rep.ticket.realm = realm_;
    rep.ticket.sname = krbtgt();
    rep.ticket.enc_part = {18, 1u, ticket_cipher};
    rep.enc_part = {static_cast<std::int32_t>(c.key.etype), std::nullopt, sealed};
    krb::der::Writer w;
    krb::proto::encode_as_rep(w, rep);
    return krb::Buffer(w.view().begin(), w.view().end());
  }

  std::string realm_;
  std::map<std::string, Client> clients_;
  krb::DeterministicRng rng_;
};

}  // namespace kdcperf::loadgen::testing
