// A FIFO of slot indices for the engines (kdcperf-kdc's TCP reply queues, the load generator's
// free slots) that reuses its storage: std::deque allocates a node every few hundred pushes as
// it cycles, which put an allocation on the TCP reply path. This ring grows (doubling) only past
// the most it has ever held, or what reserve() asked for, so a warm engine never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kdcperf::io {

class IndexQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::uint32_t front() const { return buf_[head_]; }
  // The i-th from the front (i < size()).
  std::uint32_t at(std::size_t i) const { return buf_[(head_ + i) & (buf_.size() - 1)]; }
  void pop_front() {
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
  }
  void push_back(std::uint32_t v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  void clear() { head_ = size_ = 0; }
  // Room for n without growing.
  void reserve(std::size_t n) {
    while (buf_.size() < n) grow();
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) f(buf_[(head_ + i) & (buf_.size() - 1)]);
  }

 private:
  void grow() {
    std::vector<std::uint32_t> bigger(buf_.empty() ? 16 : 2 * buf_.size());
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_.swap(bigger);
    head_ = 0;
  }
  std::vector<std::uint32_t> buf_;  // size a power of two (or empty)
  std::size_t head_ = 0, size_ = 0;
};

}  // namespace kdcperf::io
