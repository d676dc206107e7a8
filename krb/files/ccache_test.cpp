#include "krb/files/ccache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "krb/base/rng.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::files {
namespace {

using testing::hex;

// Builds ccache bytes field by field, as the format comment in ccache.hpp lays them out.
struct Bytes {
  Buffer b;
  Bytes& u8(unsigned v) {
    b.push_back(std::byte(v & 0xff));
    return *this;
  }
  Bytes& u16(unsigned v) { return u8(v >> 8).u8(v); }
  Bytes& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  Bytes& raw(ByteView v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  Bytes& data(ByteView v) { return u32(static_cast<std::uint32_t>(v.size())).raw(v); }
  Bytes& data(std::string_view s) { return data(as_bytes(s)); }
  Bytes& principal(std::uint32_t type, std::string_view realm,
                   std::initializer_list<std::string_view> comps) {
    u32(type).u32(static_cast<std::uint32_t>(comps.size())).data(realm);
    for (auto c : comps) data(c);
    return *this;
  }
};

Buffer mit_ccache() {
  return testing::read_hex_file(testing::source_path("krb/testdata/files/mit_kinit.ccache.hex"));
}

// The listing `TZ=UTC klist -f -e` printed for the sample, kept in its comments:
//   #   11/25/26 15:48:45  11/26/26 01:48:45  krbtgt/EXAMPLE.TEST@EXAMPLE.TEST
//   #   	renew until 11/26/26 15:48:45, Flags: FPRIA
//   #   	Etype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96
struct KlistCred {
  std::string default_principal;
  std::uint32_t start = 0, end = 0, renew_till = 0;
  std::string server;
  std::string flags;
  std::string skey_etype, tkt_etype;
};

std::uint32_t klist_time(const std::string& s) {  // "MM/DD/YY HH:MM:SS", UTC
  std::tm tm{};
  std::istringstream in(s);
  in >> std::get_time(&tm, "%m/%d/%y %H:%M:%S");
  return static_cast<std::uint32_t>(timegm(&tm));
}

KlistCred klist_in(std::string_view path) {
  const Buffer raw = testing::read_file(path);
  std::istringstream in{std::string(as_chars(raw))};
  KlistCred k;
  auto after = [](const std::string& line, std::string_view marker) -> std::optional<std::string> {
    const auto at = line.find(marker);
    if (at == std::string::npos) return std::nullopt;
    return line.substr(at + marker.size());
  };
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '#') continue;
    if (auto v = after(line, "Default principal: ")) {
      k.default_principal = *v;
    } else if (auto renew = after(line, "renew until ")) {
      k.renew_till = klist_time(renew->substr(0, 17));
      if (auto flags = after(line, "Flags: ")) k.flags = *flags;
    } else if (auto etypes = after(line, "Etype (skey, tkt): ")) {
      std::istringstream e(*etypes);
      std::getline(e, k.skey_etype, ',');
      e >> k.tkt_etype;
    } else {
      // "11/25/26 15:48:45  11/26/26 01:48:45  krbtgt/EXAMPLE.TEST@EXAMPLE.TEST"
      std::istringstream f(line.substr(1));
      std::string d1, t1, d2, t2, server;
      if (!(f >> d1 >> t1 >> d2 >> t2 >> server) || d1.size() != 8 || d1[2] != '/') continue;
      k.start = klist_time(d1 + " " + t1);
      k.end = klist_time(d2 + " " + t2);
      k.server = server;
    }
  }
  return k;
}

