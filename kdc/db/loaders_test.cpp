#include "kdc/db/loaders.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "krb/base/rng.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/files/keytab.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::kdc::db {
namespace {

using krb::Err;
using krb::crypto::Enctype;
using testing::hex;

// MIT krb5 1.20 keys for alice@EXAMPLE.TEST, password "secret" (default salt
// "EXAMPLE.TESTalice"), from krb/testdata/crypto/mit_known_answers.txt and the ktadd keytab
// krb/testdata/files/mit_ktadd.keytab.hex.
constexpr std::string_view kAliceAes256 =
    "822fd5d1d67c851ffe6cedae86d6d17138478433dfe30201bab19c9833e301ae";
constexpr std::string_view kAliceAes128 = "cfb0c200bbded80d412178947e085092";
// bob/admin@EXAMPLE.TEST, password "pässwörd €": the salt holds both components.
constexpr std::string_view kBobAdminAes256 =
    "2e87f92c838483b968eec55528356ce8dc9bc2484d8bed8836e6a187143a4b83";

std::string key_hex(const PrincipalKey& k) {
  return krb::to_hex(k.key.bytes.view());
}

krb::Buffer expected_key(Enctype e, std::string_view password, std::string_view salt,
                         std::uint32_t iterations = 0) {
  std::array<std::byte, 4> s2k{};
  krb::ByteView params;
  if (iterations != 0) {
    krb::store_be32(s2k.data(), iterations);
    params = s2k;
  }
  krb::Result<krb::crypto::Key> k = krb::crypto::string_to_key(e, password, salt, params);
  EXPECT_TRUE(k.ok());
  if (!k.ok()) return {};
  return krb::Buffer(k->bytes.view().begin(), k->bytes.view().end());
}

bool same_bytes(const PrincipalKey& k, const krb::Buffer& b) {
  return krb::equal(k.key.bytes.view(), b);
}

// load_realm_json with a deterministic RNG; fails the test (and returns nullopt) on error.
std::optional<PrincipalDb> load_ok(std::string_view text, unsigned threads = 2) {
  krb::DeterministicRng rng(1);
  LoadOptions o;
  o.threads = threads;
  o.rng = &rng;
  std::string why;
  krb::Result<PrincipalDb> db = load_realm_json(text, o, &why);
  EXPECT_TRUE(db.ok()) << why;
  if (!db.ok()) return std::nullopt;
  return std::move(db).value();
}

// The error sentence of a realm file that must fail with kInvalidArgument.
std::string load_error(std::string_view text) {
  krb::DeterministicRng rng(1);
  LoadOptions o;
  o.threads = 1;
  o.rng = &rng;
  std::string why;
  krb::Result<PrincipalDb> db = load_realm_json(text, o, &why);
  EXPECT_FALSE(db.ok()) << text;
  if (db.ok()) return "";
  EXPECT_EQ(db.err(), Err::kInvalidArgument) << why;
  EXPECT_FALSE(why.empty());
  return why;
}

// ---- realm file -----------------------------------------------------------------------------

TEST(LoadRealmJson, ReadsPolicyPrincipalsAndKnownMitKeys) {
  const std::optional<PrincipalDb> db = load_ok(R"({
    // comments are allowed
    "realm": "EXAMPLE.TEST",
    "clock_skew": 120,
    "max_life": "8h",
    "max_renewable_life": 86400,
    "pac": false,
    "krbtgt": {"password": "tgs-pw", "etypes": [18]},
    "principals": [
      {"name": "alice", "password": "secret", "etypes": [18, 17]},
      {"name": "bob/admin@EXAMPLE.TEST", "password": "pässwörd €", "etypes": [18],
       "requires_preauth": false, "disabled": true, "expiration": 1893456000,
       "pw_expiration": 1893000000, "max_life": "1h30m", "max_renewable_life": "2d",
       "allow_forwardable": false, "allow_proxiable": false, "allow_renewable": false,
       "no_pac": true, "authorization_data": [{"ad_type": 1, "ad_data": "3000"}]},
      {"name": "HTTP/www.example.test",
       "keys": [{"etype": 18, "kvno": 2, "key": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "salt": "custom"},
                {"etype": 17, "kvno": 2, "key": "00112233445566778899aabbccddeeff"}]}
    ]
  })");
  ASSERT_TRUE(db);
  EXPECT_EQ(db->size(), 4u);
  EXPECT_EQ(db->policy().realm, "EXAMPLE.TEST");
  EXPECT_EQ(db->policy().clock_skew, 120);
  EXPECT_EQ(db->policy().max_life, 8 * 3600);
  EXPECT_EQ(db->policy().max_renewable_life, 86400);
  EXPECT_FALSE(db->policy().pac);

  const Principal* alice = db->find("alice");
  ASSERT_NE(alice, nullptr);
  ASSERT_EQ(alice->keys.size(), 2u);
  EXPECT_EQ(alice->keys[0].key.etype, Enctype::AES256_CTS_HMAC_SHA1_96);
  EXPECT_EQ(key_hex(alice->keys[0]), kAliceAes256);
  EXPECT_EQ(key_hex(alice->keys[1]), kAliceAes128);
  EXPECT_EQ(alice->keys[0].salt, "EXAMPLE.TESTalice");
  EXPECT_EQ(alice->keys[0].kvno, 1u);
  EXPECT_FALSE(alice->keys[0].iterations);
  EXPECT_TRUE(alice->policy.requires_preauth);
  EXPECT_FALSE(alice->policy.disabled);

