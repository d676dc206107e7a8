#include "loadgen/responder_sealer.hpp"

#include "krb/crypto/string_to_key.hpp"
#include "krb/der/writer.hpp"
#include "krb/files/keytab.hpp"
#include "krb/proto/padata.hpp"
#include "krb/proto/ticket.hpp"

namespace kdcperf::loadgen::responder {
namespace {

proto::PrincipalName tgs_name(std::string_view realm) {
  proto::PrincipalName n;
  n.name_type = proto::NameType::NT_SRV_INST;
  (void)n.components.push_back(kTgsName);
  (void)n.components.push_back(realm);
  return n;
}

}  // namespace

// RFC 4120 §3.1.3: the reply key is the client's key of the first etype the request lists.
ClientKey* Sealer::choose_key(const proto::KdcReqBody& body, bool* known) {
  *known = false;
  if (!body.cname) return nullptr;
  char buf[kMaxNameKey];
  std::size_t len = 0;
  if (!name_key(body.cname->components.view(), body.realm, buf, &len)) return nullptr;
  const auto it = clients_.find(std::string_view(buf, len));
  if (it == clients_.end()) return nullptr;
  *known = true;
  for (std::int32_t e : body.etypes) {
    for (ClientKey& k : it->second) {
      if (static_cast<std::int32_t>(k.key.etype) == e) return &k;
    }
  }
  return nullptr;
}

// RFC 4120 §5.9.1, echoing the request's client name and realm as MIT does.
void Sealer::error(std::size_t i, proto::ErrorCode code, std::string_view text,
                   const timespec& now) {
  const proto::KdcReqBody& body = reqs_[i].req_body;
  proto::KrbError err;
  err.stime = now.tv_sec;
  err.susec = static_cast<std::int32_t>(now.tv_nsec / 1000);
  err.error_code = code;
  err.crealm = body.realm;
  err.cname = body.cname;
  err.realm = body.realm;
  err.sname = tgs_name(body.realm);
  err.e_text = text;
  krb::der::Writer w(reply(i));
  proto::encode_krb_error(w, err);
  if (!w.ok()) {
    ++counts_.internal;
    return;
  }
  views_[i] = w.view();
  ++counts_.errors;
}

// The EncASRepPart (RFC 4120 §5.4.2) for request i, queued for sealing with key usage 3.
bool Sealer::build_part(std::size_t i, ClientKey& key, std::int64_t now) {
  const proto::KdcReqBody& body = reqs_[i].req_body;
  if (!key.reply) {
    auto uk = crypto::UsageKey::make(key.key, crypto::KeyUsage::AS_REP_ENC_PART);
    if (!uk.ok()) return false;
    key.reply.emplace(std::move(uk).value());
  }
  const std::int32_t etype = static_cast<std::int32_t>(key.key.etype);
  ++session_counter_;
  std::memcpy(session_.data(), &session_counter_, sizeof session_counter_);

  proto::EncKdcRepPart part;
  part.key = {etype, krb::ByteView(session_.data(), crypto::enctype_info(etype)->key_bytes)};
  (void)part.last_req.push_back({proto::LastReqType::LR_NONE, 0});  // no history kept, as MIT
  part.nonce = body.nonce;  // as decoded, so it re-encodes to the client's bytes
  // No PRE_AUTHENT: nothing was verified.
  part.flags = proto::TicketFlags::INITIAL;
  part.authtime = now;
  // §3.1.3: the earlier of the requested till and the lifetime allowed.
  part.endtime = now + kLifetime;
  if (body.till > now && body.till < part.endtime) part.endtime = body.till;
  part.srealm = body.realm;
  part.sname = tgs_name(body.realm);
  krb::der::Writer w(plain(i));
  proto::encode_enc_kdc_rep_part(w, part);
  if (!w.ok()) {
    krb::secure_wipe(plain(i).data(), kPlainSlot);
    return false;
  }
  crypto::SealJob job;
  job.key = &*key.reply;
  job.plaintext = w.view();
  job.out = cipher(i);
  slot_job_[i] = jobs_.size();
  jobs_.push_back(job);
  return true;
}

// The AS-REP (RFC 4120 §5.4.2) around a sealed part. No padata: the reply key is the one the
// request named (§5.2.7.5 ETYPE-INFO2 is only a salt hint).
bool Sealer::build_rep(std::size_t i, const crypto::SealJob& job) {
  const proto::KdcReqBody& body = reqs_[i].req_body;
  proto::AsRep rep;
  rep.crealm = body.realm;
  rep.cname = *body.cname;
  rep.ticket.realm = body.realm;
  rep.ticket.sname = tgs_name(body.realm);
  rep.ticket.enc_part = ticket_enc_part_;
  // The reply part's kvno is omitted, as MIT does (§5.2.9 makes it optional).
  rep.enc_part = {static_cast<std::int32_t>(job.key->etype()), std::nullopt,
                  job.out.first(job.out_len)};
  krb::der::Writer w(reply(i));
  proto::encode_as_rep(w, rep);
  if (!w.ok()) return false;
  views_[i] = w.view();
  return true;
}

int Sealer::answer(const mmsghdr* in, int n, mmsghdr* out, iovec* out_iov) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);  // once per batch: KerberosTime has 1 s resolution
  jobs_.clear();
  const auto count = static_cast<std::size_t>(n);
  for (std::size_t i = 0; i < count; ++i) {
    ++counts_.requests;
    views_[i] = {};
    slot_job_[i] = kNoJob;
    const msghdr& h = in[i].msg_hdr;
    const krb::ByteView bytes(static_cast<const std::byte*>(h.msg_iov->iov_base), in[i].msg_len);
    // Every byte is hostile: the decoder is bounded and strict; a truncated datagram is not
    // the client's message. Neither gets a reply (nothing says who sent it).
    if ((h.msg_flags & MSG_TRUNC) != 0 || !proto::decode_as_req(bytes, &reqs_[i]).ok()) {
      ++counts_.malformed;
      continue;
    }
    bool known = false;
    ClientKey* key = choose_key(reqs_[i].req_body, &known);
    if (key == nullptr) {
      if (known) {
        ++counts_.etype;
        error(i, proto::ErrorCode::KDC_ERR_ETYPE_NOSUPP, "BAD_ENCRYPTION_TYPE", now);
      } else {
        ++counts_.unknown;
        error(i, proto::ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN, "CLIENT_NOT_FOUND", now);
      }
      continue;
    }
    if (!build_part(i, *key, now.tv_sec)) ++counts_.internal;
  }
  crypto::seal_batch(jobs_, rng_);
  for (std::size_t i = 0; i < count; ++i) {
    if (slot_job_[i] == kNoJob) continue;
    const crypto::SealJob& job = jobs_[slot_job_[i]];
    krb::secure_wipe(const_cast<std::byte*>(job.plaintext.data()), job.plaintext.size());
    if (job.status.ok() && build_rep(i, job)) {
      ++counts_.sealed;
    } else {
      ++counts_.internal;
    }
  }
  int k = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (views_[i].empty()) continue;
    out[k].msg_hdr.msg_name = in[i].msg_hdr.msg_name;
    out[k].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
    out_iov[k] = {const_cast<std::byte*>(views_[i].data()), views_[i].size()};
    ++k;
  }
  return k;
}