// MIT klist's flag letters (clients/klist/klist.c flags_string), as ccache flag bits.
std::uint32_t flags_from_letters(const std::string& letters) {
  namespace tf = ticket_flags;
  std::uint32_t f = 0;
  for (char c : letters) {
    switch (c) {
      case 'F':
        f |= tf::kForwardable;
        break;
      case 'f':
        f |= tf::kForwarded;
        break;
      case 'P':
        f |= tf::kProxiable;
        break;
      case 'p':
        f |= tf::kProxy;
        break;
      case 'D':
        f |= tf::kMayPostdate;
        break;
      case 'd':
        f |= tf::kPostdated;
        break;
      case 'i':
        f |= tf::kInvalid;
        break;
      case 'R':
        f |= tf::kRenewable;
        break;
      case 'I':
        f |= tf::kInitial;
        break;
      case 'H':
        f |= tf::kHwAuthent;
        break;
      case 'A':
        f |= tf::kPreAuthent;
        break;
      case 'T':
        f |= tf::kTransitPolicyChecked;
        break;
      case 'O':
        f |= tf::kOkAsDelegate;
        break;
      case 'a':
        f |= tf::kAnonymous;
        break;
      default:
        ADD_FAILURE() << "unknown klist flag " << c;
    }
  }
  return f;
}

TEST(Ccache, ReadsWhatMitKinitWrote) {
  const KlistCred k = klist_in(testing::source_path("krb/testdata/files/mit_kinit.ccache.hex"));
  ASSERT_FALSE(k.server.empty());
  ASSERT_EQ(k.skey_etype, "aes256-cts-hmac-sha1-96");
  auto cc = read_ccache(mit_ccache());
  ASSERT_TRUE(cc.ok()) << err_name(cc.err()) << " at " << cc.error().offset;

  // kinit with kdc_timesync writes the DELTATIME tag even for a zero offset (§4.1 notes).
  ASSERT_TRUE(cc->time_offset.has_value());
  EXPECT_EQ(*cc->time_offset, (TimeOffset{0, 0}));
  EXPECT_EQ(unparse(cc->default_principal), k.default_principal);
  EXPECT_EQ(cc->default_principal.name_type, kNtPrincipal);

  // Two config entries first (fast_avail, pa_type), then the TGT (§4.1 notes).
  ASSERT_EQ(cc->creds.size(), 3u);
  const char* config_keys[] = {"fast_avail", "pa_type"};
  const char* config_values[] = {"yes", "2"};  // FAST available; pa_type 2 = ENC-TIMESTAMP
  for (int i = 0; i < 2; ++i) {
    const Credential& c = cc->creds[static_cast<std::size_t>(i)];
    SCOPED_TRACE(i);
    EXPECT_TRUE(is_config_entry(c));
    EXPECT_EQ(c.server.realm, "X-CACHECONF:");
    EXPECT_EQ(c.server.components,
              (std::vector<std::string>{"krb5_ccache_conf_data", config_keys[i],
                                        "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST"}));
    EXPECT_EQ(c.client, cc->default_principal);
    EXPECT_EQ(as_chars(c.ticket), config_values[i]);
    EXPECT_EQ(c.authtime, 0u);
    EXPECT_EQ(c.endtime, 0u);
    EXPECT_EQ(c.enctype, 0);
    EXPECT_TRUE(c.key.empty());
  }

  const Credential& tgt = cc->creds[2];
  EXPECT_FALSE(is_config_entry(tgt));
  EXPECT_EQ(tgt.client, cc->default_principal);
  EXPECT_EQ(unparse(tgt.server), k.server);
  EXPECT_EQ(tgt.server.name_type, kNtSrvInst);
  EXPECT_EQ(tgt.enctype, 18);  // aes256-cts-hmac-sha1-96
  EXPECT_EQ(tgt.key.size(), 32u);
  EXPECT_EQ(tgt.authtime, k.start);  // kinit fills starttime with authtime
  EXPECT_EQ(tgt.starttime, k.start);
  EXPECT_EQ(tgt.endtime, k.end);
  EXPECT_EQ(tgt.renew_till, k.renew_till);
  // klist does not show enc-pa-rep; MIT's KDC always sets it (§5.4): 0x50e10000 in all.
  EXPECT_EQ(tgt.ticket_flags & ~ticket_flags::kEncPaRep, flags_from_letters(k.flags));
  EXPECT_EQ(tgt.ticket_flags, 0x50e10000u);
  EXPECT_EQ(tgt.is_skey, 0);
  EXPECT_TRUE(tgt.addresses.empty());
  EXPECT_TRUE(tgt.authdata.empty());
  ASSERT_GE(tgt.ticket.size(), 2u);
  EXPECT_EQ(tgt.ticket[0], std::byte{0x61});  // [APPLICATION 1] Ticket
  EXPECT_TRUE(tgt.second_ticket.empty());
  // Independent check of the time conversion: python3 calendar.timegm(time.strptime(
  // '11/25/26 15:48:45', '%m/%d/%y %H:%M:%S')) = 1795621725.
  EXPECT_EQ(k.start, 1795621725u);
}

