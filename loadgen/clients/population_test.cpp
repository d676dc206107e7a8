#include "loadgen/clients/population.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "krb/crypto/string_to_key.hpp"
#include "krb/files/keytab.hpp"
#include "loadgen/clients/file_io.hpp"
#include "loadgen/clients/probe.hpp"
#include "tests/support/process.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::loadgen::clients {
namespace {

using kdcperf::testing::read_file;
using kdcperf::testing::read_hex_file;
using kdcperf::testing::read_vector_file;
using kdcperf::testing::source_path;
using krb::Err;
using krb::crypto::Enctype;

constexpr std::string_view kMit = "krb/testdata/mit/";

std::string mit(std::string_view name) {
  return source_path(std::string(kMit) + std::string(name));
}

struct MitPrincipal {
  std::string name, realm, password, salt;
  std::vector<int> etypes;
};

std::vector<MitPrincipal> mit_principals() {
  std::vector<MitPrincipal> out;
  for (auto& b : read_vector_file(mit("principals.txt"))) {
    MitPrincipal p;
    p.name = b.take("Principal");
    p.realm = b.take("Realm");
    p.password = b.take("Password");
    p.salt = b.take("Salt");
    std::istringstream et(b.take("Etypes"));
    for (int e; et >> e;) p.etypes.push_back(e);
    b.take("RequiresPreauth");
    b.take("Prefix");
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> components(const Population& pop, std::uint32_t i) {
  krb::proto::PrincipalName n;
  pop.principal_name(i, &n);
  return {n.components.begin(), n.components.end()};
}

// ---- principal names (MIT krb5_parse_name rules) --------------------------------------------

TEST(ParsePrincipal, ComponentsRealmAndEscapes) {
  auto p = parse_principal("alice");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->components, std::vector<std::string>{"alice"});
  EXPECT_EQ(p->realm, "");

  p = parse_principal("host/h.example.test@EXAMPLE.TEST");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->components, (std::vector<std::string>{"host", "h.example.test"}));
  EXPECT_EQ(p->realm, "EXAMPLE.TEST");

  p = parse_principal(R"(a\/b\@c\\d@R)");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->components, std::vector<std::string>{R"(a/b@c\d)"});
  EXPECT_EQ(p->realm, "R");
}

TEST(ParsePrincipal, RejectsMalformedNames) {
  for (std::string_view bad : {"", "@R", "a@", "a//b", "a/", "a@R@S", "a\\", "a\\0b"}) {
    EXPECT_FALSE(parse_principal(bad).ok()) << bad;
  }
  EXPECT_FALSE(parse_principal("a/b/c/d/e/f/g/h/i").ok()) << "over kMaxNameComponents";
}

// ---- sources ---------------------------------------------------------------------------------

TEST(Population, SinglePrincipalAndRealmRules) {
  Population pop;
  ASSERT_TRUE(pop.add("alice@KDCPERF.TEST", std::string_view("secret")).ok());
  EXPECT_EQ(pop.realm(), "KDCPERF.TEST");
  EXPECT_EQ(pop.add("bob@OTHER.TEST", std::nullopt).err(), Err::kInvalidArgument);
  ASSERT_TRUE(pop.add("host/h.test", std::nullopt).ok());
  ASSERT_EQ(pop.size(), 2u);
  EXPECT_EQ(components(pop, 1), (std::vector<std::string>{"host", "h.test"}));
  EXPECT_EQ(pop.password(0).value_or(""), "secret");
  EXPECT_FALSE(pop.password(1).has_value());
  EXPECT_EQ(pop.unparse(1), "host/h.test@KDCPERF.TEST");
  std::string salt;
  pop.salt(1, &salt);
  EXPECT_EQ(salt, "KDCPERF.TESThosth.test");  // RFC 4120 §4: realm || components
  EXPECT_TRUE(pop.salt_equals(1, "KDCPERF.TESThosth.test"));
  EXPECT_FALSE(pop.salt_equals(1, "KDCPERF.TESThost"));
  EXPECT_FALSE(pop.salt_equals(1, "KDCPERF.TESThosth.testx"));
}

