#include "kdc/net/worker.hpp"

#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <type_traits>

#include "io/index_queue.hpp"
#include "io/ring.hpp"
#include "krb/base/rng.hpp"

namespace kdcperf::kdc::net {
namespace {

constexpr std::uint32_t kNone = 0xffffffff;
constexpr std::size_t kTcpPrefix = 4;
constexpr std::size_t kMaxSendSlots = 4096;    // bounds reply memory: 4096 x send_slot_bytes
constexpr std::size_t kMaxQueuedPerConn = 64;  // pipelined replies before reading pauses
constexpr std::int64_t kWaitNs = 100'000'000;  // how often the loop looks at `stop`

enum Op : std::uint8_t { kOpUdpRecv = 1, kOpAccept, kOpTcpRecv, kOpSend };

std::uint64_t pack(Op op, std::uint32_t index, std::uint32_t gen) {
  return (std::uint64_t{op} << 56) | (std::uint64_t{index & 0xffffff} << 32) | gen;
}
Op op_of(std::uint64_t d) {
  return static_cast<Op>(d >> 56);
}
std::uint32_t index_of(std::uint64_t d) {
  return static_cast<std::uint32_t>((d >> 32) & 0xffffff);
}
std::uint32_t gen_of(std::uint64_t d) {
  return static_cast<std::uint32_t>(d);
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

krb::KerberosTimestamp kerberos_now(std::int64_t offset_s) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {ts.tv_sec + offset_s, static_cast<std::int32_t>(ts.tv_nsec / 1000)};
}

static_assert(sizeof(WorkerStats) % sizeof(std::uint64_t) == 0);
static_assert(std::is_trivially_copyable_v<WorkerStats>);

}  // namespace

WorkerStats& WorkerStats::operator+=(const WorkerStats& o) {
  as += o.as;
  std::uint64_t a[sizeof(EngineCounters) / 8], b[sizeof(EngineCounters) / 8];
  std::memcpy(a, &engine, sizeof a);
  std::memcpy(b, &o.engine, sizeof b);
  for (std::size_t i = 0; i < std::size(a); ++i) a[i] += b[i];
  std::memcpy(&engine, a, sizeof a);
  return *this;
}

void PublishedStats::store(const WorkerStats& s) {
  std::uint64_t w[kWords];
  std::memcpy(w, &s, sizeof w);
  for (std::size_t i = 0; i < kWords; ++i) words_[i].store(w[i], std::memory_order_relaxed);
}

WorkerStats PublishedStats::load() const {
  std::uint64_t w[kWords];
  for (std::size_t i = 0; i < kWords; ++i) w[i] = words_[i].load(std::memory_order_relaxed);
  WorkerStats s;
  std::memcpy(&s, w, sizeof w);
  return s;
}

struct Worker::Impl {
  // A reply on its way out. The buffer lives until the send completes.
  struct SendSlot {
    std::unique_ptr<std::byte[]> buf;
    msghdr msg{};
    iovec iov{};
    sockaddr_storage peer{};
    std::uint32_t conn = kNone;  // TCP: the connection; UDP: kNone
    const std::byte* data = nullptr;
    std::size_t len = 0, sent = 0;
    bool close_after = false;
  };
  struct Conn {
    io::Fd fd;
    std::uint32_t gen = 0;
    bool in_use = false;
    bool closing = false;
    bool recv_armed = false;
    bool sending = false;
    bool has_frames = false;  // frames of this connection are in the current batch
    bool too_long = false;    // a length it will not read: FIELD_TOOLONG after the batch
    unsigned ops = 0;         // requests in the kernel (receive, send)
    krb::Buffer rbuf;
    std::size_t have = 0, consumed = 0;
    std::int64_t last_active_ns = 0;
    io::IndexQueue queue;  // send slots in reply order; front is being sent
  };
  struct Pending {
    as::AsRequest req;
    std::uint32_t udp_sock = kNone;
    std::uint32_t conn = kNone;
    std::uint16_t bid = 0;
    bool has_bid = false;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
  };