TEST(Ccache, WriteOfMitCcacheIsByteIdentical) {
  const Buffer file = mit_ccache();
  auto cc = read_ccache(file);
  ASSERT_TRUE(cc.ok());
  auto w1 = write_ccache(*cc);
  ASSERT_TRUE(w1.ok());
  EXPECT_EQ(to_hex(w1->view()), to_hex(file));
  auto again = read_ccache(w1->view());
  ASSERT_TRUE(again.ok());
  auto w2 = write_ccache(*again);
  ASSERT_TRUE(w2.ok());
  EXPECT_TRUE(equal(w1->view(), w2->view()));
}

// A credential with every optional part filled, built by hand per ccmarshal.c's grammar.
Bytes full_credential(bool v3) {
  Bytes c;
  c.principal(1, "EXAMPLE.TEST", {"bob"});
  c.principal(2, "EXAMPLE.TEST", {"host", "server.example.test"});
  c.u16(17);
  if (v3) c.u16(17);
  c.data(hex("000102030405060708090a0b0c0d0e0f"));
  c.u32(100).u32(200).u32(0xfffffff0).u32(0x80000000);  // unsigned times past 2038
  c.u8(1).u32(0x40a00000);
  c.u32(2).u16(2).data(hex("7f000001")).u16(24).data(hex("00000000000000000000000000000001"));
  c.u32(2).u16(0xff80).data("negative").u16(1).data(hex("3000"));
  c.data(hex("6103020100")).data(hex("6100"));
  return c;
}