TEST(Population, PatternSubstitutesEveryIndex) {
  Population pop("R.TEST");
  ASSERT_TRUE(pop.add_pattern("user{i}", "pw-{i}", 7, 11).ok());
  ASSERT_EQ(pop.size(), 5u);
  for (std::uint32_t k = 0; k < 5; ++k) {
    EXPECT_EQ(components(pop, k), std::vector<std::string>{"user" + std::to_string(7 + k)});
    EXPECT_EQ(pop.password(k).value_or(""), "pw-" + std::to_string(7 + k));
  }
  // A password without {i} is shared.
  ASSERT_TRUE(pop.add_pattern("svc{i}/h", "same", 1, 2).ok());
  EXPECT_EQ(pop.password(5).value_or(""), "same");
  EXPECT_EQ(pop.password(6).value_or(""), "same");
  EXPECT_EQ(pop.password(5)->data(), pop.password(6)->data()) << "stored once";
  EXPECT_EQ(pop.add_pattern("fixed", "pw", 1, 2).err(), Err::kInvalidArgument);
  EXPECT_EQ(pop.add_pattern("u{i}", "pw", 3, 2).err(), Err::kInvalidArgument);
}

TEST(Population, LinesWithAndWithoutPasswords) {
  Population pop("R.TEST");
  ASSERT_TRUE(pop.add_lines("# comment\r\n"
                            "alice:secret\n"
                            "\n"
                            "bob\r\n"
                            "carol@R.TEST:pass:with:colons\n"
                            "we\\:ird:pw\n")
                  .ok());
  ASSERT_EQ(pop.size(), 4u);
  EXPECT_EQ(pop.password(0).value_or(""), "secret");
  EXPECT_FALSE(pop.password(1).has_value());
  EXPECT_EQ(components(pop, 2), std::vector<std::string>{"carol"});
  EXPECT_EQ(pop.password(2).value_or(""), "pass:with:colons");
  EXPECT_EQ(components(pop, 3), std::vector<std::string>{"we:ird"});
  EXPECT_EQ(pop.password(3).value_or(""), "pw");
  EXPECT_FALSE(pop.add_lines("x@OTHER:pw\n").ok());
}

TEST(Population, SameNameIgnoresNameType) {
  Population pop("R");
  ASSERT_TRUE(pop.add("host/h", std::nullopt).ok());
  krb::proto::PrincipalName n;
  n.name_type = krb::proto::NameType::NT_SRV_HST;
  (void)n.components.push_back("host");
  (void)n.components.push_back("h");
  EXPECT_TRUE(pop.same_name(0, n));
  n.components[1] = "hh";
  EXPECT_FALSE(pop.same_name(0, n));
  n.components.clear();
  (void)n.components.push_back("host");
  EXPECT_FALSE(pop.same_name(0, n));
  (void)n.components.push_back("h");
  (void)n.components.push_back("x");
  EXPECT_FALSE(pop.same_name(0, n));
}

// ---- keys against MIT ------------------------------------------------------------------------