  const Principal* bob = db->find("bob/admin");
  ASSERT_NE(bob, nullptr);
  ASSERT_EQ(bob->keys.size(), 1u);
  EXPECT_EQ(key_hex(bob->keys[0]), kBobAdminAes256);
  EXPECT_EQ(bob->keys[0].salt, "EXAMPLE.TESTbobadmin");
  EXPECT_FALSE(bob->policy.requires_preauth);
  EXPECT_TRUE(bob->policy.disabled);
  EXPECT_EQ(bob->policy.expiration, 1893456000);
  EXPECT_EQ(bob->policy.pw_expiration, 1893000000);
  EXPECT_EQ(bob->policy.max_life, 5400);
  EXPECT_EQ(bob->policy.max_renewable_life, 2 * 86400);
  EXPECT_FALSE(bob->policy.allow_forwardable);
  EXPECT_FALSE(bob->policy.allow_proxiable);
  EXPECT_FALSE(bob->policy.allow_renewable);
  EXPECT_TRUE(bob->policy.no_pac);
  ASSERT_EQ(bob->authorization_data.size(), 1u);
  EXPECT_EQ(bob->authorization_data[0].ad_type, 1);
  EXPECT_EQ(bob->authorization_data[0].ad_data, hex("3000"));

  const Principal* http = db->find("HTTP/www.example.test");
  ASSERT_NE(http, nullptr);
  ASSERT_EQ(http->keys.size(), 2u);
  EXPECT_EQ(key_hex(http->keys[0]),
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  EXPECT_EQ(http->keys[0].kvno, 2u);
  EXPECT_EQ(http->keys[0].salt, "custom");
  EXPECT_EQ(http->keys[1].salt, "EXAMPLE.TESTHTTPwww.example.test");
  EXPECT_EQ(http->key_for(17), &http->keys[1]);

  const Principal& tgs = db->krbtgt();
  ASSERT_EQ(tgs.keys.size(), 1u);
  EXPECT_TRUE(same_bytes(tgs.keys[0], expected_key(Enctype::AES256_CTS_HMAC_SHA1_96, "tgs-pw",
                                                   "EXAMPLE.TESTkrbtgtEXAMPLE.TEST")));
}

TEST(LoadRealmJson, PasswordsGetTheDefaultEnctypesInPreferenceOrder) {
  const std::optional<PrincipalDb> db = load_ok(R"({"realm": "EXAMPLE.TEST",
      "principals": [{"name": "carol", "password": "pw", "kvno": 4}]})");
  ASSERT_TRUE(db);
  const Principal* carol = db->find("carol");
  ASSERT_NE(carol, nullptr);
  ASSERT_EQ(carol->keys.size(), kDefaultEtypes.size());
  for (std::size_t i = 0; i < kDefaultEtypes.size(); ++i) {
    const auto e = static_cast<Enctype>(kDefaultEtypes[i]);
    EXPECT_EQ(carol->keys[i].key.etype, e);
    EXPECT_EQ(carol->keys[i].kvno, 4u);
    EXPECT_TRUE(same_bytes(carol->keys[i], expected_key(e, "pw", "EXAMPLE.TESTcarol"))) << i;
  }
  // Absent krbtgt: random keys of the default enctypes.
  EXPECT_EQ(db->krbtgt().keys.size(), kDefaultEtypes.size());
}

TEST(LoadRealmJson, SaltAndIterationsOverridesDeriveAndAdvertise) {
  // 33000 is above the defaults of RFC 3962 (4096) and RFC 8009 (32768) enctypes alike.
  const std::optional<PrincipalDb> db = load_ok(R"({"realm": "EXAMPLE.TEST",
      "principals": [{"name": "dave", "password": "pw", "etypes": [18, 20, 23],
                      "salt": "SALTY", "iterations": 33000},
                     {"name": "erin", "password": "pw", "etypes": [17], "iterations": 4096}]})");
  ASSERT_TRUE(db);
  const Principal* dave = db->find("dave");
  ASSERT_NE(dave, nullptr);
  ASSERT_EQ(dave->keys.size(), 3u);
  EXPECT_TRUE(same_bytes(dave->keys[0],
                         expected_key(Enctype::AES256_CTS_HMAC_SHA1_96, "pw", "SALTY", 33000)));
  EXPECT_EQ(dave->keys[0].salt, "SALTY");
  EXPECT_EQ(dave->keys[0].iterations, 33000u);
  EXPECT_TRUE(same_bytes(dave->keys[1],
                         expected_key(Enctype::AES256_CTS_HMAC_SHA384_192, "pw", "SALTY", 33000)));
  EXPECT_EQ(dave->keys[1].iterations, 33000u);
  EXPECT_FALSE(dave->keys[2].iterations);  // RC4-HMAC has no iteration count
  EXPECT_TRUE(same_bytes(dave->keys[2], expected_key(Enctype::RC4_HMAC, "pw", "")));
  const Principal* erin = db->find("erin");
  ASSERT_NE(erin, nullptr);
  EXPECT_FALSE(erin->keys[0].iterations);  // the default is not advertised
}

