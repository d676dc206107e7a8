// Fuzzes the MIT FILE ccache decoder: anything it accepts must write, and read back to a
// cache that writes the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz/roundtrip.hpp"
#include "krb/files/ccache.hpp"

using namespace kdcperf::krb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto cache = files::read_ccache(kdcperf::fuzz::view_of(data, size));
  if (!cache.ok()) return 0;
  auto out = files::write_ccache(*cache);
  if (!out.ok()) std::abort();  // a cache we read must be one we can write
  auto again = files::read_ccache(out->view());
  if (!again.ok() || again->creds.size() != cache->creds.size()) std::abort();
  auto out2 = files::write_ccache(*again);
  if (!out2.ok() || !equal(out->view(), out2->view())) std::abort();
  return 0;
}
