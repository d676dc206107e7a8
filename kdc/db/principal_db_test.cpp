// PrincipalDb: lookups, the builder's checks, key choice and the memory budget. This binary
// replaces the global operator new to count allocations on the current thread, so a test can
// assert that find() allocates nothing.
#include "kdc/db/principal_db.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
// From <sanitizer/allocator_interface.h>, which clang ships and g++ 12 does not.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#else
#include <malloc.h>
#endif

#include "krb/base/rng.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "tests/support/count_allocations.hpp"

namespace kdcperf::kdc::db {
namespace {

using krb::Err;
using krb::crypto::Enctype;

constexpr std::string_view kRealm = "EXAMPLE.TEST";

RealmPolicy realm_policy() {
  RealmPolicy p;
  p.realm = std::string(kRealm);
  return p;
}

PrincipalKey make_key(Enctype etype, std::uint8_t fill, std::uint32_t kvno = 1) {
  const krb::crypto::EnctypeInfo* info = krb::crypto::enctype_info(etype);
  PrincipalKey k;
  k.key.etype = etype;
  k.key.bytes = krb::SecretBytes(info->key_bytes);
  for (std::byte& b : k.key.bytes.mutable_view()) b = std::byte(fill);
  k.kvno = kvno;
  return k;
}

Principal make_principal(std::vector<std::string> components, std::uint8_t fill = 1) {
  Principal p;
  std::vector<std::string_view> views(components.begin(), components.end());
  PrincipalKey k = make_key(Enctype::AES256_CTS_HMAC_SHA1_96, fill);
  k.salt = krb::crypto::default_salt(kRealm, views);
  p.components = std::move(components);
  p.keys.push_back(std::move(k));
  return p;
}

Principal krbtgt() {
  return make_principal({"krbtgt", std::string(kRealm)}, 0x7f);
}

// A snapshot of krbtgt plus the named principals (each name '/'-joined).
PrincipalDb make_db(std::vector<std::vector<std::string>> names) {
  PrincipalDb::Builder b(realm_policy());
  EXPECT_TRUE(b.add(krbtgt()).ok());
  std::uint8_t fill = 1;
  for (auto& n : names) EXPECT_TRUE(b.add(make_principal(std::move(n), fill++)).ok());
  krb::Result<PrincipalDb> db = std::move(b).build();
  if (!db.ok()) std::abort();  // the names above are valid: a failure is a bug in the test
  return std::move(db).value();
}

const Principal* find(const PrincipalDb& db, std::vector<std::string_view> components) {
  return db.find(std::span<const std::string_view>(components));
}

TEST(PrincipalDb, FindsByComponentsAndBySlashJoinedName) {
  const PrincipalDb db = make_db({{"alice"}, {"host", "kdc.example.test"}, {"a", "b", "c"}});
  EXPECT_EQ(db.size(), 4u);

  const Principal* alice = find(db, {"alice"});
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->components, std::vector<std::string>{"alice"});
  EXPECT_EQ(db.find("alice"), alice);

  const Principal* host = find(db, {"host", "kdc.example.test"});
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->components[1], "kdc.example.test");
  EXPECT_EQ(db.find("host/kdc.example.test"), host);
  ASSERT_NE(db.find("a/b/c"), nullptr);
  EXPECT_EQ(db.find("a/b/c")->components.size(), 3u);

  EXPECT_EQ(&db.krbtgt(), db.find("krbtgt/EXAMPLE.TEST"));
  EXPECT_EQ(db.policy().realm, kRealm);
}

TEST(PrincipalDb, MissesAreExactNameMismatches) {
  const PrincipalDb db = make_db({{"alice"}, {"host", "kdc.example.test"}, {"a", "b", "c"}});
  EXPECT_EQ(db.find("bob"), nullptr);
  EXPECT_EQ(db.find("Alice"), nullptr);   // no case folding
  EXPECT_EQ(db.find("alic"), nullptr);    // a prefix of a name
  EXPECT_EQ(db.find("alicex"), nullptr);  // a name extended
  EXPECT_EQ(db.find("host"), nullptr);    // a prefix of the components
  EXPECT_EQ(db.find("host/kdc"), nullptr);
  EXPECT_EQ(db.find("host/kdc.example.test/x"), nullptr);
  EXPECT_EQ(db.find("a/b"), nullptr);
  EXPECT_EQ(db.find("ab/c"), nullptr);  // same bytes, other component boundaries
  EXPECT_EQ(find(db, {"abc"}), nullptr);
  EXPECT_EQ(find(db, {"a", "bc"}), nullptr);
  EXPECT_EQ(find(db, {}), nullptr);
  EXPECT_EQ(db.find(""), nullptr);
  EXPECT_EQ(db.find("alice/"), nullptr);
  EXPECT_EQ(db.find("/alice"), nullptr);
  EXPECT_EQ(db.find("krbtgt/OTHER.TEST"), nullptr);
  EXPECT_EQ(find(db, {std::string_view("alice\0", 6)}), nullptr);
}

