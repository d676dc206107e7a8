// The hot paths must not allocate: the KDC decodes an AS-REQ per request, and encoders write
// into a writer that is warm after the first message. This test binary replaces the global
// operator new to count allocations made on the current thread.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/krb_error.hpp"
#include "tests/support/count_allocations.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::proto {
namespace {

using kdcperf::testing::read_hex_file;
using kdcperf::testing::source_path;

TEST(NoAllocation, DecodeAsReqAndKrbError) {
  const Buffer as_req = read_hex_file(source_path("krb/testdata/proto/mit_as_req1.hex"));
  const Buffer error = read_hex_file(source_path("krb/testdata/proto/mit_preauth_required.hex"));
  AsReq req;
  KrbError err;
  MethodData md;
  EtypeInfo2 info;
  const std::size_t before = kdcperf::testing::allocations();
  ASSERT_TRUE(decode_as_req(as_req, &req).ok());
  ASSERT_TRUE(decode_krb_error(error, &err).ok());
  ASSERT_TRUE(decode_error_method_data(err, &md).ok());
  ASSERT_TRUE(decode_etype_info2(md[1].padata_value, &info).ok());
  EXPECT_EQ(kdcperf::testing::allocations(), before);
}

TEST(NoAllocation, EncodeIntoAWarmWriter) {
  const Buffer as_req = read_hex_file(source_path("krb/testdata/proto/mit_as_req1.hex"));
  const Buffer error = read_hex_file(source_path("krb/testdata/proto/mit_preauth_required.hex"));
  AsReq req;
  KrbError err;
  ASSERT_TRUE(decode_as_req(as_req, &req).ok());
  ASSERT_TRUE(decode_krb_error(error, &err).ok());

  const Buffer cipher(341, std::byte{1});
  AsRep rep;
  rep.crealm = "EXAMPLE.TEST";
  rep.cname = *req.req_body.cname;
  rep.ticket.realm = "EXAMPLE.TEST";
  rep.ticket.sname = *req.req_body.sname;
  rep.ticket.enc_part = EncryptedData{18, 1u, cipher};
  rep.enc_part = EncryptedData{18, std::nullopt, cipher};

  der::Writer w(4096);
  const std::size_t before = kdcperf::testing::allocations();
  for (int i = 0; i < 3; ++i) {
    w.reset();
    encode_as_req(w, req);
    w.reset();
    encode_krb_error(w, err);
    w.reset();
    encode_as_rep(w, rep);
  }
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(kdcperf::testing::allocations(), before);
}

}  // namespace
}  // namespace kdcperf::krb::proto
