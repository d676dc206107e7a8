#include "kdc/as/as_service.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "kdc/as/pac.hpp"
#include "krb/base/secret.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/enctype.hpp"
#include "krb/crypto/key_cache.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/krb_error.hpp"
#include "krb/proto/padata.hpp"
#include "krb/proto/ticket.hpp"

namespace kdcperf::kdc::as {
namespace {

namespace proto = krb::proto;
namespace crypto = krb::crypto;
using proto::ErrorCode;
using proto::KdcOptions;
using proto::TicketFlags;

constexpr std::int64_t kInfinity = std::numeric_limits<std::int64_t>::max();

// Options only a TGS-REQ may carry (RFC 4120 §3.1.3, §5.4.1); MIT answers them with
// BADOPTION in an AS-REQ (kdc_util.c AS_INVALID_OPTIONS). Postdating is not offered.
constexpr std::uint32_t kAsInvalidOptions =
    KdcOptions::FORWARDED | KdcOptions::PROXY | KdcOptions::VALIDATE | KdcOptions::RENEW |
    KdcOptions::ENC_TKT_IN_SKEY | KdcOptions::CNAME_IN_ADDL_TKT | KdcOptions::POSTDATED;

// Per-request scratch: plaintexts, ciphertexts and the PAC, each in its own fixed slice of
// one arena so nothing allocates per request. Sizes are several times what a real request
// needs (an MIT AS-REP with PAC is 840 bytes); a request that overflows one gets
// KRB_ERR_GENERIC and is counted as internal.
constexpr std::size_t kPlainSlot = 6144;
constexpr std::size_t kCipherSlot = kPlainSlot + 64;
constexpr std::size_t kPacSlot = 2560;
constexpr std::size_t kSmallSlot = 1024;  // e-data, ETYPE-INFO2, checksums, AD-IF-RELEVANT
constexpr std::size_t kSlotBytes = 2 * kPlainSlot + 2 * kCipherSlot + kPacSlot + 3 * kSmallSlot;

enum class Stage : std::uint8_t { kError, kPreauth, kIssue };

// What phase 1 decides about a request, apart from the request itself.
struct PendingState {
  bool decoded = false;  // req holds this request (the decoder overwrites what it reads)
  Stage stage = Stage::kError;
  ErrorCode error = ErrorCode::KDC_ERR_NONE;
  std::string_view e_text;
  bool hints = false;  // e-data METHOD-DATA {ETYPE-INFO2, PA-ENC-TIMESTAMP}
  bool internal = false;
  const db::Principal* client = nullptr;
  const db::PrincipalKey* reply_key = nullptr;
  const db::PrincipalKey* ticket_key = nullptr;
  std::int32_t session_etype = 0;
  bool preauthenticated = false;
  std::size_t open_job = 0;
  std::size_t ticket_seal = 0, rep_seal = 0;
  std::size_t session_key_offset = 0;
  krb::MutableByteView ticket_plain, rep_plain;  // key-bearing plaintexts, wiped after sealing
};

struct Pending : PendingState {
  // Reused request after request: only the state is reset. The AsReq (3.4 KB of inline
  // vectors) is never read unless `decoded`, and decoding overwrites every field it reads.
  void reset() { static_cast<PendingState&>(*this) = PendingState{}; }
  proto::AsReq req;
};

// First request etype (client order) for which the principal has a key (MIT select_client_key).
const db::PrincipalKey* choose_key(const db::Principal& p, const proto::EtypeList& etypes) {
  for (std::int32_t e : etypes) {
    if (const db::PrincipalKey* k = p.key_for(e)) return k;
  }
  return nullptr;
}

// First request etype this KDC implements (MIT select_session_keytype: the KDC is the TGT's
// service and supports every enctype it implements).
std::int32_t choose_session_etype(const proto::EtypeList& etypes) {
  for (std::int32_t e : etypes) {
    if (crypto::enctype_info(e) != nullptr) return e;
  }
  return 0;
}

bool is_krbtgt(const std::optional<proto::PrincipalName>& sname, std::string_view realm) {
  return sname && sname->components.size() == 2 && sname->components[0] == "krbtgt" &&
         sname->components[1] == realm;
}

// What a backwards Writer over `buffer` wrote, as the mutable sub-span of buffer it is.
krb::MutableByteView written(krb::MutableByteView buffer, const krb::der::Writer& w) {
  return buffer.subspan(static_cast<std::size_t>(w.view().data() - buffer.data()), w.size());
}

std::int64_t min_nonzero(std::int64_t a, std::int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

std::int64_t add_clamped(std::int64_t a, std::int64_t b) {
  return a > kInfinity - b ? kInfinity : a + b;
}

}  // namespace

struct AsService::Impl {
  Impl(const db::PrincipalDb& d, AsOptions o)
      : db(d),
        opts(o),
        realm(d.policy().realm),
        // A batch holds up to four pointers into the cache per request, pinned while it runs;
        // room for all of them keeps a batch from growing the cache past its capacity.
        keys(std::max<std::size_t>(4 * o.max_batch + 16, o.key_cache_entries)),
        pending(o.max_batch),
        arena(o.max_batch * kSlotBytes) {
    issued.resize(o.max_batch);
    open_jobs.reserve(o.max_batch);
    seal_jobs.reserve(2 * o.max_batch);
    session_bytes = krb::SecretBytes(o.max_batch * 32);
    krbtgt_name.name_type = proto::NameType::NT_SRV_INST;
    (void)krbtgt_name.components.push_back("krbtgt");
    (void)krbtgt_name.components.push_back(realm);
  }

