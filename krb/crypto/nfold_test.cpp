#include "krb/crypto/nfold.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/testdata.hpp"

namespace kdcperf::krb::crypto {
namespace {

TEST(Nfold, Rfc3961AppendixA1) {
  auto blocks =
      testing::read_vector_file(testing::source_path("krb/testdata/crypto/rfc3961_nfold.txt"));
  ASSERT_EQ(blocks.size(), 11u);
  for (auto& v : blocks) {
    const std::string input = v.take("Input");
    const int bits = std::stoi(v.take("Bits"));
    const Buffer want = v.take_hex("Output");
    ASSERT_EQ(bits % 8, 0);
    Buffer got(static_cast<std::size_t>(bits / 8));
    ASSERT_TRUE(nfold(as_bytes(input), got));
    EXPECT_EQ(to_hex(got), to_hex(want)) << bits << "-fold(\"" << input << "\")";
  }
}

TEST(Nfold, RejectsEmptyAndOversized) {
  Buffer out(16);
  EXPECT_FALSE(nfold({}, out));
  Buffer big(kMaxNfoldBytes + 1);
  EXPECT_FALSE(nfold(as_bytes("kerberos"), big));
  EXPECT_FALSE(nfold(big, out));
}

}  // namespace
}  // namespace kdcperf::krb::crypto
