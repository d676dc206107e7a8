// Fuzzes the bounded DER reader: walks any input as a tree of elements, re-encodes the tree
// with the backwards writer and aborts unless the bytes are identical (the reader accepts
// only minimal definite lengths, so anything it accepts has exactly one encoding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "krb/der/reader.hpp"
#include "krb/der/writer.hpp"

namespace {
using kdcperf::krb::ByteView;
using namespace kdcperf::krb::der;

// Re-encodes the elements of r into w. The writer works backwards, so siblings are collected
// first and written last to first; recursion depth is bounded by the reader's depth limit.
bool reencode(Reader r, Writer& w) {
  std::vector<std::pair<Tag, Reader>> children;
  while (!r.empty()) {
    const Tag tag = *r.peek_tag();
    auto inner = r.read(tag);
    if (!inner.ok()) return false;
    children.emplace_back(tag, *inner);
  }
  for (auto it = children.rbegin(); it != children.rend(); ++it) {
    const auto end = w.mark();
    if ((it->first & kConstructed) != 0) {
      if (!reencode(it->second, w)) return false;
    } else {
      w.raw(it->second.rest());
    }
    w.wrap(it->first, end);
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in(reinterpret_cast<const std::byte*>(data), size);
  Reader r(in);
  if (r.empty()) return 0;
  // Typed reads must never crash, whatever the bytes.
  {
    Reader t(in);
    (void)t.read_int64();
    Reader t2(in);
    (void)t2.read_kerberos_time();
    Reader t3(in);
    (void)t3.read_kerberos_flags();
    Reader t4(in);
    (void)t4.read_general_string();
    Reader t5(in);
    (void)t5.read_nonce();
  }
  Writer w(64);
  if (!reencode(r, w)) return 0;
  const ByteView out = w.view();
  if (out.size() != in.size() || !kdcperf::krb::equal(out, in)) std::abort();
  return 0;
}
