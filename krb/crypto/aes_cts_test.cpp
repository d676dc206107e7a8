#include "krb/crypto/aes_cts.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/testdata.hpp"

namespace kdcperf::krb::crypto {
namespace {

TEST(AesCts, Rfc3962AppendixB) {
  auto blocks =
      testing::read_vector_file(testing::source_path("krb/testdata/crypto/rfc3962_cts.txt"));
  int n = 0;
  for (auto& v : blocks) {
    ASSERT_EQ(v.take("Test"), "cts");
    const Buffer key = v.take_hex("Key");
    const Buffer iv = v.take_hex("Iv");
    const Buffer in = v.take_hex("Input");
    const Buffer want = v.take_hex("Output");
    const Buffer next_iv = v.take_hex("NextIv");
    SCOPED_TRACE("length " + std::to_string(in.size()));
    AesCts c;
    ASSERT_TRUE(c.set_key(key).ok());
    Buffer out(in.size());
    ASSERT_TRUE(c.encrypt(iv, in, out).ok());
    EXPECT_EQ(to_hex(out), to_hex(want));
    // CS3 layout: the cipher state after the message is the second-to-last output block.
    const std::size_t blocks_n = (in.size() + kAesBlock - 1) / kAesBlock;
    EXPECT_EQ(to_hex(ByteView(out).subspan((blocks_n - 2) * kAesBlock, kAesBlock)),
              to_hex(next_iv));
    Buffer back(in.size());
    ASSERT_TRUE(c.decrypt(iv, out, back).ok());
    EXPECT_EQ(to_hex(back), to_hex(in));
    // Reusing the context for a second message resets the IV: same output again, in place.
    Buffer again = in;
    ASSERT_TRUE(c.encrypt(iv, again, again).ok());
    EXPECT_EQ(to_hex(again), to_hex(want));
    ++n;
  }
  EXPECT_EQ(n, 6);
}

TEST(AesCts, SingleBlockIsPlainCbc) {
  // One block: no stealing, so the output is AES(key, in XOR iv). The 32-byte RFC 3962 vector
  // shows AES(P1) as its second block; encrypting P1 alone must give exactly that block.
  const Buffer key = testing::hex("636869636b656e207465726979616b69");
  const Buffer iv(16);
  const Buffer p1 = testing::hex("4920776f756c64206c696b6520746865");
  AesCts c;
  ASSERT_TRUE(c.set_key(key).ok());
  Buffer out(16);
  ASSERT_TRUE(c.encrypt(iv, p1, out).ok());
  EXPECT_EQ(to_hex(out), "97687268d6ecccc0c07b25e25ecfe584");
}

TEST(AesCts, RejectsBadArguments) {
  AesCts c;
  const Buffer iv(16);
  Buffer buf(32);
  EXPECT_EQ(c.encrypt(iv, buf, buf).err(), Err::kInvalidArgument);  // no key yet
  EXPECT_EQ(c.set_key(Buffer(24)).err(), Err::kBadKeyLength);
  ASSERT_TRUE(c.set_key(Buffer(16)).ok());
  Buffer short_in(15);
  EXPECT_EQ(c.encrypt(iv, short_in, buf).err(), Err::kInvalidArgument);
  EXPECT_EQ(c.encrypt(Buffer(8), buf, buf).err(), Err::kInvalidArgument);
  Buffer small_out(16);
  EXPECT_EQ(c.encrypt(iv, buf, small_out).err(), Err::kInvalidArgument);
  Buffer big(48);
  // Partial overlap is refused; exact aliasing is fine.
  EXPECT_EQ(c.encrypt(iv, ByteView(big).first(32), MutableByteView(big).subspan(8, 32)).err(),
            Err::kInvalidArgument);
  EXPECT_TRUE(c.encrypt(iv, ByteView(big).first(32), MutableByteView(big).first(32)).ok());
}

}  // namespace
}  // namespace kdcperf::krb::crypto