// Keys derived from principals.txt passwords must be the keys MIT's KDC stored (clients.keytab,
// written by kadmin ktadd -norandkey): MIT is the reference here.
TEST(Population, DerivedKeysEqualMitDatabaseKeys) {
  const auto principals = mit_principals();
  ASSERT_FALSE(principals.empty());
  Population pop(principals[0].realm);
  for (const auto& p : principals) ASSERT_TRUE(pop.add(p.name, std::string_view(p.password)).ok());
  // One etype per principal: its first key (bob's first is aes256).
  for (std::uint32_t i = 0; i < principals.size(); ++i) {
    ASSERT_TRUE(pop.apply_salt_info(
                       i, {static_cast<Enctype>(principals[i].etypes[0]), principals[i].salt, 0})
                    .ok());
    EXPECT_TRUE(pop.uses_default_salt(i)) << "MIT's salt is the default one";
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  DeriveOptions o;
  o.threads = 2;
  o.progress = [&](std::uint64_t done, std::uint64_t total) { progress.emplace_back(done, total); };
  auto rep = pop.derive_keys(o);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->derived, principals.size());
  EXPECT_EQ(rep->failed, 0u);
  EXPECT_GT(rep->elapsed.count(), 0);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().first, principals.size());
  EXPECT_EQ(progress.back().second, principals.size());
  for (std::size_t k = 1; k < progress.size(); ++k) {
    EXPECT_LE(progress[k - 1].first, progress[k].first);
  }

  const krb::Buffer kt_bytes = read_file(mit("clients.keytab"));
  auto kt = krb::files::read_keytab(kt_bytes);
  ASSERT_TRUE(kt.ok());
  for (std::uint32_t i = 0; i < pop.size(); ++i) {
    bool found = false;
    for (const auto& e : *kt) {
      if (e.principal.components == std::vector<std::string>{principals[i].name} &&
          e.enctype == static_cast<std::int32_t>(pop.key_etype(i))) {
        EXPECT_TRUE(krb::equal(e.key.view(), pop.key_bytes(i))) << principals[i].name;
        found = true;
      }
    }
    EXPECT_TRUE(found) << principals[i].name;
  }
}

TEST(Population, AddKeytabTakesPreferredEtypePerPrincipal) {
  const krb::Buffer kt_bytes = read_file(mit("clients.keytab"));
  Population pop;
  ASSERT_TRUE(pop.add_keytab(kt_bytes).ok());
  EXPECT_EQ(pop.realm(), "KDCPERF.TEST");
  EXPECT_EQ(pop.size(), mit_principals().size());
  auto kt = krb::files::read_keytab(kt_bytes);
  ASSERT_TRUE(kt.ok());
  for (std::uint32_t i = 0; i < pop.size(); ++i) {
    ASSERT_TRUE(pop.has_key(i));
    EXPECT_FALSE(pop.has_password(i));
    if (components(pop, i) == std::vector<std::string>{"bob"}) {
      // bob has 18 17 20 19 23: the first of the default preference wins.
      EXPECT_EQ(pop.key_etype(i), Enctype::AES256_CTS_HMAC_SHA1_96);
    }
    bool same = false;
    for (const auto& e : *kt) {
      if (e.principal.components == components(pop, i) &&
          e.enctype == static_cast<std::int32_t>(pop.key_etype(i))) {
        same = krb::equal(e.key.view(), pop.key_bytes(i));
      }
    }
    EXPECT_TRUE(same) << pop.unparse(i);
  }
  // With a preference for aes128, bob's aes128 key.
  Population p128;
  const std::int32_t pref[] = {17};
  ASSERT_TRUE(p128.add_keytab(kt_bytes, pref).ok());
  ASSERT_EQ(p128.size(), 2u);  // aes128user and bob have aes128 keys
  for (std::uint32_t i = 0; i < p128.size(); ++i) {
    EXPECT_EQ(p128.key_etype(i), Enctype::AES128_CTS_HMAC_SHA1_96);
  }
}

