#include "loadgen/kinit/kinit.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <limits>

#include "krb/base/rng.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/key_cache.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/files/keytab.hpp"
#include "krb/proto/krb_error.hpp"
#include "krb/proto/message.hpp"
#include "loadgen/check/reply_checker.hpp"
#include "loadgen/clients/file_io.hpp"
#include "loadgen/clients/probe.hpp"
#include "loadgen/clients/request_factory.hpp"

namespace kdcperf::loadgen::kinit {

namespace proto = krb::proto;
namespace crypto = krb::crypto;
namespace files = krb::files;
using krb::Err;
using krb::Result;

namespace {

// RFC 4120 §7.2.2: a TCP length with the high bit set is reserved; MIT's KDC takes messages of
// up to 1 MiB (KERBEROS-INTEROP.md §5.1), so no reply needs more.
constexpr std::uint32_t kMaxTcpReply = 1u << 20;
constexpr std::size_t kMaxUdpReply = 65536;

krb::KerberosTimestamp wall_clock() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return {static_cast<std::int64_t>(ts.tv_sec), static_cast<std::int32_t>(ts.tv_nsec / 1000)};
}

std::int64_t monotonic_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// One request, one reply, or why not.
struct Exchange {
  bool ok = false;
  bool timed_out = false;
  krb::Buffer reply;
  std::string error;
};

std::string errno_text(int e) {
  return std::strerror(e);
}

// Waits for `events` until the deadline; false on timeout (or error).
bool wait_for(int fd, short events, std::int64_t deadline_ms, bool* timed_out) {
  for (;;) {
    const std::int64_t left = deadline_ms - monotonic_ms();
    if (left <= 0) {
      *timed_out = true;
      return false;
    }
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      *timed_out = true;
      return false;
    }
    return true;
  }
}

Exchange udp_exchange(const KdcAddress& kdc, krb::ByteView request,
                      std::chrono::milliseconds timeout) {
  Exchange x;
  Socket s(::socket(kdc.storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) {
    x.error = "socket: " + errno_text(errno);
    return x;
  }
  // A connected UDP socket only receives from the KDC's address and port, and reports an
  // ICMP port-unreachable as ECONNREFUSED.
  if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&kdc.storage), kdc.length) != 0) {
    x.error = "connect: " + errno_text(errno);
    return x;
  }
  if (::send(s.get(), request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) {
    x.error = "send: " + errno_text(errno);
    return x;
  }
  const std::int64_t deadline = monotonic_ms() + timeout.count();
  x.reply.resize(kMaxUdpReply);
  for (;;) {
    if (!wait_for(s.get(), POLLIN, deadline, &x.timed_out)) {
      x.error = x.timed_out ? "timed out" : "poll: " + errno_text(errno);
      return x;
    }
    const ssize_t n = ::recv(s.get(), x.reply.data(), x.reply.size(), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      x.error = errno_text(errno);
      return x;
    }
    x.reply.resize(static_cast<std::size_t>(n));
    x.ok = true;
    return x;
  }
}

bool io_all(int fd, std::byte* p, std::size_t n, bool write, std::int64_t deadline, Exchange* x) {
  std::size_t done = 0;
  while (done < n) {
    if (!wait_for(fd, write ? POLLOUT : POLLIN, deadline, &x->timed_out)) {
      x->error = x->timed_out ? "timed out" : "poll: " + errno_text(errno);
      return false;
    }
    const ssize_t r =
        write ? ::send(fd, p + done, n - done, MSG_NOSIGNAL) : ::recv(fd, p + done, n - done, 0);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r < 0) {
      x->error = errno_text(errno);
      return false;
    }
    if (r == 0) {
      x->error = "connection closed by the KDC";
      return false;
    }
    done += static_cast<std::size_t>(r);
  }
  return true;
}