  Impl(const db::PrincipalDb& d, WorkerConfig c, WorkerSockets s)
      : cfg(std::move(c)), socks(std::move(s)), service(d, cfg.as) {}

  bool setup(std::string* why);
  void run(const std::atomic<bool>& stop, PublishedStats& published);

  void arm_udp(std::uint32_t i);
  void arm_accept(std::uint32_t i);
  void arm_tcp_recv(std::uint32_t c);
  void on_cqe(const io_uring_cqe& cqe);
  void on_udp(std::uint32_t i, const io_uring_cqe& cqe);
  void on_accept(std::uint32_t i, const io_uring_cqe& cqe);
  void on_tcp_recv(std::uint32_t c, std::uint32_t gen, int res);
  void on_send(std::uint32_t slot, int res);
  void parse_frames(std::uint32_t c);
  void after_batch(std::uint32_t c);
  void process();
  void start_send(std::uint32_t c);
  void queue_tcp_reply(std::uint32_t c, std::uint32_t s, krb::MutableByteView reply);
  void close_conn(std::uint32_t c);
  void maybe_free_conn(std::uint32_t c);
  void scan_idle(std::int64_t now_ns);
  std::uint32_t take_slot();
  void free_slot(std::uint32_t s);
  void queue_tcp_error(std::uint32_t c, krb::proto::ErrorCode code);