TEST(PrincipalDb, ComponentsMayHoldSlashesButSlashFindSplitsOnThem) {
  const PrincipalDb db = make_db({{"a/b"}, {"a", "b"}});
  const Principal* one = find(db, {"a/b"});
  const Principal* two = find(db, {"a", "b"});
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  EXPECT_NE(one, two);
  EXPECT_EQ(db.find("a/b"), two);
}

TEST(PrincipalDb, SlashFindStopsAtItsComponentLimit) {
  std::vector<std::string> many;
  std::string slashed;
  for (std::size_t i = 0; i <= PrincipalDb::kMaxSlashComponents; ++i) {
    many.push_back(std::string("c").append(std::to_string(i)));
    if (i != 0) slashed += '/';
    slashed += many.back();
  }
  std::vector<std::string> at_limit(many.begin(), many.end() - 1);
  const std::string at_limit_slashed = slashed.substr(0, slashed.rfind('/'));
  const PrincipalDb db = make_db({many, at_limit});
  EXPECT_NE(db.find(at_limit_slashed), nullptr);
  EXPECT_EQ(db.find(slashed), nullptr);  // 17 components: only the span overload finds it
  std::vector<std::string_view> views(many.begin(), many.end());
  EXPECT_NE(db.find(std::span<const std::string_view>(views)), nullptr);
}

TEST(PrincipalDb, FindAllocatesNothing) {
  const PrincipalDb db = make_db({{"alice"}, {"host", "kdc.example.test"}});
  const std::array<std::string_view, 2> host = {"host", "kdc.example.test"};
  const std::size_t before = kdcperf::testing::allocations();
  const Principal* a = db.find("alice");
  const Principal* h = db.find(std::span<const std::string_view>(host));
  const Principal* miss = db.find("a-name-much-longer-than-any-short-string-buffer/x/y/z");
  const std::size_t after = kdcperf::testing::allocations();
  EXPECT_NE(a, nullptr);
  EXPECT_NE(h, nullptr);
  EXPECT_EQ(miss, nullptr);
  EXPECT_EQ(after, before);
}

TEST(PrincipalDb, PrincipalsKeepInsertionOrder) {
  const PrincipalDb db = make_db({{"zed"}, {"alice"}, {"host", "h"}});
  const std::span<const Principal> all = db.principals();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].components[0], "krbtgt");
  EXPECT_EQ(all[1].components[0], "zed");
  EXPECT_EQ(all[2].components[0], "alice");
  EXPECT_EQ(all[3].components[1], "h");
  EXPECT_EQ(db.find("alice"), &all[2]);
}

TEST(PrincipalDb, ManyPrincipalsWithAndWithoutReserve) {
  for (const bool reserve : {false, true}) {
    PrincipalDb::Builder b(realm_policy());
    constexpr int kCount = 20000;
    if (reserve) b.reserve(kCount + 1);
    ASSERT_TRUE(b.add(krbtgt()).ok());
    for (int i = 0; i < kCount; ++i) {
      ASSERT_TRUE(b.add(make_principal({"user" + std::to_string(i)})).ok()) << i;
    }
    ASSERT_FALSE(b.add(make_principal({"user123"})).ok());
    krb::Result<PrincipalDb> db = std::move(b).build();
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(db->size(), kCount + 1u);
    for (int i = 0; i < kCount; ++i) {
      const std::string name = "user" + std::to_string(i);
      const Principal* p = db->find(name);
      ASSERT_NE(p, nullptr) << name;
      EXPECT_EQ(p->components[0], name);
    }
    for (int i = kCount; i < 2 * kCount; ++i) {
      EXPECT_EQ(db->find("user" + std::to_string(i)), nullptr);
    }
  }
}

