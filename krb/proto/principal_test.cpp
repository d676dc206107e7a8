#include "krb/proto/principal.hpp"

#include <gtest/gtest.h>

#include "krb/proto/static_vector.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::proto {
namespace {

using kdcperf::testing::hex;

TEST(PrincipalName, EncodesLikeMit) {
  // sname krbtgt/EXAMPLE.TEST as kinit sends it (KERBEROS-INTEROP.md §1.2).
  const Buffer mit = hex("301fa003020102a11830161b066b72627467741b0c4558414d504c452e54455354");
  der::Writer w;
  encode_principal_name(w, PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}});
  EXPECT_EQ(to_hex(w.view()), to_hex(mit));
  der::Reader r(mit);
  PrincipalName p;
  ASSERT_TRUE(decode_principal_name(r, &p).ok());
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(p.name_type, NameType::NT_SRV_INST);
  ASSERT_EQ(p.components.size(), 2u);
  EXPECT_EQ(p.components[1], "EXAMPLE.TEST");
}

// RFC 4120 §6.2: the name-type does not take part in comparing names.
TEST(PrincipalName, SamePrincipalIgnoresNameType) {
  const PrincipalName a{NameType::NT_PRINCIPAL, {"krbtgt", "EXAMPLE.TEST"}};
  const PrincipalName b{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
  const PrincipalName c{NameType::NT_SRV_INST, {"krbtgt", "OTHER.TEST"}};
  EXPECT_TRUE(same_principal(a, b));
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(same_principal(b, c));
  EXPECT_FALSE(same_principal(a, PrincipalName{NameType::NT_PRINCIPAL, {"krbtgt"}}));
}

TEST(PrincipalName, EmptyNameStringAndBadComponents) {
  PrincipalName p;
  const Buffer empty_bytes = hex("3009a003020101a1023000");
  der::Reader empty(empty_bytes);
  const Status st = decode_principal_name(empty, &p);
  ASSERT_TRUE(st.ok()) << err_name(st.err()) << " at " << st.error().offset;
  EXPECT_TRUE(p.components.empty());
  // An embedded NUL (the DER reader refuses it in every KerberosString).
  const Buffer nul_bytes = hex("300ea003020101a1073005 1b03610062");
  der::Reader nul(nul_bytes);
  EXPECT_EQ(decode_principal_name(nul, &p).err(), Err::kBadString);
  // A component that is not a GeneralString.
  const Buffer utf8_bytes = hex("300ea003020101a1073005 0c03616263");
  der::Reader utf8(utf8_bytes);
  EXPECT_EQ(decode_principal_name(utf8, &p).err(), Err::kBadTag);
}

TEST(StaticVector, BoundedAndCopiesOnlyItsElements) {
  StaticVector<int, 3> v;
  EXPECT_TRUE(v.empty());
  EXPECT_TRUE(v.push_back(1));
  EXPECT_TRUE(v.push_back(2));
  int* third = v.emplace_back();
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(*third, 0);
  *third = 3;
  EXPECT_TRUE(v.full());
  EXPECT_FALSE(v.push_back(4));
  EXPECT_EQ(v.emplace_back(), nullptr);
  EXPECT_EQ(v.size(), 3u);
  const StaticVector<int, 3> copy = v;
  EXPECT_EQ(copy, v);
  EXPECT_EQ(copy.back(), 3);
  v.clear();
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(copy == v);
  const std::span<const int> s = copy;
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1], 2);
}

}  // namespace
}  // namespace kdcperf::krb::proto
