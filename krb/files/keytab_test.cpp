#include "krb/files/keytab.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "krb/base/rng.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::files {
namespace {

using testing::hex;

// Builds file bytes field by field, as the format comment in keytab.hpp lays them out.
struct Bytes {
  Buffer b;
  bool little = false;  // for version 0x0501 files written on a little-endian host
  Bytes& u8(unsigned v) {
    b.push_back(std::byte(v & 0xff));
    return *this;
  }
  Bytes& u16(unsigned v) {
    if (little) return u8(v).u8(v >> 8);
    return u8(v >> 8).u8(v);
  }
  Bytes& u32(std::uint32_t v) {
    if (little) return u16(v & 0xffff).u16(v >> 16);
    return u16(v >> 16).u16(v & 0xffff);
  }
  Bytes& str(std::string_view s) {
    for (char c : s) u8(static_cast<unsigned char>(c));
    return *this;
  }
  Bytes& counted(std::string_view s) { return u16(static_cast<unsigned>(s.size())).str(s); }
  Bytes& raw(ByteView v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
};

Buffer key_0_to_n(std::size_t n) {
  Buffer k(n);
  for (std::size_t i = 0; i < n; ++i) k[i] = std::byte(i);
  return k;
}

// One 0x0502 record body for a krbtgt/EXAMPLE.TEST@EXAMPLE.TEST-like entry.
Bytes record_body(std::string_view comp, std::uint32_t kvno8, std::uint16_t enctype, ByteView key) {
  Bytes r;
  r.u16(1).counted("EXAMPLE.TEST").counted(comp).u32(1).u32(0x6b06e383).u8(kvno8).u16(enctype);
  r.u16(static_cast<unsigned>(key.size())).raw(key);
  return r;
}

Buffer mit_keytab() {
  return testing::read_hex_file(testing::source_path("krb/testdata/files/mit_ktadd.keytab.hex"));
}

// §4.2 of KERBEROS-INTEROP.md shows the krbtgt record MIT's `kadmin.local ktadd -norandkey`
// wrote, without its 32 key bytes; here they are 00..1f.
TEST(Keytab, DecodesTheRecordFromTheInteropNotes) {
  const Buffer key = key_0_to_n(32);
  Bytes f;
  f.raw(hex("0502 00000057 0002 000c"))
      .str("EXAMPLE.TEST")
      .raw(hex("0006"))
      .str("krbtgt")
      .raw(hex("000c"))
      .str("EXAMPLE.TEST")
      .raw(hex("00000002 6b06e383 01 0012 0020"))
      .raw(key)
      .raw(hex("00000001"));
  auto kt = read_keytab(f.b);
  ASSERT_TRUE(kt.ok()) << err_name(kt.err()) << " at " << kt.error().offset;
  ASSERT_EQ(kt->size(), 1u);
  const KeytabEntry& e = (*kt)[0];
  EXPECT_EQ(e.principal.realm, "EXAMPLE.TEST");
  EXPECT_EQ(e.principal.components, (std::vector<std::string>{"krbtgt", "EXAMPLE.TEST"}));
  EXPECT_EQ(e.principal.name_type, kNtSrvInst);
  EXPECT_EQ(e.timestamp, 0x6b06e383u);
  EXPECT_EQ(e.kvno, 1u);
  EXPECT_EQ(e.enctype, 18);
  EXPECT_TRUE(equal(e.key.view(), key));
  EXPECT_EQ(unparse(e.principal), "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST");

  // Our writer lays the same entry out byte for byte as MIT did.
  auto again = write_keytab(*kt);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(to_hex(again->view()), to_hex(f.b));
}

// One line of `klist -k -t -e -K` as stored in the sample's comments:
//   "#      1 11/25/26 15:48:45 alice@EXAMPLE.TEST (aes256-cts-hmac-sha1-96)  (0x822f...)"
struct KlistKeyLine {
  std::uint32_t kvno = 0;
  std::uint32_t timestamp = 0;  // the listing was made with TZ=UTC
  std::string principal;
  std::int32_t enctype = 0;
  std::string key_hex;
};

std::vector<KlistKeyLine> klist_lines_in(std::string_view path) {
  const Buffer raw = testing::read_file(path);
  std::istringstream in{std::string(as_chars(raw))};
  std::vector<KlistKeyLine> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '#') continue;
    std::istringstream fields(line.substr(1));
    KlistKeyLine k;
    std::tm tm{};
    std::string etype, key;
    // Header lines fail at the kvno and are skipped.
    if (!(fields >> k.kvno >> std::get_time(&tm, "%m/%d/%y %H:%M:%S") >> k.principal >> etype >>
          key))
      continue;
    if (etype.size() < 3 || etype.front() != '(' || etype.back() != ')') continue;
    if (key.size() < 4 || key.rfind("(0x", 0) != 0 || key.back() != ')') continue;
    k.timestamp = static_cast<std::uint32_t>(timegm(&tm));
    etype = etype.substr(1, etype.size() - 2);
    // MIT's names for the enctype numbers (RFC 3962 §7).
    k.enctype = etype == "aes256-cts-hmac-sha1-96"   ? 18
                : etype == "aes128-cts-hmac-sha1-96" ? 17
                                                     : -1;
    k.key_hex = key.substr(3, key.size() - 4);
    out.push_back(k);
  }
  return out;
}

