#include "loadgen/net/worker.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <ctime>
#include <limits>

#include "io/socket.hpp"

namespace kdcperf::loadgen::net {
namespace {

enum Op : std::uint64_t { kOpRecv = 1, kOpSend = 2, kOpCancel = 3, kOpTcp = 4 };

// user_data: [op:8][index:24][generation:32]. The generation tells a completion for a socket
// or connection that has since been replaced from one for the current one.
std::uint64_t pack(Op op, std::uint32_t index, std::uint32_t gen) {
  return (static_cast<std::uint64_t>(op) << 56) |
         (static_cast<std::uint64_t>(index & 0xffffffu) << 32) | gen;
}
Op op_of(std::uint64_t d) {
  return static_cast<Op>(d >> 56);
}
std::uint32_t index_of(std::uint64_t d) {
  return static_cast<std::uint32_t>((d >> 32) & 0xffffffu);
}
std::uint32_t gen_of(std::uint64_t d) {
  return static_cast<std::uint32_t>(d);
}

double thread_cpu_s() {
  rusage ru{};
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

krb::KerberosTimestamp wall_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {static_cast<std::int64_t>(ts.tv_sec), static_cast<std::int32_t>(ts.tv_nsec / 1000)};
}

unsigned pow2_at_least(std::size_t n, unsigned lo, unsigned hi) {
  std::size_t p = lo;
  while (p < n && p < hi) p <<= 1;
  return static_cast<unsigned>(std::min<std::size_t>(p, hi));
}

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::size_t kTcpLengthPrefix = 4;  // RFC 4120 §7.2.2

}  // namespace

Worker::Worker(const EngineConfig& config, WorkerPlan plan, Workload& workload)
    : cfg_(config), plan_(std::move(plan)), workload_(workload) {}

Worker::~Worker() = default;

bool Worker::setup(std::string* why) {
  // Open-loop sends are timed by sleeping until they are due: ask for 1 µs timer slack
  // instead of the default 50 µs (prctl(2) PR_SET_TIMERSLACK).
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

  const std::size_t slots = plan_.slots;
  io::RingOptions ro;
  ro.entries = pow2_at_least(slots * 2, 256, 16384);
  auto ring = io::Ring::create(ro);
  if (!ring.ok()) {
    *why = std::string("io_uring setup failed: ") + io::errno_name(ring.error());
    return false;
  }
  ring_ = std::move(ring.value());
  auto bufs = io::BufferRing::create(*ring_, 0, pow2_at_least(slots + 128, 256, 32768),
                                     cfg_.udp_buffer_bytes);
  if (!bufs.ok()) {
    *why = std::string("provided-buffer ring failed: ") + io::errno_name(bufs.error());
    return false;
  }
  bufs_ = std::move(bufs.value());
  recv_hdr_ = msghdr{};  // connected sockets: no source address, no control data

  slot_stride_ = (kTcpLengthPrefix + cfg_.max_request_bytes + 63) / 64 * 64;
  arena_.reset(new std::byte[slot_stride_ * slots]);
  slots_.resize(slots);
  free_slots_.reserve(slots);
  pending_.reserve(slots);
  checks_.reserve(slots);
  starts_.reserve(slots);
  start_slots_.reserve(slots);
  due_.reserve(slots);
  max_retired_ =
      cfg_.retired_sockets != 0 ? cfg_.retired_sockets : std::max<std::size_t>(64, slots);
  socks_.reserve(slots + max_retired_ + 64);
  // Registered files: the kernel skips the fd lookup and reference count of every send and
  // receive (fget/fput were 1.5 % of a run). A socket beyond the table, or a kernel that
  // refuses, simply uses its fd.
  if (cfg_.transport == Transport::kUdp &&
      io_uring_register_files_sparse(ring_->get(), static_cast<unsigned>(socks_.capacity())) == 0) {
    file_table_ = static_cast<std::uint32_t>(socks_.capacity());
  }
  for (std::uint32_t i = 0; i < slots; ++i) {
    Slot& s = slots_[i];
    s.buf = arena_.get() + slot_stride_ * i;
    if (cfg_.transport == Transport::kUdp) {
      s.sock = open_sock(i);
      if (s.sock == kNone) {
        *why = "cannot open a UDP socket to " + cfg_.target.to_string();
        return false;
      }
    }
    free_slots_.push_back(i);
  }
  if (ring_->submit() < 0) {
    *why = "io_uring submit failed";
    return false;
  }
  if (cfg_.transport == Transport::kTcpPersistent) preconnect_tcp();
  return true;
}

// Persistent connections are opened before the clock starts, all at once, so the first
// requests of the schedule do not wait behind hundreds of handshakes (that wait would read as
// the generator's lag). A connection that fails or is slow here is simply not there: the
// slot's first request connects on demand, as it would after the KDC closed it.
void Worker::preconnect_tcp() {
  std::uint32_t pending = 0;
  std::vector<bool> connected(slots_.size(), false);
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    auto fd = io::open_tcp_client(cfg_.target.family());
    io_uring_sqe* sqe = fd.ok() ? ring_->sqe() : nullptr;
    if (sqe == nullptr) continue;
    s.tcp = std::move(fd.value());
    ++s.tcp_gen;
    io_uring_prep_connect(sqe, s.tcp.get(), cfg_.target.get(), cfg_.target.length);
    io_uring_sqe_set_data64(sqe, pack(kOpTcp, i, s.tcp_gen));
    ++pending;
  }
  const std::int64_t deadline = mono_ns() + std::max<std::int64_t>(cfg_.timeout_ns, kSecond);
  while (pending > 0) {
    const std::int64_t left = deadline - mono_ns();
    if (left <= 0) break;
    ring_->submit_and_wait_once(left);
    ring_->drain([&](const io_uring_cqe& cqe) {
      if (op_of(cqe.user_data) != kOpTcp) return;
      const std::uint32_t i = index_of(cqe.user_data);
      if (i >= slots_.size() || gen_of(cqe.user_data) != slots_[i].tcp_gen) return;
      --pending;
      if (cqe.res < 0) {
        slots_[i].tcp.reset();
      } else {
        ++stats_.counts.tcp_connects;  // the run's connections, though opened before it
        connected[i] = true;
      }
    });
  }
  // Still connecting after the timeout: abandoned (a late completion carries an old
  // generation and is ignored).
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].tcp.valid() && !connected[i]) {
      slots_[i].tcp.reset();
      ++slots_[i].tcp_gen;
    }
  }
}

