#include "krb/crypto/hmac.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/testdata.hpp"

namespace kdcperf::krb::crypto {
namespace {

using testing::read_vector_file;
using testing::source_path;

Digest digest_named(const std::string& s) {
  if (s == "md5") return Digest::kMd5;
  if (s == "sha1") return Digest::kSha1;
  if (s == "sha256") return Digest::kSha256;
  EXPECT_EQ(s, "sha384");
  return Digest::kSha384;
}

TEST(Primitives, KnownAnswers) {
  auto blocks = read_vector_file(source_path("krb/testdata/crypto/primitives.txt"));
  int md4s = 0, rc4s = 0, hmacs = 0;
  for (auto& v : blocks) {
    const std::string test = v.take("Test");
    SCOPED_TRACE("vector at line " + std::to_string(v.line()));
    if (test == "md4") {
      const std::string msg = v.take("Message");
      const Buffer want = v.take_hex("Digest");
      Buffer got(16);
      md4(as_bytes(msg), got);
      EXPECT_EQ(to_hex(got), to_hex(want));
      ++md4s;
    } else if (test == "rc4") {
      const Buffer key = v.take_hex("Key");
      const Buffer in = v.take_hex("Input");
      const Buffer want = v.take_hex("Output");
      Buffer got(in.size());
      Rc4 rc4(key);
      // Two calls, to check the keystream continues across them.
      rc4.apply(ByteView(in).first(5), MutableByteView(got).first(5));
      rc4.apply(ByteView(in).subspan(5), MutableByteView(got).subspan(5));
      EXPECT_EQ(to_hex(got), to_hex(want));
      ++rc4s;
    } else {
      ASSERT_EQ(test, "hmac");
      const Digest d = digest_named(v.take("Digest"));
      const Buffer key = v.take_hex("Key");
      const Buffer data = v.take_hex("Data");
      const Buffer want = v.take_hex("Mac");
      HmacKey h(d, key);
      Buffer got(digest_bytes(d));
      h.mac({data}, got);
      EXPECT_EQ(to_hex(got), to_hex(want));
      // Split input and reuse of the prepared key give the same MAC.
      Buffer again(digest_bytes(d));
      h.mac({ByteView(data).first(3), ByteView(data).subspan(3)}, again);
      EXPECT_EQ(to_hex(again), to_hex(want));
      // Truncation keeps the leading bytes.
      Buffer trunc(12);
      h.mac({data}, trunc);
      EXPECT_EQ(to_hex(trunc), to_hex(ByteView(want).first(12)));
      ++hmacs;
    }
  }
  EXPECT_EQ(md4s, 7);
  EXPECT_EQ(rc4s, 2);
  EXPECT_EQ(hmacs, 6);
}

TEST(Primitives, Md4LengthsAroundTheBlockBoundary) {
  // 55, 56 and 64 bytes take the one-block and two-block padding paths; checked against the
  // prefix property that the same message hashed twice is stable and lengths differ.
  std::string last;
  for (std::size_t n : {55u, 56u, 63u, 64u, 65u, 119u, 120u}) {
    const std::string msg(n, 'x');
    Buffer a(16), b(16);
    md4(as_bytes(msg), a);
    md4(as_bytes(msg), b);
    EXPECT_EQ(to_hex(a), to_hex(b));
    EXPECT_NE(to_hex(a), last);
    last = to_hex(a);
  }
}

TEST(Primitives, HmacKeyMoveKeepsState) {
  HmacKey a(Digest::kSha256, as_bytes("key"));
  Buffer want(32), got(32);
  a.mac({as_bytes("data")}, want);
  HmacKey b(std::move(a));
  EXPECT_TRUE(b.ready());
  b.mac({as_bytes("data")}, got);
  EXPECT_EQ(to_hex(got), to_hex(want));
}

}  // namespace
}  // namespace kdcperf::krb::crypto