void expect_full_credential(const Credential& c) {
  EXPECT_EQ(unparse(c.client), "bob@EXAMPLE.TEST");
  EXPECT_EQ(c.client.name_type, 1);
  EXPECT_EQ(unparse(c.server), "host/server.example.test@EXAMPLE.TEST");
  EXPECT_EQ(c.server.name_type, 2);
  EXPECT_EQ(c.enctype, 17);
  EXPECT_EQ(to_hex(c.key.view()), "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(c.authtime, 100u);
  EXPECT_EQ(c.starttime, 200u);
  EXPECT_EQ(c.endtime, 0xfffffff0u);
  EXPECT_EQ(c.renew_till, 0x80000000u);
  EXPECT_EQ(c.is_skey, 1);
  EXPECT_EQ(c.ticket_flags, 0x40a00000u);
  ASSERT_EQ(c.addresses.size(), 2u);
  EXPECT_EQ(c.addresses[0].type, 2);
  EXPECT_EQ(to_hex(c.addresses[0].address), "7f000001");
  EXPECT_EQ(c.addresses[1].type, 24);
  EXPECT_EQ(c.addresses[1].address.size(), 16u);
  ASSERT_EQ(c.authdata.size(), 2u);
  EXPECT_EQ(c.authdata[0].type, -128);  // MIT sign-extends authdata types
  EXPECT_EQ(as_chars(c.authdata[0].contents), "negative");
  EXPECT_EQ(c.authdata[1].type, 1);
  EXPECT_EQ(to_hex(c.ticket), "6103020100");
  EXPECT_EQ(to_hex(c.second_ticket), "6100");
}

TEST(Ccache, HandBuiltVersion4) {
  Bytes f;
  f.u16(0x0504);
  // Header: an unknown tag (skipped), then DELTATIME -3600 s, -5 us.
  f.u16(4 + 3 + 12).u16(7).u16(3).u8(1).u8(2).u8(3);
  f.u16(1).u16(8).u32(static_cast<std::uint32_t>(-3600)).u32(static_cast<std::uint32_t>(-5));
  f.principal(1, "EXAMPLE.TEST", {"bob"});
  f.raw(full_credential(false).b);
  auto cc = read_ccache(f.b);
  ASSERT_TRUE(cc.ok()) << err_name(cc.err()) << " at " << cc.error().offset;
  ASSERT_TRUE(cc->time_offset.has_value());
  EXPECT_EQ(*cc->time_offset, (TimeOffset{-3600, -5}));
  EXPECT_EQ(unparse(cc->default_principal), "bob@EXAMPLE.TEST");
  ASSERT_EQ(cc->creds.size(), 1u);
  expect_full_credential(cc->creds[0]);
  EXPECT_FALSE(is_config_entry(cc->creds[0]));

  // Our writer keeps only DELTATIME (header length 12); a second round is byte-identical.
  auto w1 = write_ccache(*cc);
  ASSERT_TRUE(w1.ok());
  Bytes expected;
  expected.u16(0x0504).u16(12).u16(1).u16(8).u32(static_cast<std::uint32_t>(-3600));
  expected.u32(static_cast<std::uint32_t>(-5)).principal(1, "EXAMPLE.TEST", {"bob"});
  expected.raw(full_credential(false).b);
  EXPECT_EQ(to_hex(w1->view()), to_hex(expected.b));
  auto again = read_ccache(w1->view());
  ASSERT_TRUE(again.ok());
  auto w2 = write_ccache(*again);
  ASSERT_TRUE(w2.ok());
  EXPECT_TRUE(equal(w1->view(), w2->view()));
}

TEST(Ccache, Version3HasNoHeaderAndTwoEnctypes) {
  Bytes f;
  f.u16(0x0503).principal(1, "EXAMPLE.TEST", {"bob"}).raw(full_credential(true).b);
  auto cc = read_ccache(f.b);
  ASSERT_TRUE(cc.ok()) << err_name(cc.err()) << " at " << cc.error().offset;
  EXPECT_FALSE(cc->time_offset.has_value());
  ASSERT_EQ(cc->creds.size(), 1u);
  expect_full_credential(cc->creds[0]);
  // Written back as version 4 with an empty header.
  auto w = write_ccache(*cc);
  ASSERT_TRUE(w.ok());
  Bytes expected;
  expected.u16(0x0504).u16(0).principal(1, "EXAMPLE.TEST", {"bob"});
  expected.raw(full_credential(false).b);
  EXPECT_EQ(to_hex(w->view()), to_hex(expected.b));
}

TEST(Ccache, EmptyCacheHasOnlyTheDefaultPrincipal) {
  Bytes f;
  f.u16(0x0504).u16(0).principal(1, "R", {"a"});
  auto cc = read_ccache(f.b);
  ASSERT_TRUE(cc.ok());
  EXPECT_FALSE(cc->time_offset.has_value());
  EXPECT_TRUE(cc->creds.empty());
  auto w = write_ccache(*cc);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(to_hex(w->view()), to_hex(f.b));
}

TEST(Ccache, ConfigEntryDetection) {
  Credential c;
  c.server = {0, "X-CACHECONF:", {"krb5_ccache_conf_data", "pa_type"}};
  EXPECT_TRUE(is_config_entry(c));
  c.server.components[0] = "other";
  EXPECT_FALSE(is_config_entry(c));
  c.server = {0, "X-CACHECONF:", {}};
  EXPECT_FALSE(is_config_entry(c));
  c.server = {2, "EXAMPLE.TEST", {"krb5_ccache_conf_data"}};
  EXPECT_FALSE(is_config_entry(c));
}

TEST(Ccache, RejectsOtherVersions) {
  // v1/v2 (host byte order) are not read; nor is anything else.
  for (const char* v : {"0501", "0502", "0505", "0405", "0000"})
    EXPECT_EQ(read_ccache(hex(v)).err(), Err::kBadFileVersion) << v;
  EXPECT_EQ(read_ccache(hex("")).err(), Err::kTruncated);
  EXPECT_EQ(read_ccache(hex("05")).err(), Err::kTruncated);
}

TEST(Ccache, BadHeaders) {
  auto with_header = [](const Buffer& header) {
    Bytes f;
    f.u16(0x0504).raw(header).principal(1, "R", {"a"});
    return f.b;
  };
  // Header length past the end of the file.
  EXPECT_EQ(read_ccache(hex("0504 ffff 0001")).err(), Err::kTruncated);
  // A tag whose length runs past the header.
  EXPECT_EQ(read_ccache(with_header(hex("0006 0002 0004 0000"))).err(), Err::kBadFileFormat);
  // Fewer than 4 bytes left for a tag.
  EXPECT_EQ(read_ccache(with_header(hex("0002 0001"))).err(), Err::kBadFileFormat);
  // DELTATIME must be 8 bytes.
  EXPECT_EQ(read_ccache(with_header(hex("0008 0001 0004 00000000"))).err(), Err::kBadFileFormat);
  // Two DELTATIME tags: the first wins, as in MIT.
  auto two =
      read_ccache(with_header(hex("0018 0001 0008 00000001 00000002"
                                  "     0001 0008 00000003 00000004")));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two->time_offset, (TimeOffset{1, 2}));
}

