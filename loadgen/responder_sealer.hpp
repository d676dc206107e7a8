// kdcperf-responder --seal: answers each AS-REQ of a recvmmsg batch with a valid AS-REP for it
// (RFC 4120 §3.1.3, §5.4.2): the request's nonce, cname and realm, an EncASRepPart sealed under
// the client's key (key usage 3), and a captured reply's Ticket as an opaque blob (kdcperf never
// opens the ticket). No pre-authentication check and no policy: it is a floor, not a KDC. A
// cname with no key gets KRB-ERROR C_PRINCIPAL_UNKNOWN; an undecodable datagram is counted and
// dropped. Pure code over datagrams: the responder's main() moves the bytes.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "krb/base/bytes.hpp"
#include "krb/base/rng.hpp"
#include "krb/base/secret.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/enctype.hpp"
#include "krb/crypto/key.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/krb_error.hpp"

namespace kdcperf::loadgen::responder {

namespace proto = krb::proto;
namespace crypto = krb::crypto;

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
inline bool name_key(std::span<const std::string_view> components, std::string_view realm,
                     char* buf, std::size_t* len) {
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

// "a/b@REALM" (no escapes) with a password: keys of every enctype the library implements,
// with the default salt (RFC 4120 §4), as a client without ETYPE-INFO2 derives them.
bool add_password_keys(Sealer& sealer, const std::string& principal, const std::string& password);
// Every key of an MIT keytab's bytes (a newer kvno of an enctype replaces an older one).
bool add_keytab_keys(Sealer& sealer, krb::ByteView keytab);

}  // namespace kdcperf::loadgen::responder
