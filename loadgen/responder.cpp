// kdcperf-responder: the floor under kdcperf's own ceiling, on one core with recvmmsg/sendmmsg
// batches: what kdcperf reaches against it is what kdcperf itself can do.
//
// Two modes:
//   canned (default)  every datagram gets one fixed, pre-captured reply (by default the AS-REP
//                     MIT's KDC sent in krb/testdata/mit/aes256_as_rep.hex). Nothing Kerberos:
//                     the reply is opaque bytes, so a checking kdcperf fails every nonce.
//   --seal            every AS-REQ gets a valid AS-REP for it (RFC 4120 §3.1.3, §5.4.2): the
//                     request's nonce, cname and realm, an EncASRepPart sealed under the
//                     client's key (key usage 3), and the captured reply's Ticket as an opaque
//                     blob (kdcperf never opens the ticket). No pre-authentication check and no
//                     policy: it is a floor, not a KDC. A cname with no key gets KRB-ERROR
//                     C_PRINCIPAL_UNKNOWN; an undecodable datagram is counted and dropped.
//
//   kdcperf-responder [--listen 127.0.0.1:8888] [--reply-hex FILE | --reply FILE] [--cpu N]
//                     [--duration SECONDS] [--port-file FILE] [--allow-non-loopback]
//                     [--seal (--keytab FILE | --principal NAME@REALM
//                              (--password PW | --password-file FILE))]
//
// Prints "listening on ADDR" when ready, and its counts on exit (SIGINT/SIGTERM or duration).
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/address.hpp"
#include "io/socket.hpp"
#include "krb/base/rng.hpp"
#include "krb/base/secret.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/enctype.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/der/writer.hpp"
#include "krb/files/keytab.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/krb_error.hpp"
#include "krb/proto/padata.hpp"
#include "krb/proto/ticket.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop = true;
}

#ifdef KDCPERF_SOURCE_DIR
constexpr const char* kDefaultReply = KDCPERF_SOURCE_DIR "/krb/testdata/mit/aes256_as_rep.hex";
#else
constexpr const char* kDefaultReply = "krb/testdata/mit/aes256_as_rep.hex";
#endif

constexpr int kBatch = 64;
constexpr std::size_t kMaxDatagram = 65536;

