// Fuzzes the MIT keytab decoder: anything it accepts must encode, decode again to the same
// entries, and re-encode to identical bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "krb/files/keytab.hpp"

using namespace kdcperf::krb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in(reinterpret_cast<const std::byte*>(data), size);
  auto entries = files::read_keytab(in);
  if (!entries.ok()) return 0;
  auto out = files::write_keytab(*entries);
  if (!out.ok()) std::abort();  // a keytab we read must be one we can write
  auto again = files::read_keytab(out->view());
  if (!again.ok() || again->size() != entries->size()) std::abort();
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const auto& a = (*entries)[i];
    const auto& b = (*again)[i];
    if (!(a.principal == b.principal) || a.timestamp != b.timestamp || a.kvno != b.kvno ||
        a.enctype != b.enctype || !equal(a.key.view(), b.key.view()))
      std::abort();
  }
  auto out2 = files::write_keytab(*again);
  if (!out2.ok() || !equal(out->view(), out2->view())) std::abort();
  return 0;
}