// Expected values: the `klist -k -t -e -K` listing MIT printed, kept in the sample's comments.
TEST(Keytab, ReadsWhatMitKadminWrote) {
  const char* path_rel = "krb/testdata/files/mit_ktadd.keytab.hex";
  const auto expected = klist_lines_in(testing::source_path(path_rel));
  ASSERT_EQ(expected.size(), 6u);
  auto kt = read_keytab(mit_keytab());
  ASSERT_TRUE(kt.ok()) << err_name(kt.err()) << " at " << kt.error().offset;
  ASSERT_EQ(kt->size(), expected.size());
  for (std::size_t i = 0; i < kt->size(); ++i) {
    const KeytabEntry& e = (*kt)[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(unparse(e.principal), expected[i].principal);
    EXPECT_EQ(e.kvno, expected[i].kvno);
    EXPECT_EQ(e.enctype, expected[i].enctype);
    EXPECT_EQ(e.timestamp, expected[i].timestamp);
    EXPECT_EQ(to_hex(e.key.view()), expected[i].key_hex);
  }
  // Name types are not in the listing: a user is NT-PRINCIPAL, and kadmin gives a two-part
  // service name NT-SRV-INST (bytes 00000001 / 00000002 in the sample).
  EXPECT_EQ((*kt)[0].principal.name_type, kNtPrincipal);
  EXPECT_EQ((*kt)[2].principal.name_type, kNtSrvInst);
  // Independent check of the timestamp conversion: python3
  // calendar.timegm(time.strptime('11/25/26 15:48:45', '%m/%d/%y %H:%M:%S')) = 1795621725.
  EXPECT_EQ((*kt)[0].timestamp, 1795621725u);
}

TEST(Keytab, WriteOfMitKeytabIsByteIdentical) {
  const Buffer file = mit_keytab();
  auto kt = read_keytab(file);
  ASSERT_TRUE(kt.ok());
  auto written = write_keytab(*kt);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(to_hex(written->view()), to_hex(file));
  auto reread = read_keytab(written->view());
  ASSERT_TRUE(reread.ok());
  auto rewritten = write_keytab(*reread);
  ASSERT_TRUE(rewritten.ok());
  EXPECT_TRUE(equal(rewritten->view(), written->view()));
}

TEST(Keytab, RoundTripOfHandMadeEntries) {
  std::vector<KeytabEntry> in;
  for (int i = 0; i < 3; ++i) {
    KeytabEntry e;
    e.principal = {kNtPrincipal, "R", {"user" + std::to_string(i)}};
    e.timestamp = 1000u + static_cast<std::uint32_t>(i);
    e.kvno = i == 2 ? 70000 : static_cast<std::uint32_t>(i + 1);
    e.enctype = i == 1 ? -1 : 23;  // an enctype we do not implement is kept as is
    e.key = SecretBytes(key_0_to_n(16));
    in.push_back(std::move(e));
  }
  auto w1 = write_keytab(in);
  ASSERT_TRUE(w1.ok());
  auto r = read_keytab(w1->view());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*r)[i].principal, in[i].principal);
    EXPECT_EQ((*r)[i].timestamp, in[i].timestamp);
    EXPECT_EQ((*r)[i].kvno, in[i].kvno);
    EXPECT_EQ((*r)[i].enctype, in[i].enctype);
    EXPECT_TRUE(equal((*r)[i].key.view(), in[i].key.view()));
  }
  auto w2 = write_keytab(*r);
  ASSERT_TRUE(w2.ok());
  EXPECT_TRUE(equal(w1->view(), w2->view()));
}