// RFC 4120 §7.2.2: each message is preceded by its length as 4 bytes, big-endian.
Exchange tcp_exchange(const KdcAddress& kdc, krb::ByteView request,
                      std::chrono::milliseconds timeout) {
  Exchange x;
  const std::int64_t deadline = monotonic_ms() + timeout.count();
  Socket s(::socket(kdc.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (s.get() < 0) {
    x.error = "socket: " + errno_text(errno);
    return x;
  }
  if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&kdc.storage), kdc.length) != 0) {
    if (errno != EINPROGRESS) {
      x.error = "connect: " + errno_text(errno);
      return x;
    }
    if (!wait_for(s.get(), POLLOUT, deadline, &x.timed_out)) {
      x.error = x.timed_out ? "timed out" : "poll: " + errno_text(errno);
      return x;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      x.error = "connect: " + errno_text(err != 0 ? err : errno);
      return x;
    }
  }
  krb::Buffer framed(4 + request.size());
  krb::store_be32(framed.data(), static_cast<std::uint32_t>(request.size()));
  std::memcpy(framed.data() + 4, request.data(), request.size());
  if (!io_all(s.get(), framed.data(), framed.size(), true, deadline, &x)) return x;
  std::byte len_buf[4];
  if (!io_all(s.get(), len_buf, 4, false, deadline, &x)) return x;
  const std::uint32_t len = krb::load_be32(len_buf);
  if (len > kMaxTcpReply) {
    x.error = "reply length " + std::to_string(len) + " over the limit";
    return x;
  }
  x.reply.resize(len);
  if (!io_all(s.get(), x.reply.data(), len, false, deadline, &x)) return x;
  x.ok = true;
  return x;
}

std::string flags_string(std::uint32_t f) {
  // klist's letters (MIT clients/klist/klist.c flags_string).
  static constexpr std::pair<std::uint32_t, char> kLetters[] = {
      {files::ticket_flags::kForwardable, 'F'},  {files::ticket_flags::kForwarded, 'f'},
      {files::ticket_flags::kProxiable, 'P'},    {files::ticket_flags::kProxy, 'p'},
      {files::ticket_flags::kMayPostdate, 'D'},  {files::ticket_flags::kPostdated, 'd'},
      {files::ticket_flags::kInvalid, 'i'},      {files::ticket_flags::kRenewable, 'R'},
      {files::ticket_flags::kInitial, 'I'},      {files::ticket_flags::kHwAuthent, 'H'},
      {files::ticket_flags::kPreAuthent, 'A'},   {files::ticket_flags::kTransitPolicyChecked, 'T'},
      {files::ticket_flags::kOkAsDelegate, 'O'}, {files::ticket_flags::kAnonymous, 'a'}};
  std::string s;
  for (const auto& [bit, c] : kLetters) {
    if (f & bit) s += c;
  }
  return s;
}

std::string failure_text(CheckFailure f) {
  switch (f) {
    case CheckFailure::kNone:
      return "ok";
    case CheckFailure::kDecrypt:
      return "the reply does not decrypt with the client key (password incorrect?)";
    case CheckFailure::kEncPart:
      return "the decrypted reply is not an EncASRepPart";
    case CheckFailure::kNonce:
      return "the reply's nonce is not the request's";
    case CheckFailure::kClientName:
      return "the reply names another client";
    case CheckFailure::kServerName:
      return "the reply's ticket is not for krbtgt/REALM";
    case CheckFailure::kSessionKey:
      return "the reply's session key is missing or of an unknown enctype";
    case CheckFailure::kEtype:
      return "the reply is encrypted in an enctype we did not ask for";
    case CheckFailure::kTimes:
      return "the reply's ticket times are inconsistent";
  }
  return "unknown";
}

std::uint32_t clamp_u32(std::int64_t t) {
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(t, 0, std::numeric_limits<std::uint32_t>::max()));
}

files::Principal to_file_principal(const proto::PrincipalName& name, std::string_view realm) {
  files::Principal p;
  p.name_type = static_cast<std::int32_t>(name.name_type);
  p.realm = std::string(realm);
  for (const auto c : name.components) p.components.emplace_back(c);
  return p;
}

