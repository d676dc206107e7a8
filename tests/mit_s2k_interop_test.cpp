// Our string-to-key against MIT krb5's: for each enctype kdcperf implements, MIT kadmin.local
// derives a principal's key from a known password, `klist -k -e -K` shows it, and
// krb::crypto::string_to_key() must give exactly those bytes for the salt MIT used. The salt is
// read from MIT's own database (`kdb5_util tabdump keyinfo`): no stored salt means the default
// salt of RFC 4120 §4 (realm ‖ components); norealm/onlyrealm/special salts are stored.
//
// The keys printed on failure come from throwaway test passwords in this file; they are test
// vectors, not secrets.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "krb/base/bytes.hpp"
#include "krb/crypto/enctype.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "tests/support/mit_realm.hpp"
#include "tests/support/process.hpp"

namespace kdcperf::testing {
namespace {

using krb::crypto::Enctype;

struct EnctypeCase {
  Enctype etype;
  std::string_view mit_name;  // as kadmin -e and klist spell it
  std::string_view tag;       // short, for principal names
};

constexpr EnctypeCase kCases[] = {
    {Enctype::AES128_CTS_HMAC_SHA1_96, "aes128-cts-hmac-sha1-96", "e17"},
    {Enctype::AES256_CTS_HMAC_SHA1_96, "aes256-cts-hmac-sha1-96", "e18"},
    {Enctype::AES128_CTS_HMAC_SHA256_128, "aes128-cts-hmac-sha256-128", "e19"},
    {Enctype::AES256_CTS_HMAC_SHA384_192, "aes256-cts-hmac-sha384-192", "e20"},
    {Enctype::RC4_HMAC, "arcfour-hmac", "e23"},
};

const EnctypeCase* case_by_mit_name(std::string_view name) {
  for (const auto& c : kCases) {
    if (c.mit_name == name) return &c;
  }
  return nullptr;
}

// One principal MIT made: its password and the kadmin key/salt spec it was created with.
struct PrincipalCase {
  std::string name;  // without realm; may have several components ("svc/host")
  std::string password;
  std::string salttype;  // kadmin salt type: normal, norealm, onlyrealm, special
};

// Passwords: plain ASCII, ASCII with spaces and punctuation, and UTF-8 with characters from the
// BMP and beyond it (RC4-HMAC turns them into UTF-16LE, with a surrogate pair for U+1F511).
std::vector<PrincipalCase> principals_for(const EnctypeCase& c) {
  const std::string t(c.tag);
  return {
      {"alice_" + t, "secret", "normal"},
      {"punct_" + t, "Tr0ub4dor &3 horse: battery, staple!", "normal"},
      {"utf8_" + t, "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac \xf0\x9f\x94\x91", "normal"},
      {"svc_" + t + "/host.kdcperf.test", "service password", "normal"},
      {"norealm_" + t, "norealm secret", "norealm"},
      {"onlyrealm_" + t, "onlyrealm secret", "onlyrealm"},
      {"special_" + t, "special secret", "special"},
  };
}

std::vector<std::string_view> components_of(std::string_view name) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (auto slash = name.find('/'); slash != std::string_view::npos;
       slash = name.find('/', start)) {
    out.push_back(name.substr(start, slash - start));
    start = slash + 1;
  }
  out.push_back(name.substr(start));
  return out;
}

// One realm for the whole suite: no KDC needs to run, only kadmin.local, kdb5_util and klist.
class MitS2kTest : public ::testing::TestWithParam<EnctypeCase> {
 protected:
  static void SetUpTestSuite() {
    if (!tool_available("kdb5_util") || !tool_available("kadmin.local") ||
        !tool_available("klist")) {
      return;  // SetUp() reports the missing tool on each test
    }
    realm_ = std::make_unique<MitRealm>();
    if (!realm_->create()) realm_.reset();
  }
  static void TearDownTestSuite() { realm_.reset(); }

  void SetUp() override {
    KDCPERF_REQUIRE_TOOL("kdb5_util");
    KDCPERF_REQUIRE_TOOL("kadmin.local");
    KDCPERF_REQUIRE_TOOL("klist");
    ASSERT_NE(realm_, nullptr) << "could not create the MIT realm";
  }

  // Creates the principal with only this enctype, extracts its keytab and returns MIT's key.
  std::string mit_key_hex(const EnctypeCase& c, const PrincipalCase& p) {
    const std::string spec = "-e " + std::string(c.mit_name) + ":" + p.salttype;
    EXPECT_TRUE(realm_->add_principal(p.name, p.password, spec));
    std::string file = p.name;
    for (char& ch : file) {
      if (ch == '/') ch = '_';
    }
    const std::string keytab = realm_->dir() + "/" + file + ".keytab";
    EXPECT_TRUE(realm_->extract_keytab(p.name, keytab));
    const auto entries = realm_->list_keytab(keytab);
    if (!entries) return {};
    EXPECT_EQ(entries->size(), 1u) << "only " << c.mit_name << " was asked for";
    if (entries->size() != 1) return {};
    const KeytabListing& e = entries->front();
    EXPECT_EQ(e.principal, p.name + "@" + realm_->realm());
    EXPECT_EQ(e.enctype, c.mit_name);
    EXPECT_EQ(e.kvno, 1u);
    return e.key_hex;
  }

