// AS-REQs as MIT kinit builds them (RFC 4120 §5.4.1; KERBEROS-INTEROP.md §1.2, §1.4):
//   kdc-options renewable-ok (+ forwardable/proxiable when asked), cname NT-PRINCIPAL, realm,
//   sname krbtgt/REALM NT-SRV-INST, till = now + lifetime, no from/rtime/addresses, nonce,
//   etype list; padata for the pre-authenticated leg: PA-ENC-TIMESTAMP = EncryptedData{etype,
//   no kvno, cipher = seal(key usage 1, PA-ENC-TS-ENC{patimestamp = now, pausec})}, then
//   optionally PA-PAC-REQUEST {include-pac TRUE} (MS-KILE §2.2.3).
//
// Encoded backwards into a reused der::Writer (nothing allocates once warm) from blocks
// pre-encoded at construction: kdc-options, realm+sname, the etype list, pvno+msg-type, and
// PA-PAC-REQUEST never change, and the two KerberosTime elements (till, patimestamp) are
// formatted once a second. Per request only the cname, nonce, pausec and the sealed
// timestamp are encoded. This is cheaper than a pre-encoded template patched in place: the
// cname and the ciphertext change length between clients and etypes, so a template would need
// its lengths rewritten anyway. The output is the DER the krb/proto encoders give for the same
// fields (request_factory_test.cpp re-encodes and compares), and bench/loadgen_bench.cpp
// measures it.
// One factory per worker thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "krb/base/bytes.hpp"
#include "krb/base/clock.hpp"
#include "krb/base/result.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/kdc_req.hpp"
#include "loadgen/clients/population.hpp"
#include "loadgen/clients/random.hpp"

namespace kdcperf::loadgen::clients {

struct RequestOptions {
  // RFC 4120 §5.4.1 KDCOptions; MIT's library default is renewable-ok alone.
  std::uint32_t kdc_options = krb::proto::KdcOptions::RENEWABLE_OK;
  std::int64_t lifetime_seconds = 24 * 3600;  // MIT ticket_lifetime default (1 day)
  // In preference order; empty: only the client key's etype (kDefaultEtypes for a client
  // that has none yet).
  std::vector<std::int32_t> etypes{kDefaultEtypes.begin(), kDefaultEtypes.end()};
  bool pac_request = false;  // send PA-PAC-REQUEST include-pac TRUE
};

// Big enough for any request this factory builds (names are bounded by the population; MIT's
// own requests are under 300 bytes).
inline constexpr std::size_t kMaxRequestBytes = 4096;
// A sealed PA-ENC-TS-ENC: the plaintext is about 26 bytes; AES adds 16 + up to 24, RC4 24.
inline constexpr std::size_t kMaxTimestampCipher = 128;

class RequestFactory {
 public:
  RequestFactory(const Population& population, RequestOptions opts,
                 krb::Rng* confounder_rng = nullptr);  // nullptr: own BufferedRng
  RequestFactory(const RequestFactory&) = delete;
  RequestFactory& operator=(const RequestFactory&) = delete;

  // The leg without pre-authentication (a probe, or the first message of a login).
  krb::Result<std::size_t> build_probe(std::uint32_t client, std::int64_t nonce,
                                       krb::KerberosTimestamp now, krb::MutableByteView out);
  // The pre-authenticated leg; ts_key is a usage-1 (AS_REQ_PA_ENC_TIMESTAMP) UsageKey of the
  // client's key, or of a deliberately wrong one.
  krb::Result<std::size_t> build_preauth(std::uint32_t client, const krb::crypto::UsageKey& ts_key,
                                         std::int64_t nonce, krb::KerberosTimestamp now,
                                         krb::MutableByteView out);

  // The pre-authenticated leg in two steps, for a batch whose timestamps are sealed in one
  // seal_batch: the PA-ENC-TS-ENC plaintext for `now` (valid until the next call), then the
  // request around the ciphertext sealed from it (key usage 1, this etype). build_preauth is
  // these two with one seal between.
  krb::Result<krb::ByteView> timestamp_plaintext(krb::KerberosTimestamp now);
  krb::Result<std::size_t> build_sealed(std::uint32_t client, krb::crypto::Enctype etype,
                                        krb::ByteView cipher, std::int64_t nonce,
                                        krb::KerberosTimestamp now, krb::MutableByteView out);
  // Where confounders come from (the batch seals with it too).
  krb::Rng& confounder_rng() { return *rng_; }

  const RequestOptions& options() const { return opts_; }
  // The etype list a request for this client carries.
  std::span<const std::int32_t> etypes_for(std::uint32_t client);

 private:
  // A KerberosTime element ([n] GeneralizedTime) for one second, reformatted when it changes.
  struct TimeField {
    std::int64_t seconds = -1;
    std::array<std::byte, 19> bytes{};  // [n] len 0x11, 0x18 len 0x0f, 15 characters
    krb::ByteView get(unsigned field, std::int64_t unix_seconds);
  };

  // The request; with padata PA-ENC-TIMESTAMP when `cipher` is set (etype: its enctype).
  krb::Result<std::size_t> build(std::uint32_t client, const krb::ByteView* cipher,
                                 krb::crypto::Enctype etype, std::int64_t nonce,
                                 krb::KerberosTimestamp now, krb::MutableByteView out);
  void put_cname(std::uint32_t client);

  const Population& pop_;
  RequestOptions opts_;
  krb::der::Writer w_;
  krb::der::Writer ts_w_;
  BufferedRng own_rng_;
  krb::Rng* rng_;
  krb::Buffer head_;                            // pvno [1] 5, msg-type [2] 10
  krb::Buffer options_;                         // [0] kdc-options
  krb::Buffer realm_sname_;                     // [2] realm, [3] sname krbtgt/REALM
  krb::Buffer etypes_;                          // [8] etype list (opts_.etypes)
  std::array<krb::Buffer, 5> one_etype_block_;  // [8] with one etype, per implemented etype
  krb::Buffer default_etypes_;                  // [8] kDefaultEtypes
  krb::Buffer pac_request_;                     // PA-DATA{128, include-pac TRUE}
  TimeField till_;
  TimeField stamp_;
  std::array<std::int32_t, 1> one_etype_{};
};

// A probe AS-REQ (no padata) for `client`, e.g. to learn its salt from PA-ETYPE-INFO2 before
// deriving keys (--probe). Cold path: builds a factory per call.
krb::Result<std::size_t> build_probe_request(const Population& population, std::uint32_t client,
                                             std::int64_t nonce, krb::KerberosTimestamp now,
                                             krb::MutableByteView out,
                                             const RequestOptions& opts = {});

}  // namespace kdcperf::loadgen::clients