// ---- sockets ----------------------------------------------------------------------------

std::uint32_t Worker::open_sock(std::uint32_t slot) {
  auto fd = io::connect_udp(cfg_.target);
  if (!fd.ok()) return kNone;
  if (quarantine_.active(now_)) {
    // Keep the refused sockets open while retrying, so the kernel cannot offer the same port
    // again; a few tries suffice unless most of the ephemeral range is quarantined.
    std::vector<io::Fd> refused;
    for (int tries = 0;; ++tries) {
      auto local = io::local_address(fd.value().get());
      if (!local.ok() || !quarantine_.blocked(local.value().port(), now_)) break;
      ++stats_.counts.ports_refused;
      // No clean port now: the slot waits for one (see retry_socketless) rather than risk
      // inheriting an old request's reply.
      if (tries == 16) return kNone;
      refused.push_back(std::move(fd.value()));
      fd = io::connect_udp(cfg_.target);
      if (!fd.ok()) return kNone;
    }
  }
  std::uint32_t i;
  if (!free_socks_.empty()) {
    i = free_socks_.back();
    free_socks_.pop_back();
  } else {
    i = static_cast<std::uint32_t>(socks_.size());
    socks_.emplace_back();
  }
  Sock& k = socks_[i];
  k.fd = std::move(fd.value());
  ++k.gen;
  k.slot = slot;
  k.in_use = true;
  k.cancelling = false;
  k.recv_armed = false;
  int raw = k.fd.get();
  k.fixed = i < file_table_ && io_uring_register_files_update(ring_->get(), i, &raw, 1) == 1;
  arm_recv(i);
  return i;
}

void Worker::target_sock(io_uring_sqe* sqe, const Sock& k) const {
  if (k.fixed) {
    sqe->fd = static_cast<int>(&k - socks_.data());
    sqe->flags |= IOSQE_FIXED_FILE;
  }
}

void Worker::arm_recv(std::uint32_t i) {
  Sock& k = socks_[i];
  io_uring_sqe* sqe = ring_->sqe();
  if (sqe == nullptr) return;  // the kernel refused a submit; the socket stays deaf
  io_uring_prep_recvmsg_multishot(sqe, k.fd.get(), &recv_hdr_, 0);
  target_sock(sqe, k);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = bufs_->group_id();
  io_uring_sqe_set_data64(sqe, pack(kOpRecv, i, k.gen));
  k.recv_armed = true;
}

// After a timeout: the socket leaves its slot but stays readable for the grace period, so a
// reply that still comes is seen and counted late, never credited to the slot's next request.
void Worker::retire_sock(std::uint32_t i, std::int64_t now) {
  socks_[i].slot = kNone;
  socks_[i].close_at = now + grace_ns_;
  retired_.push_back(i);
  while (retired_.size() > max_retired_) {
    // Closed before its grace is over: its port must not serve a new request until then.
    const std::uint32_t old = retired_.front();
    if (auto local = io::local_address(socks_[old].fd.get()); local.ok()) {
      quarantine_.add(local.value().port(), socks_[old].close_at);
    }
    cancel_sock(old);
    retired_.pop_front();
  }
}

