// The seam between the load generator's pure Kerberos code (clients/, check/) and its engine
// (net/), which only moves bytes and timestamps (DESIGN.md "How the load generator works").
//
// An engine worker owns one Workload (not thread-safe: it holds the worker's KeyCache and
// RNG). The engine asks it for request bytes, remembers the RequestToken with the socket the
// request went out on, and hands every reply that arrives on that socket back with the token.
// Replies cannot be matched by nonce in general (a KRB-ERROR carries none, an AS-REP's is
// encrypted), so the engine keeps at most one request in flight per socket and replaces a
// socket after a timeout, so a late reply can never be credited to a newer request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "krb/base/bytes.hpp"
#include "krb/base/clock.hpp"
#include "krb/base/result.hpp"

namespace kdcperf::loadgen {

// One AS-REQ of an exchange. A login as kinit does it (RFC 4120 §3.1, KERBEROS-INTEROP.md §1)
// is two legs: kProbe without pre-authentication, answered by PREAUTH_REQUIRED with
// ETYPE-INFO2, then kPreauth with PA-ENC-TIMESTAMP. `--flow preauth` sends kPreauth directly.
enum class Leg : std::uint8_t { kProbe, kPreauth };

struct RequestToken {
  std::uint32_t client = 0;  // index into the population
  std::int64_t nonce = 0;    // as encoded in the request
  Leg leg = Leg::kPreauth;
  bool verify = true;  // decrypt and check the reply (all, none, or one in K)
};

enum class ReplyKind : std::uint8_t {
  kAsRep,      // [APPLICATION 11] that decoded
  kKrbError,   // [APPLICATION 30] that decoded; error_code says which
  kMalformed,  // not a decodable AS-REP or KRB-ERROR
};

// Why a checked AS-REP was not accepted. Anything but kNone counts as a failed verification,
// never as success.
enum class CheckFailure : std::uint8_t {
  kNone,
  kDecrypt,     // enc-part did not decrypt with the client's key, usage 3
  kEncPart,     // plaintext is not an EncASRepPart
  kNonce,       // nonce differs from the request's
  kClientName,  // cname/crealm differ from the request's
  kServerName,  // sname/srealm are not krbtgt/REALM (outer or inner)
  kSessionKey,  // missing or unusable session key
  kEtype,       // enc-part etype not among the requested ones
  kTimes,       // endtime before authtime, or after the requested till
};

struct Verdict {
  ReplyKind kind = ReplyKind::kMalformed;
  std::int32_t error_code = 0;  // KRB-ERROR code, whatever its value (negative ones too)
  bool checked = false;         // an AS-REP that was decrypted and checked
  CheckFailure failure = CheckFailure::kNone;
  bool login_continues = false;   // PREAUTH_REQUIRED to a kProbe leg: send the kPreauth leg
  bool response_too_big = false;  // KRB_ERR_RESPONSE_TOO_BIG: resend over TCP (RFC 4120 §7.2.1)
};

// One new exchange of a start_batch: `out` is where its first request goes; the workload
// fills `token` and `len` (0: it could not build the request).
struct RequestStart {
  krb::MutableByteView out;
  RequestToken token;
  std::size_t len = 0;
};

// One reply of a check_batch: the request's token and the reply's bytes in, the verdict out.
struct ReplyCheck {
  const RequestToken* token = nullptr;
  krb::ByteView reply;
  Verdict verdict;
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Builds the first request of a new exchange into `out` (a unique nonce and, for kPreauth,
  // a fresh PA-ENC-TIMESTAMP stamped `now`) and fills *token. Returns the byte count.
  virtual krb::Result<std::size_t> start(krb::MutableByteView out, krb::KerberosTimestamp now,
                                         RequestToken* token) = 0;
  // Builds the kPreauth leg after `previous` got PREAUTH_REQUIRED (`error_reply`, whose
  // ETYPE-INFO2 may name the salt and etype), for the same client. Fills *token.
  virtual krb::Result<std::size_t> follow_up(const RequestToken& previous,
                                             krb::ByteView error_reply, krb::MutableByteView out,
                                             krb::KerberosTimestamp now, RequestToken* token) = 0;
  // Classifies a reply to the request `token` describes.
  virtual Verdict check(const RequestToken& token, krb::ByteView reply) = 0;

  // The same for many at once, as the engine calls them: every request it starts in one loop
  // turn, every UDP reply one completion drain brought. A workload whose crypto runs faster
  // over many messages (KerberosWorkload: one seal_batch, one open_batch) overrides these;
  // each item's result must equal what start()/check() would give it alone.
  virtual void start_batch(std::span<RequestStart> items, krb::KerberosTimestamp now) {
    for (RequestStart& r : items) {
      const auto n = start(r.out, now, &r.token);
      r.len = n.ok() ? *n : 0;
    }
  }
  virtual void check_batch(std::span<ReplyCheck> items) {
    for (ReplyCheck& c : items) c.verdict = check(*c.token, c.reply);
  }
};

}  // namespace kdcperf::loadgen
