#include "io/ring.hpp"

#include <sys/mman.h>

#include <cerrno>

namespace kdcperf::io {

IoResult<std::unique_ptr<Ring>> Ring::create(const RingOptions& o) {
  std::unique_ptr<Ring> r(new Ring());
  unsigned flags = 0;
  if (o.single_issuer) flags |= IORING_SETUP_SINGLE_ISSUER;
  if (o.single_issuer && o.defer_taskrun) flags |= IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init(o.entries, &r->ring_, flags);
  if (rc == -EINVAL && flags != 0) {  // older kernel: no such setup flags
    flags = 0;
    rc = io_uring_queue_init(o.entries, &r->ring_, 0);
  }
  if (rc < 0) return {rc};
  r->flags_ = flags;
  return {std::move(r)};
}

Ring::~Ring() {
  io_uring_queue_exit(&ring_);
}

io_uring_sqe* Ring::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s == nullptr) {
    if (io_uring_submit(&ring_) < 0) return nullptr;
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

int Ring::submit_and_wait_once(std::int64_t timeout_ns) {
  // Publish the queued entries as io_uring_submit would (no SQPOLL: the kernel consumes them
  // only inside io_uring_enter), then submit and wait in the same system call.
  io_uring_sq* sq = &ring_.sq;
  const unsigned tail = sq->sqe_tail;
  if (sq->sqe_head != tail) {
    sq->sqe_head = tail;
    io_uring_smp_store_release(sq->ktail, tail);
  }
  const unsigned to_submit = tail - io_uring_smp_load_acquire(sq->khead);
  if (timeout_ns < 0) timeout_ns = 0;
  __kernel_timespec ts{};
  ts.tv_sec = timeout_ns / 1'000'000'000;
  ts.tv_nsec = timeout_ns % 1'000'000'000;
  io_uring_getevents_arg arg{};
  arg.ts = reinterpret_cast<std::uint64_t>(&ts);
  const unsigned wait = io_uring_cq_ready(&ring_) > 0 ? 0 : 1;
  const int rc =
      io_uring_enter2(ring_.ring_fd, to_submit, wait, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                      reinterpret_cast<sigset_t*>(&arg), sizeof arg);
  if (rc == -1 && errno != 0) return -errno;  // a libc-style wrapper
  return rc < 0 ? rc : 0;
}

IoResult<std::unique_ptr<BufferRing>> BufferRing::create(Ring& ring, unsigned short group_id,
                                                         unsigned count, unsigned buffer_size) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0) return {-EINVAL};
  std::unique_ptr<BufferRing> b(new BufferRing());
  b->ring_ = &ring;
  b->group_id_ = group_id;
  b->count_ = count;
  b->buffer_size_ = buffer_size;
  b->ring_bytes_ = sizeof(io_uring_buf) * count;
  void* mem =
      mmap(nullptr, b->ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return {-errno};
  b->br_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<unsigned long>(mem);
  reg.ring_entries = count;
  reg.bgid = group_id;
  if (int rc = io_uring_register_buf_ring(ring.get(), &reg, 0); rc < 0) {
    munmap(mem, b->ring_bytes_);
    b->br_ = nullptr;
    return {rc};
  }
  io_uring_buf_ring_init(b->br_);
  b->data_.reset(new unsigned char[std::size_t{count} * buffer_size]);
  for (unsigned i = 0; i < count; ++i) b->recycle(static_cast<unsigned short>(i));
  b->publish();
  return {std::move(b)};
}

BufferRing::~BufferRing() {
  if (br_ != nullptr) {
    io_uring_unregister_buf_ring(ring_->get(), group_id_);
    munmap(br_, ring_bytes_);
  }
}

void BufferRing::recycle(unsigned short bid) {
  io_uring_buf_ring_add(br_, buffer(bid), buffer_size_, bid, io_uring_buf_ring_mask(count_),
                        pending_);
  ++pending_;
}

void BufferRing::publish() {
  if (pending_ == 0) return;
  io_uring_buf_ring_advance(br_, pending_);
  pending_ = 0;
}

}  // namespace kdcperf::io