TEST(LoadRealmJson, KrbtgtKeysAreGivenOrRandomFromTheInjectedRng) {
  const std::optional<PrincipalDb> given = load_ok(R"({"realm": "R.TEST",
      "krbtgt": {"keys": [{"etype": 17, "kvno": 3, "key": "00112233445566778899aabbccddeeff"}]}})");
  ASSERT_TRUE(given);
  ASSERT_EQ(given->krbtgt().keys.size(), 1u);
  EXPECT_EQ(key_hex(given->krbtgt().keys[0]), "00112233445566778899aabbccddeeff");
  EXPECT_EQ(given->krbtgt().keys[0].kvno, 3u);

  const std::string text = R"({"realm": "R.TEST", "krbtgt": {"etypes": [18]}})";
  const std::optional<PrincipalDb> a = load_ok(text);
  const std::optional<PrincipalDb> b = load_ok(text);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->krbtgt().keys.size(), 1u);
  krb::DeterministicRng rng(1);  // the seed load_ok uses
  krb::Result<krb::crypto::Key> k =
      krb::crypto::make_random_key(Enctype::AES256_CTS_HMAC_SHA1_96, rng);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(krb::equal(a->krbtgt().keys[0].key.bytes.view(), k->bytes.view()));
  EXPECT_TRUE(
      krb::equal(a->krbtgt().keys[0].key.bytes.view(), b->krbtgt().keys[0].key.bytes.view()));
}

TEST(LoadRealmJson, DerivesOnManyThreadsAndReportsProgress) {
  std::string text = R"({"realm": "EXAMPLE.TEST", "principals": [)";
  for (int i = 0; i < 12; ++i) {
    if (i != 0) text += ',';
    text.append(R"({"name": "u)").append(std::to_string(i));
    text.append(R"(", "password": "p)").append(std::to_string(i));
    text.append(R"(", "etypes": [17, 19]})");
  }
  text += "]}";
  krb::DeterministicRng rng(3);
  std::size_t last_done = 0;
  std::size_t last_total = 0;
  LoadOptions o;
  o.threads = 3;
  o.rng = &rng;
  o.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  std::string why;
  krb::Result<PrincipalDb> db = load_realm_json(text, o, &why);
  ASSERT_TRUE(db.ok()) << why;
  EXPECT_EQ(last_total, 24u);
  EXPECT_EQ(last_done, 24u);
  for (int i = 0; i < 12; ++i) {
    const std::string name = std::string("u").append(std::to_string(i));
    const std::string password = std::string("p").append(std::to_string(i));
    const Principal* p = db->find(name);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(same_bytes(p->keys[1], expected_key(Enctype::AES128_CTS_HMAC_SHA256_128, password,
                                                    std::string("EXAMPLE.TEST").append(name))));
  }
}

TEST(LoadRealmJson, SyntaxAndShapeErrors) {
  EXPECT_NE(load_error("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(load_error("[]").find("must be a JSON object"), std::string::npos);
  EXPECT_EQ(load_error("{}"), "realm: missing");
  EXPECT_NE(load_error(R"({"realm": ""})").find("realm: \"\" is empty"), std::string::npos);
  EXPECT_NE(load_error(R"({"realm": "A@B"})").find("realm:"), std::string::npos);
  EXPECT_EQ(load_error(R"({"realm": 5})"), "realm: must be a string");
  EXPECT_NE(load_error(R"({"realm": "R", "principal": []})")
                .find("principal: unknown field (known: realm, "),
            std::string::npos);
  EXPECT_EQ(load_error(R"({"realm": "R", "realm": "S"})"),
            "key \"realm\" appears twice in one object");
  EXPECT_EQ(load_error(R"({"realm": "R", "principals": {}})"), "principals: must be an array");
  EXPECT_EQ(load_error(R"({"realm": "R", "principals": [3]})"), "principals[0]: must be an object");
  EXPECT_EQ(load_error(R"({"realm": "R", "krbtgt": "pw"})"), "krbtgt: must be an object");
}

TEST(LoadRealmJson, RealmValueErrors) {
  EXPECT_NE(load_error(R"({"realm": "R", "clock_skew": "abc"})")
                .find("clock_skew: \"abc\" is not a duration"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"realm": "R", "clock_skew": -1})").find("clock_skew: -1 is not in"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"realm": "R", "max_life": 1.5})")
                .find("max_life: must be seconds (an integer)"),
            std::string::npos);
  EXPECT_EQ(load_error(R"({"realm": "R", "max_life": 0})"),
            "max_life: must be more than 0 seconds");
  EXPECT_NE(load_error(R"({"realm": "R", "max_renewable_life": true})").find("max_renewable_life:"),
            std::string::npos);
  EXPECT_EQ(load_error(R"({"realm": "R", "pac": 1})"), "pac: must be true or false");
  EXPECT_NE(
      load_error(R"({"realm": "R", "krbtgt": {"name": "x"}})").find("krbtgt.name: unknown field"),
      std::string::npos);
  EXPECT_NE(load_error(R"({"realm": "R", "krbtgt": {"etypes": [16]}})")
                .find("krbtgt.etypes[0]: 16 is not an implemented enctype"),
            std::string::npos);
}