  WorkerConfig cfg;
  WorkerSockets socks;
  as::AsService service;
  krb::SystemRng rng;
  std::unique_ptr<io::Ring> ring;
  std::unique_ptr<io::BufferRing> bufs;
  msghdr recv_hdr{};
  std::vector<SendSlot> slots;
  std::vector<std::uint32_t> free_slots;
  std::vector<Conn> conns;
  std::vector<std::uint32_t> free_conns;
  std::size_t live_conns = 0;
  std::vector<Pending> pending;
  std::vector<std::uint32_t> touched;  // connections with frames in the batch
  std::vector<as::AsRequest> requests;
  std::vector<as::AsReply> replies;
  std::vector<std::uint32_t> batch_slots;
  EngineCounters ec;
  std::int64_t now_ns = 0;
};

Worker::Worker(const db::PrincipalDb& db, WorkerConfig config, WorkerSockets sockets)
    : impl_(std::make_unique<Impl>(db, std::move(config), std::move(sockets))) {}
Worker::~Worker() = default;

bool Worker::setup(std::string* why) {
  return impl_->setup(why);
}
void Worker::run(const std::atomic<bool>& stop) {
  impl_->run(stop, published_);
}

bool Worker::Impl::setup(std::string* why) {
  io::RingOptions ro;
  ro.entries = 4096;
  auto r = io::Ring::create(ro);
  if (!r.ok()) {
    *why = std::string("io_uring setup: ") + io::errno_name(r.error());
    return false;
  }
  ring = std::move(r.value());
  if (!socks.udp.empty()) {
    auto b = io::BufferRing::create(*ring, 1, cfg.recv_buffers, cfg.recv_buffer_bytes);
    if (!b.ok()) {
      *why = std::string("provided-buffer ring: ") + io::errno_name(b.error());
      return false;
    }
    bufs = std::move(b.value());
  }
  recv_hdr.msg_namelen = sizeof(sockaddr_storage);
  recv_hdr.msg_controllen = 0;
  const std::size_t initial_slots = 4 * cfg.batch;
  slots.reserve(kMaxSendSlots);
  for (std::size_t i = 0; i < initial_slots; ++i) free_slot(take_slot());
  pending.reserve(cfg.batch * 4);
  requests.reserve(cfg.batch * 4);
  replies.reserve(cfg.batch * 4);
  batch_slots.reserve(cfg.batch * 4);
  for (std::uint32_t i = 0; i < socks.udp.size(); ++i) arm_udp(i);
  for (std::uint32_t i = 0; i < socks.tcp_listeners.size(); ++i) arm_accept(i);
  return true;
}

// A free send slot, growing the pool up to kMaxSendSlots; kNone when exhausted.
std::uint32_t Worker::Impl::take_slot() {
  if (!free_slots.empty()) {
    const std::uint32_t s = free_slots.back();
    free_slots.pop_back();
    return s;
  }
  if (slots.size() >= kMaxSendSlots) return kNone;
  SendSlot& s = slots.emplace_back();
  s.buf = std::make_unique<std::byte[]>(cfg.send_slot_bytes);
  return static_cast<std::uint32_t>(slots.size() - 1);
}

void Worker::Impl::free_slot(std::uint32_t s) {
  slots[s].conn = kNone;
  slots[s].close_after = false;
  free_slots.push_back(s);
}

void Worker::Impl::arm_udp(std::uint32_t i) {
  io_uring_sqe* sqe = ring->sqe();
  if (sqe == nullptr) return;
  io_uring_prep_recvmsg_multishot(sqe, socks.udp[i].get(), &recv_hdr, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = bufs->group_id();
  io_uring_sqe_set_data64(sqe, pack(kOpUdpRecv, i, 0));
}

void Worker::Impl::arm_accept(std::uint32_t i) {
  io_uring_sqe* sqe = ring->sqe();
  if (sqe == nullptr) return;
  io_uring_prep_multishot_accept(sqe, socks.tcp_listeners[i].get(), nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, pack(kOpAccept, i, 0));
}

void Worker::Impl::arm_tcp_recv(std::uint32_t c) {
  Conn& k = conns[c];
  if (k.recv_armed || k.closing || k.queue.size() >= kMaxQueuedPerConn) return;
  // Room for the next frame: grow towards the largest message a client may send.
  const std::size_t limit = cfg.max_tcp_message + kTcpPrefix;
  if (k.have == k.rbuf.size()) {
    if (k.rbuf.size() >= limit) return close_conn(c);  // cannot happen: frames are checked
    k.rbuf.resize(std::min(limit, k.rbuf.size() * 2));
  }
  io_uring_sqe* sqe = ring->sqe();
  if (sqe == nullptr) return close_conn(c);
  io_uring_prep_recv(sqe, k.fd.get(), k.rbuf.data() + k.have, k.rbuf.size() - k.have, 0);
  io_uring_sqe_set_data64(sqe, pack(kOpTcpRecv, c, k.gen));
  k.recv_armed = true;
  ++k.ops;
}

void Worker::Impl::on_cqe(const io_uring_cqe& cqe) {
  const std::uint64_t d = cqe.user_data;
  switch (op_of(d)) {
    case kOpUdpRecv:
      return on_udp(index_of(d), cqe);
    case kOpAccept:
      return on_accept(index_of(d), cqe);
    case kOpTcpRecv:
      return on_tcp_recv(index_of(d), gen_of(d), cqe.res);
    case kOpSend:
      return on_send(index_of(d), cqe.res);
    default:
      return;
  }
}

void Worker::Impl::on_udp(std::uint32_t i, const io_uring_cqe& cqe) {
  const bool has_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
  const auto bid = static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  bool kept = false;
  if (cqe.res >= 0 && has_buffer) {
    auto* out = io_uring_recvmsg_validate(bufs->buffer(bid), cqe.res, &recv_hdr);
    if (out != nullptr && (out->flags & MSG_TRUNC) == 0 &&
        out->namelen <= sizeof(sockaddr_storage)) {
      ++ec.udp_received;
      Pending& p = pending.emplace_back();
      p.req.bytes =
          krb::ByteView(static_cast<const std::byte*>(io_uring_recvmsg_payload(out, &recv_hdr)),
                        io_uring_recvmsg_payload_length(out, cqe.res, &recv_hdr));
      p.req.transport = as::Transport::kUdp;
      p.udp_sock = i;
      p.bid = bid;
      p.has_bid = kept = true;
      std::memcpy(&p.peer, io_uring_recvmsg_name(out), out->namelen);
      p.peer_len = out->namelen;
    } else {
      ++ec.udp_truncated;
    }
  } else if (cqe.res == -ENOBUFS) {
    ++ec.udp_no_buffer;
  }
  if (has_buffer && !kept) bufs->recycle(bid);
  if ((cqe.flags & IORING_CQE_F_MORE) == 0) arm_udp(i);  // the multishot receive ended
}

void Worker::Impl::on_accept(std::uint32_t i, const io_uring_cqe& cqe) {
  if ((cqe.flags & IORING_CQE_F_MORE) == 0) arm_accept(i);
  if (cqe.res < 0) return;
  io::Fd fd(cqe.res);
  if (live_conns >= cfg.max_tcp_connections) {
    ++ec.tcp_rejected;  // closing it at once tells the client to try elsewhere
    return;
  }
  std::uint32_t c;
  if (!free_conns.empty()) {
    c = free_conns.back();
    free_conns.pop_back();
  } else {
    c = static_cast<std::uint32_t>(conns.size());
    conns.emplace_back();
  }
  Conn& k = conns[c];
  k.fd = std::move(fd);
  ++k.gen;
  k.in_use = true;
  k.closing = k.recv_armed = k.sending = k.has_frames = k.too_long = false;
  k.ops = 0;
  if (k.rbuf.size() < 1024) k.rbuf.resize(1024);
  k.have = k.consumed = 0;
  k.last_active_ns = now_ns;
  k.queue.clear();
  ++live_conns;
  ++ec.tcp_accepted;
  arm_tcp_recv(c);
}

void Worker::Impl::on_tcp_recv(std::uint32_t c, std::uint32_t gen, int res) {
  Conn& k = conns[c];
  if (!k.in_use || k.gen != gen) return;
  k.recv_armed = false;
  --k.ops;
  if (k.closing) return maybe_free_conn(c);
  if (res <= 0) return close_conn(c);  // end of stream or error
  k.have += static_cast<std::size_t>(res);
  parse_frames(c);
  if (!k.has_frames) after_batch(c);  // nothing borrowed from rbuf: read on at once
}

// RFC 4120 §7.2.2: each message is preceded by a 4-byte big-endian length whose high bit is
// reserved. Complete messages join the batch, borrowing from rbuf until it is processed.
void Worker::Impl::parse_frames(std::uint32_t c) {
  Conn& k = conns[c];
  std::size_t at = k.consumed;
  while (k.have - at >= kTcpPrefix) {
    const std::uint32_t len = krb::load_be32(k.rbuf.data() + at);
    if ((len & 0x80000000u) != 0 || len > cfg.max_tcp_message) {
      // Answered after the replies to the frames before it, then the stream is closed.
      ++ec.tcp_too_long;
      k.too_long = true;
      break;
    }
    if (k.have - at - kTcpPrefix < len) break;
    Pending& p = pending.emplace_back();
    p.req.bytes = krb::ByteView(k.rbuf.data() + at + kTcpPrefix, len);
    p.req.transport = as::Transport::kTcp;
    p.conn = c;
    ++ec.tcp_messages;
    // Only whole messages count as activity: a client that trickles a frame byte by byte is
    // closed after the idle timeout like a silent one.
    k.last_active_ns = now_ns;
    at += kTcpPrefix + len;
    if (!k.has_frames) touched.push_back(c);
    k.has_frames = true;
  }
  k.consumed = at;
}

// After the batch no longer borrows rbuf: drop what was consumed, read on.
void Worker::Impl::after_batch(std::uint32_t c) {
  Conn& k = conns[c];
  k.has_frames = false;
  if (k.consumed > 0) {
    std::memmove(k.rbuf.data(), k.rbuf.data() + k.consumed, k.have - k.consumed);
    k.have -= k.consumed;
    k.consumed = 0;
  }
  if (k.too_long) {
    k.too_long = false;
    k.have = 0;  // the rest of the stream is never read
    if (!k.closing) queue_tcp_error(c, krb::proto::ErrorCode::KRB_ERR_FIELD_TOOLONG);
    return;
  }
  if (!k.closing) arm_tcp_recv(c);
}

void Worker::Impl::queue_tcp_error(std::uint32_t c, krb::proto::ErrorCode code) {
  const std::uint32_t s = take_slot();
  if (s == kNone) return close_conn(c);
  SendSlot& slot = slots[s];
  const krb::MutableByteView err = service.transport_error(
      code, kerberos_now(cfg.clock_offset_s),
      krb::MutableByteView(slot.buf.get() + kTcpPrefix, cfg.send_slot_bytes - kTcpPrefix));
  if (err.empty()) {
    free_slot(s);
    return close_conn(c);
  }
  slot.close_after = true;  // "MUST close the TCP stream" (RFC 4120 §7.2.2)
  queue_tcp_reply(c, s, err);
}

// A reply written into slot s's buffer after its kTcpPrefix spare bytes goes out framed: the
// RFC 4120 §7.2.2 length in the 4 bytes before it.
void Worker::Impl::queue_tcp_reply(std::uint32_t c, std::uint32_t s, krb::MutableByteView reply) {
  SendSlot& slot = slots[s];
  std::byte* start = reply.data() - kTcpPrefix;
  krb::store_be32(start, static_cast<std::uint32_t>(reply.size()));
  slot.data = start;
  slot.len = reply.size() + kTcpPrefix;
  slot.sent = 0;
  slot.conn = c;
  conns[c].queue.push_back(s);
  start_send(c);
}

void Worker::Impl::start_send(std::uint32_t c) {
  Conn& k = conns[c];
  if (k.sending || k.queue.empty() || k.closing) return;
  SendSlot& s = slots[k.queue.front()];
  io_uring_sqe* sqe = ring->sqe();
  if (sqe == nullptr) return close_conn(c);
  io_uring_prep_send(sqe, k.fd.get(), s.data + s.sent, s.len - s.sent, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, pack(kOpSend, k.queue.front(), 0));
  k.sending = true;
  ++k.ops;
}

void Worker::Impl::on_send(std::uint32_t si, int res) {
  SendSlot& s = slots[si];
  if (s.conn == kNone) {  // UDP
    if (res < 0) {
      ++ec.send_errors;
    } else {
      ++ec.replies_sent;
    }
    return free_slot(si);
  }
  const std::uint32_t c = s.conn;
  Conn& k = conns[c];
  k.sending = false;
  --k.ops;
  if (k.closing || res <= 0) {
    if (res <= 0) ++ec.send_errors;
    // queued slots are freed by close_conn / maybe_free_conn
    if (!k.closing) close_conn(c);
    return maybe_free_conn(c);
  }
  s.sent += static_cast<std::size_t>(res);
  if (s.sent < s.len) return start_send(c);  // a short write: send the rest
  ++ec.replies_sent;
  const bool close_after = s.close_after;
  k.queue.pop_front();
  free_slot(si);
  k.last_active_ns = now_ns;
  if (close_after) return close_conn(c);
  start_send(c);
  if (!k.has_frames) arm_tcp_recv(c);  // reading may have paused on a long queue
}

void Worker::Impl::close_conn(std::uint32_t c) {
  Conn& k = conns[c];
  if (!k.in_use || k.closing) return;
  k.closing = true;
  // Completes the pending receive (and fails pending sends); the descriptor is closed once
  // the kernel holds no request on it.
  ::shutdown(k.fd.get(), SHUT_RDWR);
  maybe_free_conn(c);
}

void Worker::Impl::maybe_free_conn(std::uint32_t c) {
  Conn& k = conns[c];
  if (!k.in_use || k.ops != 0 || k.has_frames) return;
  k.queue.for_each([&](std::uint32_t s) { free_slot(s); });
  k.queue.clear();
  k.fd.reset();
  k.in_use = false;
  if (k.rbuf.size() > 4096) krb::Buffer().swap(k.rbuf);  // a large buffer is not kept idle
  free_conns.push_back(c);
  --live_conns;
  ++ec.tcp_closed;
}

void Worker::Impl::scan_idle(std::int64_t now) {
  const std::int64_t limit = cfg.tcp_idle_timeout_ms * 1'000'000;
  for (std::uint32_t c = 0; c < conns.size(); ++c) {
    Conn& k = conns[c];
    if (k.in_use && !k.closing && !k.sending && now - k.last_active_ns > limit) {
      ++ec.tcp_idle_closed;
      close_conn(c);
    }
  }
}

void Worker::Impl::process() {
  // Replies need send slots; requests beyond what the pool holds wait for the next round
  // (UDP) — the pool only runs dry when kMaxSendSlots replies are unsent.
  const std::size_t n = pending.size();
  requests.clear();
  replies.clear();
  batch_slots.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t s = take_slot();
    batch_slots.push_back(s);
    requests.push_back(pending[i].req);
    as::AsReply& r = replies.emplace_back();
    if (s != kNone) {
      r.buffer =
          krb::MutableByteView(slots[s].buf.get() + kTcpPrefix, cfg.send_slot_bytes - kTcpPrefix);
    }
  }
  service.handle(requests, kerberos_now(cfg.clock_offset_s), rng, replies);
  ++ec.batches;

  for (std::size_t i = 0; i < n; ++i) {
    Pending& p = pending[i];
    const std::uint32_t s = batch_slots[i];
    const as::AsReply& r = replies[i];
    if (s == kNone) continue;
    if (r.kind == as::ReplyKind::kNone || r.bytes.empty()) {
      free_slot(s);
      continue;
    }
    SendSlot& slot = slots[s];
    if (p.conn == kNone) {
      slot.peer = p.peer;
      slot.iov.iov_base = r.bytes.data();
      slot.iov.iov_len = r.bytes.size();
      slot.msg = msghdr{};
      slot.msg.msg_name = &slot.peer;
      slot.msg.msg_namelen = p.peer_len;
      slot.msg.msg_iov = &slot.iov;
      slot.msg.msg_iovlen = 1;
      slot.conn = kNone;
      io_uring_sqe* sqe = ring->sqe();
      if (sqe == nullptr) {
        free_slot(s);
        ++ec.send_errors;
        continue;
      }
      io_uring_prep_sendmsg(sqe, socks.udp[p.udp_sock].get(), &slot.msg, 0);
      io_uring_sqe_set_data64(sqe, pack(kOpSend, s, 0));
    } else {
      Conn& k = conns[p.conn];
      if (k.closing) {
        free_slot(s);
        continue;
      }
      queue_tcp_reply(p.conn, s, r.bytes);
    }
  }
  for (Pending& p : pending) {
    if (p.has_bid) bufs->recycle(p.bid);
  }
  if (bufs) bufs->publish();
  for (std::uint32_t c : touched) {
    after_batch(c);
    if (conns[c].closing) maybe_free_conn(c);
  }
  touched.clear();
  pending.clear();
}

void Worker::Impl::run(const std::atomic<bool>& stop, PublishedStats& published) {
  if (cfg.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cfg.cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  std::int64_t last_scan = monotonic_ns();
  std::int64_t last_publish = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    // Wait only when nothing is ready: a lone request is answered as soon as it arrives, and
    // under load every completion already there joins the batch (no added latency).
    const int rc = ring->submit_and_wait_once(kWaitNs);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) break;
    now_ns = monotonic_ns();
    io_uring_cqe* cqe = nullptr;
    while (pending.size() < cfg.batch && io_uring_peek_cqe(ring->get(), &cqe) == 0) {
      const io_uring_cqe copy = *cqe;
      io_uring_cqe_seen(ring->get(), cqe);
      on_cqe(copy);
    }
    if (!pending.empty()) process();
    if (now_ns - last_scan > 1'000'000'000) {
      scan_idle(now_ns);
      last_scan = now_ns;
    }
    // Publishing costs ~150 relaxed stores: at most once per millisecond under load, and
    // whenever the loop is about to sleep, so readers never see counts older than that.
    if (now_ns - last_publish > 1'000'000 || io_uring_cq_ready(ring->get()) == 0) {
      published.store(WorkerStats{service.counters(), ec});
      last_publish = now_ns;
    }
  }
  published.store(WorkerStats{service.counters(), ec});
}

}  // namespace kdcperf::kdc::net
