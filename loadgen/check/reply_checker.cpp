#include "loadgen/check/reply_checker.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/proto/message.hpp"
#include "loadgen/clients/probe.hpp"

namespace kdcperf::loadgen::check {

namespace proto = krb::proto;
namespace crypto = krb::crypto;

namespace {

// Most AS-REP enc-parts are 200-400 bytes (MIT's are about 285); a larger one grows the buffer
// once.
constexpr std::size_t kInitialPlaintext = 4096;
constexpr std::string_view kTgsName = "krbtgt";  // RFC 4120 §7.3

bool is_krbtgt(const proto::PrincipalName& name, std::string_view realm) {
  return name.components.size() == 2 && name.components[0] == kTgsName &&
         name.components[1] == realm;
}

}  // namespace

ReplyChecker::ReplyChecker(const clients::Population& population, crypto::KeyCache& cache,
                           CheckerOptions opts)
    : pop_(population), cache_(cache), opts_(std::move(opts)), plain_(kInitialPlaintext) {}

ReplyChecker::~ReplyChecker() {
  wipe_plaintext();
}

void ReplyChecker::wipe_plaintext() {
  if (plain_used_ != 0) krb::secure_wipe(plain_.data(), plain_used_);
  plain_used_ = 0;
  part_.key = {};
}

bool ReplyChecker::begin(const RequestToken& token, krb::ByteView reply,
                         const crypto::Key* key_override, Verdict* v, Opening* o) {
  *v = Verdict{};
  switch (proto::peek_message_type(reply)) {
    case proto::MessageType::AS_REP:
      if (!proto::decode_as_rep(reply, &rep_).ok()) return true;
      v->kind = ReplyKind::kAsRep;
      if (!token.verify) return true;
      v->checked = true;
      v->failure = prepare(token, key_override, o);
      return v->failure != CheckFailure::kNone;
    case proto::MessageType::KRB_ERROR: {
      if (!proto::decode_krb_error(reply, &err_).ok()) return true;
      v->kind = ReplyKind::kKrbError;
      v->error_code = static_cast<std::int32_t>(err_.error_code);
      v->login_continues =
          err_.error_code == proto::ErrorCode::KDC_ERR_PREAUTH_REQUIRED && token.leg == Leg::kProbe;
      v->response_too_big = err_.error_code == proto::ErrorCode::KRB_ERR_RESPONSE_TOO_BIG;
      return true;
    }
    default:
      return true;
  }
}

Verdict ReplyChecker::check(const RequestToken& token, krb::ByteView reply,
                            const crypto::Key* key_override) {
  wipe_plaintext();
  Verdict v;
  Opening o;
  if (begin(token, reply, key_override, &v, &o)) return v;
  if (o.cipher.size() > plain_.size()) {
    plain_ = krb::SecretBytes(o.cipher.size());  // rare: an enc-part over 4 KiB
  }
  auto n = crypto::open(*o.key, o.cipher, plain_.mutable_view());
  plain_used_ = o.cipher.size();  // open() zeroes or writes up to the ciphertext's length
  v.failure = n.ok() ? finish(token, o, krb::ByteView(plain_.data(), *n)) : CheckFailure::kDecrypt;
  return v;
}

void ReplyChecker::check_batch(std::span<ReplyCheck> items,
                               std::span<const crypto::Key* const> key_overrides) {
  for (std::size_t at = 0; at < items.size(); at += kMaxBatch) {
    const auto chunk = items.subspan(at, std::min(kMaxBatch, items.size() - at));
    const crypto::KeyCache::Pin pin(cache_);  // openings_ hold pointers into it
    std::size_t jobs = 0, bytes = 0;
    for (std::size_t j = 0; j < chunk.size(); ++j) {
      ReplyCheck& c = chunk[j];
      const crypto::Key* key = key_overrides.empty() ? nullptr : key_overrides[at + j];
      if (begin(*c.token, c.reply, key, &c.verdict, &openings_[jobs])) continue;
      job_item_[jobs] = j;
      bytes += openings_[jobs].cipher.size();
      ++jobs;
    }
    if (jobs == 0) continue;
    if (bytes > batch_plain_.size()) {
      batch_plain_ = krb::SecretBytes(std::max(bytes, 2 * batch_plain_.size()));
    }
    std::size_t used = 0;
    for (std::size_t k = 0; k < jobs; ++k) {
      const Opening& o = openings_[k];
      jobs_[k] = crypto::OpenJob{o.key,
                                 o.cipher,
                                 krb::MutableByteView(batch_plain_.data() + used, o.cipher.size()),
                                 0,
                                 {}};
      used += o.cipher.size();
    }
    crypto::open_batch(std::span(jobs_.data(), jobs));
    for (std::size_t k = 0; k < jobs; ++k) {
      ReplyCheck& c = chunk[job_item_[k]];
      const crypto::OpenJob& job = jobs_[k];
      c.verdict.failure = job.status.ok() ? finish(*c.token, openings_[k],
                                                   krb::ByteView(job.out.data(), job.out_len))
                                          : CheckFailure::kDecrypt;
    }
    krb::secure_wipe(batch_plain_.data(), used);
    part_.key = {};  // borrowed from the plaintext just wiped
  }
}

bool ReplyChecker::requested(std::int32_t etype, const crypto::Key& client_key) const {
  if (opts_.etypes.empty()) return etype == static_cast<std::int32_t>(client_key.etype);
  return std::find(opts_.etypes.begin(), opts_.etypes.end(), etype) != opts_.etypes.end();
}

const crypto::Key* ReplyChecker::alternate_key(std::uint32_t client, std::int32_t etype) {
  const auto id = (static_cast<std::uint64_t>(client) << 32) | static_cast<std::uint32_t>(etype);
  if (const auto it = alternates_.find(id); it != alternates_.end()) return &it->second;
  const auto password = pop_.password(client);
  if (!password || crypto::enctype_info(etype) == nullptr) return nullptr;
  // The AS-REP's own PA-ETYPE-INFO2 names the reply key's salt (MIT always sends it, §5.4);
  // without it, the client's salt and the etype's default count.
  std::string salt;
  std::array<std::byte, 4> s2k_buf{};
  krb::ByteView s2k;
  const std::int32_t want[1] = {etype};
  auto hint = rep_.padata ? clients::salt_hint_from_padata(*rep_.padata, want)
                          : krb::Result<clients::SaltHint>(krb::Err::kNotFound);
  if (hint.ok() && hint->salt) {
    salt = std::string(*hint->salt);
  } else {
    pop_.salt(client, &salt);
  }
  if (hint.ok() && hint->iterations != 0) {
    krb::store_be32(s2k_buf.data(), hint->iterations);
    s2k = krb::ByteView(s2k_buf.data(), 4);
  }
  auto key = crypto::string_to_key(static_cast<crypto::Enctype>(etype), *password, salt, s2k);
  if (!key.ok()) return nullptr;
  ++alternate_derivations_;
  if (alternates_.size() >= std::max<std::size_t>(1, opts_.alternate_key_capacity)) {
    alternates_.clear();
  }
  return &alternates_.emplace(id, std::move(key).value()).first->second;
}

CheckFailure ReplyChecker::prepare(const RequestToken& token, const crypto::Key* key_override,
                                   Opening* o) {
  const std::uint32_t client = token.client;
  if (client >= pop_.size()) return CheckFailure::kClientName;
  const crypto::Key* key = key_override;
  if (key == nullptr) {
    if (!pop_.has_key(client)) return CheckFailure::kDecrypt;
    key = scratch_.load(pop_.key_etype(client), pop_.key_bytes(client));
    if (key == nullptr) return CheckFailure::kDecrypt;
  }
  const proto::EncryptedData& enc = rep_.enc_part;
  // RFC 4120 §3.1.3: the reply key is of an etype the request listed.
  if (!requested(enc.etype, *key)) return CheckFailure::kEtype;
  if (enc.etype != static_cast<std::int32_t>(key->etype)) {
    // The KDC chose the reply key by the request's etype order (§5.3), not by our key.
    key = alternate_key(client, enc.etype);
    if (key == nullptr) return CheckFailure::kEtype;
  }
  auto uk = cache_.get(*key, crypto::KeyUsage::AS_REP_ENC_PART);
  if (!uk.ok()) return CheckFailure::kDecrypt;
  const std::string& realm = pop_.realm();
  o->key = *uk;
  o->cipher = enc.cipher;
  // Compared now, while this reply's decoding is at hand; reported after the nonce, as a
  // reply that is not ours at all (a failed open or nonce) says more than a wrong name.
  o->client_ok = rep_.crealm == realm && pop_.same_name(client, rep_.cname);
  o->server_ok = rep_.ticket.realm == realm && is_krbtgt(rep_.ticket.sname, realm);
  return CheckFailure::kNone;
}

CheckFailure ReplyChecker::finish(const RequestToken& token, const Opening& o,
                                  krb::ByteView plaintext) {
  if (!proto::decode_enc_as_rep_part(plaintext, &part_).ok()) {
    part_.key = {};
    return CheckFailure::kEncPart;
  }
  // Compared as unsigned 32-bit values, as MIT does: a KDC that echoes the nonce as a negative
  // int32 still echoes the same nonce (KERBEROS-INTEROP.md §2).
  if (static_cast<std::uint32_t>(part_.nonce) != static_cast<std::uint32_t>(token.nonce)) {
    return CheckFailure::kNonce;
  }
  const std::string& realm = pop_.realm();
  if (!o.client_ok) return CheckFailure::kClientName;
  if (!o.server_ok || part_.srealm != realm || !is_krbtgt(part_.sname, realm)) {
    return CheckFailure::kServerName;
  }
  const auto* session = crypto::enctype_info(part_.key.keytype);
  if (session == nullptr || part_.key.keyvalue.size() != session->key_bytes) {
    return CheckFailure::kSessionKey;
  }
  if (part_.endtime < part_.authtime || (part_.starttime && part_.endtime < *part_.starttime)) {
    return CheckFailure::kTimes;
  }
  return CheckFailure::kNone;
}

}  // namespace kdcperf::loadgen::check