TEST(LoadRealmJson, PrincipalErrorsNameThePrincipalAndField) {
  auto err = [](std::string_view principals) {
    return load_error(R"({"realm": "R", "principals": [)" + std::string(principals) + "]}");
  };
  EXPECT_EQ(err(R"({"password": "x"})"), "principals[0]: name: missing");
  EXPECT_EQ(err(R"({"name": 7})"), "principals[0]: name: must be a string");
  EXPECT_NE(err(R"({"name": "alice", "passwd": "x"})")
                .find("principals[0] (\"alice\"): passwd: unknown field"),
            std::string::npos);
  EXPECT_EQ(err(R"({"name": "alice", "password": "x", "requires_preauth": "yes"})"),
            "principals[0] (\"alice\"): requires_preauth: must be true or false");
  EXPECT_EQ(err(R"({"name": "alice"})"),
            "principals[0] (\"alice\"): password: missing (give \"password\" or \"keys\")");
  EXPECT_EQ(err(R"({"name": "alice", "password": ""})"),
            "principals[0] (\"alice\"): password: is empty");
  EXPECT_EQ(err(R"({"name": "alice", "password": 12})"),
            "principals[0] (\"alice\"): password: must be a string");
  EXPECT_EQ(err(R"({"name": "alice", "password": "x", "keys": []})"),
            "principals[0] (\"alice\"): password: give either \"password\" or \"keys\", not both");
  EXPECT_EQ(err(R"({"name": "a", "password": "x"}, {"name": "b", "password": "y"},
                   {"name": "a", "password": "z"})"),
            "principals[2] (\"a\"): name: is already the name of principals[0]");
  EXPECT_EQ(err(R"({"name": "a//b", "password": "x"})"),
            "principals[0] (\"a//b\"): name: has an empty component or a NUL byte");
  EXPECT_EQ(err(R"({"name": "alice@OTHER", "password": "x"})"),
            "principals[0] (\"alice@OTHER\"): name: realm \"OTHER\" is not the file's \"R\" (one "
            "realm per file)");
  EXPECT_EQ(
      err(R"({"name": "krbtgt/R", "password": "x"})"),
      "principals[0] (\"krbtgt/R\"): name: krbtgt/R is set by the top-level \"krbtgt\" field");
  EXPECT_EQ(err(R"({"name": "alice", "password": "x", "etypes": [18, 16]})"),
            "principals[0] (\"alice\"): etypes[1]: 16 is not an implemented enctype (17, 18, 19, "
            "20, 23)");
  EXPECT_EQ(err(R"({"name": "alice", "password": "x", "etypes": [18, 18]})"),
            "principals[0] (\"alice\"): etypes[1]: 18 is listed twice");
  EXPECT_EQ(err(R"({"name": "alice", "password": "x", "etypes": []})"),
            "principals[0] (\"alice\"): etypes: must be a non-empty array of enctypes");
  EXPECT_NE(err(R"({"name": "alice", "password": "x", "expiration": -5})")
                .find("principals[0] (\"alice\"): expiration: -5 is not in [0, "),
            std::string::npos);
  EXPECT_NE(err(R"({"name": "alice", "password": "x", "max_life": "10x"})")
                .find("principals[0] (\"alice\"): max_life: \"10x\" is not a duration"),
            std::string::npos);
  EXPECT_NE(err(R"({"name": "alice", "password": "x", "kvno": 4294967296})")
                .find("principals[0] (\"alice\"): kvno: 4294967296 is not in [0, 4294967295]"),
            std::string::npos);
  EXPECT_EQ(err(R"({"name": "alice", "password": "x", "etypes": [18], "iterations": 1000})"),
            "principals[0] (\"alice\"): iterations: 1000 is below the default 4096 of "
            "aes256-cts-hmac-sha1-96 (18), which MIT clients refuse");
  EXPECT_EQ(err(R"({"name": "alice", "password": "x", "etypes": [20], "iterations": 5000})"),
            "principals[0] (\"alice\"): iterations: 5000 is below the default 32768 of "
            "aes256-cts-hmac-sha384-192 (20), which MIT clients refuse");
  EXPECT_EQ(err(R"({"name": "alice", "password": "x", "authorization_data": [{"ad_type": 1}]})"),
            "principals[0] (\"alice\"): authorization_data[0].ad_data: missing");
}

TEST(LoadRealmJson, KeyErrorsNameTheKey) {
  auto err = [](std::string_view keys) {
    return load_error(R"({"realm": "R", "principals": [{"name": "svc/host", "keys": )" +
                      std::string(keys) + "}]}");
  };
  EXPECT_EQ(err("[]"),
            "principals[0] (\"svc/host\"): keys: must be a non-empty array of "
            "{\"etype\", \"key\", ...}");
  EXPECT_EQ(err("[5]"), "principals[0] (\"svc/host\"): keys[0]: must be an object");
  EXPECT_EQ(err(R"([{"key": "00"}])"), "principals[0] (\"svc/host\"): keys[0].etype: missing");
  EXPECT_EQ(err(R"([{"etype": 17}])"), "principals[0] (\"svc/host\"): keys[0].key: missing");
  EXPECT_EQ(err(R"([{"etype": 17, "key": "zz112233445566778899aabbccddeeff"}])"),
            "principals[0] (\"svc/host\"): keys[0].key: is not hex (an even number of 0-9, a-f "
            "digits)");
  EXPECT_EQ(err(R"([{"etype": 17, "key": 17}])"),
            "principals[0] (\"svc/host\"): keys[0].key: must be a string of hex digits");
  EXPECT_EQ(err(R"([{"etype": 18, "key": "00112233445566778899aabbccddeeff"}])"),
            "principals[0] (\"svc/host\"): keys[0].key: 16 bytes, but aes256-cts-hmac-sha1-96 (18) "
            "keys have 32");
  EXPECT_EQ(err(R"([{"etype": 3, "key": "0011223344556677"}])"),
            "principals[0] (\"svc/host\"): keys[0].etype: 3 is not an implemented enctype (17, "
            "18, 19, 20, 23)");
  EXPECT_NE(err(R"([{"etype": 17, "key": "00112233445566778899aabbccddeeff", "kvno": "2"}])")
                .find("principals[0] (\"svc/host\"): keys[0].kvno: must be an integer"),
            std::string::npos);
  EXPECT_NE(err(R"([{"etype": 17, "key": "00112233445566778899aabbccddeeff", "x": 1}])")
                .find("principals[0] (\"svc/host\"): keys[0].x: unknown field"),
            std::string::npos);
  EXPECT_EQ(err(R"([{"etype": 17, "key": "00112233445566778899aabbccddeeff"},
                    {"etype": 17, "key": "ffeeddccbbaa99887766554433221100"}])"),
            "principals[0] (\"svc/host\"): keys[1]: a second key of aes128-cts-hmac-sha1-96 (17) "
            "with kvno 1");
  EXPECT_EQ(
      load_error(
          R"({"realm": "R", "principals": [{"name": "s", "etypes": [17], "keys": [{"etype": 17, "key": "00112233445566778899aabbccddeeff"}]}]})"),
      "principals[0] (\"s\"): etypes: only with \"password\" (each key has one)");
}

