// AsService: the KDC's Authentication Service exchange (RFC 4120 §3.1) as pure code over
// batches. A batch of request datagrams and the time come in; a batch of replies (AS-REP or
// KRB-ERROR) goes out, written into buffers the engine owns. No sockets, no clock, no
// allocation per request once warm. Each worker thread owns one AsService (its key cache and
// scratch are not shared); the PrincipalDb snapshot is shared read-only.
//
// One batch runs in phases so the crypto of many requests is done together (DESIGN.md):
//   1. decode every AS-REQ, look its client up, choose keys, queue PA-ENC-TIMESTAMP opens
//   2. open_batch over every pre-authentication timestamp (key usage 1)
//   3. one RNG call for every session key, build EncTicketPart and EncASRepPart plaintexts
//   4. seal_batch over every ticket (usage 2, krbtgt key) and reply part (usage 3)
//   5. encode every AS-REP; a UDP reply over its limit becomes KRB_ERR_RESPONSE_TOO_BIG
// This is the one place where a failure becomes a KRB-ERROR code.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "kdc/as/counters.hpp"
#include "kdc/db/principal_db.hpp"
#include "krb/base/bytes.hpp"
#include "krb/base/clock.hpp"
#include "krb/base/rng.hpp"
#include "krb/proto/types.hpp"

namespace kdcperf::kdc::as {

struct AsOptions {
  // Largest reply sent over UDP; a larger one is replaced by KRB_ERR_RESPONSE_TOO_BIG so the
  // client retries over TCP (RFC 4120 §7.2.1). MIT's kdc_max_dgram_reply_size default; AD
  // uses 1465.
  std::size_t max_udp_reply = 65536;
  // Tag the EncASRepPart [APPLICATION 25] (RFC 4120) or 26 as MIT's KDC does; every client
  // accepts both (KERBEROS-INTEROP.md §1.5).
  bool mit_enc_part_tag = false;
  // Accept junk after the DER request in a datagram, as MIT does (§5.1).
  bool allow_trailing_bytes = true;
  // Requests per batch the service is sized for (scratch is allocated once for this many).
  std::size_t max_batch = 64;
  // Prepared per-(key, usage) crypto state kept per worker (krb/crypto/key_cache.hpp): three
  // entries per active client (pre-auth, reply, PA-REQ-ENC-PA-REP checksum) of 1-3 KiB each.
  // A working set larger than this re-derives keys on most requests.
  std::size_t key_cache_entries = 16384;
};

enum class Transport : std::uint8_t { kUdp, kTcp };

struct AsRequest {
  krb::ByteView bytes;  // one KRB message (TCP: without the 4-byte length prefix)
  Transport transport = Transport::kUdp;
};

enum class ReplyKind : std::uint8_t {
  kNone,  // nothing to send (never produced today: every request gets an answer)
  kAsRep,
  kError,
};

struct AsReply {
  krb::MutableByteView buffer;  // in: where to write (the engine's send buffer)
  // out: the reply, a sub-span of buffer, right-aligned: the bytes before it are the engine's
  // (e.g. for the TCP length prefix).
  krb::MutableByteView bytes;
  ReplyKind kind = ReplyKind::kNone;
  krb::proto::ErrorCode error = krb::proto::ErrorCode::KDC_ERR_NONE;
};

class AsService {
 public:
  AsService(const db::PrincipalDb& db, AsOptions options);
  ~AsService();
  AsService(const AsService&) = delete;
  AsService& operator=(const AsService&) = delete;

  // requests.size() == replies.size() <= max_batch (more is processed in chunks). `now` is
  // the KDC's time for the whole batch; rng supplies session keys and confounders.
  void handle(std::span<const AsRequest> requests, krb::KerberosTimestamp now, krb::Rng& rng,
              std::span<AsReply> replies);

  // A KRB-ERROR the engine sends on its own, for a transport-level failure (RFC 4120 §7.2.2:
  // KRB_ERR_FIELD_TOOLONG for a TCP length it will not read). Counted like any error. Empty
  // when buffer is too small.
  krb::MutableByteView transport_error(krb::proto::ErrorCode code, krb::KerberosTimestamp now,
                                       krb::MutableByteView buffer);

  const AsCounters& counters() const;
  const AsOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kdcperf::kdc::as