void Worker::cancel_sock(std::uint32_t i) {
  Sock& k = socks_[i];
  if (!k.recv_armed) {
    free_sock(i);
    return;
  }
  if (k.cancelling) return;
  io_uring_sqe* sqe = ring_->sqe();
  if (sqe == nullptr) return;
  io_uring_prep_cancel64(sqe, pack(kOpRecv, i, k.gen), 0);
  io_uring_sqe_set_data64(sqe, pack(kOpCancel, i, k.gen));
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  k.cancelling = true;  // freed when the receive's last completion arrives
}

void Worker::free_sock(std::uint32_t i) {
  Sock& k = socks_[i];
  if (k.fixed) {
    // The table holds its own reference: without this the socket (and its port) stays open.
    int none = -1;
    (void)io_uring_register_files_update(ring_->get(), i, &none, 1);
    k.fixed = false;
  }
  k.fd.reset();
  k.in_use = false;
  k.recv_armed = false;
  k.cancelling = false;
  k.slot = kNone;
  ++k.gen;
  free_socks_.push_back(i);
}

// ---- the in-flight list (deadlines are now + timeout, so appends keep it sorted) ----------

void Worker::link(std::uint32_t i, std::int64_t deadline) {
  Slot& s = slots_[i];
  s.deadline_ns = deadline;
  s.next = kNone;
  s.prev = tail_;
  if (tail_ != kNone) {
    slots_[tail_].next = i;
  } else {
    head_ = i;
  }
  tail_ = i;
}

void Worker::unlink(std::uint32_t i) {
  Slot& s = slots_[i];
  if (s.prev != kNone) {
    slots_[s.prev].next = s.next;
  } else if (head_ == i) {
    head_ = s.next;
  }
  if (s.next != kNone) {
    slots_[s.next].prev = s.prev;
  } else if (tail_ == i) {
    tail_ = s.prev;
  }
  s.prev = s.next = kNone;
}

// ---- exchanges --------------------------------------------------------------------------

std::size_t Worker::start_exchanges(std::span<const std::int64_t> intended, std::int64_t now) {
  const std::size_t n = std::min(intended.size(), free_slots_.size());
  starts_.clear();
  start_slots_.clear();
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t i = free_slots_.front();
    free_slots_.pop_front();
    Slot& s = slots_[i];
    s.measured = intended[j] >= warmup_end_;
    if (s.measured) ++measured_started_;
    ++counts(s).exchanges;
    start_slots_.push_back(i);
    starts_.push_back({{s.buf + kTcpLengthPrefix, cfg_.max_request_bytes}, {}, 0});
  }
  workload_.start_batch(starts_, wall_);
  std::size_t built = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t i = start_slots_[j];
    Slot& s = slots_[i];
    report::Counts& c = counts(s);
    const RequestStart& r = starts_[j];
    if (r.len == 0 || r.len > cfg_.max_request_bytes) {
      ++c.build_errors;
      s.state = SlotState::kFree;
      free_slots_.push_back(i);
      continue;
    }
    ++c.built;
    ++built;
    s.token = r.token;
    s.len = static_cast<std::uint32_t>(r.len);
    s.intended_ns = intended[j];
    s.start_ns = intended[j];
    s.retries_left = cfg_.retries;
    ++inflight_;
    send_leg(i, now);
  }
  return built;
}

// Sends the request in s.buf by the configured transport and starts its timeout.
void Worker::send_leg(std::uint32_t i, std::int64_t now) {
  Slot& s = slots_[i];
  s.sent_ns = now;
  link(i, now + cfg_.timeout_ns);
  if (cfg_.transport == Transport::kUdp) {
    s.state = SlotState::kUdp;
    queue_udp_send(i);
  } else {
    start_tcp(i, now);
  }
}

void Worker::queue_udp_send(std::uint32_t i) {
  Slot& s = slots_[i];
  Sock& k = socks_[s.sock];
  io_uring_sqe* sqe = ring_->sqe();
  report::Counts& c = counts(s);
  ++c.sent;
  if (sqe == nullptr) {
    ++c.send_errors;
    return;  // times out like a lost datagram
  }
  io_uring_prep_send(sqe, k.fd.get(), s.buf + kTcpLengthPrefix, s.len, 0);
  target_sock(sqe, k);
  // Only failures complete: one completion per exchange (the reply) instead of two.
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(sqe, pack(kOpSend, i, k.gen));
}

void Worker::flush_replies(std::int64_t now) {
  if (pending_.empty()) return;
  checks_.clear();
  for (const PendingReply& p : pending_) {
    if (!p.truncated) checks_.push_back({&slots_[p.slot].token, p.bytes, {}});
  }
  workload_.check_batch(checks_);
  std::size_t j = 0;
  for (const PendingReply& p : pending_) {
    slots_[p.slot].reply_pending = false;
    deliver(p.slot, p.bytes, p.truncated, p.truncated ? Verdict{} : checks_[j++].verdict, now);
    bufs_->recycle(p.bid);
  }
  pending_.clear();
}