  ~Impl() { krb::secure_wipe(arena.data(), arena.size()); }

  krb::MutableByteView slot(std::size_t i, std::size_t offset, std::size_t size) {
    return krb::MutableByteView(arena.data() + i * kSlotBytes + offset, size);
  }
  krb::MutableByteView ticket_plain(std::size_t i) { return slot(i, 0, kPlainSlot); }
  krb::MutableByteView rep_plain(std::size_t i) { return slot(i, kPlainSlot, kPlainSlot); }
  krb::MutableByteView ticket_cipher(std::size_t i) { return slot(i, 2 * kPlainSlot, kCipherSlot); }
  krb::MutableByteView rep_cipher(std::size_t i) {
    return slot(i, 2 * kPlainSlot + kCipherSlot, kCipherSlot);
  }
  krb::MutableByteView pac(std::size_t i) {
    return slot(i, 2 * kPlainSlot + 2 * kCipherSlot, kPacSlot);
  }
  krb::MutableByteView small(std::size_t i, std::size_t k) {
    return slot(i, 2 * kPlainSlot + 2 * kCipherSlot + kPacSlot + k * kSmallSlot, kSmallSlot);
  }

  void fail(Pending& p, ErrorCode code, std::string_view text, bool hints = false) {
    p.stage = Stage::kError;
    p.error = code;
    p.e_text = text;
    p.hints = hints;
  }
  void internal_error(Pending& p) {
    fail(p, ErrorCode::KRB_ERR_GENERIC, "INTERNAL_ERROR");
    p.internal = true;
  }

  void batch(std::span<const AsRequest> requests, krb::KerberosTimestamp now, krb::Rng& rng,
             std::span<AsReply> replies);
  void examine(Pending& p, const AsRequest& r, krb::KerberosTimestamp now);
  void check_preauth(Pending& p, const crypto::OpenJob& job, krb::KerberosTimestamp now);
  bool build_ticket(std::size_t i, Pending& p, krb::KerberosTimestamp now);
  void encode_error(std::size_t i, const Pending& p, krb::KerberosTimestamp now, AsReply& out);
  void encode_as_rep(std::size_t i, Pending& p, const AsRequest& r, AsReply& out);
  krb::ByteView etype_info2(std::size_t i, const Pending& p, std::size_t small_index);

