#include "krb/der/writer.hpp"

#include <cstdint>

#include <gtest/gtest.h>

#include "krb/der/reader.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::der {
namespace {

TEST(DerWriter, MinimalIntegers) {
  const std::pair<std::int64_t, const char*> cases[] = {{0, "020100"},
                                                        {127, "02017f"},
                                                        {128, "02020080"},
                                                        {-1, "0201ff"},
                                                        {-128, "020180"},
                                                        {-129, "0202ff7f"},
                                                        {256, "02020100"},
                                                        {0x7fffffff, "02047fffffff"},
                                                        {0xb3ca4322LL, "020500b3ca4322"},
                                                        {-1294646494, "0204b2d54322"},
                                                        {-32768, "02028000"},
                                                        {-32769, "0203ff7fff"},
                                                        {INT64_MAX, "02087fffffffffffffff"},
                                                        {INT64_MIN, "02088000000000000000"}};
  for (auto [v, want] : cases) {
    Writer w;
    w.integer(v);
    EXPECT_EQ(to_hex(w.view()), want) << v;
    EXPECT_EQ(*Reader(w.view()).read_int64(), v);
  }
}

// The writer remembers a few recently formatted times: cycling through more distinct times
// than it keeps, over and over, must still encode each one exactly.
TEST(DerWriter, KerberosTimesAreExactWhateverTheOrder) {
  const std::int64_t times[] = {0, 1795699947, 1795699948, 1795735947, 1795786347, -1, 1795699947};
  for (int round = 0; round < 3; ++round) {
    for (std::int64_t t : times) {
      Writer w;
      w.kerberos_time(t);
      char want[15];
      format_kerberos_time(t, want);
      EXPECT_EQ(to_hex(w.view()), "180f" + to_hex(as_bytes(std::string_view(want, 15)))) << t;
      EXPECT_EQ(*Reader(w.view()).read_kerberos_time(), t < 0 ? -1 : t);
    }
  }
}

TEST(DerWriter, LongLengthsAreMinimal) {
  for (std::size_t n : {0u, 1u, 127u, 128u, 255u, 256u, 65535u, 65536u, 70000u}) {
    Writer w(16);  // forces growth
    Buffer content(n, std::byte{0x5a});
    w.octet_string(content);
    Reader r(w.view());
    auto back = r.read_octet_string();
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(back->size(), n);
    EXPECT_TRUE(r.expect_end().ok());
  }
}

TEST(DerWriter, FixedBufferOverflowIsSticky) {
  std::byte storage[8];
  Writer w{MutableByteView(storage)};
  w.octet_string(as_bytes("0123456789"));
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.status().err(), Err::kBufferTooSmall);
  w.reset();
  w.integer(5);
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(to_hex(w.view()), "020105");
}

TEST(DerWriter, KerberosTimeAndFlags) {
  Writer w;
  const auto end = w.mark();
  w.ctx_kerberos_flags(1, 0x50000010);
  w.ctx_kerberos_time(0, 1795699947);
  w.wrap(kSequence, end);
  EXPECT_EQ(to_hex(w.view()),
            "301c"
            "a011180f" +
                to_hex(as_bytes("20261126133227Z")) +
                "a1070305"
                "0050000010");
  char s[15];
  format_kerberos_time(0, s);
  EXPECT_EQ(std::string_view(s, 15), "19700101000000Z");
  format_kerberos_time(253392806885LL, s);
  EXPECT_EQ(std::string_view(s, 15), "99990913024805Z");
  format_kerberos_time(1LL << 40, s);
  EXPECT_EQ(std::string_view(s, 15), "99991231235959Z");
}

TEST(DerWriter, WipeAndResetZeroesWhatWasWritten) {
  Writer w(64);
  w.octet_string(as_bytes("session-key-bytes"));
  const std::byte* start = w.view().data();
  const std::size_t n = w.size();
  w.wipe_and_reset();
  EXPECT_EQ(w.size(), 0u);
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(start[i], std::byte{0}) << i;
}

TEST(DerWriter, ReuseAcrossMessagesKeepsStorage) {
  Writer w(64);
  w.octet_string(Buffer(1000, std::byte{1}));
  const auto* before = w.view().data();
  w.reset();
  w.octet_string(Buffer(1000, std::byte{2}));
  EXPECT_EQ(w.view().data(), before);
}

}  // namespace
}  // namespace kdcperf::krb::der
