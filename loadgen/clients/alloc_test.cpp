// The load generator's hot path must not allocate: building a request (start) and checking its
// reply (check) run ~200k times a second per core. This test binary replaces the global
// operator new to count allocations made on the current thread (OpenSSL allocates with malloc,
// but its contexts live in the KeyCache and are made once per client and usage).
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <new>

#include "loadgen/check/fake_kdc_testing.hpp"
#include "loadgen/clients/kerberos_workload.hpp"
#include "tests/support/count_allocations.hpp"

namespace kdcperf::loadgen::clients {
namespace {

constexpr krb::KerberosTimestamp kNow{1764080000, 0};

void run(Flow flow, krb::crypto::Enctype etype) {
  auto pop = std::make_shared<Population>("KDCPERF.TEST");
  ASSERT_TRUE(pop->add_pattern("user{i}", "pw-{i}", 1, 8).ok());
  DeriveOptions d;
  d.etype = etype;
  ASSERT_TRUE(pop->derive_keys(d).ok());
  loadgen::testing::FakeKdc kdc("KDCPERF.TEST");
  for (int i = 1; i <= 8; ++i) {
    kdc.add_password("user" + std::to_string(i), etype, "pw-" + std::to_string(i));
  }
  WorkloadOptions o;
  o.flow = flow;
  o.bad_password_ratio = 0.1;
  o.selection.kind = SelectionKind::kZipf;
  KerberosWorkload wl(pop, o);
  std::array<std::byte, kMaxRequestBytes> req{};
  std::size_t start_allocs = 0;
  std::size_t check_allocs = 0;
  for (int i = 0; i < 400; ++i) {
    const bool measured = i >= 200;  // the first rounds fill the key cache
    RequestToken t;
    std::size_t before = kdcperf::testing::allocations();
    auto n = wl.start(req, kNow, &t);
    if (measured) start_allocs += kdcperf::testing::allocations() - before;
    ASSERT_TRUE(n.ok());
    krb::Buffer reply = kdc.handle(krb::ByteView(req.data(), *n), kNow);
    before = kdcperf::testing::allocations();
    Verdict v = wl.check(t, reply);
    if (measured) check_allocs += kdcperf::testing::allocations() - before;
    if (v.login_continues) {
      before = kdcperf::testing::allocations();
      n = wl.follow_up(t, reply, req, kNow, &t);
      if (measured) start_allocs += kdcperf::testing::allocations() - before;
      ASSERT_TRUE(n.ok());
      reply = kdc.handle(krb::ByteView(req.data(), *n), kNow);
      before = kdcperf::testing::allocations();
      v = wl.check(t, reply);
      if (measured) check_allocs += kdcperf::testing::allocations() - before;
    }
    ASSERT_NE(v.kind, ReplyKind::kMalformed);
  }
  EXPECT_EQ(start_allocs, 0u);
  EXPECT_EQ(check_allocs, 0u);
}

TEST(NoAllocation, PreauthFlowStartAndCheck) {
  for (const auto e :
       {krb::crypto::Enctype::AES256_CTS_HMAC_SHA1_96,
        krb::crypto::Enctype::AES128_CTS_HMAC_SHA256_128, krb::crypto::Enctype::RC4_HMAC}) {
    run(Flow::kPreauth, e);
  }
}

TEST(NoAllocation, LoginFlowStartFollowUpAndCheck) {
  run(Flow::kLogin, krb::crypto::Enctype::AES256_CTS_HMAC_SHA1_96);
}

}  // namespace
}  // namespace kdcperf::loadgen::clients