TEST(Population, KeytabRoundTripLoadsKeysWithoutDeriving) {
  Population a("R.TEST");
  ASSERT_TRUE(a.add_pattern("u{i}", "pw{i}", 1, 40).ok());
  DeriveOptions o;
  o.etype = Enctype::RC4_HMAC;  // cheap string-to-key keeps the test fast
  ASSERT_TRUE(a.derive_keys(o).ok());
  auto kt = a.to_keytab(1700000000);
  ASSERT_TRUE(kt.ok());

  Population b("R.TEST");
  ASSERT_TRUE(b.add_pattern("u{i}", "pw{i}", 1, 40).ok());
  ASSERT_TRUE(b.add("not-in-keytab", std::nullopt).ok());
  auto loaded = b.load_keys(kt->view());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, 40u);
  for (std::uint32_t i = 0; i < 40; ++i) {
    ASSERT_TRUE(b.has_key(i));
    EXPECT_EQ(b.key_etype(i), Enctype::RC4_HMAC);
    EXPECT_TRUE(krb::equal(a.key_bytes(i), b.key_bytes(i)));
  }
  EXPECT_FALSE(b.has_key(40));
  // derive_keys now only fills the gap (and fails it: no password).
  auto rep = b.derive_keys(o);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->skipped, 40u);
  EXPECT_EQ(rep->failed, 1u);
  EXPECT_EQ(rep->first_failed_client, 40u);
  EXPECT_EQ(rep->first_error.code, Err::kNotFound);
}

