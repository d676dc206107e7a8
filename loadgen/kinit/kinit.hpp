// `kdcperf kinit`: one AS exchange as a real client (RFC 4120 §3.1), and an MIT FILE v4 ticket
// cache that MIT's klist lists and MIT's kvno uses (KERBEROS-INTEROP.md §4.1).
//
//   probe AS-REQ (no pre-auth) -> KDC_ERR_PREAUTH_REQUIRED with PA-ETYPE-INFO2 (salt, etype)
//   -> AS-REQ with PA-ENC-TIMESTAMP -> AS-REP, checked like every load-generator reply
//   (loadgen/check) -> credential -> ccache written 0600, atomically (temp file + rename).
// A principal without +requires_preauth gets the AS-REP to the probe. Over UDP, a
// KRB_ERR_RESPONSE_TOO_BIG is answered by sending the same bytes over TCP, as MIT does (§5.1).
//
// Plain POSIX sockets, one blocking exchange at a time: this is the cold path.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include "krb/base/clock.hpp"
#include "krb/base/result.hpp"
#include "krb/files/ccache.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "loadgen/clients/population.hpp"

namespace kdcperf::loadgen::kinit {

enum class Transport : std::uint8_t { kUdp, kTcp };

struct KinitOptions {
  std::string principal;  // "alice", "alice@REALM", "host/h.test@REALM"
  std::string realm;      // when the principal names none
  std::optional<std::string> password;
  std::string keytab_path;  // instead of a password (like kinit -k -t)
  std::string kdc;          // "127.0.0.1:88", "[::1]:8888", "kdc.example.test" (port 88)
  std::string ccache;       // -c; "FILE:" allowed; empty: $KRB5CCNAME, else /tmp/krb5cc_<uid>
  Transport transport = Transport::kUdp;
  std::chrono::milliseconds timeout{3000};  // per message
  std::vector<std::int32_t> etypes{clients::kDefaultEtypes.begin(), clients::kDefaultEtypes.end()};
  bool forwardable = false;
  bool proxiable = false;
  std::int64_t lifetime_seconds = 24 * 3600;
  bool pac_request = false;
  bool verbose = false;         // print the ticket summary on success
  std::ostream* out = nullptr;  // success summary (nullptr: std::cout)
  std::ostream* err = nullptr;  // errors (nullptr: std::cerr)
};

struct KinitResult {
  bool ok = false;
  std::string message;                    // on failure: what went wrong, in kinit's words
  std::optional<std::int32_t> kdc_error;  // the KRB-ERROR code that ended the exchange
  std::string ccache_path;
  std::string client;  // "alice@REALM"
  std::int32_t session_etype = 0;
  std::uint32_t ticket_flags = 0;
  std::int64_t authtime = 0;
  std::int64_t endtime = 0;
  int messages_sent = 0;
  bool used_tcp = false;
};

// The exchange and the ccache; never prints.
KinitResult kinit(const KinitOptions& opts);
// kinit(), printing "kdcperf kinit: <message>" to opts.err on failure (and a summary with
// opts.verbose). Exit status: 0 success, 1 failure.
int run_kinit(const KinitOptions& opts);

// ---- pieces, exposed for their tests ----------------------------------------------------

// "host:port", "[v6]:port", "v4", "v6", "host"; numeric addresses first, then a name lookup.
struct KdcAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
};
krb::Result<KdcAddress> resolve_kdc(std::string_view text, std::uint16_t default_port = 88);

// The ccache file path for -c / KRB5CCNAME: "FILE:" stripped, other types
// ("KEYRING:", "DIR:", "MEMORY:", "KCM:", "API:") refused with Err::kUnsupported.
krb::Result<std::string> ccache_path(std::string_view option);

// MIT's message for a KRB-ERROR code at the end of an AS exchange.
std::string error_message(std::int32_t code, std::string_view client, std::string_view realm,
                          bool preauth_leg);

// The TGT credential from a verified AS-REP (RFC 4120 §5.4.2): client and server from the
// reply, session key, times (starttime = authtime when absent), flags, addresses, and the
// Ticket exactly as received (ticket.raw).
krb::Result<krb::files::Credential> credential_from_as_rep(const krb::proto::AsRep& rep,
                                                           const krb::proto::EncKdcRepPart& part);

// KDC time minus local time, normalized as MIT stores it (usec in [0, 10^6)).
krb::files::TimeOffset time_offset(std::int64_t kdc_sec, std::int32_t kdc_usec,
                                   krb::KerberosTimestamp local);

}  // namespace kdcperf::loadgen::kinit