  // The salt MIT's database holds for this principal's key (nullopt: the default salt).
  std::optional<std::optional<std::string>> mit_salt(const std::string& principal,
                                                     const std::string& expected_salttype) {
    const auto info = realm_->db_key_info();
    if (!info) return std::nullopt;
    for (const auto& k : *info) {
      if (k.principal != principal + "@" + realm_->realm()) continue;
      EXPECT_EQ(k.salttype, expected_salttype);
      return k.salt;
    }
    ADD_FAILURE() << principal << " not in kdb5_util tabdump keyinfo";
    return std::nullopt;
  }

  static std::unique_ptr<MitRealm> realm_;
};

std::unique_ptr<MitRealm> MitS2kTest::realm_;

TEST_P(MitS2kTest, KeyMatchesMitKeytab) {
  const EnctypeCase& c = GetParam();
  for (const PrincipalCase& p : principals_for(c)) {
    SCOPED_TRACE(p.name + " (" + p.salttype + " salt)");
    const std::string expected = mit_key_hex(c, p);
    ASSERT_FALSE(expected.empty());
    const auto stored = mit_salt(p.name, p.salttype);
    ASSERT_TRUE(stored.has_value());

    std::string salt;
    if (p.salttype == "normal") {
      // MIT stores no salt for the default salt type; it is computed from the name.
      EXPECT_FALSE(stored->has_value());
      const auto comps = components_of(p.name);
      salt = krb::crypto::default_salt(realm_->realm(), comps);
    } else {
      ASSERT_TRUE(stored->has_value()) << "MIT stores the salt of a " << p.salttype << " key";
      salt = **stored;
      // Cross-check our reading of MIT's salt types (kdb_cpw.c: norealm = the name components
      // without the realm, onlyrealm = the realm alone, special = random, stored).
      if (p.salttype == "norealm") {
        const auto comps = components_of(p.name);
        EXPECT_EQ(salt, krb::crypto::default_salt("", comps));
      } else if (p.salttype == "onlyrealm") {
        EXPECT_EQ(salt, realm_->realm());
      }
    }

    const auto key = krb::crypto::string_to_key(c.etype, p.password, salt);
    ASSERT_TRUE(key.ok()) << krb::err_name(key.err());
    EXPECT_EQ(key->etype, c.etype);
    EXPECT_EQ(krb::to_hex(key->bytes.view()), expected);
  }
}

INSTANTIATE_TEST_SUITE_P(AllEnctypes, MitS2kTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<EnctypeCase>& param_info) {
                           return "etype" +
                                  std::to_string(static_cast<int>(param_info.param.etype));
                         });

// A principal with the realm's full supported_enctypes: one password, five keys in one keytab,
// each with the default salt.
TEST(MitS2kAllKeys, OnePasswordFiveEnctypes) {
  KDCPERF_REQUIRE_TOOL("kdb5_util");
  KDCPERF_REQUIRE_TOOL("kadmin.local");
  KDCPERF_REQUIRE_TOOL("klist");
  MitRealm realm;
  ASSERT_TRUE(realm.create());
  const std::string password = "all five keys";
  ASSERT_TRUE(realm.add_principal("multi", password));
  const std::string keytab = realm.dir() + "/multi.keytab";
  ASSERT_TRUE(realm.extract_keytab("multi", keytab));
  const auto entries = realm.list_keytab(keytab);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), std::size(kCases));
  std::map<int, int> seen;
  const std::string_view comps[] = {"multi"};
  const std::string salt = krb::crypto::default_salt(realm.realm(), comps);
  for (const KeytabListing& e : *entries) {
    SCOPED_TRACE(e.enctype);
    const EnctypeCase* c = case_by_mit_name(e.enctype);
    ASSERT_NE(c, nullptr) << "unexpected enctype in keytab";
    ++seen[static_cast<int>(c->etype)];
    const auto key = krb::crypto::string_to_key(c->etype, password, salt);
    ASSERT_TRUE(key.ok()) << krb::err_name(key.err());
    EXPECT_EQ(krb::to_hex(key->bytes.view()), e.key_hex);
  }
  EXPECT_EQ(seen.size(), std::size(kCases));
}

}  // namespace
}  // namespace kdcperf::testing
