// RAII io_uring. One ring per worker thread: created with SINGLE_ISSUER and DEFER_TASKRUN
// when the kernel has them (completions run only when the owner reaps, so no cross-thread
// wake-ups), falling back to a plain ring on older kernels.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>

#include "io/socket.hpp"

namespace kdcperf::io {

struct RingOptions {
  unsigned entries = 1024;
  bool single_issuer = true;  // IORING_SETUP_SINGLE_ISSUER (6.0+)
  bool defer_taskrun = true;  // IORING_SETUP_DEFER_TASKRUN (6.1+; needs single_issuer)
};

class Ring {
 public:
  static IoResult<std::unique_ptr<Ring>> create(const RingOptions& options = {});
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring();

  io_uring* get() { return &ring_; }
  unsigned setup_flags() const { return flags_; }
  // A submission entry; when the queue is full, submits what is queued first. Never null
  // unless the kernel refuses the submit (then nullptr, rare and fatal for the caller).
  io_uring_sqe* sqe();
  int submit() { return io_uring_submit(&ring_); }
  int submit_and_wait(unsigned n) { return io_uring_submit_and_wait(&ring_, n); }
  // Submits what is queued and waits ONCE, in one system call, for up to timeout_ns for a
  // completion (or deferred task work), then returns. liburing's *_wait_timeout helpers loop,
  // restarting the full timeout, when the kernel returns without a visible completion (e.g. after
  // task work for a CQE_SKIP_SUCCESS request), which can oversleep by many timeouts; a caller that
  // keeps a schedule must not. Returns 0, -ETIME or a negative errno.
  int submit_and_wait_once(std::int64_t timeout_ns);

  // Calls f(const io_uring_cqe&) for every ready completion, then marks them seen.
  template <class F>
  unsigned drain(F&& f) {
    unsigned head = 0, n = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      f(*cqe);
      ++n;
    }
    io_uring_cq_advance(&ring_, n);
    return n;
  }

 private:
  Ring() = default;
  io_uring ring_{};
  unsigned flags_ = 0;
};

// A ring of provided buffers (IORING_REGISTER_PBUF_RING): the kernel picks a buffer per
// receive, so a multishot recvmsg needs no per-datagram buffer bookkeeping by the engine.
class BufferRing {
 public:
  // count must be a power of two <= 32768.
  static IoResult<std::unique_ptr<BufferRing>> create(Ring& ring, unsigned short group_id,
                                                      unsigned count, unsigned buffer_size);
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;
  ~BufferRing();

  unsigned short group_id() const { return group_id_; }
  unsigned buffer_size() const { return buffer_size_; }
  unsigned count() const { return count_; }
  unsigned char* buffer(unsigned short bid) {
    return data_.get() + std::size_t{bid} * buffer_size_;
  }
  // Gives a buffer back to the kernel. Batched: visible after publish().
  void recycle(unsigned short bid);
  void publish();

 private:
  BufferRing() = default;
  Ring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  std::size_t ring_bytes_ = 0;
  std::unique_ptr<unsigned char[]> data_;
  unsigned short group_id_ = 0;
  unsigned count_ = 0;
  unsigned buffer_size_ = 0;
  int pending_ = 0;
};

}  // namespace kdcperf::io