TEST(ParseDuration, AcceptsSecondsAndUnitSequences) {
  EXPECT_EQ(*parse_duration("300"), 300);
  EXPECT_EQ(*parse_duration("0"), 0);
  EXPECT_EQ(*parse_duration("10h"), 36000);
  EXPECT_EQ(*parse_duration("1d12h"), 129600);
  EXPECT_EQ(*parse_duration("90m"), 5400);
  EXPECT_EQ(*parse_duration("1h30m15s"), 5415);
  for (std::string_view bad : {"", "h", "10x", "-5", "1h30", " 5", "5 ", "1.5h",
                               "99999999999999999999", "9999999999999999d"}) {
    EXPECT_EQ(parse_duration(bad).err(), Err::kInvalidArgument) << bad;
  }
}

// ---- keytab ---------------------------------------------------------------------------------

TEST(LoadKeytabRealm, ReadsAnMitKtaddKeytab) {
  const krb::Buffer file =
      testing::read_hex_file(testing::source_path("krb/testdata/files/mit_ktadd.keytab.hex"));
  RealmPolicy policy;
  policy.realm = "EXAMPLE.TEST";
  std::string why;
  krb::Result<PrincipalDb> db = load_keytab_realm(file, policy, &why);
  ASSERT_TRUE(db.ok()) << why;
  EXPECT_EQ(db->size(), 3u);
  const Principal* alice = db->find("alice");
  ASSERT_NE(alice, nullptr);
  ASSERT_EQ(alice->keys.size(), 2u);
  EXPECT_EQ(key_hex(alice->keys[0]), kAliceAes256);
  EXPECT_EQ(key_hex(alice->keys[1]), kAliceAes128);
  EXPECT_EQ(alice->keys[0].salt, "EXAMPLE.TESTalice");
  EXPECT_TRUE(alice->policy.requires_preauth);
  // The derived key matches what MIT wrote.
  EXPECT_TRUE(same_bytes(alice->keys[0], expected_key(Enctype::AES256_CTS_HMAC_SHA1_96, "secret",
                                                      "EXAMPLE.TESTalice")));
  EXPECT_EQ(key_hex(*db->krbtgt().key_for(18)),
            "83fa1406f2a4eea8dd66da90310e4b8adc6e8496e4cbe6cd13d53ad28e114d38");
  const Principal* host = db->find("host/server.example.test");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->key_for(17)->kvno, 2u);
  EXPECT_EQ(key_hex(*host->key_for(17)), "48b9f0ba900034684911bde55e415179");
}