bool read_bytes(const std::string& path, bool hex, std::vector<unsigned char>* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  if (!hex) {
    out->assign(text.begin(), text.end());
    return true;
  }
  // Hex digits; whitespace and '#' comment lines ignored (the krb/testdata/*.hex format).
  std::string digits;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '#') continue;
    for (char c : line) {
      if (std::isxdigit(static_cast<unsigned char>(c))) {
        digits += c;
      } else if (!std::isspace(static_cast<unsigned char>(c))) {
        return false;
      }
    }
  }
  if (digits.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out->push_back(static_cast<unsigned char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return true;
}

namespace krb = kdcperf::krb;
namespace proto = kdcperf::krb::proto;
namespace crypto = kdcperf::krb::crypto;

// --seal. Reply parts are a few hundred bytes (MIT's whole AS-REP is 840 with a PAC; these
// carry none): each slot is several times that. A reply that does not fit is counted, dropped.
constexpr std::size_t kPlainSlot = 2048;
constexpr std::size_t kCipherSlot = kPlainSlot + 64;  // + confounder and MAC
constexpr std::size_t kReplySlot = 4096;
constexpr std::size_t kNoJob = ~std::size_t{0};
constexpr std::int64_t kLifetime = 10 * 3600;    // MIT's default max_life
constexpr std::string_view kTgsName = "krbtgt";  // RFC 4120 §7.3

// A client's lookup key: its name components and realm joined by NUL, which no KerberosString
// holds (the DER reader refuses it), so two different names never share a key.
constexpr std::size_t kMaxNameKey = 1024;
bool name_key(std::span<const std::string_view> components, std::string_view realm, char* buf,
              std::size_t* len) {
  std::size_t at = 0;
  for (std::string_view c : components) {
    if (at + c.size() + 1 > kMaxNameKey) return false;
    std::memcpy(buf + at, c.data(), c.size());
    at += c.size();
    buf[at++] = '\0';
  }
  if (at + realm.size() > kMaxNameKey) return false;
  std::memcpy(buf + at, realm.data(), realm.size());
  *len = at + realm.size();
  return true;
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One long-term key of a client. Its prepared key-usage-3 state (RFC 4120 §7.5.1) is made on
// the client's first request and then reused, so a large keytab costs only the keys in use.
struct ClientKey {
  crypto::Key key;
  std::uint32_t kvno = 0;
  std::optional<crypto::UsageKey> reply;
};

proto::PrincipalName tgs_name(std::string_view realm) {
  proto::PrincipalName n;
  n.name_type = proto::NameType::NT_SRV_INST;
  (void)n.components.push_back(kTgsName);
  (void)n.components.push_back(realm);
  return n;
}

struct SealCounts {
  unsigned long long requests = 0, sealed = 0, errors = 0, unknown = 0, etype = 0, malformed = 0,
                     internal = 0;
};

// Answers a batch of AS-REQs with AS-REPs sealed for them: one decode per datagram, one crypto
// batch per recvmmsg batch (one rng call for all confounders), no allocation once warm.
class Sealer {
 public:
  explicit Sealer(std::size_t batch)
      : reqs_(batch),
        plain_(batch * kPlainSlot),
        cipher_(batch * kCipherSlot),
        replies_(batch * kReplySlot),
        slot_job_(batch),
        views_(batch),
        session_(32) {
    jobs_.reserve(batch);
    // Session keys: random once, then a counter in their first 8 bytes. Not secret-quality
    // (a floor, not a KDC), and it keeps the rng to one call per batch.
    rng_.fill(session_.mutable_view());
  }

  // A newer kvno of an enctype replaces an older one; enctypes the library lacks are skipped.
  void add_key(std::span<const std::string_view> components, std::string_view realm,
               crypto::Key key, std::uint32_t kvno) {
    if (crypto::enctype_info(static_cast<std::int32_t>(key.etype)) == nullptr) return;
    char buf[kMaxNameKey];
    std::size_t len = 0;
    if (!name_key(components, realm, buf, &len)) return;
    auto& keys = clients_[std::string(buf, len)];
    for (ClientKey& k : keys) {
      if (k.key.etype != key.etype) continue;
      if (kvno >= k.kvno) k = ClientKey{std::move(key), kvno, std::nullopt};
      return;
    }
    keys.push_back(ClientKey{std::move(key), kvno, std::nullopt});
  }
  std::size_t clients() const { return clients_.size(); }

  // The Ticket every AS-REP carries, taken from a captured AS-REP and sent back as is: kdcperf
  // never opens the ticket (it has no krbtgt key).
  bool set_ticket_from(const std::vector<unsigned char>& as_rep) {
    ticket_source_.resize(as_rep.size());
    std::memcpy(ticket_source_.data(), as_rep.data(), as_rep.size());
    proto::AsRep rep;
    if (!proto::decode_as_rep(krb::ByteView(ticket_source_), &rep).ok()) return false;
    ticket_enc_part_ = rep.ticket.enc_part;
    return true;
  }

  // Answers in[0..n): writes the replies as out[0..k) (peer and one iovec each), returns k.
  int answer(const mmsghdr* in, int n, mmsghdr* out, iovec* out_iov);
  const SealCounts& counts() const { return counts_; }

 private:
  krb::MutableByteView plain(std::size_t i) { return {plain_.data() + i * kPlainSlot, kPlainSlot}; }
  krb::MutableByteView cipher(std::size_t i) {
    return {cipher_.data() + i * kCipherSlot, kCipherSlot};
  }
  krb::MutableByteView reply(std::size_t i) {
    return {replies_.data() + i * kReplySlot, kReplySlot};
  }
  ClientKey* choose_key(const proto::KdcReqBody& body, bool* known);
  void error(std::size_t i, proto::ErrorCode code, std::string_view text, const timespec& now);
  bool build_part(std::size_t i, ClientKey& key, std::int64_t now);
  bool build_rep(std::size_t i, const crypto::SealJob& job);

  std::unordered_map<std::string, std::vector<ClientKey>, StringHash, std::equal_to<>> clients_;
  krb::Buffer ticket_source_;
  proto::EncryptedData ticket_enc_part_;  // borrows from ticket_source_
  std::vector<proto::AsReq> reqs_;
  krb::SecretBytes plain_;  // EncASRepParts hold the session key: wiped once sealed
  krb::Buffer cipher_;
  krb::Buffer replies_;
  std::vector<crypto::SealJob> jobs_;
  std::vector<std::size_t> slot_job_;
  std::vector<krb::ByteView> views_;  // each slot's reply, empty when dropped
  krb::SecretBytes session_;
  std::uint64_t session_counter_ = 0;
  krb::SystemRng rng_;
  SealCounts counts_;
};

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

// "a/b@REALM" (no escapes) with a password: keys of every enctype the library implements,
// with the default salt (RFC 4120 §4), as a client without ETYPE-INFO2 derives them.
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

bool add_keytab_keys(Sealer& sealer, const std::string& path) {
  std::vector<unsigned char> file;
  if (!read_bytes(path, false, &file)) return false;
  auto entries = krb::files::read_keytab(std::as_bytes(std::span(file)));
  krb::secure_wipe(file.data(), file.size());
  if (!entries.ok()) return false;
  for (krb::files::KeytabEntry& e : *entries) {
    std::vector<std::string_view> comps(e.principal.components.begin(),
                                        e.principal.components.end());
    sealer.add_key(comps, e.principal.realm,
                   crypto::Key{static_cast<crypto::Enctype>(e.enctype), std::move(e.key)}, e.kvno);
  }
  return true;
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--listen 127.0.0.1:8888] [--reply-hex FILE | --reply FILE] "
               "[--cpu N] [--duration SECONDS] [--port-file FILE] [--allow-non-loopback]\n"
               "          [--seal (--keytab FILE | --principal NAME@REALM (--password PW | "
               "--password-file FILE))]\n"
               "  --seal  answer each AS-REQ with a valid AS-REP sealed under the client's key "
               "(the\n          reply file gives only the Ticket); unknown clients get "
               "KRB-ERROR 6\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:8888";
  std::string reply_path = kDefaultReply;
  bool reply_hex = true;
  int cpu = -1;
  double duration = 0;
  std::string port_file;
  bool allow_non_loopback = false;
  bool seal = false;
  std::string keytab, principal, password, password_file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--listen" && (v = value())) {
      listen = v;
    } else if (a == "--reply-hex" && (v = value())) {
      reply_path = v;
      reply_hex = true;
    } else if (a == "--reply" && (v = value())) {
      reply_path = v;
      reply_hex = false;
    } else if (a == "--cpu" && (v = value())) {
      cpu = std::atoi(v);
    } else if (a == "--duration" && (v = value())) {
      duration = std::atof(v);
    } else if (a == "--port-file" && (v = value())) {
      port_file = v;
    } else if (a == "--allow-non-loopback") {
      allow_non_loopback = true;
    } else if (a == "--seal") {
      seal = true;
    } else if (a == "--keytab" && (v = value())) {
      keytab = v;
    } else if (a == "--principal" && (v = value())) {
      principal = v;
    } else if (a == "--password" && (v = value())) {
      password = v;
    } else if (a == "--password-file" && (v = value())) {
      password_file = v;
    } else {
      return usage(argv[0]);
    }
  }

  std::vector<unsigned char> reply;
  if (!read_bytes(reply_path, reply_hex, &reply) || reply.empty() || reply.size() > kMaxDatagram) {
    std::fprintf(stderr, "kdcperf-responder: cannot read a reply from %s\n", reply_path.c_str());
    return 2;
  }
  std::optional<Sealer> sealer;
  if (seal) {
    sealer.emplace(static_cast<std::size_t>(kBatch));
    if (!sealer->set_ticket_from(reply)) {
      std::fprintf(stderr, "kdcperf-responder: --seal: %s is not an AS-REP\n", reply_path.c_str());
      return 2;
    }
    if (!password_file.empty()) {
      std::ifstream pf(password_file);
      if (!pf || !std::getline(pf, password)) {
        std::fprintf(stderr, "kdcperf-responder: cannot read %s\n", password_file.c_str());
        return 2;
      }
    }
    if (keytab.empty() == principal.empty() || principal.empty() != password.empty()) {
      std::fprintf(stderr,
                   "kdcperf-responder: --seal needs --keytab, or --principal with a password\n");
      return usage(argv[0]);
    }
    const bool loaded = keytab.empty() ? add_password_keys(*sealer, principal, password)
                                       : add_keytab_keys(*sealer, keytab);
    krb::secure_wipe(password.data(), password.size());
    if (!loaded || sealer->clients() == 0) {
      std::fprintf(stderr, "kdcperf-responder: --seal: no usable client key from %s\n",
                   keytab.empty() ? principal.c_str() : keytab.c_str());
      return 2;
    }
  } else if (!keytab.empty() || !principal.empty() || !password.empty() || !password_file.empty()) {
    return usage(argv[0]);
  }
  auto addr = kdcperf::io::parse_address(listen);
  if (!addr) {
    std::fprintf(stderr, "kdcperf-responder: bad address %s\n", listen.c_str());
    return 2;
  }
  if (!addr->is_loopback() && !allow_non_loopback) {
    std::fprintf(stderr, "kdcperf-responder: refusing to listen on non-loopback %s\n",
                 listen.c_str());
    return 2;
  }
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
  }
  kdcperf::io::UdpOptions uo;
  uo.recv_buffer = 4 << 20;
  uo.send_buffer = 4 << 20;
  auto fd = kdcperf::io::open_udp(*addr, uo);
  if (!fd.ok()) {
    std::fprintf(stderr, "kdcperf-responder: cannot bind %s: %s\n", listen.c_str(),
                 kdcperf::io::errno_name(fd.error()));
    return 2;
  }
  const int s = fd.value().get();
  const auto bound = kdcperf::io::local_address(s);
  if (sealer) {
    std::printf("listening on %s, sealing replies for %zu clients\n",
                bound.value().to_string().c_str(), sealer->clients());
  } else {
    std::printf("listening on %s, reply %zu bytes\n", bound.value().to_string().c_str(),
                reply.size());
  }
  std::fflush(stdout);
  if (!port_file.empty()) {
    std::ofstream pf(port_file);
    pf << bound.value().port() << "\n";
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  static unsigned char bufs[kBatch][2048];
  mmsghdr in[kBatch]{};
  mmsghdr out[kBatch]{};
  iovec in_iov[kBatch]{};
  iovec out_iov[kBatch]{};
  sockaddr_storage peers[kBatch]{};
  for (int i = 0; i < kBatch; ++i) {
    in_iov[i] = {bufs[i], sizeof bufs[i]};
    in[i].msg_hdr.msg_iov = &in_iov[i];
    in[i].msg_hdr.msg_iovlen = 1;
    in[i].msg_hdr.msg_name = &peers[i];
    out_iov[i] = {reply.data(), reply.size()};
    out[i].msg_hdr.msg_iov = &out_iov[i];
    out[i].msg_hdr.msg_iovlen = 1;
    out[i].msg_hdr.msg_name = &peers[i];
  }
  const auto start = std::chrono::steady_clock::now();
  unsigned long long received = 0, sent = 0, send_errors = 0, batches = 0;
  while (!g_stop) {
    if (duration > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= duration)
      break;
    for (int i = 0; i < kBatch; ++i) in[i].msg_hdr.msg_namelen = sizeof peers[i];
    const int n = recvmmsg(s, in, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      pollfd p{s, POLLIN, 0};
      poll(&p, 1, 100);
      continue;
    }
    received += static_cast<unsigned>(n);
    ++batches;
    int replies = n;
    if (sealer) {
      replies = sealer->answer(in, n, out, out_iov);
    } else {
      for (int i = 0; i < n; ++i) out[i].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
    }
    int done = 0;
    while (done < replies) {
      const int m = sendmmsg(s, out + done, static_cast<unsigned>(replies - done), 0);
      if (m <= 0) {
        if (m < 0 && errno == EINTR) continue;
        send_errors += static_cast<unsigned>(replies - done);  // dropped, as a loaded KDC would
        break;
      }
      done += m;
      sent += static_cast<unsigned>(m);
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("received %llu sent %llu send_errors %llu batches %llu in %.1f s\n", received, sent,
              send_errors, batches, secs);
  if (sealer) {
    const SealCounts& c = sealer->counts();
    std::printf(
        "seal: requests %llu replies_sealed %llu errors_sent %llu (client_unknown %llu "
        "etype_nosupp %llu) malformed %llu internal %llu\n",
        c.requests, c.sealed, c.errors, c.unknown, c.etype, c.malformed, c.internal);
  }
  return 0;
}