// The client's long-term keys: a password (string-to-key on demand) or keytab entries.
class ClientKeys {
 public:
  ClientKeys(const clients::Population& pop, std::vector<files::KeytabEntry> keytab)
      : pop_(pop), keytab_(std::move(keytab)) {}

  // The key for `etype` with this salt hint (nullopt salt: the default salt).
  Result<crypto::Key> key(crypto::Enctype etype, std::optional<std::string_view> salt,
                          std::uint32_t iterations, std::string* why) const {
    if (const auto pw = pop_.password(0)) {
      std::string s;
      if (salt) {
        s = std::string(*salt);
      } else {
        pop_.salt(0, &s);
      }
      std::array<std::byte, 4> buf{};
      krb::ByteView s2k;
      if (iterations != 0) {
        krb::store_be32(buf.data(), iterations);
        s2k = krb::ByteView(buf.data(), 4);
      }
      auto k = crypto::string_to_key(etype, *pw, s, s2k);
      if (!k.ok())
        *why = "cannot make a key from the password: " + std::string(krb::err_name(k.err()));
      return k;
    }
    const files::KeytabEntry* best = nullptr;
    for (const auto& e : keytab_) {
      if (e.enctype != static_cast<std::int32_t>(etype)) continue;
      if (best == nullptr || e.kvno > best->kvno) best = &e;
    }
    if (best == nullptr) {
      const auto* info = crypto::enctype_info(etype);
      *why = "no key of enctype " + std::string(info ? info->name : "?") + " in the keytab";
      return Err::kNotFound;
    }
    return crypto::Key{etype, best->key.clone()};
  }

  // The first etype of the list we can make a key for (no hint from the KDC: MIT uses its first
  // requested etype, §1.3).
  std::optional<crypto::Enctype> first_usable(std::span<const std::int32_t> etypes) const {
    for (const std::int32_t e : etypes) {
      if (crypto::enctype_info(e) == nullptr) continue;
      if (pop_.has_password(0)) return static_cast<crypto::Enctype>(e);
      for (const auto& k : keytab_) {
        if (k.enctype == e) return static_cast<crypto::Enctype>(e);
      }
    }
    return std::nullopt;
  }

 private:
  const clients::Population& pop_;
  std::vector<files::KeytabEntry> keytab_;
};

std::int64_t random_nonce(krb::Rng& rng) {
  for (;;) {
    std::byte b[4];
    rng.fill(b);
    const std::uint32_t v = krb::load_be32(b) & 0x7fffffff;  // positive, as MIT sends (§1.1)
    if (v != 0) return v;
  }
}

}  // namespace

Result<KdcAddress> resolve_kdc(std::string_view text, std::uint16_t default_port) {
  std::string host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return Err::kInvalidArgument;
    host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Err::kInvalidArgument;
      port_text = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const std::size_t colon = text.find(':');
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    host = std::string(text);  // a bare name, IPv4 or IPv6 address
  }
  if (host.empty()) return Err::kInvalidArgument;
  std::uint16_t port = default_port;
  if (!port_text.empty() || text.ends_with(':')) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || v == 0 || v > 65535) {
      return Err::kInvalidArgument;
    }
    port = static_cast<std::uint16_t>(v);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) {
    hints.ai_flags = AI_ADDRCONFIG;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
      return Err::kNotFound;
    }
  }
  KdcAddress a;
  std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
  a.length = static_cast<socklen_t>(res->ai_addrlen);
  ::freeaddrinfo(res);
  if (a.storage.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(port);
  } else if (a.storage.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(port);
  } else {
    return Err::kUnsupported;
  }
  return a;
}

