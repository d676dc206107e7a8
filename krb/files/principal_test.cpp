#include "krb/files/principal.hpp"

#include <gtest/gtest.h>

namespace kdcperf::krb::files {
namespace {

TEST(Principal, UnparseJoinsComponentsAndRealm) {
  // As klist prints them (see the listings in krb/testdata/files/*.hex).
  EXPECT_EQ(unparse({kNtPrincipal, "EXAMPLE.TEST", {"alice"}}), "alice@EXAMPLE.TEST");
  EXPECT_EQ(unparse({kNtSrvInst, "EXAMPLE.TEST", {"krbtgt", "EXAMPLE.TEST"}}),
            "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST");
}

// MIT's unparse (lib/krb5/krb/unparse.c) quotes the separators, the backslash and four
// control characters in every component and in the realm.
TEST(Principal, UnparseQuotesLikeMit) {
  EXPECT_EQ(unparse({kNtPrincipal, "R@S", {"a/b", "c@d\\"}}), "a\\/b/c\\@d\\\\@R\\@S");
  EXPECT_EQ(unparse({kNtPrincipal, "R", {std::string("x\0\t\n\b", 5)}}), "x\\0\\t\\n\\b@R");
  EXPECT_EQ(unparse({kNtUnknown, "", {}}), "@");
}

}  // namespace
}  // namespace kdcperf::krb::files