bool add_password_keys(Sealer& sealer, const std::string& principal, const std::string& password) {
  const auto at = principal.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == principal.size()) return false;
  const std::string_view realm = std::string_view(principal).substr(at + 1);
  std::vector<std::string_view> comps;
  std::string_view name = std::string_view(principal).substr(0, at);
  for (std::size_t slash; (slash = name.find('/')) != std::string_view::npos;) {
    comps.push_back(name.substr(0, slash));
    name.remove_prefix(slash + 1);
  }
  comps.push_back(name);
  const std::string salt = crypto::default_salt(realm, comps);
  for (crypto::Enctype e :
       {crypto::Enctype::AES256_CTS_HMAC_SHA1_96, crypto::Enctype::AES128_CTS_HMAC_SHA1_96,
        crypto::Enctype::AES256_CTS_HMAC_SHA384_192, crypto::Enctype::AES128_CTS_HMAC_SHA256_128,
        crypto::Enctype::RC4_HMAC}) {
    auto key = crypto::string_to_key(e, password, salt);
    if (!key.ok()) return false;
    sealer.add_key(comps, realm, std::move(key).value(), 1);
  }
  return true;
}

bool add_keytab_keys(Sealer& sealer, krb::ByteView keytab) {
  auto entries = krb::files::read_keytab(keytab);
  if (!entries.ok()) return false;
  for (krb::files::KeytabEntry& e : *entries) {
    std::vector<std::string_view> comps(e.principal.components.begin(),
                                        e.principal.components.end());
    sealer.add_key(comps, e.principal.realm,
                   crypto::Key{static_cast<crypto::Enctype>(e.enctype), std::move(e.key)}, e.kvno);
  }
  return true;
}

}  // namespace kdcperf::loadgen::responder