krb::files::KeytabEntry entry(std::vector<std::string> components, std::int32_t etype,
                              std::uint32_t kvno, std::uint8_t fill, std::size_t len,
                              std::string realm = "EXAMPLE.TEST") {
  krb::files::KeytabEntry e;
  e.principal.realm = std::move(realm);
  e.principal.components = std::move(components);
  e.kvno = kvno;
  e.enctype = etype;
  e.key = krb::SecretBytes(len);
  for (std::byte& b : e.key.mutable_view()) b = std::byte(fill);
  return e;
}

krb::SecretBytes keytab_of(std::vector<krb::files::KeytabEntry> entries) {
  krb::Result<krb::SecretBytes> kt = krb::files::write_keytab(entries);
  EXPECT_TRUE(kt.ok());
  return kt.ok() ? std::move(kt).value() : krb::SecretBytes();
}

krb::Result<PrincipalDb> load_keytab(const krb::SecretBytes& kt, std::string* why) {
  RealmPolicy policy;
  policy.realm = "EXAMPLE.TEST";
  return load_keytab_realm(kt.view(), policy, why);
}

TEST(LoadKeytabRealm, GroupsKeysNewestKvnoFirstAndSkipsUnknownEnctypes) {
  std::vector<krb::files::KeytabEntry> entries;
  entries.push_back(entry({"krbtgt", "EXAMPLE.TEST"}, 18, 1, 0xee, 32));
  entries.push_back(entry({"alice"}, 18, 1, 1, 32));
  entries.push_back(entry({"alice"}, 16, 2, 2, 24));  // des3: skipped
  entries.push_back(entry({"alice"}, 18, 2, 3, 32));
  entries.push_back(entry({"alice"}, 17, 2, 4, 16));
  entries.push_back(entry({"alice"}, 18, 2, 5, 32));  // same etype and kvno again: ignored
  entries.push_back(entry({"old"}, 16, 1, 6, 24));    // no usable key: not loaded
  std::string why;
  krb::Result<PrincipalDb> db = load_keytab(keytab_of(std::move(entries)), &why);
  ASSERT_TRUE(db.ok()) << why;
  EXPECT_EQ(db->size(), 2u);
  EXPECT_EQ(db->find("old"), nullptr);
  const Principal* alice = db->find("alice");
  ASSERT_NE(alice, nullptr);
  ASSERT_EQ(alice->keys.size(), 3u);
  EXPECT_EQ(alice->keys[0].kvno, 2u);
  EXPECT_EQ(alice->keys[0].key.etype, Enctype::AES256_CTS_HMAC_SHA1_96);
  EXPECT_EQ(alice->keys[0].key.bytes.view()[0], std::byte(3));
  EXPECT_EQ(alice->keys[1].key.etype, Enctype::AES128_CTS_HMAC_SHA1_96);
  EXPECT_EQ(alice->keys[2].kvno, 1u);
  EXPECT_EQ(alice->key_for(18), &alice->keys[0]);
}

TEST(LoadKeytabRealm, Errors) {
  std::string why;
  {
    std::vector<krb::files::KeytabEntry> entries;
    entries.push_back(entry({"krbtgt", "EXAMPLE.TEST"}, 18, 1, 0xee, 32));
    entries.push_back(entry({"alice"}, 18, 1, 1, 32, "OTHER.TEST"));
    krb::Result<PrincipalDb> db = load_keytab(keytab_of(std::move(entries)), &why);
    EXPECT_EQ(db.err(), Err::kInvalidArgument);
    EXPECT_EQ(why,
              "keytab entry 2 of 2 (\"alice@OTHER.TEST\"): realm \"OTHER.TEST\" is not "
              "\"EXAMPLE.TEST\" (a snapshot serves one realm)");
  }
  {
    std::vector<krb::files::KeytabEntry> entries;
    entries.push_back(entry({"alice"}, 18, 1, 1, 32));
    krb::Result<PrincipalDb> db = load_keytab(keytab_of(std::move(entries)), &why);
    EXPECT_EQ(db.err(), Err::kMissingField);
    EXPECT_EQ(why,
              "the keytab has no key of an implemented enctype for "
              "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST");
  }
  {
    std::vector<krb::files::KeytabEntry> entries;
    entries.push_back(entry({"krbtgt", "EXAMPLE.TEST"}, 18, 1, 0xee, 16));
    krb::Result<PrincipalDb> db = load_keytab(keytab_of(std::move(entries)), &why);
    EXPECT_EQ(db.err(), Err::kInvalidArgument);
    EXPECT_NE(why.find("a 16-byte key of aes256-cts-hmac-sha1-96 (18), which has 32-byte keys"),
              std::string::npos);
  }
  {
    const krb::Buffer junk = hex("0503");
    RealmPolicy policy;
    policy.realm = "EXAMPLE.TEST";
    krb::Result<PrincipalDb> db = load_keytab_realm(junk, policy, &why);
    EXPECT_EQ(db.err(), Err::kBadFileVersion);
    EXPECT_EQ(why.rfind("keytab: ", 0), 0u);
  }
}

