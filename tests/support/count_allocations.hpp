// Counting operator new for the no-allocation tests: the hot paths (decoding a request, the KDC's
// AS batch, the load generator's request and check) must not allocate once warm. Include this in
// exactly ONE .cpp of a test binary: it replaces the global allocation functions of that binary
// (malloc/free underneath, so the sanitizers still see every block) and counts the allocations
// made on the calling thread, and on all threads together (for engines with threads of their
// own).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace kdcperf::testing {
inline thread_local std::size_t g_allocations = 0;
inline std::atomic<std::size_t> g_all_allocations{0};
// operator new calls made on this thread so far.
inline std::size_t allocations() {
  return g_allocations;
}
// operator new calls made on any thread so far.
inline std::size_t allocations_all_threads() {
  return g_all_allocations.load(std::memory_order_relaxed);
}
}  // namespace kdcperf::testing

// The replacements pair malloc with free; g++ with sanitizers cannot see that operator new and
// operator delete are the matching pair defined here and warns.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  ++kdcperf::testing::g_allocations;
  kdcperf::testing::g_all_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {  // std::stable_sort uses it
  ++kdcperf::testing::g_allocations;
  kdcperf::testing::g_all_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
