// The AS service's hot path allocates nothing once warm (DESIGN.md): a batch of pre-authenticated
// requests, errors and PREAUTH_REQUIRED answers is handled twice and the second round must not
// call operator new. This test binary replaces the global operator new to count allocations
// made on the current thread.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <vector>

#include "kdc/as/as_service.hpp"
#include "kdc/as/as_testing.hpp"
#include "tests/support/count_allocations.hpp"

namespace kdcperf::kdc::as {
namespace {

using namespace testing;

TEST(NoAllocation, AWarmAsServiceBatch) {
  const db::PrincipalDb db = make_db();
  AsService service(db, AsOptions{});
  krb::DeterministicRng rng(3);
  // 64 requests (one full batch): AS-REPs with PAC and enc-pa-rep, PREAUTH_REQUIRED, unknown
  // clients and garbage.
  std::vector<krb::Buffer> reqs;
  for (int i = 0; i < 64; ++i) {
    RequestSpec s;
    s.nonce = i;
    switch (i % 4) {
      case 0:
      case 1:
        s.preauth_key = key_from(Enctype::AES256_CTS_HMAC_SHA1_96, "secret", "KDCPERF.TESTalice");
        s.enc_pa_rep = (i % 4) == 1;
        reqs.push_back(build_request(s));
        break;
      case 2:
        s.client = "nobody";
        reqs.push_back(build_request(s));
        break;
      default:
        reqs.push_back(krb::Buffer(40, std::byte{0x6a}));
    }
  }
  std::vector<krb::Buffer> out(reqs.size(), krb::Buffer(8192));
  std::vector<AsRequest> in(reqs.size());
  std::vector<AsReply> replies(reqs.size());
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    in[i] = {reqs[i], Transport::kUdp};
    replies[i].buffer = out[i];
  }
  service.handle(in, kNow, rng, replies);  // warm: key cache, writers, scratch
  const std::size_t before = kdcperf::testing::allocations();
  service.handle(in, kNow, rng, replies);
  EXPECT_EQ(kdcperf::testing::allocations() - before, 0u);
  EXPECT_EQ(service.counters().as_rep, 64u);  // 16 + 16 per round
  EXPECT_EQ(replies[0].kind, ReplyKind::kAsRep);
}

}  // namespace
}  // namespace kdcperf::kdc::as