// MIT's krb5_ktfileint_write_entry: `vno = (krb5_octet)entry->vno` then `vno32 = entry->vno`.
TEST(Keytab, LargeKvnoIsWrittenAsLowByteAndKvno32) {
  KeytabEntry e;
  e.principal = {kNtPrincipal, "R", {"a"}};
  e.kvno = 0x1234;
  e.enctype = 18;
  e.key = SecretBytes(key_0_to_n(1));
  auto w = write_keytab(std::span<const KeytabEntry>(&e, 1));
  ASSERT_TRUE(w.ok());
  Bytes body;
  body.u16(1).counted("R").counted("a").u32(1).u32(0).u8(0x34).u16(18).u16(1).u8(0).u32(0x1234);
  Bytes expected;
  expected.u16(0x0502).u32(static_cast<std::uint32_t>(body.b.size())).raw(body.b);
  EXPECT_EQ(to_hex(w->view()), to_hex(expected.b));
}

TEST(Keytab, Kvno32OnlyWhenPresentAndNonzero) {
  const Buffer key = key_0_to_n(16);
  // Pre-1.14 record: no 32-bit kvno.
  Bytes old_body = record_body("a", 7, 17, key);
  // 32-bit kvno of 0 is zero fill: the 8-bit kvno stands.
  Bytes zero_body = record_body("b", 8, 17, key);
  zero_body.u32(0);
  // Three spare bytes are not a 32-bit kvno.
  Bytes three_body = record_body("c", 9, 17, key);
  three_body.u8(0xff).u8(0xff).u8(0xff);
  // A 32-bit kvno followed by bytes MIT ignores (the entry was put in a bigger hole).
  Bytes padded_body = record_body("d", 1, 17, key);
  padded_body.u32(257).u32(0xdeadbeef).u8(0);

  Bytes f;
  f.u16(0x0502);
  for (const Bytes* body : {&old_body, &zero_body, &three_body, &padded_body})
    f.u32(static_cast<std::uint32_t>(body->b.size())).raw(body->b);
  auto kt = read_keytab(f.b);
  ASSERT_TRUE(kt.ok()) << err_name(kt.err()) << " at " << kt.error().offset;
  ASSERT_EQ(kt->size(), 4u);
  EXPECT_EQ((*kt)[0].kvno, 7u);
  EXPECT_EQ((*kt)[1].kvno, 8u);
  EXPECT_EQ((*kt)[2].kvno, 9u);
  EXPECT_EQ((*kt)[3].kvno, 257u);
  EXPECT_EQ((*kt)[3].principal.components[0], "d");
}