TEST(Population, KeysFileRoundTripThroughDisk) {
  kdcperf::testing::TempDir dir("kdcperf-pop");
  ASSERT_TRUE(dir.ok());
  Population a("R.TEST");
  ASSERT_TRUE(a.add_pattern("u{i}", "pw{i}", 1, 5).ok());
  DeriveOptions o;
  o.etype = Enctype::RC4_HMAC;
  ASSERT_TRUE(a.derive_keys(o).ok());
  ASSERT_TRUE(save_keys_file(a, dir.file("keys.keytab"), 1700000000).ok());
  Population b("R.TEST");
  ASSERT_TRUE(b.add_pattern("u{i}", "pw{i}", 1, 5).ok());
  auto n = load_keys_file(b, dir.file("keys.keytab"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5u);
  EXPECT_TRUE(krb::equal(a.key_bytes(4), b.key_bytes(4)));
}

TEST(Population, LearnedSaltAndIterationsDriveDerivation) {
  Population pop("AD.TEST");
  ASSERT_TRUE(pop.add("jdoe", std::string_view("Passw0rd!")).ok());
  // An AD account whose salt is the UPN prefix, not the name (§3).
  ASSERT_TRUE(
      pop.apply_salt_info(0, {Enctype::AES256_CTS_HMAC_SHA1_96, "AD.TESTjohn.doe", 8192}).ok());
  EXPECT_FALSE(pop.uses_default_salt(0));
  EXPECT_TRUE(pop.salt_equals(0, "AD.TESTjohn.doe"));
  ASSERT_TRUE(pop.derive_keys({}).ok());
  const std::byte s2k[4] = {std::byte{0}, std::byte{0}, std::byte{0x20}, std::byte{0}};
  auto expect = krb::crypto::string_to_key(Enctype::AES256_CTS_HMAC_SHA1_96, "Passw0rd!",
                                           "AD.TESTjohn.doe", s2k);
  ASSERT_TRUE(expect.ok());
  EXPECT_TRUE(krb::equal(pop.key_bytes(0), expect->bytes.view()));

  // The same information again keeps the key; a different one drops it.
  ASSERT_TRUE(
      pop.apply_salt_info(0, {Enctype::AES256_CTS_HMAC_SHA1_96, "AD.TESTjohn.doe", 8192}).ok());
  EXPECT_TRUE(pop.has_key(0));
  ASSERT_TRUE(pop.apply_salt_info(0, {Enctype::AES128_CTS_HMAC_SHA1_96, std::nullopt, 0}).ok());
  EXPECT_FALSE(pop.has_key(0));
  EXPECT_TRUE(pop.uses_default_salt(0));
  EXPECT_EQ(pop.key_etype(0), Enctype::AES128_CTS_HMAC_SHA1_96);
}

TEST(Probe, CapturedPreauthRequiredGivesMitSaltAndEtype) {
  for (const auto& p : mit_principals()) {
    if (p.name == "bob") continue;
    std::string prefix;
    for (const auto& [name, pre] :
         std::vector<std::pair<std::string, std::string>>{{"alice", "aes256"},
                                                          {"aes128user", "aes128"},
                                                          {"aes128sha256user", "aes128sha256"},
                                                          {"aes256sha384user", "aes256sha384"},
                                                          {"rc4user", "rc4"}}) {
      if (name == p.name) prefix = pre;
    }
    ASSERT_FALSE(prefix.empty()) << p.name;
    const krb::Buffer err = read_hex_file(mit(prefix + "_preauth_required.hex"));
    auto hint = salt_hint_from_reply(err, kDefaultEtypes);
    ASSERT_TRUE(hint.ok()) << p.name;
    EXPECT_EQ(static_cast<int>(hint->etype), p.etypes[0]);
    EXPECT_EQ(hint->salt.value_or(""), p.salt);
    EXPECT_EQ(hint->iterations, 0u);

    Population pop(p.realm);
    ASSERT_TRUE(pop.add(p.name, std::string_view(p.password)).ok());
    ASSERT_TRUE(apply_probe_reply(pop, 0, err).ok());
    EXPECT_EQ(static_cast<int>(pop.key_etype(0)), p.etypes[0]);
    EXPECT_TRUE(pop.uses_default_salt(0));
  }
  // bob's AS-REP (no preauth) carries ETYPE-INFO2 in its padata.
  const krb::Buffer rep = read_hex_file(mit("nopreauth_as_rep.hex"));
  auto hint = salt_hint_from_reply(rep, kDefaultEtypes);
  ASSERT_TRUE(hint.ok());
  EXPECT_EQ(hint->etype, Enctype::AES256_CTS_HMAC_SHA1_96);
  EXPECT_EQ(hint->salt.value_or(""), "KDCPERF.TESTbob");
  // C_PRINCIPAL_UNKNOWN has no e-data: nothing to learn.
  EXPECT_FALSE(salt_hint_from_reply(read_hex_file(mit("client_unknown.hex")), kDefaultEtypes).ok());
  EXPECT_FALSE(salt_hint_from_reply(krb::Buffer(10, std::byte{0x42}), kDefaultEtypes).ok());
}

TEST(Probe, RefusesS2kParamsMitWouldRefuse) {
  // ETYPE-INFO2 {18, salt, s2kparams 0x800}: below the default 4096, MIT's client says
  // "Invalid key generation parameters from KDC" (KERBEROS-INTEROP.md §1.3).
  const std::byte low[4] = {std::byte{0}, std::byte{0}, std::byte{0x08}, std::byte{0}};
  krb::proto::EtypeInfo2Entry e{18, "R.TESTu", krb::ByteView(low)};
  krb::der::Writer w;
  krb::proto::encode_etype_info2(w, std::span<const krb::proto::EtypeInfo2Entry>(&e, 1));
  const krb::Buffer info(w.view().begin(), w.view().end());
  const krb::proto::PaData pa[1] = {{krb::proto::PaDataType::PA_ETYPE_INFO2, info}};
  EXPECT_EQ(salt_hint_from_padata(pa, kDefaultEtypes).err(), Err::kBadS2kParams);
  // 0x2000 is accepted and kept; exactly the default is stored as 0.
  const std::byte ok[4] = {std::byte{0}, std::byte{0}, std::byte{0x20}, std::byte{0}};
  e.s2kparams = krb::ByteView(ok);
  w.reset();
  krb::proto::encode_etype_info2(w, std::span<const krb::proto::EtypeInfo2Entry>(&e, 1));
  const krb::Buffer info2(w.view().begin(), w.view().end());
  const krb::proto::PaData pa2[1] = {{krb::proto::PaDataType::PA_ETYPE_INFO2, info2}};
  auto h = salt_hint_from_padata(pa2, kDefaultEtypes);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->iterations, 8192u);
}

// ---- memory ----------------------------------------------------------------------------------