// Every proper prefix of a valid ccache is an error, except at a credential boundary, where
// it is a valid ccache holding the first credentials.
TEST(Ccache, TruncationAtEveryByte) {
  const Buffer file = mit_ccache();
  auto full = read_ccache(file);
  ASSERT_TRUE(full.ok());
  // Credential boundaries: the size of the file written with the first i credentials.
  std::vector<std::size_t> boundaries;
  for (std::size_t i = 0; i <= full->creds.size(); ++i) {
    Ccache part;
    part.time_offset = full->time_offset;
    part.default_principal = full->default_principal;
    for (std::size_t j = 0; j < i; ++j) {
      part.creds.push_back(full->creds[j].clone());
    }
    auto w = write_ccache(part);
    ASSERT_TRUE(w.ok());
    boundaries.push_back(w->size());
  }
  ASSERT_EQ(boundaries.back(), file.size());
  for (std::size_t n = 0; n < file.size(); ++n) {
    auto cc = read_ccache(ByteView(file).first(n));
    const auto b = std::find(boundaries.begin(), boundaries.end(), n);
    if (b != boundaries.end()) {
      ASSERT_TRUE(cc.ok()) << n;
      EXPECT_EQ(cc->creds.size(), static_cast<std::size_t>(b - boundaries.begin()));
    } else {
      ASSERT_FALSE(cc.ok()) << "prefix of " << n << " bytes was accepted";
      EXPECT_LE(cc.error().offset, n);
    }
  }
}

TEST(Ccache, HostileLengthsAndCounts) {
  auto file_with_cred = [](const Bytes& cred) {
    Bytes f;
    f.u16(0x0504).u16(0).principal(1, "R", {"a"}).raw(cred.b);
    return f.b;
  };
  // Absurd data lengths.
  EXPECT_EQ(read_ccache(hex("0504 0000 00000001 00000001 ffffffff 52")).err(), Err::kTruncated);
  Bytes f;
  f.u16(0x0504).u16(0).u32(1).u32(0xffffffff);
  auto many = read_ccache(f.b);
  EXPECT_EQ(many.err(), Err::kTooMany);
  EXPECT_EQ(many.error().offset, 8u);  // version 2, header length 2, name type 4

  Bytes huge_addrs;
  huge_addrs.principal(1, "R", {"a"}).principal(2, "R", {"krbtgt", "R"}).u16(18).data("");
  huge_addrs.u32(0).u32(0).u32(0).u32(0).u8(0).u32(0).u32(0xffffffff);
  EXPECT_EQ(read_ccache(file_with_cred(huge_addrs)).err(), Err::kTooMany);
  Bytes many_addrs = huge_addrs;  // a count within the limit that the file cannot hold
  many_addrs.b.resize(many_addrs.b.size() - 4);
  many_addrs.u32(200);
  EXPECT_EQ(read_ccache(file_with_cred(many_addrs)).err(), Err::kTruncated);
  Bytes huge_ad;
  huge_ad.principal(1, "R", {"a"}).principal(2, "R", {"krbtgt", "R"}).u16(18).data("");
  huge_ad.u32(0).u32(0).u32(0).u32(0).u8(0).u32(0).u32(0).u32(0x10000000);
  EXPECT_EQ(read_ccache(file_with_cred(huge_ad)).err(), Err::kTooMany);
  Bytes huge_ticket;
  huge_ticket.principal(1, "R", {"a"}).principal(2, "R", {"krbtgt", "R"}).u16(18).data("");
  huge_ticket.u32(0).u32(0).u32(0).u32(0).u8(0).u32(0).u32(0).u32(0).u32(0xffffffff);
  EXPECT_EQ(read_ccache(file_with_cred(huge_ticket)).err(), Err::kTruncated);
  Bytes huge_key;
  huge_key.principal(1, "R", {"a"}).principal(2, "R", {"krbtgt", "R"}).u16(18).u32(0xfffffff0);
  EXPECT_EQ(read_ccache(file_with_cred(huge_key)).err(), Err::kTruncated);
}

