#include "loadgen/clients/request_factory.hpp"

#include <cstring>

#include "krb/der/tag.hpp"
#include "krb/proto/padata.hpp"

namespace kdcperf::loadgen::clients {

namespace der = krb::der;
namespace proto = krb::proto;
using krb::Err;
using krb::Result;

namespace {

// KDC-REQ (RFC 4120 §5.4.1).
constexpr unsigned kReqPvno = 1;
constexpr unsigned kReqMsgType = 2;
constexpr unsigned kReqPadata = 3;
constexpr unsigned kReqBody = 4;
// KDC-REQ-BODY.
constexpr unsigned kBodyOptions = 0;
constexpr unsigned kBodyCname = 1;
constexpr unsigned kBodyRealm = 2;
constexpr unsigned kBodySname = 3;
constexpr unsigned kBodyTill = 5;
constexpr unsigned kBodyNonce = 7;
constexpr unsigned kBodyEtype = 8;
// PrincipalName (§5.2.2), PA-DATA (§5.2.7: the first tag is [1]), EncryptedData (§5.2.9),
// PA-ENC-TS-ENC (§5.2.7.2).
constexpr unsigned kNameType = 0;
constexpr unsigned kNameString = 1;
constexpr unsigned kPaType = 1;
constexpr unsigned kPaValue = 2;
constexpr unsigned kEncEtype = 0;
constexpr unsigned kEncCipher = 2;
constexpr unsigned kTsTimestamp = 0;
constexpr unsigned kTsUsec = 1;
constexpr std::int64_t kPvno = 5;
constexpr std::array<std::int32_t, 5> kSlotEtypes = {17, 18, 19, 20, 23};

int slot_of(std::int32_t etype) {
  for (std::size_t i = 0; i < kSlotEtypes.size(); ++i) {
    if (kSlotEtypes[i] == etype) return static_cast<int>(i);
  }
  return -1;
}

krb::Buffer copy(const der::Writer& w) {
  return krb::Buffer(w.view().begin(), w.view().end());
}

krb::Buffer etype_block(std::span<const std::int32_t> etypes) {
  der::Writer w(64);
  const std::size_t end = w.mark();
  for (std::size_t i = etypes.size(); i-- > 0;) w.integer(etypes[i]);
  w.wrap(der::kSequence, end);
  w.wrap(der::ctx(kBodyEtype), end);
  return copy(w);
}

}  // namespace

krb::ByteView RequestFactory::TimeField::get(unsigned field, std::int64_t unix_seconds) {
  if (unix_seconds != seconds) {
    char text[15];
    der::format_kerberos_time(unix_seconds, text);
    bytes[0] = std::byte(der::ctx(field));
    bytes[1] = std::byte{17};
    bytes[2] = std::byte(der::kGeneralizedTime);
    bytes[3] = std::byte{15};
    std::memcpy(bytes.data() + 4, text, sizeof text);
    seconds = unix_seconds;
  }
  return bytes;
}

RequestFactory::RequestFactory(const Population& population, RequestOptions opts,
                               krb::Rng* confounder_rng)
    : pop_(population),
      opts_(std::move(opts)),
      w_(1024),
      ts_w_(64),
      rng_(confounder_rng != nullptr ? confounder_rng : &own_rng_) {
  if (opts_.etypes.size() > proto::kMaxEtypes) opts_.etypes.resize(proto::kMaxEtypes);
  der::Writer w(256);
  w.ctx_integer(kReqMsgType, static_cast<std::int32_t>(proto::MessageType::AS_REQ));
  w.ctx_integer(kReqPvno, kPvno);
  head_ = copy(w);

  w.reset();
  w.ctx_kerberos_flags(kBodyOptions, opts_.kdc_options);
  options_ = copy(w);

  w.reset();
  proto::PrincipalName sname;
  sname.name_type = proto::NameType::NT_SRV_INST;
  (void)sname.components.push_back("krbtgt");  // RFC 4120 §7.3
  (void)sname.components.push_back(pop_.realm());
  std::size_t m = w.mark();
  proto::encode_principal_name(w, sname);
  w.wrap(der::ctx(kBodySname), m);
  w.ctx_general_string(kBodyRealm, pop_.realm());
  realm_sname_ = copy(w);

  etypes_ = etype_block(opts_.etypes);
  default_etypes_ = etype_block(kDefaultEtypes);
  for (std::size_t i = 0; i < kSlotEtypes.size(); ++i) {
    one_etype_block_[i] = etype_block(std::span<const std::int32_t>(&kSlotEtypes[i], 1));
  }

  w.reset();
  m = w.mark();
  const std::size_t v = w.mark();
  proto::encode_pa_pac_request(w, proto::PaPacRequest{true});
  w.wrap(der::kOctetString, v);
  w.wrap(der::ctx(kPaValue), v);
  w.ctx_integer(kPaType, static_cast<std::int32_t>(proto::PaDataType::PA_PAC_REQUEST));
  w.wrap(der::kSequence, m);
  pac_request_ = copy(w);
}

std::span<const std::int32_t> RequestFactory::etypes_for(std::uint32_t client) {
  if (!opts_.etypes.empty()) return opts_.etypes;
  one_etype_[0] = static_cast<std::int32_t>(pop_.key_etype(client));
  if (slot_of(one_etype_[0]) < 0) return kDefaultEtypes;
  return one_etype_;
}

Result<std::size_t> RequestFactory::build_probe(std::uint32_t client, std::int64_t nonce,
                                                krb::KerberosTimestamp now,
                                                krb::MutableByteView out) {
  return build(client, nullptr, krb::crypto::Enctype{}, nonce, now, out);
}

Result<krb::ByteView> RequestFactory::timestamp_plaintext(krb::KerberosTimestamp now) {
  ts_w_.reset();
  const std::size_t end = ts_w_.mark();
  ts_w_.ctx_integer(kTsUsec, now.usec);
  ts_w_.raw(stamp_.get(kTsTimestamp, now.seconds));
  ts_w_.wrap(der::kSequence, end);
  KRB_RETURN_IF_ERROR(ts_w_.status());
  return ts_w_.view();
}

Result<std::size_t> RequestFactory::build_sealed(std::uint32_t client, krb::crypto::Enctype etype,
                                                 krb::ByteView cipher, std::int64_t nonce,
                                                 krb::KerberosTimestamp now,
                                                 krb::MutableByteView out) {
  return build(client, &cipher, etype, nonce, now, out);
}

Result<std::size_t> RequestFactory::build_preauth(std::uint32_t client,
                                                  const krb::crypto::UsageKey& ts_key,
                                                  std::int64_t nonce, krb::KerberosTimestamp now,
                                                  krb::MutableByteView out) {
  KRB_ASSIGN_OR_RETURN(const krb::ByteView plain, timestamp_plaintext(now));
  std::array<std::byte, kMaxTimestampCipher> cipher;
  if (plain.size() + ts_key.overhead() > cipher.size()) return Err::kBufferTooSmall;
  KRB_ASSIGN_OR_RETURN(const std::size_t n, krb::crypto::seal(ts_key, plain, cipher, *rng_));
  const krb::ByteView sealed(cipher.data(), n);
  return build(client, &sealed, ts_key.etype(), nonce, now, out);
}

void RequestFactory::put_cname(std::uint32_t client) {
  // PrincipalName{ [0] NT-PRINCIPAL, [1] SEQUENCE OF KerberosString }, written backwards;
  // kNtPrincipal is the whole name-type field, [kNameType] INTEGER 1.
  static constexpr std::byte kNtPrincipal[] = {std::byte{0xa0}, std::byte{0x03}, std::byte{0x02},
                                               std::byte{0x01}, std::byte{0x01}};
  proto::PrincipalName name;
  pop_.principal_name(client, &name);
  der::Writer& w = w_;
  const std::size_t field = w.mark();
  const std::size_t strings = w.mark();
  for (std::size_t i = name.components.size(); i-- > 0;) w.general_string(name.components[i]);
  w.wrap(der::kSequence, strings);
  w.wrap(der::ctx(kNameString), strings);
  w.raw(kNtPrincipal);
  w.wrap(der::kSequence, field);
  w.wrap(der::ctx(kBodyCname), field);
  static_assert(kNameType == 0, "kNtPrincipal starts with [0]");
}

Result<std::size_t> RequestFactory::build(std::uint32_t client, const krb::ByteView* cipher,
                                          krb::crypto::Enctype etype, std::int64_t nonce,
                                          krb::KerberosTimestamp now, krb::MutableByteView out) {
  if (client >= pop_.size()) return Err::kInvalidArgument;

  der::Writer& w = w_;
  w.reset();
  const std::size_t end = w.mark();
  // req-body [4] KDC-REQ-BODY.
  const std::size_t body = w.mark();
  if (!opts_.etypes.empty()) {
    w.raw(etypes_);
  } else {
    // Only the client key's etype; a client without one yet (a probe before keys are made)
    // lists the default etypes.
    const int slot = slot_of(static_cast<std::int32_t>(pop_.key_etype(client)));
    w.raw(slot < 0 ? default_etypes_ : one_etype_block_[static_cast<std::size_t>(slot)]);
  }
  w.ctx_integer(kBodyNonce, nonce);
  w.raw(till_.get(kBodyTill, now.seconds + opts_.lifetime_seconds));
  w.raw(realm_sname_);
  put_cname(client);
  w.raw(options_);
  w.wrap(der::kSequence, body);
  w.wrap(der::ctx(kReqBody), body);

  if (cipher != nullptr || opts_.pac_request) {
    // MIT's order: the real pre-authentication first, then the others (KERBEROS-INTEROP.md
    // §1.2); written backwards, so PA-PAC-REQUEST goes in first.
    const std::size_t list = w.mark();
    if (opts_.pac_request) w.raw(pac_request_);
    if (cipher != nullptr) {
      // PA-DATA{2, OCTET STRING{EncryptedData{etype, cipher}}}: no kvno, as MIT sends it (§1.4).
      const std::size_t pa = w.mark();
      const std::size_t value = w.mark();
      w.ctx_octet_string(kEncCipher, *cipher);
      w.ctx_integer(kEncEtype, static_cast<std::int32_t>(etype));
      w.wrap(der::kSequence, value);
      w.wrap(der::kOctetString, value);
      w.wrap(der::ctx(kPaValue), value);
      w.ctx_integer(kPaType, static_cast<std::int32_t>(proto::PaDataType::PA_ENC_TIMESTAMP));
      w.wrap(der::kSequence, pa);
    }
    w.wrap(der::kSequence, list);
    w.wrap(der::ctx(kReqPadata), list);
  }
  w.raw(head_);
  w.wrap(der::kSequence, end);
  w.wrap(der::app(static_cast<unsigned>(proto::MessageType::AS_REQ)), end);
  KRB_RETURN_IF_ERROR(w.status());
  const krb::ByteView msg = w.view();
  if (msg.size() > out.size()) return Err::kBufferTooSmall;
  std::memcpy(out.data(), msg.data(), msg.size());
  return msg.size();
}

Result<std::size_t> build_probe_request(const Population& population, std::uint32_t client,
                                        std::int64_t nonce, krb::KerberosTimestamp now,
                                        krb::MutableByteView out, const RequestOptions& opts) {
  RequestFactory f(population, opts);
  return f.build_probe(client, nonce, now, out);
}

}  // namespace kdcperf::loadgen::clients