void Worker::deliver(std::uint32_t i, krb::ByteView reply, bool truncated, const Verdict& v,
                     std::int64_t now) {
  Slot& s = slots_[i];
  unlink(i);
  report::Counts& c = counts(s);
  ++c.replies;
  last_reply_ns_ = now;
  if (truncated) ++c.truncated;
  const auto latency = static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - s.intended_ns));
  const auto service = static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - s.sent_ns));
  second_hist_.record(latency);
  if (s.measured) {
    report::Latencies& l = stats_.latencies;
    l.latency.record(latency);
    l.service.record(service);
    (s.token.leg == Leg::kProbe ? l.probe_leg : l.preauth_leg).record(latency);
  }
  bool failed = false;
  switch (v.kind) {
    case ReplyKind::kAsRep:
      ++c.as_rep;
      if (v.failure != CheckFailure::kNone) {
        ++c.verified_failed;
        const auto f = static_cast<std::size_t>(v.failure);
        if (f < c.failed_by.size()) ++c.failed_by[f];
        failed = true;
      } else if (v.checked) {
        ++c.verified_ok;
      } else {
        ++c.unchecked;
      }
      break;
    case ReplyKind::kKrbError:
      ++c.krb_error;
      c.count_error_code(v.error_code);
      break;
    case ReplyKind::kMalformed:
      ++c.malformed;
      failed = true;
      break;
  }

  // RFC 4120 §7.2.1: a client that gets KRB_ERR_RESPONSE_TOO_BIG over UDP resends the same
  // request over TCP. The bytes are still in s.buf.
  if (v.kind == ReplyKind::kKrbError && v.response_too_big && s.state == SlotState::kUdp) {
    ++c.tcp_fallbacks;
    s.sent_ns = now;
    link(i, now + cfg_.timeout_ns);
    start_tcp(i, now);
    return;
  }
  if (v.kind == ReplyKind::kKrbError && v.login_continues && s.token.leg == Leg::kProbe) {
    RequestToken next;
    auto n = workload_.follow_up(s.token, reply, {s.buf + kTcpLengthPrefix, cfg_.max_request_bytes},
                                 wall_, &next);
    if (n.ok() && *n > 0 && *n <= cfg_.max_request_bytes) {
      ++c.built;
      s.token = next;
      s.len = static_cast<std::uint32_t>(*n);
      s.intended_ns = now;  // the second leg is due the moment the first is answered
      s.retries_left = cfg_.retries;
      if (s.state == SlotState::kTcp) {
        // The reply came over TCP (fallback or TCP transport): the connection is finished.
        if (cfg_.transport != Transport::kTcpPersistent) s.tcp.reset();
      }
      send_leg(i, now);
      return;
    }
    ++c.build_errors;
    failed = true;
  }
  if (!failed && v.kind == ReplyKind::kAsRep) {
    ++c.logins_ok;
    if (s.measured) {
      stats_.latencies.login.record(
          static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - s.start_ns)));
    }
  } else if (v.kind == ReplyKind::kKrbError && !failed) {
    ++c.final_krb_errors;
  }
  finish(i, std::max(arrived_after_, s.sent_ns));
}

void Worker::finish(std::uint32_t i, std::int64_t event_ns) {
  Slot& s = slots_[i];
  s.freed_ns = event_ns;
  // One request per connection, unless connections are persistent (a UDP slot's TCP
  // fallback connection is never kept).
  if (s.state == SlotState::kTcp && cfg_.transport != Transport::kTcpPersistent) s.tcp.reset();
  s.state = SlotState::kFree;
  --inflight_;
  free_slots_.push_back(i);
}

void Worker::on_timeout(std::uint32_t i, std::int64_t now) {
  Slot& s = slots_[i];
  unlink(i);
  report::Counts& c = counts(s);
  if (s.state == SlotState::kUdp && s.retries_left > 0) {
    // An explicit, counted retransmission of the same bytes on the same socket: a reply to
    // either copy answers the same request (same nonce), as a real client's retry would.
    --s.retries_left;
    ++c.retries;
    link(i, now + cfg_.timeout_ns);
    queue_udp_send(i);
    return;
  }
  ++c.timeouts;
  if (s.state == SlotState::kUdp) {
    retire_sock(s.sock, now);
    s.sock = open_sock(i);
    if (s.sock == kNone) {
      // Out of descriptors or of clean ports: the slot waits until a socket can be opened.
      s.state = SlotState::kNoSocket;
      --inflight_;
      socketless_.push_back(i);
      return;
    }
    finish(i, s.deadline_ns);
    return;
  }
  // TCP: cancel the pending operation; the slot is free when its completion arrives.
  --inflight_;
  tcp_abort(i);
}

// Slots whose socket could not be replaced after a timeout get one as soon as possible (a
// quarantined port's grace ends, a descriptor is closed); at most one try a millisecond.
void Worker::retry_socketless(std::int64_t now) {
  if (now < next_socket_retry_) return;
  next_socket_retry_ = now + 1'000'000;
  while (!socketless_.empty()) {
    const std::uint32_t i = socketless_.front();
    const std::uint32_t sock = open_sock(i);
    if (sock == kNone) return;
    socketless_.pop_front();
    Slot& s = slots_[i];
    s.sock = sock;
    s.state = SlotState::kFree;
    s.freed_ns = now;
    free_slots_.push_back(i);
  }
}