Result<std::string> ccache_path(std::string_view option) {
  if (option.empty()) return Err::kInvalidArgument;
  const std::size_t colon = option.find(':');
  if (colon != std::string_view::npos &&
      option.substr(0, colon).find('/') == std::string_view::npos) {
    // MIT's rule (ccdefname/krb5_cc_resolve): TYPE:residual when the prefix has no '/'.
    if (option.substr(0, colon) != "FILE") return Err::kUnsupported;
    option.remove_prefix(colon + 1);
    if (option.empty()) return Err::kInvalidArgument;
  }
  return std::string(option);
}

std::string error_message(std::int32_t code, std::string_view client, std::string_view realm,
                          bool preauth_leg) {
  using proto::ErrorCode;
  const std::string c(client);
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN:
      return "Client '" + c + "' not found in Kerberos database while getting initial credentials";
    case ErrorCode::KDC_ERR_PREAUTH_FAILED:
      return "Preauthentication failed (password incorrect) while getting initial credentials";
    case ErrorCode::KDC_ERR_PREAUTH_REQUIRED:
      return preauth_leg ? "Additional pre-authentication required (the KDC refused "
                           "PA-ENC-TIMESTAMP) while getting initial credentials"
                         : "Additional pre-authentication required while getting initial "
                           "credentials";
    case ErrorCode::KDC_ERR_CLIENT_REVOKED:
      return "Client's credentials have been revoked (account locked or disabled) while getting "
             "initial credentials";
    case ErrorCode::KDC_ERR_KEY_EXPIRED:
      return "Password has expired while getting initial credentials";
    case ErrorCode::KDC_ERR_ETYPE_NOSUPP:
      return "KDC has no support for encryption type while getting initial credentials";
    case ErrorCode::KDC_ERR_S_PRINCIPAL_UNKNOWN:
      return "Server 'krbtgt/" + std::string(realm) + "@" + std::string(realm) +
             "' not found in Kerberos database while getting initial credentials";
    case ErrorCode::KRB_AP_ERR_SKEW:
      return "Clock skew too great while getting initial credentials";
    case ErrorCode::KDC_ERR_WRONG_REALM:
      return "Wrong realm (the KDC does not serve " + std::string(realm) + ")";
    case ErrorCode::KDC_ERR_POLICY:
      return "KDC policy rejects request while getting initial credentials";
    default: {
      const auto name = proto::error_code_name(static_cast<ErrorCode>(code));
      return "KDC returned error " + std::to_string(code) +
             (name.empty() ? std::string() : " (" + std::string(name) + ")") +
             " while getting initial credentials";
    }
  }
}