TEST(Keytab, HolesAreSkippedAndZeroSizeEnds) {
  const Buffer key = key_0_to_n(16);
  Bytes a = record_body("a", 1, 17, key);
  Bytes b = record_body("b", 2, 17, key);
  Bytes f;
  f.u16(0x0502);
  f.u32(static_cast<std::uint32_t>(-10)).raw(Buffer(10));  // a deleted entry
  f.u32(static_cast<std::uint32_t>(a.b.size())).raw(a.b);
  f.u32(static_cast<std::uint32_t>(-3)).raw(Buffer(3));
  f.u32(static_cast<std::uint32_t>(b.b.size())).raw(b.b);
  f.u32(0).str("anything after the end marker is ignored");
  auto kt = read_keytab(f.b);
  ASSERT_TRUE(kt.ok()) << err_name(kt.err()) << " at " << kt.error().offset;
  ASSERT_EQ(kt->size(), 2u);
  EXPECT_EQ((*kt)[0].principal.components[0], "a");
  EXPECT_EQ((*kt)[1].principal.components[0], "b");
  EXPECT_EQ((*kt)[1].kvno, 2u);

  // A keytab with only its version holds no entries.
  auto empty = read_keytab(hex("0502"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// Version 1: integers in the writer's host order (here little-endian), and the component
// count includes the realm; no name type.
TEST(Keytab, ReadsVersion1InHostOrder) {
  if (std::endian::native != std::endian::little) GTEST_SKIP() << "little-endian host only";
  const Buffer key = key_0_to_n(8);
  Bytes body;
  body.little = true;
  body.u16(3).counted("ATHENA.MIT.EDU").counted("rcmd").counted("host1");
  body.u32(0x01020304).u8(5).u16(3).u16(8).raw(key);
  Bytes f;
  f.u8(5).u8(1);
  f.little = true;
  f.u32(static_cast<std::uint32_t>(body.b.size())).raw(body.b);
  auto kt = read_keytab(f.b);
  ASSERT_TRUE(kt.ok()) << err_name(kt.err()) << " at " << kt.error().offset;
  ASSERT_EQ(kt->size(), 1u);
  const KeytabEntry& e = (*kt)[0];
  EXPECT_EQ(e.principal.realm, "ATHENA.MIT.EDU");
  EXPECT_EQ(e.principal.components, (std::vector<std::string>{"rcmd", "host1"}));
  EXPECT_EQ(e.principal.name_type, kNtUnknown);
  EXPECT_EQ(e.timestamp, 0x01020304u);
  EXPECT_EQ(e.kvno, 5u);
  EXPECT_EQ(e.enctype, 3);
  EXPECT_TRUE(equal(e.key.view(), key));
}

TEST(Keytab, RejectsOtherVersions) {
  for (const char* v : {"0503", "0602", "0205", "0000", "ffff"})
    EXPECT_EQ(read_keytab(hex(v)).err(), Err::kBadFileVersion) << v;
  EXPECT_EQ(read_keytab(hex("")).err(), Err::kTruncated);
  EXPECT_EQ(read_keytab(hex("05")).err(), Err::kTruncated);
}

// Every proper prefix of a valid keytab is an error, except at a record boundary, where it is
// a valid keytab holding the first records.
TEST(Keytab, TruncationAtEveryByte) {
  const Buffer file = mit_keytab();
  auto full = read_keytab(file);
  ASSERT_TRUE(full.ok());
  std::vector<std::size_t> boundaries;  // file offsets where a record ends
  for (std::size_t at = 2; at < file.size();) {
    at += 4 + load_be32(file.data() + at);
    boundaries.push_back(at);
  }
  std::size_t accepted = 0;
  for (std::size_t n = 0; n < file.size(); ++n) {
    auto kt = read_keytab(ByteView(file).first(n));
    const auto b = std::find(boundaries.begin(), boundaries.end(), n);
    if (n == 2 || b != boundaries.end()) {
      ASSERT_TRUE(kt.ok()) << n;
      EXPECT_EQ(kt->size(), n == 2 ? 0u : static_cast<std::size_t>(b - boundaries.begin()) + 1);
      ++accepted;
    } else {
      ASSERT_FALSE(kt.ok()) << "prefix of " << n << " bytes was accepted";
      EXPECT_LE(kt.error().offset, n);
    }
  }
  EXPECT_EQ(accepted, 6u);  // version only, then 5 whole-record prefixes (the 6th is the file)
}

TEST(Keytab, HostileLengthsAndCounts) {
  const Buffer key = key_0_to_n(16);
  auto with_record = [](const Buffer& body) {
    Bytes f;
    f.u16(0x0502).u32(static_cast<std::uint32_t>(body.size())).raw(body);
    return f.b;
  };
  // Record size past the end of the file, and absurd record sizes.
  EXPECT_EQ(read_keytab(hex("0502 00000010 0001")).err(), Err::kTruncated);
  EXPECT_EQ(read_keytab(hex("0502 7fffffff 0001")).err(), Err::kElementTooLarge);
  // 0xffffffff is a hole of 1 byte, which the file does not have.
  EXPECT_EQ(read_keytab(hex("0502 ffffffff")).err(), Err::kTruncated);
  // A hole larger than the rest of the file.
  EXPECT_EQ(read_keytab(hex("0502 fffffff0 00000000")).err(), Err::kTruncated);
  EXPECT_EQ(read_keytab(hex("0502 80000000")).err(), Err::kBadFileFormat);
  // A partial size field.
  EXPECT_EQ(read_keytab(hex("0502 0000")).err(), Err::kTruncated);

  // Fields running past the record's own size.
  Bytes long_realm;
  long_realm.u16(1).u16(0xffff).str("EXAMPLE.TEST");
  EXPECT_EQ(read_keytab(with_record(long_realm.b)).err(), Err::kBadFileFormat);
  Bytes long_key = record_body("a", 1, 17, key);
  long_key.b.pop_back();  // the key one byte short of its length
  auto r = read_keytab(with_record(long_key.b));
  EXPECT_EQ(r.err(), Err::kBadFileFormat);
  Bytes short_record;  // ends inside the name type
  short_record.u16(1).counted("R").counted("a").u16(0);
  EXPECT_EQ(read_keytab(with_record(short_record.b)).err(), Err::kBadFileFormat);

  // Counts.
  Bytes many;
  many.u16(0xffff).counted("R");
  auto too_many = read_keytab(with_record(many.b));
  EXPECT_EQ(too_many.err(), Err::kTooMany);
  EXPECT_EQ(too_many.error().offset, 6u);
  Bytes none;
  none.u16(0).counted("R");
  EXPECT_EQ(read_keytab(with_record(none.b)).err(), Err::kBadFileFormat);
  // Empty realm, component or key: MIT would stop reading there.
  Bytes empty_realm;
  empty_realm.u16(1).u16(0).counted("a").u32(1).u32(0).u8(1).u16(17).u16(1).u8(0);
  EXPECT_EQ(read_keytab(with_record(empty_realm.b)).err(), Err::kBadFileFormat);
  Bytes empty_key;
  empty_key.u16(1).counted("R").counted("a").u32(1).u32(0).u8(1).u16(17).u16(0).u32(0);
  EXPECT_EQ(read_keytab(with_record(empty_key.b)).err(), Err::kBadFileFormat);
}

TEST(Keytab, Limits) {
  const Buffer file = mit_keytab();
  KeytabLimits two{.max_components = 32, .max_record_size = 1 << 16, .max_entries = 2};
  auto r = read_keytab(file, two);
  EXPECT_EQ(r.err(), Err::kTooMany);
  KeytabLimits one_comp{.max_components = 1, .max_record_size = 1 << 16, .max_entries = 100};
  EXPECT_EQ(read_keytab(file, one_comp).err(), Err::kTooMany);
  KeytabLimits small{.max_components = 32, .max_record_size = 64, .max_entries = 100};
  EXPECT_EQ(read_keytab(file, small).err(), Err::kElementTooLarge);
}

TEST(Keytab, WriterRejectsEntriesMitCannotRead) {
  auto entry = [] {
    KeytabEntry e;
    e.principal = {kNtPrincipal, "R", {"a"}};
    e.enctype = 18;
    e.key = SecretBytes(key_0_to_n(32));
    return e;
  };
  auto rejects = [](KeytabEntry e) {
    return write_keytab(std::span<const KeytabEntry>(&e, 1)).err() == Err::kInvalidArgument;
  };
  {
    KeytabEntry e = entry();
    ASSERT_TRUE(write_keytab(std::span<const KeytabEntry>(&e, 1)).ok());
  }
  KeytabEntry e = entry();
  e.principal.components.clear();
  EXPECT_TRUE(rejects(std::move(e)));
  e = entry();
  e.principal.realm.clear();
  EXPECT_TRUE(rejects(std::move(e)));
  e = entry();
  e.principal.components.push_back("");
  EXPECT_TRUE(rejects(std::move(e)));
  e = entry();
  e.principal.components[0] = std::string(0x8000, 'x');
  EXPECT_TRUE(rejects(std::move(e)));
  e = entry();
  e.key = SecretBytes();
  EXPECT_TRUE(rejects(std::move(e)));
  e = entry();
  e.enctype = 65536;
  EXPECT_TRUE(rejects(std::move(e)));
  e = entry();
  e.enctype = -32769;
  EXPECT_TRUE(rejects(std::move(e)));
  e = entry();
  e.principal.components.assign(33, "c");
  EXPECT_TRUE(rejects(std::move(e)));
}

// Random corruption of a real keytab: every outcome is a value (run under ASan/UBSan).
TEST(Keytab, RandomCorruptionNeverCrashes) {
  const Buffer file = mit_keytab();
  DeterministicRng rng(1);
  int errors = 0;
  for (int i = 0; i < 20000; ++i) {
    Buffer f = file;
    std::byte pick[9];
    rng.fill(pick);
    for (int k = 0; k < 3; ++k) {
      const std::size_t at = (std::to_integer<std::size_t>(pick[3 * k]) << 8 |
                              std::to_integer<std::size_t>(pick[3 * k + 1])) %
                             f.size();
      f[at] = pick[3 * k + 2];
    }
    auto kt = read_keytab(f);
    if (!kt.ok()) {
      ++errors;
      EXPECT_LE(kt.error().offset, f.size());
    } else {
      // Whatever was accepted writes out and reads back the same.
      auto w = write_keytab(*kt);
      if (w.ok()) {
        auto again = read_keytab(w->view());
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(again->size(), kt->size());
      }
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace kdcperf::krb::files