TEST(ExportKeytab, RoundTripsThroughLoadKeytabRealm) {
  const std::optional<PrincipalDb> db = load_ok(R"({"realm": "EXAMPLE.TEST",
      "krbtgt": {"etypes": [18, 17]},
      "principals": [
        {"name": "alice", "password": "secret", "etypes": [18, 17]},
        {"name": "svc/host.example.test", "keys": [
          {"etype": 18, "kvno": 7, "key": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"},
          {"etype": 23, "kvno": 7, "key": "0f0e0d0c0b0a09080706050403020100"}]}]})");
  ASSERT_TRUE(db);
  krb::Result<krb::SecretBytes> kt = export_keytab(*db, /*include_krbtgt=*/true, 1764080000);
  ASSERT_TRUE(kt.ok());
  std::string why;
  krb::Result<PrincipalDb> back = load_keytab_realm(kt->view(), db->policy(), &why);
  ASSERT_TRUE(back.ok()) << why;
  ASSERT_EQ(back->size(), db->size());
  for (const Principal& p : db->principals()) {
    std::vector<std::string_view> name(p.components.begin(), p.components.end());
    const Principal* q = back->find(std::span<const std::string_view>(name));
    ASSERT_NE(q, nullptr);
    ASSERT_EQ(q->keys.size(), p.keys.size());
    for (std::size_t i = 0; i < p.keys.size(); ++i) {
      EXPECT_EQ(q->keys[i].key.etype, p.keys[i].key.etype);
      EXPECT_EQ(q->keys[i].kvno, p.keys[i].kvno);
      EXPECT_TRUE(krb::equal(q->keys[i].key.bytes.view(), p.keys[i].key.bytes.view()));
      EXPECT_EQ(q->keys[i].salt, p.keys[i].salt);
    }
  }
  krb::Result<std::vector<krb::files::KeytabEntry>> entries = krb::files::read_keytab(kt->view());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 6u);
  EXPECT_EQ((*entries)[0].principal.name_type, krb::files::kNtSrvInst);  // krbtgt first
  EXPECT_EQ((*entries)[2].principal.components, std::vector<std::string>{"alice"});
  EXPECT_EQ((*entries)[2].timestamp, 1764080000u);

  // Without krbtgt the keytab is a client keytab: it cannot make a realm by itself.
  krb::Result<krb::SecretBytes> users = export_keytab(*db, /*include_krbtgt=*/false, 0);
  ASSERT_TRUE(users.ok());
  entries = krb::files::read_keytab(users->view());
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 4u);
  EXPECT_EQ(load_keytab_realm(users->view(), db->policy(), &why).err(), Err::kMissingField);
}

// ---- embedded realm -------------------------------------------------------------------------

TEST(EmbeddedRealm, MakesUsersFromThePatterns) {
  krb::DeterministicRng rng(5);
  EmbeddedRealmOptions o;
  o.users = 7;
  o.load.threads = 2;
  o.load.rng = &rng;
  std::size_t final_done = 0;
  std::size_t final_total = 0;
  o.load.progress = [&](std::size_t done, std::size_t total) {
    final_done = done;
    final_total = total;
  };
  std::string why;
  krb::Result<PrincipalDb> db = make_embedded_realm(o, &why);
  ASSERT_TRUE(db.ok()) << why;
  EXPECT_EQ(db->policy().realm, "KDCPERF.TEST");
  EXPECT_EQ(db->size(), 8u);
  EXPECT_EQ(final_done, 7u);
  EXPECT_EQ(final_total, 7u);
  EXPECT_EQ(db->find("user0"), nullptr);
  EXPECT_EQ(db->find("user8"), nullptr);
  for (int i = 1; i <= 7; ++i) {
    const std::string name = "user" + std::to_string(i);
    const Principal* p = db->find(name);
    ASSERT_NE(p, nullptr) << name;
    ASSERT_EQ(p->keys.size(), 1u);
    EXPECT_EQ(p->keys[0].salt, "KDCPERF.TEST" + name);
    EXPECT_EQ(p->keys[0].kvno, 1u);
    EXPECT_TRUE(p->policy.requires_preauth);
    EXPECT_TRUE(
        same_bytes(p->keys[0], expected_key(Enctype::AES256_CTS_HMAC_SHA1_96,
                                            "pw-" + std::to_string(i), "KDCPERF.TEST" + name)));
  }
  ASSERT_EQ(db->krbtgt().keys.size(), 1u);
  EXPECT_EQ(db->krbtgt().keys[0].key.etype, Enctype::AES256_CTS_HMAC_SHA1_96);

  // The user keytab holds exactly the users' keys.
  krb::Result<krb::SecretBytes> kt = export_keytab(*db, /*include_krbtgt=*/false, 0);
  ASSERT_TRUE(kt.ok());
  krb::Result<std::vector<krb::files::KeytabEntry>> entries = krb::files::read_keytab(kt->view());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 7u);
  EXPECT_EQ((*entries)[0].principal.components, std::vector<std::string>{"user1"});
  EXPECT_EQ((*entries)[0].principal.realm, "KDCPERF.TEST");
  EXPECT_TRUE(krb::equal((*entries)[6].key.view(), db->find("user7")->keys[0].key.bytes.view()));
}

