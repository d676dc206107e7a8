// ReplyChecker: classifies the reply to one request (loadgen/workload.hpp RequestToken).
//
//   - The message type is peeked from the [APPLICATION n] tag (RFC 4120 §5); an AS-REP or a
//     KRB-ERROR that does not decode, or anything else, is kMalformed: never success.
//   - A KRB-ERROR keeps its error-code whatever the value (negative and unnamed ones too).
//     PREAUTH_REQUIRED to a probe leg means the login goes on; RESPONSE_TOO_BIG (52) asks for
//     TCP (RFC 4120 §7.2.1).
//   - An AS-REP to be verified is opened with the client's key, key usage 3 (RFC 4120 §5.4.2):
//     the enc-part etype must be one the request listed; when it is not the client key's etype,
//     the key for that etype is derived from the password (salt and s2kparams from the AS-REP's
//     PA-ETYPE-INFO2, else the client's) and kept, else kEtype. Then the EncASRepPart
//     ([APPLICATION 25] or 26, KERBEROS-INTEROP.md §1.5) must carry the request's nonce, the
//     client's cname/crealm, sname krbtgt/REALM (outer Ticket and inner srealm/sname), a session
//     key of a known enctype and length, and endtime >= authtime (and >= starttime).
//
// Sans-I/O and per worker: the KeyCache holds the prepared usage-3 state, decoding borrows from
// the reply, the plaintext goes into a reused wiped buffer; nothing allocates per reply.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "krb/base/bytes.hpp"
#include "krb/base/secret.hpp"
#include "krb/crypto/key.hpp"
#include "krb/crypto/key_cache.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/krb_error.hpp"
#include "loadgen/clients/population.hpp"
#include "loadgen/workload.hpp"

namespace kdcperf::loadgen::check {

struct CheckerOptions {
  // The etype list the requests carried (RequestOptions::etypes); empty: only the client
  // key's etype. An enc-part in an etype the request did not list is CheckFailure::kEtype.
  std::vector<std::int32_t> etypes{clients::kDefaultEtypes.begin(), clients::kDefaultEtypes.end()};
  // Keys derived for a reply etype other than the client key's, kept per (client, etype).
  // Cleared when full (a KDC that answers in another etype for most clients makes every
  // check derive: the run then measures string-to-key, which the counters show).
  std::size_t alternate_key_capacity = 4096;
};

class ReplyChecker {
 public:
  ReplyChecker(const clients::Population& population, krb::crypto::KeyCache& cache,
               CheckerOptions opts = {});
  ~ReplyChecker();
  ReplyChecker(const ReplyChecker&) = delete;
  ReplyChecker& operator=(const ReplyChecker&) = delete;

  // key_override: open the AS-REP with this long-term key instead of the population's (a key
  // the login flow derived for a salt the KDC named).
  Verdict check(const RequestToken& token, krb::ByteView reply,
                const krb::crypto::Key* key_override = nullptr);

  // Many replies at once (KerberosWorkload::check_batch): the AS-REPs to verify are opened in
  // one crypto::open_batch per kMaxBatch; each verdict equals what check() gives that reply
  // alone. key_overrides: empty, or one per item (nullptr: the population's key). The key
  // cache must hold at least kMaxBatch keys (the batch keeps pointers into it).
  static constexpr std::size_t kMaxBatch = 64;
  void check_batch(std::span<ReplyCheck> items,
                   std::span<const krb::crypto::Key* const> key_overrides = {});

  // What the last check() decoded, borrowing from its reply (and from an internal plaintext
  // buffer for enc_part): valid until the next check() and while the reply bytes live.
  const krb::proto::AsRep& as_rep() const { return rep_; }
  // Valid when the last verdict was a checked AS-REP that got past decryption and decoding.
  const krb::proto::EncKdcRepPart& enc_part() const { return part_; }
  const krb::proto::KrbError& krb_error() const { return err_; }

  // Keys string-to-key made because a reply came in another etype.
  std::uint64_t alternate_derivations() const { return alternate_derivations_; }

 private:
  // An AS-REP to verify, up to the point where its enc-part is to be opened.
  struct Opening {
    const krb::crypto::UsageKey* key = nullptr;  // usage 3, from the cache
    krb::ByteView cipher;                        // the enc-part's, in the reply
    bool client_ok = false;                      // crealm and cname are the client's
    bool server_ok = false;                      // the Ticket's realm and sname are krbtgt/REALM
  };
  // Classifies the reply into *v. true: *v is final; false: the enc-part must be opened with
  // *o, then finish() says the rest.
  bool begin(const RequestToken& token, krb::ByteView reply, const krb::crypto::Key* key_override,
             Verdict* v, Opening* o);
  CheckFailure prepare(const RequestToken& token, const krb::crypto::Key* key_override, Opening* o);
  // The checks on the opened EncASRepPart (and the outer names begin() compared).
  CheckFailure finish(const RequestToken& token, const Opening& o, krb::ByteView plaintext);
  const krb::crypto::Key* alternate_key(std::uint32_t client, std::int32_t etype);
  bool requested(std::int32_t etype, const krb::crypto::Key& client_key) const;
  void wipe_plaintext();

  const clients::Population& pop_;
  krb::crypto::KeyCache& cache_;
  CheckerOptions opts_;
  clients::KeyScratch scratch_;
  krb::SecretBytes plain_;
  std::size_t plain_used_ = 0;
  std::unordered_map<std::uint64_t, krb::crypto::Key> alternates_;
  std::uint64_t alternate_derivations_ = 0;
  krb::proto::AsRep rep_;
  krb::proto::EncKdcRepPart part_;
  krb::proto::KrbError err_;
  // check_batch's working set, sized once.
  std::array<Opening, kMaxBatch> openings_;
  std::array<krb::crypto::OpenJob, kMaxBatch> jobs_;
  std::array<std::size_t, kMaxBatch> job_item_{};
  krb::SecretBytes batch_plain_;
};

}  // namespace kdcperf::loadgen::check