TEST(Ccache, Limits) {
  const Buffer file = mit_ccache();
  CcacheLimits two_creds;
  two_creds.max_credentials = 2;
  EXPECT_EQ(read_ccache(file, two_creds).err(), Err::kTooMany);
  CcacheLimits two_comps;
  two_comps.max_components = 2;  // config entries have 3
  EXPECT_EQ(read_ccache(file, two_comps).err(), Err::kTooMany);
  CcacheLimits small_data;
  small_data.max_data = 100;  // the ticket is larger
  EXPECT_EQ(read_ccache(file, small_data).err(), Err::kElementTooLarge);
  CcacheLimits small_key;
  small_key.max_key = 16;
  EXPECT_EQ(read_ccache(file, small_key).err(), Err::kElementTooLarge);
}

TEST(Ccache, WriterRejectsWhatDoesNotFit) {
  auto cache_with = [](auto mutate) {
    Ccache cc;
    cc.default_principal = {1, "R", {"a"}};
    Credential c;
    c.client = cc.default_principal;
    c.server = {2, "R", {"krbtgt", "R"}};
    c.enctype = 18;
    mutate(c);
    cc.creds.push_back(std::move(c));
    return write_ccache(cc);
  };
  EXPECT_TRUE(cache_with([](Credential&) {}).ok());
  EXPECT_EQ(cache_with([](Credential& c) { c.enctype = 65536; }).err(), Err::kInvalidArgument);
  EXPECT_EQ(cache_with([](Credential& c) { c.enctype = -32769; }).err(), Err::kInvalidArgument);
  EXPECT_EQ(cache_with([](Credential& c) {
              c.authdata.push_back({70000, {}});
            }).err(),
            Err::kInvalidArgument);
  EXPECT_EQ(cache_with([](Credential& c) { c.server.components.assign(33, "x"); }).err(),
            Err::kInvalidArgument);
  EXPECT_EQ(cache_with([](Credential& c) { c.ticket.resize((1 << 20) + 1); }).err(),
            Err::kInvalidArgument);
  // Negative enctypes are written as their low 16 bits and read back zero-extended, as in MIT.
  auto neg = cache_with([](Credential& c) { c.enctype = -1; });
  ASSERT_TRUE(neg.ok());
  auto back = read_ccache(neg->view());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->creds[0].enctype, 0xffff);
}

TEST(Ccache, RandomCorruptionNeverCrashes) {
  const Buffer file = mit_ccache();
  DeterministicRng rng(2);
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
    auto cc = read_ccache(f);
    if (!cc.ok()) {
      ++errors;
      EXPECT_LE(cc.error().offset, f.size());
    } else {
      auto w = write_ccache(*cc);
      if (w.ok()) {
        auto again = read_ccache(w->view());
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(again->creds.size(), cc->creds.size());
      }
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace kdcperf::krb::files