TEST(Population, MillionClientsStayUnder200BytesEachPlusKey) {
  constexpr std::uint64_t kClients = 1'000'000;
  Population pop("EXAMPLE.TEST");
  ASSERT_TRUE(pop.add_pattern("user{i}", "pw-{i}", 1, kClients).ok());
  ASSERT_EQ(pop.size(), kClients);
  const double without_keys = static_cast<double>(pop.memory_bytes()) / kClients;
  // Key storage is allocated on the first key.
  ASSERT_TRUE(
      pop.set_key(0, krb::crypto::Key{Enctype::AES256_CTS_HMAC_SHA1_96, krb::SecretBytes(32)})
          .ok());
  const double keys = static_cast<double>(pop.key_bytes_total()) / kClients;
  const double total = static_cast<double>(pop.memory_bytes()) / kClients;
  std::printf(
      "population of %llu: %.1f bytes/client without keys, %.1f key bytes/client, "
      "%.1f total\n",
      static_cast<unsigned long long>(kClients), without_keys, keys, total);
  EXPECT_LT(total - keys, 200.0);
  EXPECT_LE(keys, static_cast<double>(Population::kKeySlot) + 1);
  EXPECT_EQ(components(pop, 999'999), std::vector<std::string>{"user1000000"});
  EXPECT_EQ(pop.password(999'999).value_or(""), "pw-1000000");
}

TEST(Population, DerivesAMillionRc4KeysOnEveryCore) {
  constexpr std::uint64_t kClients = 1'000'000;
  Population pop("EXAMPLE.TEST");
  ASSERT_TRUE(pop.add_pattern("user{i}", "pw-{i}", 1, kClients).ok());
  DeriveOptions o;
  o.etype = Enctype::RC4_HMAC;  // MD4 of the password: the string-to-key cost is the threads'
  std::uint64_t calls = 0;
  o.progress = [&](std::uint64_t, std::uint64_t) { ++calls; };
  auto rep = pop.derive_keys(o);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->derived, kClients);
  EXPECT_EQ(rep->failed, 0u);
  EXPECT_GE(calls, 1u);
  std::printf("derived %llu rc4 keys on %u threads in %.2f s; %.1f bytes/client in all\n",
              static_cast<unsigned long long>(kClients), rep->threads,
              static_cast<double>(rep->elapsed.count()) / 1e9,
              static_cast<double>(pop.memory_bytes()) / kClients);
  // Spot check against a direct string-to-key.
  auto k = krb::crypto::string_to_key(Enctype::RC4_HMAC, "pw-777", "");
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(krb::equal(pop.key_bytes(776), k->bytes.view()));
}

TEST(SecretArena, GrowsAndKeepsContents) {
  SecretArena a;
  std::vector<std::size_t> offs;
  for (int i = 0; i < 1000; ++i) {
    const std::string s = "entry" + std::to_string(i);
    offs.push_back(a.append(krb::as_bytes(s)));
  }
  for (int i = 0; i < 1000; ++i) {
    const std::string s = "entry" + std::to_string(i);
    EXPECT_EQ(krb::as_chars(a.view(offs[i], s.size())), s);
  }
  a.resize(3);
  EXPECT_EQ(a.size(), 3u);
  a.resize(10);
  EXPECT_EQ(std::to_integer<int>(a.view(3, 7)[6]), 0);
}

}  // namespace
}  // namespace kdcperf::loadgen::clients

namespace kdcperf::loadgen::clients {
namespace {

// Keys are stored as clients are added (a keytab of a million principals sets one key per
// client): the storage must grow geometrically, not by one slot at a time.
TEST(SecretArena, ResizeOneSlotAtATimeReallocatesLogarithmically) {
  SecretArena arena;
  std::size_t reallocations = 0, capacity = arena.capacity();
  for (std::size_t n = 1; n <= 100000; ++n) {
    arena.resize(n * Population::kKeySlot);
    if (arena.capacity() != capacity) {
      ++reallocations;
      capacity = arena.capacity();
    }
    ASSERT_EQ(arena.size(), n * Population::kKeySlot);
  }
  EXPECT_LE(reallocations, 24u);
}

}  // namespace
}  // namespace kdcperf::loadgen::clients