// ---- TCP (RFC 4120 §7.2.2: a 4-byte big-endian length, then the message) -----------------

void Worker::start_tcp(std::uint32_t i, std::int64_t now) {
  Slot& s = slots_[i];
  (void)now;
  s.state = SlotState::kTcp;
  s.tcp_any_reply = false;
  krb::store_be32(s.buf, s.len);
  if (cfg_.transport == Transport::kTcpPersistent && s.tcp.valid()) {
    s.tcp_reused = true;
    tcp_queue_send(i);
    return;
  }
  s.tcp_reused = false;
  tcp_connect(i);
}

void Worker::tcp_connect(std::uint32_t i) {
  Slot& s = slots_[i];
  report::Counts& c = counts(s);
  auto fd = io::open_tcp_client(cfg_.target.family());
  ++c.tcp_connects;
  io_uring_sqe* sqe = fd.ok() ? ring_->sqe() : nullptr;
  if (sqe == nullptr) {
    ++c.tcp_errors;
    s.tcp.reset();
    // Fails like a refused connection; the exchange ends at once.
    unlink(i);
    s.state = SlotState::kTcp;
    finish(i, now_);
    return;
  }
  s.tcp = std::move(fd.value());
  ++s.tcp_gen;
  s.tcp_phase = TcpPhase::kConnect;
  io_uring_prep_connect(sqe, s.tcp.get(), cfg_.target.get(), cfg_.target.length);
  io_uring_sqe_set_data64(sqe, pack(kOpTcp, i, s.tcp_gen));
}

void Worker::tcp_queue_send(std::uint32_t i) {
  Slot& s = slots_[i];
  if (s.tcp_phase != TcpPhase::kSend) {
    s.tcp_phase = TcpPhase::kSend;
    s.tcp_done = 0;
    s.tcp_total = static_cast<std::uint32_t>(kTcpLengthPrefix + s.len);
    ++counts(s).sent;
  }
  io_uring_sqe* sqe = ring_->sqe();
  if (sqe == nullptr) return;  // times out
  io_uring_prep_send(sqe, s.tcp.get(), s.buf + s.tcp_done, s.tcp_total - s.tcp_done, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, pack(kOpTcp, i, s.tcp_gen));
}

void Worker::tcp_queue_recv(std::uint32_t i) {
  Slot& s = slots_[i];
  io_uring_sqe* sqe = ring_->sqe();
  if (sqe == nullptr) return;
  if (s.tcp_phase == TcpPhase::kRecvLength) {
    io_uring_prep_recv(sqe, s.tcp.get(), s.tcp_len + s.tcp_done, kTcpLengthPrefix - s.tcp_done, 0);
  } else {
    io_uring_prep_recv(sqe, s.tcp.get(), s.tcp_reply.data() + s.tcp_done, s.tcp_total - s.tcp_done,
                       0);
  }
  io_uring_sqe_set_data64(sqe, pack(kOpTcp, i, s.tcp_gen));
}

void Worker::on_tcp(std::uint32_t i, std::uint32_t gen, int res, std::int64_t now) {
  if (i >= slots_.size()) return;
  Slot& s = slots_[i];
  if (gen != s.tcp_gen) return;  // a connection that has been replaced
  if (s.state == SlotState::kTcpClosing) {
    s.tcp.reset();
    --tcp_closing_;
    s.state = SlotState::kFree;
    s.freed_ns = std::max(arrived_after_, s.deadline_ns);  // held until it timed out
    free_slots_.push_back(i);
    return;
  }
  if (s.state != SlotState::kTcp) return;
  switch (s.tcp_phase) {
    case TcpPhase::kConnect:
      if (res < 0) return tcp_fail(i);
      tcp_queue_send(i);
      return;
    case TcpPhase::kSend:
      if (res <= 0) return tcp_fail(i);
      s.tcp_done += static_cast<std::uint32_t>(res);
      if (s.tcp_done < s.tcp_total) return tcp_queue_send(i);
      s.tcp_phase = TcpPhase::kRecvLength;
      s.tcp_done = 0;
      return tcp_queue_recv(i);
    case TcpPhase::kRecvLength: {
      if (res <= 0) return tcp_fail(i);
      s.tcp_any_reply = true;
      s.tcp_done += static_cast<std::uint32_t>(res);
      if (s.tcp_done < kTcpLengthPrefix) return tcp_queue_recv(i);
      const std::uint32_t n = krb::load_be32(s.tcp_len);
      // The high bit is reserved (RFC 4120 §7.2.2); a length beyond our bound is refused
      // before any allocation.
      if ((n & 0x80000000u) != 0 || n > cfg_.max_tcp_reply || n == 0) {
        ++counts(s).malformed;
        return tcp_fail(i);
      }
      if (s.tcp_reply.size() < n) s.tcp_reply.resize(n);
      s.tcp_phase = TcpPhase::kRecvBody;
      s.tcp_done = 0;
      s.tcp_total = n;
      return tcp_queue_recv(i);
    }
    case TcpPhase::kRecvBody:
      if (res <= 0) return tcp_fail(i);
      s.tcp_done += static_cast<std::uint32_t>(res);
      if (s.tcp_done < s.tcp_total) return tcp_queue_recv(i);
      s.tcp_phase = TcpPhase::kConnect;
      if (cfg_.transport != Transport::kTcpPersistent) s.tcp.reset();
      const krb::ByteView reply(s.tcp_reply.data(), s.tcp_total);
      deliver(i, reply, false, workload_.check(s.token, reply), now);
      return;
  }
}