TEST(PrincipalDbBuilder, RefusesInvalidPrincipals) {
  PrincipalDb::Builder b(realm_policy());
  ASSERT_TRUE(b.add(make_principal({"alice"})).ok());

  EXPECT_EQ(b.add(make_principal({})).err(), Err::kInvalidArgument);
  EXPECT_EQ(b.add(make_principal({"host", ""})).err(), Err::kInvalidArgument);
  EXPECT_EQ(b.add(make_principal({std::string("nu\0l", 4)})).err(), Err::kInvalidArgument);

  Principal no_keys = make_principal({"bob"});
  no_keys.keys.clear();
  EXPECT_EQ(b.add(std::move(no_keys)).err(), Err::kInvalidArgument);

  Principal des3 = make_principal({"bob"});
  des3.keys.push_back(make_key(Enctype::AES256_CTS_HMAC_SHA1_96, 2));
  des3.keys.back().key.etype = static_cast<Enctype>(16);  // des3-cbc-sha1: not implemented
  EXPECT_EQ(b.add(std::move(des3)).err(), Err::kInvalidArgument);

  Principal short_key = make_principal({"bob"});
  short_key.keys.push_back(make_key(Enctype::AES128_CTS_HMAC_SHA1_96, 2));
  short_key.keys.back().key.etype = Enctype::AES256_CTS_HMAC_SHA1_96;  // 16 bytes for aes256
  EXPECT_EQ(b.add(std::move(short_key)).err(), Err::kInvalidArgument);

  EXPECT_EQ(b.add(make_principal({"alice"}, 9)).err(), Err::kInvalidArgument);  // duplicate

  // A refused principal leaves the builder usable.
  ASSERT_TRUE(b.add(make_principal({"bob"})).ok());
  ASSERT_TRUE(b.add(krbtgt()).ok());
  krb::Result<PrincipalDb> db = std::move(b).build();
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->size(), 3u);
  EXPECT_EQ(db->find("alice")->keys[0].key.bytes.view()[0], std::byte(1));  // the first alice
}

TEST(PrincipalDbBuilder, AcceptsEveryImplementedEnctype) {
  Principal p = make_principal({"alice"});
  for (Enctype e : {Enctype::AES128_CTS_HMAC_SHA1_96, Enctype::AES128_CTS_HMAC_SHA256_128,
                    Enctype::AES256_CTS_HMAC_SHA384_192, Enctype::RC4_HMAC}) {
    p.keys.push_back(make_key(e, 3));
  }
  PrincipalDb::Builder b(realm_policy());
  ASSERT_TRUE(b.add(std::move(p)).ok());
  ASSERT_TRUE(b.add(krbtgt()).ok());
  krb::Result<PrincipalDb> db = std::move(b).build();
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->find("alice")->keys.size(), 5u);
}

TEST(PrincipalDbBuilder, BuildNeedsTheRealmsKrbtgt) {
  {
    PrincipalDb::Builder b(realm_policy());
    ASSERT_TRUE(b.add(make_principal({"alice"})).ok());
    EXPECT_EQ(std::move(b).build().err(), Err::kMissingField);
  }
  {
    PrincipalDb::Builder b(realm_policy());
    ASSERT_TRUE(b.add(make_principal({"krbtgt", "OTHER.TEST"})).ok());  // cross-realm: not ours
    ASSERT_TRUE(b.add(make_principal({"krbtgt"})).ok());
    EXPECT_EQ(std::move(b).build().err(), Err::kMissingField);
  }
  {
    PrincipalDb::Builder b(realm_policy());
    ASSERT_TRUE(b.add(krbtgt()).ok());
    krb::Result<PrincipalDb> db = std::move(b).build();
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(db->size(), 1u);
    EXPECT_EQ(db->krbtgt().components, (std::vector<std::string>{"krbtgt", "EXAMPLE.TEST"}));
  }
}

TEST(Principal, KeyForPicksTheHighestKvnoThenTheFirst) {
  Principal p;
  p.keys.push_back(make_key(Enctype::AES256_CTS_HMAC_SHA1_96, 1, 1));
  p.keys.push_back(make_key(Enctype::AES128_CTS_HMAC_SHA1_96, 2, 2));
  p.keys.push_back(make_key(Enctype::AES256_CTS_HMAC_SHA1_96, 3, 3));
  p.keys.push_back(make_key(Enctype::AES256_CTS_HMAC_SHA1_96, 4, 3));
  p.keys.push_back(make_key(Enctype::AES256_CTS_HMAC_SHA1_96, 5, 2));

  const PrincipalKey* k18 = p.key_for(18);
  ASSERT_NE(k18, nullptr);
  EXPECT_EQ(k18->kvno, 3u);
  EXPECT_EQ(k18, &p.keys[2]);
  const PrincipalKey* k17 = p.key_for(17);
  ASSERT_NE(k17, nullptr);
  EXPECT_EQ(k17, &p.keys[1]);
  EXPECT_EQ(p.key_for(23), nullptr);
  EXPECT_EQ(p.key_for(-1), nullptr);
}