TEST(EmbeddedRealm, PatternsEnctypesAndPolicy) {
  krb::DeterministicRng rng(5);
  EmbeddedRealmOptions o;
  o.policy.realm = "LAB.TEST";
  o.policy.clock_skew = 60;
  o.users = 3;
  o.name_pattern = "host/h{i}.lab{i}";
  o.password_pattern = "same";
  o.etypes = {17, 23};
  o.requires_preauth = false;
  o.load.threads = 1;
  o.load.rng = &rng;
  std::string why;
  krb::Result<PrincipalDb> db = make_embedded_realm(o, &why);
  ASSERT_TRUE(db.ok()) << why;
  EXPECT_EQ(db->policy().clock_skew, 60);
  const Principal* p = db->find("host/h2.lab2");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->keys.size(), 2u);
  EXPECT_FALSE(p->policy.requires_preauth);
  EXPECT_TRUE(same_bytes(
      p->keys[0], expected_key(Enctype::AES128_CTS_HMAC_SHA1_96, "same", "LAB.TESThosth2.lab2")));
  EXPECT_TRUE(same_bytes(p->keys[1], expected_key(Enctype::RC4_HMAC, "same", "")));
  EXPECT_EQ(db->krbtgt().keys.size(), 2u);
}

TEST(EmbeddedRealm, RandomKeysComeFromTheRngAndExportToAKeytab) {
  krb::DeterministicRng rng(9);
  EmbeddedRealmOptions o;
  o.users = 50;
  o.etypes = {18, 17};
  o.random_keys = true;
  o.load.threads = 2;
  o.load.rng = &rng;
  std::string why;
  krb::Result<PrincipalDb> db = make_embedded_realm(o, &why);
  ASSERT_TRUE(db.ok()) << why;
  const Principal* one = db->find("user1");
  const Principal* two = db->find("user2");
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  ASSERT_EQ(one->keys.size(), 2u);
  EXPECT_EQ(one->keys[0].key.bytes.size(), 32u);
  EXPECT_EQ(one->keys[1].key.bytes.size(), 16u);
  // Not the password's key, and not another user's.
  EXPECT_FALSE(same_bytes(
      one->keys[0], expected_key(Enctype::AES256_CTS_HMAC_SHA1_96, "pw-1", "KDCPERF.TESTuser1")));
  EXPECT_FALSE(krb::equal(one->keys[0].key.bytes.view(), two->keys[0].key.bytes.view()));
  // The keytab carries them to a load generator unchanged.
  auto kt = export_keytab(*db, true, 1);
  ASSERT_TRUE(kt.ok());
  krb::Result<PrincipalDb> back = load_keytab_realm(kt->view(), o.policy, &why);
  ASSERT_TRUE(back.ok()) << why;
  const Principal* again = back->find("user1");
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(krb::equal(again->keys[0].key.bytes.view(), one->keys[0].key.bytes.view()));
}

TEST(EmbeddedRealm, ZeroUsersIsJustKrbtgt) {
  krb::DeterministicRng rng(5);
  EmbeddedRealmOptions o;
  o.users = 0;
  o.load.rng = &rng;
  krb::Result<PrincipalDb> db = make_embedded_realm(o, nullptr);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->size(), 1u);
}

TEST(EmbeddedRealm, RefusesOptionsThatCannotMakeARealm) {
  auto err = [](auto change) {
    krb::DeterministicRng rng(5);
    EmbeddedRealmOptions o;
    o.users = 2;
    o.load.rng = &rng;
    change(o);
    std::string why;
    krb::Result<PrincipalDb> db = make_embedded_realm(o, &why);
    EXPECT_EQ(db.err(), Err::kInvalidArgument);
    return why;
  };
  EXPECT_EQ(err([](EmbeddedRealmOptions& o) { o.name_pattern = "user"; }),
            "name pattern \"user\" has no {i}: every user would have the same name");
  EXPECT_EQ(err([](EmbeddedRealmOptions& o) { o.name_pattern = "a//{i}"; }),
            "name pattern \"a//{i}\" has an empty component or a NUL byte");
  EXPECT_EQ(err([](EmbeddedRealmOptions& o) { o.etypes = {}; }), "etypes: empty");
  EXPECT_EQ(err([](EmbeddedRealmOptions& o) {
              o.etypes = {18, 16};
            }),
            "etypes: 16 is not implemented");
  EXPECT_EQ(err([](EmbeddedRealmOptions& o) {
              o.etypes = {18, 18};
            }),
            "etypes: 18 is listed twice");
  EXPECT_EQ(err([](EmbeddedRealmOptions& o) { o.policy.realm = ""; }),
            "realm \"\" is empty or holds '/', '@' or NUL");
  // krbtgt/R1 is the realm's own krbtgt, made before the users.
  EXPECT_EQ(err([](EmbeddedRealmOptions& o) {
              o.policy.realm = "R1";
              o.name_pattern = "krbtgt/R{i}";
              o.users = 1;
            }),
            "user 1 (\"krbtgt/R1\"): refused by PrincipalDb (invalid_argument), e.g. the name of "
            "krbtgt");
}

}  // namespace
}  // namespace kdcperf::kdc::db