  const db::PrincipalDb& db;
  AsOptions opts;
  std::string_view realm;
  crypto::KeyCache keys;
  std::vector<Pending> pending;
  Pending transport_pending;  // transport_error()'s, apart from the batch's
  krb::Buffer arena;
  std::vector<crypto::OpenJob> open_jobs;
  std::vector<crypto::SealJob> seal_jobs;
  krb::SecretBytes session_bytes;
  proto::PrincipalName krbtgt_name;
  // Per-issued-request values the encoders need after sealing.
  struct Issued {
    std::uint32_t flags = 0;
    std::int64_t endtime = 0;
    std::optional<std::int64_t> renew_till;
  };
  std::vector<Issued> issued;
  AsCounters counters;
};

AsService::AsService(const db::PrincipalDb& db, AsOptions options)
    : impl_(std::make_unique<Impl>(db, [&] {
        AsOptions o = options;
        o.max_batch = std::max<std::size_t>(1, o.max_batch);
        return o;
      }())) {}
AsService::~AsService() = default;

krb::MutableByteView AsService::transport_error(krb::proto::ErrorCode code,
                                                krb::KerberosTimestamp now,
                                                krb::MutableByteView buffer) {
  Pending& p = impl_->transport_pending;  // its own: may be called from within a batch too
  p.reset();
  impl_->fail(p, code, code == ErrorCode::KRB_ERR_FIELD_TOOLONG ? "FIELD_TOOLONG" : "");
  AsReply out;
  out.buffer = buffer;
  impl_->encode_error(0, p, now, out);
  return out.bytes;
}

const AsCounters& AsService::counters() const {
  return impl_->counters;
}
const AsOptions& AsService::options() const {
  return impl_->opts;
}

void AsService::handle(std::span<const AsRequest> requests, krb::KerberosTimestamp now,
                       krb::Rng& rng, std::span<AsReply> replies) {
  const std::size_t n = std::min(requests.size(), replies.size());
  for (std::size_t at = 0; at < n; at += impl_->opts.max_batch) {
    const std::size_t len = std::min(impl_->opts.max_batch, n - at);
    impl_->batch(requests.subspan(at, len), now, rng, replies.subspan(at, len));
  }
}

// Phase 1 for one request: decode, validate, look up, choose keys. Leaves p.stage at kError
// (reply decided), kPreauth (a timestamp to open) or kIssue.
void AsService::Impl::examine(Pending& p, const AsRequest& r, krb::KerberosTimestamp now) {
  proto::DecodeOptions dopts;
  dopts.allow_trailing_bytes = opts.allow_trailing_bytes && r.transport == Transport::kUdp;
  if (!proto::decode_as_req(r.bytes, &p.req, dopts).ok()) {
    ++counters.malformed;
    // RFC 4120 §3.1.3 leaves undecodable requests to the KDC; MIT answers them, so do we.
    fail(p, ErrorCode::KRB_ERR_GENERIC, "MALFORMED_REQUEST");
    return;
  }
  p.decoded = true;
  const proto::KdcReqBody& body = p.req.req_body;
  if (body.realm != realm) return fail(p, ErrorCode::KDC_ERR_WRONG_REALM, "WRONG_REALM");
  if (!is_krbtgt(body.sname, realm)) {
    return fail(p, ErrorCode::KDC_ERR_S_PRINCIPAL_UNKNOWN, "SERVER_NOT_FOUND");
  }
  if (!body.cname || body.cname->components.empty()) {
    return fail(p, ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN, "CLIENT_NOT_FOUND");
  }
  p.client = db.find(body.cname->components.view());
  if (p.client == nullptr) {
    return fail(p, ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN, "CLIENT_NOT_FOUND");
  }
  if ((body.kdc_options & kAsInvalidOptions) != 0) {
    return fail(p, ErrorCode::KDC_ERR_BADOPTION, "BAD_OPTIONS");
  }
  const db::PrincipalPolicy& pol = p.client->policy;
  if (pol.expiration != 0 && pol.expiration < now.seconds) {
    return fail(p, ErrorCode::KDC_ERR_NAME_EXP, "CLIENT EXPIRED");
  }
  if (pol.disabled) return fail(p, ErrorCode::KDC_ERR_CLIENT_REVOKED, "CLIENT LOCKED OUT");

  // MIT checks enctypes before pre-authentication (KERBEROS-INTEROP.md §1.7).
  p.session_etype = choose_session_etype(body.etypes);
  p.reply_key = choose_key(*p.client, body.etypes);
  if (p.session_etype == 0 || p.reply_key == nullptr) {
    return fail(p, ErrorCode::KDC_ERR_ETYPE_NOSUPP, "BAD_ENCRYPTION_TYPE");
  }
  p.ticket_key = db.krbtgt().keys.empty() ? nullptr : &db.krbtgt().keys.front();
  if (p.ticket_key == nullptr) return internal_error(p);

  const proto::PaData* ts =
      p.req.padata ? proto::find_pa_data(*p.req.padata, proto::PaDataType::PA_ENC_TIMESTAMP)
                   : nullptr;
  if (ts == nullptr) {
    if (pol.requires_preauth) {
      return fail(p, ErrorCode::KDC_ERR_PREAUTH_REQUIRED, "NEEDED_PREAUTH", true);
    }
    p.stage = Stage::kIssue;
    return;
  }
  // RFC 4120 §5.2.7.2: decrypt with the client's key of the EncryptedData's etype (MIT tries
  // its current keys of that etype whatever kvno the client named).
  proto::EncryptedData ed;
  const db::PrincipalKey* k = nullptr;
  if (proto::decode_pa_enc_timestamp(ts->padata_value, &ed).ok()) k = p.client->key_for(ed.etype);
  if (k == nullptr) {
    ++counters.preauth_failed;
    return fail(p, ErrorCode::KDC_ERR_PREAUTH_FAILED, "PREAUTH_FAILED", true);
  }
  auto usage = keys.get(k->key, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP);
  if (!usage.ok()) return internal_error(p);
  p.stage = Stage::kPreauth;
  p.open_job = open_jobs.size();
  crypto::OpenJob job;
  job.key = *usage;
  job.ciphertext = ed.cipher;
  open_jobs.push_back(job);
}

// Phase 2 result for one request: the timestamp opened; is it a PA-ENC-TS-ENC within the skew?
void AsService::Impl::check_preauth(Pending& p, const crypto::OpenJob& job,
                                    krb::KerberosTimestamp now) {
  proto::PaEncTsEnc stamp;
  if (!job.status.ok() || !proto::decode_pa_enc_ts_enc(job.out.first(job.out_len), &stamp).ok()) {
    ++counters.preauth_failed;
    return fail(p, ErrorCode::KDC_ERR_PREAUTH_FAILED, "PREAUTH_FAILED", true);
  }
  // RFC 4120 §5.2.7.2 / MIT enc_ts_verify: only |patimestamp - now| <= skew; pausec ignored.
  const std::int64_t skew = db.policy().clock_skew;
  const std::int64_t diff = stamp.patimestamp - now.seconds;
  if (diff > skew || diff < -skew) {
    ++counters.preauth_failed;
    return fail(p, ErrorCode::KRB_AP_ERR_SKEW, "PREAUTH_FAILED");
  }
  ++counters.preauth_ok;
  p.preauthenticated = true;
  p.stage = Stage::kIssue;
}

krb::ByteView AsService::Impl::etype_info2(std::size_t i, const Pending& p,
                                           std::size_t small_index) {
  std::array<std::byte, 4> s2k{};
  proto::EtypeInfo2Entry e;
  e.etype = static_cast<std::int32_t>(p.reply_key->key.etype);
  e.salt = p.reply_key->salt;
  if (p.reply_key->iterations) {
    krb::store_be32(s2k.data(), *p.reply_key->iterations);
    e.s2kparams = krb::ByteView(s2k);
  }
  krb::der::Writer w(small(i, small_index));
  proto::encode_etype_info2(w, std::span<const proto::EtypeInfo2Entry>(&e, 1));
  return w.ok() ? w.view() : krb::ByteView();
}

void AsService::Impl::encode_error(std::size_t i, const Pending& p, krb::KerberosTimestamp now,
                                   AsReply& out) {
  proto::KrbError err;
  err.stime = now.seconds;
  err.susec = now.usec;
  err.error_code = p.error;
  if (p.decoded) {
    // Echo the requested client realm and name: MIT clients treat a different crealm as a
    // referral (KERBEROS-INTEROP.md §1.7).
    err.crealm = p.req.req_body.realm;
    err.cname = p.req.req_body.cname;
  }
  err.realm = realm;
  err.sname = krbtgt_name;
  if (!p.e_text.empty()) err.e_text = p.e_text;
  if (p.hints && p.reply_key != nullptr) {
    // KERBEROS-INTEROP.md §1.3: MIT clients need PA-ENC-TIMESTAMP in the hints, and take salt
    // and iteration count from ETYPE-INFO2. No FX-FAST: this KDC does not implement FAST.
    const proto::PaData md[2] = {{proto::PaDataType::PA_ETYPE_INFO2, etype_info2(i, p, 0)},
                                 {proto::PaDataType::PA_ENC_TIMESTAMP, {}}};
    krb::der::Writer w(small(i, 1));
    proto::encode_method_data(w, md);
    if (w.ok()) err.e_data = w.view();
  }
  krb::der::Writer w(out.buffer);
  proto::encode_krb_error(w, err);
  out.bytes = w.ok() ? written(out.buffer, w) : krb::MutableByteView();
  out.kind = w.ok() ? ReplyKind::kError : ReplyKind::kNone;
  out.error = p.error;
  if (w.ok()) counters.count_error(p.error);
  if (p.internal) ++counters.internal;
}

// Phase 3 for one request: times, flags and the two plaintexts, queued for sealing.
bool AsService::Impl::build_ticket(std::size_t i, Pending& p, krb::KerberosTimestamp now) {
  const proto::KdcReqBody& body = p.req.req_body;
  const db::Principal& tgs = db.krbtgt();
  const db::PrincipalPolicy& cp = p.client->policy;
  const db::RealmPolicy& rp = db.policy();
  Issued& is = issued[i];

  // RFC 4120 §3.1.3: endtime is the earliest of the request's till and the lifetimes allowed.
  const std::int64_t life = min_nonzero(min_nonzero(rp.max_life, cp.max_life), tgs.policy.max_life);
  const std::int64_t till = body.till == 0 ? kInfinity : body.till;
  is.endtime = std::min(till, add_clamped(now.seconds, life));
  if (is.endtime <= now.seconds) {
    fail(p, ErrorCode::KDC_ERR_NEVER_VALID, "NEVER_VALID");
    return false;
  }
  std::uint32_t flags = TicketFlags::INITIAL;
  if (p.preauthenticated) flags |= TicketFlags::PRE_AUTHENT;
  if ((body.kdc_options & KdcOptions::FORWARDABLE) && cp.allow_forwardable &&
      tgs.policy.allow_forwardable) {
    flags |= TicketFlags::FORWARDABLE;
  }
  if ((body.kdc_options & KdcOptions::PROXIABLE) && cp.allow_proxiable &&
      tgs.policy.allow_proxiable) {
    flags |= TicketFlags::PROXIABLE;
  }
  // MIT kdc_get_ticket_renewtime: RENEWABLE asks up to rtime; RENEWABLE-OK turns a till the
  // lifetime cut short into a renewable ticket up to till. renew-till never exceeds what was
  // asked (clients reject it, KERBEROS-INTEROP.md §1.5).
  is.renew_till.reset();
  std::int64_t rtime = 0;
  if (body.kdc_options & KdcOptions::RENEWABLE) {
    rtime = body.rtime.value_or(0) == 0 ? kInfinity : *body.rtime;
  } else if ((body.kdc_options & KdcOptions::RENEWABLE_OK) && is.endtime < till) {
    rtime = till;
  }
  const std::int64_t rlife = min_nonzero(min_nonzero(rp.max_renewable_life, cp.max_renewable_life),
                                         tgs.policy.max_renewable_life);
  if (rtime != 0 && cp.allow_renewable && tgs.policy.allow_renewable) {
    const std::int64_t renew_till = std::min(rtime, add_clamped(now.seconds, rlife));
    if (renew_till > is.endtime) {
      is.renew_till = renew_till;
      flags |= TicketFlags::RENEWABLE;
    }
  }
  const bool enc_pa_rep =
      p.req.padata &&
      proto::find_pa_data(*p.req.padata, proto::PaDataType::PA_REQ_ENC_PA_REP) != nullptr;
  if (enc_pa_rep) flags |= TicketFlags::ENC_PA_REP;  // RFC 6806 §11
  is.flags = flags;

  const auto* sinfo = crypto::enctype_info(p.session_etype);
  const krb::ByteView session(session_bytes.data() + p.session_key_offset, sinfo->key_bytes);

  // Authorization data: AD-IF-RELEVANT { AD-WIN2K-PAC } (MIT 1.20), then the principal's own.
  proto::AuthorizationData ad;
  if (rp.pac && !cp.no_pac) {
    auto pac_key = keys.get(p.ticket_key->key, crypto::KeyUsage::KERB_NON_KERB_CKSUM_SALT);
    if (!pac_key.ok()) return false;
    char name[kMaxPacNameBytes];
    std::size_t len = 0;
    for (std::size_t c = 0; c < body.cname->components.size(); ++c) {
      const std::string_view comp = body.cname->components[c];
      if (len + comp.size() + 1 > sizeof(name)) return false;
      if (c != 0) name[len++] = '/';
      std::copy(comp.begin(), comp.end(), name + len);
      len += comp.size();
    }
    auto pac_len = build_minimal_pac(std::string_view(name, len), now.seconds, **pac_key, pac(i));
    if (!pac_len.ok()) return false;
    const proto::AuthorizationDataEntry inner{proto::AuthorizationDataType::AD_WIN2K_PAC,
                                              pac(i).first(*pac_len)};
    krb::der::Writer w(small(i, 2));
    proto::encode_ad_if_relevant(w, std::span<const proto::AuthorizationDataEntry>(&inner, 1));
    if (!w.ok()) return false;
    (void)ad.push_back({proto::AuthorizationDataType::AD_IF_RELEVANT, w.view()});
  }
  for (const db::AuthorizationElement& e : p.client->authorization_data) {
    if (!ad.push_back({static_cast<proto::AuthorizationDataType>(e.ad_type), e.ad_data})) break;
  }

  proto::EncTicketPart tkt;
  tkt.flags = flags;
  tkt.key = {p.session_etype, session};
  tkt.crealm = realm;
  tkt.cname = *body.cname;
  tkt.transited = {proto::TransitedType::DOMAIN_X500_COMPRESS, {}};
  tkt.authtime = now.seconds;
  tkt.endtime = is.endtime;
  tkt.renew_till = is.renew_till;
  tkt.caddr = body.addresses;
  if (!ad.empty()) tkt.authorization_data = ad;
  krb::der::Writer tw(ticket_plain(i));
  proto::encode_enc_ticket_part(tw, tkt);
  if (!tw.ok()) return false;

  proto::EncKdcRepPart rep;
  rep.tag = opts.mit_enc_part_tag ? proto::EncRepPartTag::ENC_TGS_REP_PART
                                  : proto::EncRepPartTag::ENC_AS_REP_PART;
  rep.key = tkt.key;
  // No last-request information is kept: one entry of type 0, as MIT sends (§5.4).
  (void)rep.last_req.push_back({proto::LastReqType::LR_NONE, 0});
  rep.nonce = body.nonce;  // echoed as decoded, so it re-encodes to the client's bytes
  const std::int64_t key_exp = min_nonzero(cp.pw_expiration, cp.expiration);
  if (key_exp != 0) rep.key_expiration = key_exp;
  rep.flags = flags;
  rep.authtime = now.seconds;
  rep.endtime = is.endtime;
  rep.renew_till = is.renew_till;
  rep.srealm = realm;
  rep.sname = krbtgt_name;
  rep.caddr = body.addresses;
  std::array<std::byte, 64> cksum_bytes{};
  if (enc_pa_rep) {
    // RFC 6806 §11: a checksum over the AS-REQ exactly as received, reply key, usage 56.
    auto ck_key = keys.get(p.reply_key->key, crypto::KeyUsage::AS_REQ);
    if (!ck_key.ok()) return false;
    auto n = crypto::make_checksum(**ck_key, p.req.raw, cksum_bytes);
    if (!n.ok()) return false;
    proto::Checksum ck{
        static_cast<std::int32_t>(crypto::enctype_info(p.reply_key->key.etype)->checksum),
        krb::ByteView(cksum_bytes).first(*n)};
    krb::der::Writer cw(small(i, 1));
    proto::encode_checksum(cw, ck);
    if (!cw.ok()) return false;
    proto::MethodData epa;
    (void)epa.push_back({proto::PaDataType::PA_REQ_ENC_PA_REP, cw.view()});
    rep.encrypted_pa_data = epa;
  }
  krb::der::Writer rw(rep_plain(i));
  proto::encode_enc_kdc_rep_part(rw, rep);
  if (!rw.ok()) return false;

  auto tkt_key = keys.get(p.ticket_key->key, crypto::KeyUsage::KDC_REP_TICKET);
  auto rep_key = keys.get(p.reply_key->key, crypto::KeyUsage::AS_REP_ENC_PART);
  if (!tkt_key.ok() || !rep_key.ok()) return false;
  crypto::SealJob sj;
  sj.key = *tkt_key;
  p.ticket_plain = written(ticket_plain(i), tw);
  sj.plaintext = p.ticket_plain;
  sj.out = ticket_cipher(i);
  p.ticket_seal = seal_jobs.size();
  seal_jobs.push_back(sj);
  sj.key = *rep_key;
  p.rep_plain = written(rep_plain(i), rw);
  sj.plaintext = p.rep_plain;
  sj.out = rep_cipher(i);
  p.rep_seal = seal_jobs.size();
  seal_jobs.push_back(sj);
  return true;
}

void AsService::Impl::encode_as_rep(std::size_t i, Pending& p, const AsRequest& r, AsReply& out) {
  const crypto::SealJob& tj = seal_jobs[p.ticket_seal];
  const crypto::SealJob& rj = seal_jobs[p.rep_seal];
  proto::AsRep rep;
  // AS-REP padata: one ETYPE-INFO2 entry for the reply key, as MIT sends (§5.4).
  proto::MethodData md;
  (void)md.push_back({proto::PaDataType::PA_ETYPE_INFO2, etype_info2(i, p, 0)});
  rep.padata = md;
  rep.crealm = realm;
  rep.cname = *p.req.req_body.cname;
  rep.ticket.realm = realm;
  rep.ticket.sname = krbtgt_name;
  rep.ticket.enc_part = {static_cast<std::int32_t>(p.ticket_key->key.etype), p.ticket_key->kvno,
                         tj.out.first(tj.out_len)};
  // The reply part's kvno is omitted, as MIT does (§5.3).
  rep.enc_part = {static_cast<std::int32_t>(p.reply_key->key.etype), std::nullopt,
                  rj.out.first(rj.out_len)};
  krb::der::Writer w(out.buffer);
  proto::encode_as_rep(w, rep);
  if (!w.ok()) return internal_error(p);  // the caller encodes the error
  if (r.transport == Transport::kUdp && w.size() > opts.max_udp_reply) {
    // RFC 4120 §7.2.1: the client retries the same request over TCP.
    fail(p, ErrorCode::KRB_ERR_RESPONSE_TOO_BIG, "RESPONSE_TOO_BIG");
    return;  // the caller encodes the error
  }
  out.bytes = written(out.buffer, w);
  out.kind = ReplyKind::kAsRep;
  out.error = ErrorCode::KDC_ERR_NONE;
  ++counters.as_rep;
}

void AsService::Impl::batch(std::span<const AsRequest> requests, krb::KerberosTimestamp now,
                            krb::Rng& rng, std::span<AsReply> replies) {
  const std::size_t n = requests.size();
  counters.requests += n;
  open_jobs.clear();
  seal_jobs.clear();
  const crypto::KeyCache::Pin pin(keys);  // the jobs hold pointers into it until the end

  // Phase 1: decode and decide what each request needs.
  for (std::size_t i = 0; i < n; ++i) {
    Pending& p = pending[i];
    p.reset();
    examine(p, requests[i], now);
  }

  // Phase 2: every pre-authentication timestamp in one crypto batch (usage 1). Plaintexts go
  // to the request's rep_plain slot, unused until phase 3.
  for (std::size_t i = 0; i < n; ++i) {
    if (pending[i].stage == Stage::kPreauth) open_jobs[pending[i].open_job].out = rep_plain(i);
  }
  crypto::open_batch(open_jobs);
  for (std::size_t i = 0; i < n; ++i) {
    if (pending[i].stage == Stage::kPreauth) {
      check_preauth(pending[i], open_jobs[pending[i].open_job], now);
    }
  }

  // Phase 3: one RNG call for every session key, then the plaintexts.
  std::size_t key_bytes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Pending& p = pending[i];
    if (p.stage != Stage::kIssue) continue;
    p.session_key_offset = key_bytes;
    key_bytes += crypto::enctype_info(p.session_etype)->key_bytes;
  }
  if (key_bytes > 0) rng.fill(session_bytes.mutable_view().first(key_bytes));
  for (std::size_t i = 0; i < n; ++i) {
    Pending& p = pending[i];
    if (p.stage == Stage::kIssue && !build_ticket(i, p, now) && p.stage == Stage::kIssue) {
      internal_error(p);
    }
  }

  // Phase 4: every ticket and reply part in one crypto batch.
  crypto::seal_batch(seal_jobs, rng);

  // Phase 5: encode. Session keys and plaintexts are wiped once sealed.
  for (std::size_t i = 0; i < n; ++i) {
    Pending& p = pending[i];
    AsReply& out = replies[i];
    out.bytes = {};
    out.kind = ReplyKind::kNone;
    if (p.stage == Stage::kIssue) {
      if (!seal_jobs[p.ticket_seal].status.ok() || !seal_jobs[p.rep_seal].status.ok()) {
        internal_error(p);
      } else {
        encode_as_rep(i, p, requests[i], out);
      }
    }
    if (p.stage == Stage::kError) encode_error(i, p, now, out);
    // Plaintexts that were built are wiped once sealed: they hold the session key.
    if (!p.ticket_plain.empty()) {
      krb::secure_wipe(p.ticket_plain.data(), p.ticket_plain.size());
    }
    if (!p.rep_plain.empty()) {
      krb::secure_wipe(p.rep_plain.data(), p.rep_plain.size());
    }
  }
  krb::secure_wipe(session_bytes.data(), key_bytes);
}

}  // namespace kdcperf::kdc::as