files::TimeOffset time_offset(std::int64_t kdc_sec, std::int32_t kdc_usec,
                              krb::KerberosTimestamp local) {
  std::int64_t us = (kdc_sec - local.seconds) * 1'000'000 + (kdc_usec - local.usec);
  std::int64_t sec = us / 1'000'000;
  std::int64_t rem = us % 1'000'000;
  if (rem < 0) {
    rem += 1'000'000;
    sec -= 1;
  }
  files::TimeOffset o;
  o.seconds = static_cast<std::int32_t>(std::clamp<std::int64_t>(
      sec, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
  o.usec = static_cast<std::int32_t>(rem);
  return o;
}

Result<files::Credential> credential_from_as_rep(const proto::AsRep& rep,
                                                 const proto::EncKdcRepPart& part) {
  if (rep.ticket.raw.empty()) return Err::kMissingField;
  files::Credential c;
  c.client = to_file_principal(rep.cname, rep.crealm);
  c.server = to_file_principal(part.sname, part.srealm);
  c.enctype = part.key.keytype;
  c.key = krb::SecretBytes(part.key.keyvalue);
  c.authtime = clamp_u32(part.authtime);
  c.starttime = clamp_u32(part.starttime.value_or(part.authtime));
  c.endtime = clamp_u32(part.endtime);
  c.renew_till = clamp_u32(part.renew_till.value_or(0));
  c.is_skey = 0;
  // TicketFlags bit 0 is the most significant bit in both the DER reader's u32 and the ccache.
  c.ticket_flags = part.flags;
  if (part.caddr) {
    for (const auto& a : *part.caddr) {
      const auto type = static_cast<std::int32_t>(a.addr_type);
      if (type < 0 || type > 0xffff) return Err::kInvalidArgument;
      c.addresses.push_back(files::HostAddress{static_cast<std::uint16_t>(type),
                                               krb::Buffer(a.address.begin(), a.address.end())});
    }
  }
  c.ticket.assign(rep.ticket.raw.begin(), rep.ticket.raw.end());
  return c;
}

KinitResult kinit(const KinitOptions& opts) {
  KinitResult r;
  auto fail = [&r](std::string message) {
    r.ok = false;
    r.message = std::move(message);
    return r;
  };

  // Who.
  auto parsed = clients::parse_principal(opts.principal);
  if (!parsed.ok()) return fail("Malformed principal name '" + opts.principal + "'");
  const std::string realm = !parsed->realm.empty() ? parsed->realm : opts.realm;
  if (realm.empty()) {
    return fail("No realm for '" + opts.principal + "': give name@REALM or a realm");
  }
  if (!parsed->realm.empty() && !opts.realm.empty() && parsed->realm != opts.realm) {
    return fail("Principal realm " + parsed->realm + " differs from the realm " + opts.realm);
  }
  clients::Population pop(realm);
  if (!opts.password && opts.keytab_path.empty()) return fail("No password and no keytab given");
  std::optional<std::string_view> pw;
  if (opts.password) pw = *opts.password;
  if (!pop.add(opts.principal, pw).ok()) {
    return fail("Malformed principal name '" + opts.principal + "'");
  }
  r.client = pop.unparse(0);

  std::vector<files::KeytabEntry> keytab;
  if (!opts.password) {
    auto bytes = clients::read_file(opts.keytab_path);
    if (!bytes.ok()) return fail("Cannot read keytab " + opts.keytab_path);
    auto entries = files::read_keytab(*bytes);
    krb::secure_wipe(bytes->data(), bytes->size());
    if (!entries.ok()) {
      return fail("Bad keytab " + opts.keytab_path + ": " +
                  std::string(krb::err_name(entries.err())));
    }
    for (auto& e : *entries) {
      if (e.principal.realm == realm && e.principal.components == parsed->components) {
        keytab.push_back(std::move(e));
      }
    }
    if (keytab.empty()) {
      return fail("Keytab contains no suitable keys for " + r.client + " (" + opts.keytab_path +
                  ")");
    }
  }
  const ClientKeys keys(pop, std::move(keytab));

  // Where.
  auto kdc = resolve_kdc(opts.kdc);
  if (!kdc.ok()) return fail("Cannot resolve KDC address '" + opts.kdc + "'");
  std::string cc_option = opts.ccache;
  if (cc_option.empty()) {
    const char* env = std::getenv("KRB5CCNAME");
    cc_option = env != nullptr && *env != '\0' ? env : "/tmp/krb5cc_" + std::to_string(::getuid());
  }
  auto path = ccache_path(cc_option);
  if (!path.ok()) {
    return fail(path.err() == Err::kUnsupported
                    ? "Unsupported credential cache type in '" + cc_option + "' (only FILE:)"
                    : "Bad credential cache name '" + cc_option + "'");
  }
  r.ccache_path = *path;

  clients::RequestOptions ro;
  ro.kdc_options = proto::KdcOptions::RENEWABLE_OK;
  if (opts.forwardable) ro.kdc_options |= proto::KdcOptions::FORWARDABLE;
  if (opts.proxiable) ro.kdc_options |= proto::KdcOptions::PROXIABLE;
  ro.lifetime_seconds = opts.lifetime_seconds;
  ro.etypes = opts.etypes;
  ro.pac_request = opts.pac_request;
  if (ro.etypes.empty()) return fail("No encryption types to request");
  clients::RequestFactory factory(pop, ro);
  crypto::KeyCache cache(8);
  check::CheckerOptions co;
  co.etypes = ro.etypes;
  check::ReplyChecker checker(pop, cache, co);
  krb::SystemRng rng;

  std::array<std::byte, clients::kMaxRequestBytes> req;
  std::size_t req_len = 0;
  krb::Buffer reply;
  krb::KerberosTimestamp received{};
  auto send = [&](krb::ByteView bytes) -> std::optional<std::string> {
    ++r.messages_sent;
    Exchange x;
    if (opts.transport == Transport::kTcp) {
      x = tcp_exchange(*kdc, bytes, opts.timeout);
      r.used_tcp = true;
    } else {
      x = udp_exchange(*kdc, bytes, opts.timeout);
      if (x.ok && proto::peek_message_type(x.reply) == proto::MessageType::KRB_ERROR) {
        proto::KrbError e;
        if (proto::decode_krb_error(x.reply, &e).ok() &&
            e.error_code == proto::ErrorCode::KRB_ERR_RESPONSE_TOO_BIG) {
          // RFC 4120 §7.2.1: retry over TCP with the same request bytes, as MIT does (§5.1).
          ++r.messages_sent;
          x = tcp_exchange(*kdc, bytes, opts.timeout);
          r.used_tcp = true;
        }
      }
    }
    received = wall_clock();
    if (!x.ok) {
      if (x.timed_out) {
        return "Cannot contact any KDC for realm '" + realm + "' (no reply from " + opts.kdc +
               " within " + std::to_string(opts.timeout.count()) +
               " ms) while getting initial credentials";
      }
      return "Cannot contact any KDC for realm '" + realm + "' (" + opts.kdc + ": " + x.error +
             ") while getting initial credentials";
    }
    reply = std::move(x.reply);
    return std::nullopt;
  };

  // Leg 1: no pre-authentication.
  RequestToken token{0, random_nonce(rng), Leg::kProbe, true};
  auto n = factory.build_probe(0, token.nonce, wall_clock(), req);
  if (!n.ok()) return fail("Cannot build the AS-REQ: " + std::string(krb::err_name(n.err())));
  req_len = *n;
  if (auto e = send(krb::ByteView(req.data(), req_len))) return fail(*e);

  std::optional<files::TimeOffset> offset;
  std::optional<crypto::Key> current;  // the key the pre-authenticated leg used
  for (int legs = 0; legs < 2; ++legs) {
    const auto type = proto::peek_message_type(reply);
    if (type == proto::MessageType::KRB_ERROR) {
      const Verdict v = checker.check(token, reply);
      if (v.kind != ReplyKind::kKrbError) return fail("Malformed KRB-ERROR from the KDC");
      r.kdc_error = v.error_code;
      if (!v.login_continues) {
        std::string m = error_message(v.error_code, r.client, realm, token.leg == Leg::kPreauth);
        if (const auto& t = checker.krb_error().e_text; t && !t->empty()) {
          m += " [KDC: " + std::string(*t) + "]";
        }
        return fail(m);
      }
      // PREAUTH_REQUIRED: the KDC's clock (MIT kdc_timesync) and the key's salt.
      offset = time_offset(checker.krb_error().stime, checker.krb_error().susec, received);
      const auto hint = clients::salt_hint_from_reply(reply, ro.etypes);
      std::string why;
      Result<crypto::Key> key = Err::kNotFound;
      if (hint.ok()) {
        key = keys.key(hint->etype, hint->salt, hint->iterations, &why);
      } else if (const auto e = keys.first_usable(ro.etypes)) {
        key = keys.key(*e, std::nullopt, 0, &why);
      } else {
        why = "no usable encryption type";
      }
      if (!key.ok()) return fail("Cannot make the client key: " + why);
      current = std::move(key).value();
      if (!pop.set_key(0, *current).ok()) return fail("Cannot use the client key");
      auto uk = crypto::UsageKey::make(*current, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP);
      if (!uk.ok()) return fail("Cannot use the client key");
      token = RequestToken{0, random_nonce(rng), Leg::kPreauth, true};
      n = factory.build_preauth(0, *uk, token.nonce, wall_clock(), req);
      if (!n.ok()) return fail("Cannot build the AS-REQ: " + std::string(krb::err_name(n.err())));
      req_len = *n;
      if (auto e = send(krb::ByteView(req.data(), req_len))) return fail(*e);
      continue;
    }
    if (type != proto::MessageType::AS_REP) return fail("Malformed reply from the KDC");

    // The reply key: the one the KDC names for the enc-part's etype.
    proto::AsRep peek;
    if (!proto::decode_as_rep(reply, &peek).ok()) return fail("Malformed AS-REP from the KDC");
    const auto etype = static_cast<crypto::Enctype>(peek.enc_part.etype);
    if (crypto::enctype_info(etype) == nullptr) {
      return fail("The AS-REP is encrypted with unsupported enctype " +
                  std::to_string(peek.enc_part.etype));
    }
    if (!current || current->etype != etype) {
      const std::int32_t want[1] = {peek.enc_part.etype};
      auto hint = peek.padata ? clients::salt_hint_from_padata(*peek.padata, want)
                              : Result<clients::SaltHint>(Err::kNotFound);
      std::string why;
      auto key = hint.ok() ? keys.key(etype, hint->salt, hint->iterations, &why)
                           : keys.key(etype, std::nullopt, 0, &why);
      if (!key.ok()) return fail("Cannot make the reply key: " + why);
      current = std::move(key).value();
      if (!pop.set_key(0, *current).ok()) return fail("Cannot use the reply key");
    }
    const Verdict v = checker.check(token, reply, &*current);
    if (v.kind != ReplyKind::kAsRep || !v.checked) return fail("Malformed AS-REP from the KDC");
    if (v.failure != CheckFailure::kNone) {
      return fail("The KDC's reply failed verification: " + failure_text(v.failure));
    }
    auto cred = credential_from_as_rep(checker.as_rep(), checker.enc_part());
    if (!cred.ok()) return fail("Cannot store the ticket");
    r.session_etype = cred->enctype;
    r.ticket_flags = cred->ticket_flags;
    r.authtime = checker.enc_part().authtime;
    r.endtime = checker.enc_part().endtime;
    if (!offset) {
      // No KRB-ERROR carried the KDC's stime: authtime is the KDC's clock at the request.
      offset = time_offset(r.authtime, 0, received);
    }
    files::Ccache cc;
    cc.time_offset = offset;
    cc.default_principal = cred->client;
    cc.creds.push_back(std::move(cred).value());
    auto bytes = files::write_ccache(cc);
    if (!bytes.ok()) return fail("Cannot encode the credential cache");
    if (!clients::write_file_atomic(r.ccache_path, bytes->view(), 0600).ok()) {
      return fail("Cannot write the credential cache " + r.ccache_path);
    }
    r.ok = true;
    r.message.clear();
    return r;
  }
  return fail("The KDC asked for pre-authentication twice");
}

int run_kinit(const KinitOptions& opts) {
  const KinitResult r = kinit(opts);
  std::ostream& err = opts.err != nullptr ? *opts.err : std::cerr;
  std::ostream& out = opts.out != nullptr ? *opts.out : std::cout;
  if (!r.ok) {
    err << "kdcperf kinit: " << r.message << "\n";
    return 1;
  }
  if (opts.verbose) {
    const auto* info = crypto::enctype_info(r.session_etype);
    const std::time_t end = static_cast<std::time_t>(r.endtime);
    std::tm tm{};
    ::gmtime_r(&end, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    out << "Ticket cache: FILE:" << r.ccache_path << "\n"
        << "Default principal: " << r.client << "\n"
        << "krbtgt ticket: session key " << (info ? info->name : "?") << ", flags "
        << flags_string(r.ticket_flags) << ", expires " << when << "\n";
  }
  return 0;
}

}  // namespace kdcperf::loadgen::kinit