// A connection that failed before a whole reply came. A persistent connection the KDC closed
// between requests (MIT closes after every reply, KERBEROS-INTEROP.md §5.1) is reopened and
// the request resent once; anything else ends the exchange as a TCP error.
void Worker::tcp_fail(std::uint32_t i) {
  Slot& s = slots_[i];
  s.tcp.reset();
  if (s.tcp_reused && !s.tcp_any_reply) {
    s.tcp_reused = false;
    --counts(s).sent;  // the resend counts once
    tcp_connect(i);
    return;
  }
  ++counts(s).tcp_errors;
  unlink(i);
  finish(i, std::max(arrived_after_, s.sent_ns));
}

void Worker::tcp_abort(std::uint32_t i) {
  Slot& s = slots_[i];
  s.state = SlotState::kTcpClosing;
  ++tcp_closing_;
  io_uring_sqe* sqe = ring_->sqe();
  if (sqe == nullptr) return;
  io_uring_prep_cancel64(sqe, pack(kOpTcp, i, s.tcp_gen), 0);
  io_uring_sqe_set_data64(sqe, pack(kOpCancel, i, 0));
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

// ---- completions ------------------------------------------------------------------------

void Worker::on_cqe(const io_uring_cqe& cqe, std::int64_t now) {
  const std::uint64_t d = cqe.user_data;
  switch (op_of(d)) {
    case kOpRecv:
      on_recv(index_of(d), gen_of(d), cqe, now);
      return;
    case kOpSend: {
      // Only failed sends complete (CQE_SKIP_SUCCESS). The request stays in flight and times
      // out: no reply can come to a datagram that never left.
      const std::uint32_t i = index_of(d);
      if (i < slots_.size() && slots_[i].state == SlotState::kUdp) ++counts(slots_[i]).send_errors;
      return;
    }
    case kOpTcp:
      on_tcp(index_of(d), gen_of(d), cqe.res, now);
      return;
    case kOpCancel:
    default:
      return;
  }
}

void Worker::on_recv(std::uint32_t si, std::uint32_t gen, const io_uring_cqe& cqe,
                     std::int64_t now) {
  const bool has_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
  const auto bid = static_cast<unsigned short>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  Sock* k = si < socks_.size() ? &socks_[si] : nullptr;
  const bool current = k != nullptr && k->in_use && k->gen == gen;
  bool queued = false;

  if (current && cqe.res >= 0 && has_buffer) {
    auto* out = io_uring_recvmsg_validate(bufs_->buffer(bid), cqe.res, &recv_hdr_);
    if (out != nullptr) {
      const auto* payload =
          static_cast<const std::byte*>(io_uring_recvmsg_payload(out, &recv_hdr_));
      const auto len = io_uring_recvmsg_payload_length(out, cqe.res, &recv_hdr_);
      const bool truncated = (out->flags & MSG_TRUNC) != 0;
      if (k->slot == kNone) {
        ++counts_at(now).late;  // the socket was retired after a timeout
      } else {
        const std::uint32_t i = k->slot;
        Slot& s = slots_[i];
        if (s.state == SlotState::kUdp && s.sock == si && !s.reply_pending) {
          // Checked with the rest of this drain's replies (flush_replies); the buffer stays
          // ours until then.
          s.reply_pending = true;
          pending_.push_back({i, {payload, len}, truncated, bid});
          queued = true;
        } else {
          ++counts_at(now).duplicate;  // nothing in flight on this socket
        }
      }
    } else {
      ++counts_at(now).recv_errors;
    }
  } else if (cqe.res < 0 && current) {
    if (cqe.res == -ENOBUFS) {
      ++counts_at(now).enobufs;
    } else if (cqe.res == -ECONNREFUSED || cqe.res == -EHOSTUNREACH || cqe.res == -ENETUNREACH) {
      ++counts_at(now).icmp_errors;
    } else if (cqe.res != -ECANCELED) {
      ++counts_at(now).recv_errors;
    }
  }
  if (has_buffer && !queued) bufs_->recycle(bid);
  if (more || !current) return;
  // The multishot receive has ended: re-arm it, unless the socket is being closed.
  k->recv_armed = false;
  if (k->cancelling) {
    free_sock(si);
  } else {
    arm_recv(si);
  }
}

// ---- per-second rows --------------------------------------------------------------------

void Worker::close_row(std::int64_t second) {
  const report::Counts& m = stats_.counts;
  const report::Counts& w = stats_.warmup;
  const std::uint64_t sent = m.sent + w.sent;
  const std::uint64_t replies = m.replies + w.replies;
  const std::uint64_t errors = m.errors() + w.errors();
  const std::uint64_t timeouts = m.timeouts + w.timeouts;
  report::SecondRow row;
  row.second = second;
  row.warmup = t0_ + (second + 1) * kSecond <= warmup_end_;
  row.sent = sent - row_sent0_;
  row.replies = replies - row_replies0_;
  row.errors = errors - row_errors0_;
  row.timeouts = timeouts - row_timeouts0_;
  row.late_sends = row_late_sends_;
  row.max_lag_ns = row_max_lag_;
  if (plan_.schedule) {
    row.target_rate = plan_.schedule->rate_at(second * kSecond + kSecond / 2);
  }
  row.latency = second_hist_.nonzero();
  const std::uint64_t p99 = second_hist_.quantile(0.99);
  second_hist_.reset();
  row_sent0_ = sent;
  row_replies0_ = replies;
  row_errors0_ = errors;
  row_timeouts0_ = timeouts;
  row_late_sends_ = 0;
  row_max_lag_ = 0;

  published_.sent.store(sent, std::memory_order_relaxed);
  published_.replies.store(replies, std::memory_order_relaxed);
  published_.errors.store(errors, std::memory_order_relaxed);
  published_.row_replies.store(row.replies, std::memory_order_relaxed);
  published_.row_p99.store(p99, std::memory_order_relaxed);
  published_.row_target.store(row.target_rate, std::memory_order_relaxed);
  published_.row_warmup.store(row.warmup, std::memory_order_relaxed);
  published_.second.store(second, std::memory_order_release);
  stats_.series.push_back(std::move(row));
}

void Worker::tick(std::int64_t now) {
  const std::int64_t second = (now - t0_) / kSecond;
  while (row_second_ < second) close_row(row_second_++);
}

bool Worker::sending_allowed(std::int64_t now) {
  if (!sending_) return false;
  const bool interrupted =
      cfg_.interrupt != nullptr && cfg_.interrupt->load(std::memory_order_relaxed);
  const bool count_done = plan_.max_exchanges != 0 && measured_started_ >= plan_.max_exchanges;
  const bool schedule_done = plan_.schedule && !next_due_;
  if (interrupted || count_done || schedule_done || now >= send_end_) {
    sending_ = false;
    send_stop_ns_ = now;
  }
  return sending_;
}

// ---- the loop ---------------------------------------------------------------------------

void Worker::entered(bool caught_up) {
  enter_end_[0] = enter_end_[1];
  enter_end_[1] = mono_ns();
  caught_up_ = caught_up;
}

void Worker::run(std::int64_t t0) {
  t0_ = t0;
  warmup_end_ = t0 + cfg_.warmup_ns;
  send_end_ = cfg_.duration_ns > 0 ? warmup_end_ + cfg_.duration_ns
                                   : std::numeric_limits<std::int64_t>::max();
  grace_ns_ = cfg_.late_grace_ns >= 0 ? cfg_.late_grace_ns : cfg_.timeout_ns;
  if (plan_.schedule) next_due_ = plan_.schedule->next();
  if (plan_.slots == 0 || (!plan_.schedule && plan_.window == 0)) sending_ = false;
  std::int64_t linger_end = -1;

  // Wait for the common start.
  const timespec start{static_cast<time_t>(t0 / kSecond), static_cast<long>(t0 % kSecond)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &start, nullptr) == EINTR) {
  }
  const double cpu0 = thread_cpu_s();

  for (;;) {
    const std::int64_t now = mono_ns();
    now_ = now;
    wall_ = wall_now();
    arrived_after_ = caught_up_ ? enter_end_[1] : enter_end_[0];
    bool worked = ring_->drain([&](const io_uring_cqe& cqe) { on_cqe(cqe, now); }) > 0;
    flush_replies(now);
    bufs_->publish();

    while (head_ != kNone && slots_[head_].deadline_ns <= now) on_timeout(head_, now);
    while (!retired_.empty() && socks_[retired_.front()].close_at <= now) {
      cancel_sock(retired_.front());
      retired_.pop_front();
    }
    if (!socketless_.empty()) retry_socketless(now);

    if (sending_allowed(now)) {
      // The clock again: this turn's reaping is behind it, and a send is late (or an exchange
      // starts) from here, not from the top of the turn.
      const std::int64_t at = mono_ns();
      // How many more measured exchanges may start (all ones: no bound).
      const std::uint64_t left = plan_.max_exchanges == 0 ? ~std::uint64_t{0}
                                 : plan_.max_exchanges > measured_started_
                                     ? plan_.max_exchanges - measured_started_
                                     : 0;
      due_.clear();
      if (plan_.schedule) {
        std::uint64_t measured = 0;
        while (next_due_ && t0_ + *next_due_ <= at && t0_ + *next_due_ < send_end_) {
          if (due_.size() == free_slots_.size()) {
            if (!waiting_for_socket_) ++counts_at(t0_ + *next_due_).socket_waits;
            waiting_for_socket_ = true;
            break;
          }
          const std::int64_t intended = t0_ + *next_due_;
          {
            // The generator's own lateness: the time since `intended`, or since the slot this
            // request gets (free slots go to due requests in order) came free, whichever is
            // later. Until then the KDC held every socket (a stall, or a KDC slower than the
            // schedule, leaves a backlog behind it), and the request's latency, counted from
            // `intended`, already says so. A slot freed by a reply counts from the earliest
            // the reply can have come in: a generator too slow to reap its replies reaps them
            // long after, and that lateness is its own.
            const Slot& gets = slots_[free_slots_.at(due_.size())];
            const std::int64_t lag = at - std::max(intended, gets.freed_ns);
            report::Counts& c = counts_at(intended);
            c.max_lag_ns = std::max(c.max_lag_ns, lag);
            row_max_lag_ = std::max(row_max_lag_, lag);
            if (lag > cfg_.late_tolerance_ns) {
              ++c.late_sends;
              ++row_late_sends_;
            }
          }
          waiting_for_socket_ = false;
          due_.push_back(intended);
          next_due_ = plan_.schedule->next();
          if (intended >= warmup_end_ && ++measured >= left) break;
        }
      } else {
        std::size_t n = std::min<std::size_t>(plan_.window - std::min(inflight_, plan_.window),
                                              free_slots_.size());
        if (at >= warmup_end_) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, left));
        due_.assign(n, at);
      }
      // A request the workload could not build is counted and not retried this turn, so a
      // failing workload cannot spin the loop.
      if (!due_.empty()) {
        start_exchanges(due_, at);
        worked = true;
      }
      sending_allowed(now);
    }
    tick(now);

    if (!sending_ && inflight_ == 0 && tcp_closing_ == 0) {
      if (linger_end < 0) linger_end = now + cfg_.linger_ns;
      if (now >= linger_end) break;
    }

    // When must the loop look again without a completion?
    std::int64_t next = t0_ + (row_second_ + 1) * kSecond;
    if (head_ != kNone) next = std::min(next, slots_[head_].deadline_ns);
    if (!retired_.empty()) next = std::min(next, socks_[retired_.front()].close_at);
    if (!socketless_.empty()) next = std::min(next, next_socket_retry_);
    if (sending_) {
      if (plan_.schedule && next_due_ && !free_slots_.empty()) {
        next = std::min(next, t0_ + *next_due_);
      }
      next = std::min(next, send_end_);
    }
    if (linger_end >= 0) next = std::min(next, linger_end);
    // Every socket in flight while the schedule has requests to send: if nothing is left to
    // reap (no completion posted, none waiting as deferred task work), the worker has caught
    // up and waits on the KDC. Replies already in mean the generator is behind on its own.
    const bool blocked = plan_.schedule && sending_ && next_due_ && free_slots_.empty();
    if (blocked) {
      io_uring_submit_and_get_events(ring_->get());
      if (io_uring_cq_ready(ring_->get()) > 0) {
        entered(false);
        continue;
      }
    }
    const std::int64_t wait = next - mono_ns();
    if (wait <= cfg_.poll_below_ns) {
      io_uring_submit_and_get_events(ring_->get());
      // Wall time stands for the thread's CPU here; a poll that took longer than the horizon
      // was descheduled, and only the horizon's worth counts.
      if (!worked) idle_poll_ns_ += std::min(mono_ns() - now, cfg_.poll_below_ns);
    } else {
      ring_->submit_and_wait_once(wait);
    }
    entered(blocked);
  }

  const std::int64_t end = mono_ns();
  end_ns_ = end;
  cpu_s_ = thread_cpu_s() - cpu0;
  tick(end);
  close_row(row_second_++);  // the last, partial second
  if (send_stop_ns_ == 0) send_stop_ns_ = end;
  stats_.measured_ns =
      std::max<std::int64_t>(0, std::max(send_stop_ns_, last_reply_ns_) - warmup_end_);
  published_.second.store(std::numeric_limits<std::int64_t>::max(), std::memory_order_release);

  // Teardown on this thread: the provided buffers first, then the ring (which cancels what is
  // still armed), then the sockets.
  bufs_.reset();
  ring_.reset();
  socks_.clear();
  for (Slot& s : slots_) s.tcp.reset();
}

}  // namespace kdcperf::loadgen::net