TEST(PrincipalDb, SnapshotKeepsNoSlack) {
  Principal p = make_principal({"alice"});
  p.components.reserve(64);
  p.keys.reserve(64);
  p.keys[0].salt.reserve(500);
  PrincipalDb::Builder b(realm_policy());
  ASSERT_TRUE(b.add(std::move(p)).ok());
  ASSERT_TRUE(b.add(krbtgt()).ok());
  krb::Result<PrincipalDb> db = std::move(b).build();
  ASSERT_TRUE(db.ok());
  const Principal* alice = db->find("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->components.capacity(), 1u);
  EXPECT_EQ(alice->keys.capacity(), 1u);
  EXPECT_LT(alice->keys[0].salt.capacity(), 100u);
  // Two principals, each a struct plus small heap blocks, and an index of 8 slots.
  EXPECT_GT(db->approximate_bytes_without_keys(), 2 * sizeof(Principal));
  EXPECT_LT(db->approximate_bytes_without_keys(), 2000u);
}

// Bytes the heap holds for the program: exact request sizes under AddressSanitizer, glibc's
// chunk sizes (with headers and rounding) otherwise.
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;  // small chunks in use + mmap'd blocks
#endif
}

// The budget: under 300 bytes a principal besides key material, for a realistic name and
// salt ("user12345", "EXAMPLE.TESTuser12345": the salt does not fit a short-string buffer).
TEST(PrincipalDb, HundredThousandPrincipalsFitTheMemoryBudget) {
  constexpr std::size_t kCount = 100000;
  krb::DeterministicRng rng(7);
  const std::size_t heap_before = heap_in_use();
  PrincipalDb::Builder b(realm_policy());
  b.reserve(kCount + 1);
  ASSERT_TRUE(b.add(krbtgt()).ok());
  for (std::size_t i = 1; i <= kCount; ++i) {
    Principal p;
    p.components.push_back("user" + std::to_string(i));
    PrincipalKey k;
    k.key.etype = Enctype::AES256_CTS_HMAC_SHA1_96;
    k.key.bytes = krb::SecretBytes(32);
    rng.fill(k.key.bytes.mutable_view());
    k.salt = std::string(kRealm) + p.components[0];
    p.keys.push_back(std::move(k));
    ASSERT_TRUE(b.add(std::move(p)).ok());
  }
  krb::Result<PrincipalDb> db = std::move(b).build();
  ASSERT_TRUE(db.ok());
  ASSERT_EQ(db->size(), kCount + 1);
  const double per_principal =
      static_cast<double>(db->approximate_bytes_without_keys()) / static_cast<double>(db->size());
  RecordProperty("bytes_per_principal", std::to_string(per_principal));
  EXPECT_LT(per_principal, 300.0);
  // At least the struct, one component vector, one key and the salt: the estimate is not empty.
  EXPECT_GT(per_principal, static_cast<double>(sizeof(Principal) + sizeof(PrincipalKey)));
  EXPECT_NE(db->find("user99999"), nullptr);
  EXPECT_EQ(db->find("user100001"), nullptr);

  // Honest: the estimate is close to what the heap really holds for the snapshot once the
  // key buffers (32 bytes each, one malloc block) are taken out. glibc's chunks are what the
  // estimate models; ASan counts bare request sizes, so there the estimate runs higher.
  const std::size_t key_bytes = db->size() * (heap_in_use() > 0 ? 32 : 0);
  const double measured =
      static_cast<double>(heap_in_use() - heap_before) - static_cast<double>(key_bytes);
  const double estimate = static_cast<double>(db->approximate_bytes_without_keys());
  RecordProperty("measured_heap_bytes_without_key_bytes", std::to_string(measured));
#if defined(__SANITIZE_ADDRESS__)
  EXPECT_GE(estimate, measured);
  EXPECT_LE(estimate, measured * 1.25);
#else
  // Each 32-byte key takes a 48-byte chunk: the 16 bytes of overhead stay in `measured`.
  EXPECT_GE(estimate, measured - 16.0 * static_cast<double>(db->size()) - 65536);
  EXPECT_LE(estimate, measured + 65536);
#endif
}

}  // namespace
}  // namespace kdcperf::kdc::db
