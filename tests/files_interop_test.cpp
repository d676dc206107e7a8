// Interop of krb/files with MIT krb5 1.20 in a throwaway realm (tests/support/mit_realm.hpp):
//  - keytabs WE write let MIT kinit -k get a TGT from MIT's krb5kdc, and MIT's klist -k lists
//    them exactly as it lists the keytab MIT's own kadmin.local wrote;
//  - keytabs MIT wrote (including holes left by ktremove) read back with the fields klist shows;
//  - FILE ccaches WE write are listed by MIT klist with our times and flags and used by MIT
//    kvno for a TGS exchange; ccaches MIT kinit wrote read back with the fields klist shows.
// klist runs with LC_ALL=C and TZ=UTC (MitRealm::env()), so its times parse as UTC.
#include <algorithm>
#include <ctime>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "krb/crypto/string_to_key.hpp"
#include "krb/der/reader.hpp"
#include "krb/files/ccache.hpp"
#include "krb/files/keytab.hpp"
#include "tests/support/mit_realm.hpp"
#include "tests/support/process.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::testing {
namespace {

namespace files = krb::files;
using krb::ByteView;

// ---- helpers ------------------------------------------------------------------------------

// MIT's names (lib/crypto/krb/etypes.c) of the enctypes our realms use.
std::string enctype_name(std::int32_t e) {
  switch (e) {
    case 17:
      return "aes128-cts-hmac-sha1-96";
    case 18:
      return "aes256-cts-hmac-sha1-96";
    case 19:
      return "aes128-cts-hmac-sha256-128";
    case 20:
      return "aes256-cts-hmac-sha384-192";
    case 23:
      return "arcfour-hmac";
    default:
      return "enctype " + std::to_string(e);
  }
}

std::vector<std::string> split_ws(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

// klist prints times with strftime in the C locale, e.g. "11/25/26 15:48:45" (TZ=UTC).
std::optional<std::uint32_t> parse_klist_time(const std::string& date, const std::string& time) {
  std::tm tm{};
  std::istringstream in(date + " " + time);
  in >> std::get_time(&tm, "%m/%d/%y %H:%M:%S");
  if (in.fail()) return std::nullopt;
  return static_cast<std::uint32_t>(timegm(&tm));
}

// One line of `klist -k -t -e -K`: "KVNO DATE TIME PRINCIPAL (ENCTYPE)  (0xKEY)".
struct KeytabLine {
  unsigned kvno = 0;
  std::uint32_t timestamp = 0;
  std::string principal;
  std::string enctype;
  std::string key_hex;
};

std::optional<std::vector<KeytabLine>> parse_klist_keytab_with_times(const std::string& text) {
  std::vector<KeytabLine> out;
  bool in_body = false;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!in_body) {
      in_body = line.rfind("----", 0) == 0;
      continue;
    }
    const auto t = split_ws(line);
    if (t.empty()) continue;
    if (t.size() != 6) return std::nullopt;
    KeytabLine k;
    try {
      k.kvno = static_cast<unsigned>(std::stoul(t[0]));
    } catch (...) {
      return std::nullopt;
    }
    const auto ts = parse_klist_time(t[1], t[2]);
    if (!ts) return std::nullopt;
    k.timestamp = *ts;
    k.principal = t[3];
    if (t[4].size() < 3 || t[4].front() != '(' || t[4].back() != ')') return std::nullopt;
    k.enctype = t[4].substr(1, t[4].size() - 2);
    if (t[5].size() < 5 || t[5].rfind("(0x", 0) != 0 || t[5].back() != ')') return std::nullopt;
    k.key_hex = t[5].substr(3, t[5].size() - 4);
    out.push_back(std::move(k));
  }
  if (!in_body) return std::nullopt;
  return out;
}

// One ticket of `klist -c FILE -f -e`:
//   11/25/26 15:48:45  11/26/26 01:48:45  krbtgt/EXAMPLE.TEST@EXAMPLE.TEST
//   <TAB>renew until 11/26/26 15:48:45, Flags: FPRIA
//   <TAB>Etype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96
// (the renew part is absent when renew_till is 0).
struct KlistTicket {
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  std::uint32_t renew_till = 0;
  std::string server;
  std::string flags;
  std::string skey_etype;
  std::string tkt_etype;
};

struct KlistCache {
  std::string default_principal;
  std::vector<KlistTicket> tickets;
};

std::optional<KlistCache> parse_klist_cache(const std::string& text) {
  KlistCache c;
  bool in_body = false;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    constexpr std::string_view kDefault = "Default principal: ";
    if (line.rfind(kDefault, 0) == 0) {
      c.default_principal = line.substr(kDefault.size());
      continue;
    }
    if (line.rfind("Valid starting", 0) == 0) {
      in_body = true;
      continue;
    }
    if (!in_body || line.empty()) continue;
    if (line[0] != '\t' && line[0] != ' ') {
      const auto t = split_ws(line);
      if (t.size() != 5) return std::nullopt;
      KlistTicket k;
      const auto start = parse_klist_time(t[0], t[1]);
      const auto end = parse_klist_time(t[2], t[3]);
      if (!start || !end) return std::nullopt;
      k.start = *start;
      k.end = *end;
      k.server = t[4];
      c.tickets.push_back(std::move(k));
      continue;
    }
    if (c.tickets.empty()) return std::nullopt;
    KlistTicket& k = c.tickets.back();
    if (const auto at = line.find("renew until "); at != std::string::npos) {
      const auto t = split_ws(line.substr(at + 12));
      if (t.size() < 2) return std::nullopt;
      std::string time = t[1];
      if (!time.empty() && time.back() == ',') time.pop_back();
      const auto renew = parse_klist_time(t[0], time);
      if (!renew) return std::nullopt;
      k.renew_till = *renew;
    }
    if (const auto at = line.find("Flags: "); at != std::string::npos) {
      const auto t = split_ws(line.substr(at + 7));
      k.flags = t.empty() ? "" : t[0];
    }
    constexpr std::string_view kEtype = "Etype (skey, tkt): ";
    if (const auto at = line.find(kEtype); at != std::string::npos) {
      const std::string rest = line.substr(at + kEtype.size());
      const auto comma = rest.find(", ");
      if (comma == std::string::npos) return std::nullopt;
      k.skey_etype = rest.substr(0, comma);
      const auto t = split_ws(rest.substr(comma + 2));
      if (t.empty()) return std::nullopt;
      k.tkt_etype = t[0];
    }
  }
  if (!in_body) return std::nullopt;
  return c;
}

// klist -f letters (clients/klist/klist.c flags_string) for ccache flag bits.
std::string flag_letters(std::uint32_t f) {
  namespace tf = files::ticket_flags;
  const std::pair<std::uint32_t, char> bits[] = {
      {tf::kForwardable, 'F'},  {tf::kForwarded, 'f'},   {tf::kProxiable, 'P'},
      {tf::kProxy, 'p'},        {tf::kMayPostdate, 'D'}, {tf::kPostdated, 'd'},
      {tf::kInvalid, 'i'},      {tf::kRenewable, 'R'},   {tf::kInitial, 'I'},
      {tf::kHwAuthent, 'H'},    {tf::kPreAuthent, 'A'},  {tf::kTransitPolicyChecked, 'T'},
      {tf::kOkAsDelegate, 'O'}, {tf::kAnonymous, 'a'}};
  std::string s;
  for (const auto& [bit, c] : bits)
    if (f & bit) s += c;
  return s;
}

// Ticket.enc-part.etype (RFC 4120 §5.3): Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0],
// realm [1], sname [2], enc-part [3] EncryptedData { etype [0] ... } }.
std::optional<std::int32_t> ticket_enctype(ByteView ticket) {
  namespace der = krb::der;
  der::Reader r(ticket);
  auto app = r.read(der::app(1));
  if (!app.ok()) return std::nullopt;
  auto seq = app->read(der::kSequence);
  if (!seq.ok()) return std::nullopt;
  for (unsigned n = 0; n < 3; ++n)
    if (!seq->read(der::ctx(n)).ok()) return std::nullopt;
  auto enc = seq->read(der::ctx(3));
  if (!enc.ok()) return std::nullopt;
  auto ed = enc->read(der::kSequence);
  if (!ed.ok()) return std::nullopt;
  auto et = ed->read(der::ctx(0));
  if (!et.ok()) return std::nullopt;
  auto v = et->read_int32();
  if (!v.ok()) return std::nullopt;
  return *v;
}

bool write_bytes(const std::string& path, ByteView bytes) {
  return write_text_file(path, krb::as_chars(bytes));
}

MitRealmOptions files_realm_options() {
  MitRealmOptions o;
  o.client_enctypes = "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96";
  o.supported_enctypes = "aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal";
  // Debian's stock krb5.conf options, so the TGT is FPRIA (§5.4 of KERBEROS-INTEROP.md).
  o.extra_libdefaults = {"forwardable = true", "proxiable = true"};
  return o;
}

class FilesInteropTest : public ::testing::Test {
 protected:
  void SetUp() override { KDCPERF_REQUIRE_MIT(); }

  std::optional<std::vector<KeytabLine>> klist_keytab(MitRealm& realm, const std::string& path) {
    const RunResult r = realm.client({"klist", "-k", "-t", "-e", "-K", path});
    if (!r.ok()) {
      ADD_FAILURE() << "klist -k " << path << ": " << r.describe();
      return std::nullopt;
    }
    auto parsed = parse_klist_keytab_with_times(r.out);
    if (!parsed) ADD_FAILURE() << "cannot parse klist -k output: [" << r.out << "]";
    return parsed;
  }

  std::optional<KlistCache> klist_cache(MitRealm& realm, const std::string& path) {
    const RunResult r = realm.client({"klist", "-c", "FILE:" + path, "-f", "-e"});
    if (!r.ok()) {
      ADD_FAILURE() << "klist -c " << path << ": " << r.describe();
      return std::nullopt;
    }
    auto parsed = parse_klist_cache(r.out);
    if (!parsed) ADD_FAILURE() << "cannot parse klist -c output: [" << r.out << "]";
    return parsed;
  }

  // Every field klist -k -t -e -K shows, for each entry in order.
  void expect_keytab_matches_klist(const std::vector<files::KeytabEntry>& kt,
                                   const std::vector<KeytabLine>& lines) {
    ASSERT_EQ(kt.size(), lines.size());
    for (std::size_t i = 0; i < kt.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(kt[i].kvno, lines[i].kvno);
      EXPECT_EQ(kt[i].timestamp, lines[i].timestamp);
      EXPECT_EQ(files::unparse(kt[i].principal), lines[i].principal);
      EXPECT_EQ(enctype_name(kt[i].enctype), lines[i].enctype);
      EXPECT_EQ(krb::to_hex(kt[i].key.view()), lines[i].key_hex);
    }
  }
};

// ---- keytabs ------------------------------------------------------------------------------

// Keys MIT extracted (ktadd -norandkey), re-serialized by our writer with our own timestamp:
// MIT's kinit -k authenticates with them and MIT's klist lists them like MIT's own keytab.
TEST_F(FilesInteropTest, KeytabWeWriteFromMitKeysGetsATgt) {
  MitRealm realm(files_realm_options());
  ASSERT_TRUE(realm.create());
  ASSERT_TRUE(realm.add_principal("alice", "alice secret", "+requires_preauth"));
  ASSERT_TRUE(realm.start());
  const std::string mit_path = realm.dir() + "/mit.keytab";
  const std::string our_path = realm.dir() + "/ours.keytab";
  ASSERT_TRUE(realm.extract_keytab("alice", mit_path));

  const krb::Buffer mit_bytes = read_file(mit_path);
  auto kt = files::read_keytab(mit_bytes);
  ASSERT_TRUE(kt.ok()) << krb::err_name(kt.err()) << " at " << kt.error().offset;
  ASSERT_EQ(kt->size(), 2u);
  // Unchanged, our writer reproduces MIT's file byte for byte.
  auto same = files::write_keytab(*kt);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(krb::to_hex(same->view()), krb::to_hex(mit_bytes));

  constexpr std::uint32_t kOurTimestamp = 1700000000;  // 11/14/23 22:13:20 UTC
  for (auto& e : *kt) e.timestamp = kOurTimestamp;
  auto ours = files::write_keytab(*kt);
  ASSERT_TRUE(ours.ok());
  ASSERT_TRUE(write_bytes(our_path, ours->view()));

  const std::string cc = realm.dir() + "/kt.ccache";
  const RunResult k = realm.client({"kinit", "-k", "-t", our_path, "-c", "FILE:" + cc, "alice"});
  ASSERT_TRUE(k.ok()) << k.describe();
  const auto listed = klist_cache(realm, cc);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->default_principal, "alice@KDCPERF.TEST");
  ASSERT_EQ(listed->tickets.size(), 1u);
  EXPECT_EQ(listed->tickets[0].server, "krbtgt/KDCPERF.TEST@KDCPERF.TEST");

  const auto mit_lines = klist_keytab(realm, mit_path);
  const auto our_lines = klist_keytab(realm, our_path);
  ASSERT_TRUE(mit_lines && our_lines);
  ASSERT_EQ(our_lines->size(), mit_lines->size());
  for (std::size_t i = 0; i < our_lines->size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ((*our_lines)[i].kvno, (*mit_lines)[i].kvno);
    EXPECT_EQ((*our_lines)[i].principal, (*mit_lines)[i].principal);
    EXPECT_EQ((*our_lines)[i].enctype, (*mit_lines)[i].enctype);
    EXPECT_EQ((*our_lines)[i].key_hex, (*mit_lines)[i].key_hex);
    EXPECT_EQ((*our_lines)[i].timestamp, kOurTimestamp);
  }
  expect_keytab_matches_klist(*kt, *our_lines);
}

// Keys from the password by our string-to-key (krb/crypto), written by our keytab writer:
// kinit -k works, and the keys are the ones MIT's ktadd extracts.
TEST_F(FilesInteropTest, KeytabWeWriteFromPasswordsGetsATgt) {
  MitRealm realm(files_realm_options());
  ASSERT_TRUE(realm.create());
  ASSERT_TRUE(realm.add_principal("alice", "alice secret", "+requires_preauth"));
  ASSERT_TRUE(realm.start());

  const std::string_view comps[] = {"alice"};
  const std::string salt = krb::crypto::default_salt("KDCPERF.TEST", comps);
  std::vector<files::KeytabEntry> entries;
  for (auto etype : {krb::crypto::Enctype::AES256_CTS_HMAC_SHA1_96,
                     krb::crypto::Enctype::AES128_CTS_HMAC_SHA1_96}) {
    auto key = krb::crypto::string_to_key(etype, "alice secret", salt);
    ASSERT_TRUE(key.ok()) << krb::err_name(key.err());
    files::KeytabEntry e;
    e.principal = {files::kNtPrincipal, "KDCPERF.TEST", {"alice"}};
    e.timestamp = 1700000000;
    e.kvno = 1;  // addprinc gives kvno 1
    e.enctype = static_cast<std::int32_t>(etype);
    e.key = std::move(key->bytes);
    entries.push_back(std::move(e));
  }
  auto bytes = files::write_keytab(entries);
  ASSERT_TRUE(bytes.ok());
  const std::string our_path = realm.dir() + "/pw.keytab";
  ASSERT_TRUE(write_bytes(our_path, bytes->view()));

  const std::string cc = realm.dir() + "/pw.ccache";
  const RunResult k = realm.client({"kinit", "-k", "-t", our_path, "-c", "FILE:" + cc, "alice"});
  ASSERT_TRUE(k.ok()) << k.describe();
  EXPECT_GE(realm.count_kdc_log("ISSUE: authtime"), 1u);

  const std::string mit_path = realm.dir() + "/mit.keytab";
  ASSERT_TRUE(realm.extract_keytab("alice", mit_path));
  const auto mit_lines = klist_keytab(realm, mit_path);
  const auto our_lines = klist_keytab(realm, our_path);
  ASSERT_TRUE(mit_lines && our_lines);
  ASSERT_EQ(our_lines->size(), mit_lines->size());
  for (std::size_t i = 0; i < our_lines->size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ((*our_lines)[i].principal, (*mit_lines)[i].principal);
    EXPECT_EQ((*our_lines)[i].kvno, (*mit_lines)[i].kvno);
    EXPECT_EQ((*our_lines)[i].enctype, (*mit_lines)[i].enctype);
    EXPECT_EQ((*our_lines)[i].key_hex, (*mit_lines)[i].key_hex);
  }
}

// A keytab MIT wrote with several principals and kvnos, then with holes (ktremove): our reader
// returns exactly the entries klist lists, field for field.
TEST_F(FilesInteropTest, MitKeytabReadsBackWithKlistFields) {
  MitRealm realm(files_realm_options());
  ASSERT_TRUE(realm.create());
  ASSERT_TRUE(realm.add_principal("alice", "alice secret"));
  ASSERT_TRUE(realm.add_random_principal("host/server.kdcperf.test"));
  const std::string path = realm.dir() + "/multi.keytab";
  ASSERT_TRUE(realm.extract_keytab("alice", path));
  // Without -norandkey ktadd re-keys: kvno 2, then 3, both kept in the keytab.
  for (int i = 0; i < 2; ++i) {
    const RunResult r = realm.kadmin("ktadd -k " + path + " host/server.kdcperf.test");
    ASSERT_NE(r.out.find("added to keytab"), std::string::npos) << r.describe();
  }

  auto check = [&](std::size_t expected_entries) {
    const krb::Buffer bytes = read_file(path);
    auto kt = files::read_keytab(bytes);
    ASSERT_TRUE(kt.ok()) << krb::err_name(kt.err()) << " at " << kt.error().offset;
    const auto lines = klist_keytab(realm, path);
    ASSERT_TRUE(lines.has_value());
    EXPECT_EQ(kt->size(), expected_entries);
    expect_keytab_matches_klist(*kt, *lines);
  };
  check(6);  // alice x2, host kvno 2 x2, host kvno 3 x2
  {
    const krb::Buffer bytes = read_file(path);
    auto kt = files::read_keytab(bytes);
    ASSERT_TRUE(kt.ok());
    EXPECT_EQ((*kt)[2].kvno, 2u);
    EXPECT_EQ((*kt)[4].kvno, 3u);
    auto again = files::write_keytab(*kt);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(krb::to_hex(again->view()), krb::to_hex(bytes));
  }

  // ktremove turns the old entries into holes (negative record sizes) in place.
  const RunResult rm = realm.kadmin("ktremove -k " + path + " host/server.kdcperf.test old");
  ASSERT_NE(rm.out.find("removed from keytab"), std::string::npos) << rm.describe();
  const krb::Buffer holed = read_file(path);
  bool has_hole = false;
  for (std::size_t at = 2; at + 4 <= holed.size();) {
    const auto size = static_cast<std::int32_t>(krb::load_be32(holed.data() + at));
    if (size == 0) break;
    has_hole |= size < 0;
    at += 4 + static_cast<std::size_t>(size < 0 ? -static_cast<std::int64_t>(size) : size);
  }
  EXPECT_TRUE(has_hole) << "expected MIT's ktremove to leave a hole";
  check(4);
}

// ---- credential caches --------------------------------------------------------------------

// A ccache MIT's kinit wrote: our reader sees what klist -f -e shows, and the config entries.
TEST_F(FilesInteropTest, MitCcacheReadsBackWithKlistFields) {
  MitRealm realm(files_realm_options());
  ASSERT_TRUE(realm.create());
  ASSERT_TRUE(realm.add_principal("alice", "alice secret", "+requires_preauth"));
  ASSERT_TRUE(realm.start());
  const std::string path = realm.dir() + "/mit.ccache";
  const RunResult k = realm.kinit("alice", "alice secret", {"-c", "FILE:" + path});
  ASSERT_TRUE(k.ok()) << k.describe();

  const auto listed = klist_cache(realm, path);
  ASSERT_TRUE(listed.has_value());
  const krb::Buffer bytes = read_file(path);
  auto cc = files::read_ccache(bytes);
  ASSERT_TRUE(cc.ok()) << krb::err_name(cc.err()) << " at " << cc.error().offset;

  EXPECT_EQ(files::unparse(cc->default_principal), listed->default_principal);
  EXPECT_EQ(listed->default_principal, "alice@KDCPERF.TEST");
  // kdc_timesync (on by default) makes kinit record the KDC clock offset in the header.
  EXPECT_TRUE(cc->time_offset.has_value());

  std::vector<const files::Credential*> tickets;
  std::vector<std::string> config_keys;
  for (const auto& c : cc->creds) {
    if (files::is_config_entry(c)) {
      ASSERT_GE(c.server.components.size(), 2u);
      config_keys.push_back(c.server.components[1]);
      if (c.server.components[1] == "pa_type") {
        EXPECT_EQ(krb::as_chars(c.ticket), "2");
      }
    } else {
      tickets.push_back(&c);
    }
  }
  // kinit stores the preauth type it used (2, encrypted timestamp) and FAST availability.
  EXPECT_NE(std::find(config_keys.begin(), config_keys.end(), "pa_type"), config_keys.end());
  EXPECT_NE(std::find(config_keys.begin(), config_keys.end(), "fast_avail"), config_keys.end());

  ASSERT_EQ(tickets.size(), listed->tickets.size());
  ASSERT_EQ(tickets.size(), 1u);
  const files::Credential& tgt = *tickets[0];
  const KlistTicket& shown = listed->tickets[0];
  EXPECT_EQ(files::unparse(tgt.client), "alice@KDCPERF.TEST");
  EXPECT_EQ(files::unparse(tgt.server), shown.server);
  EXPECT_EQ(shown.server, "krbtgt/KDCPERF.TEST@KDCPERF.TEST");
  // klist shows starttime, or authtime when starttime is 0.
  EXPECT_EQ(tgt.starttime != 0 ? tgt.starttime : tgt.authtime, shown.start);
  EXPECT_EQ(tgt.endtime, shown.end);
  EXPECT_EQ(tgt.renew_till, shown.renew_till);
  EXPECT_EQ(flag_letters(tgt.ticket_flags), shown.flags);
  // F P R I A plus enc-pa-rep, which klist does not show (KERBEROS-INTEROP.md §5.4).
  EXPECT_EQ(tgt.ticket_flags, 0x50e10000u);
  EXPECT_EQ(enctype_name(tgt.enctype), shown.skey_etype);
  const auto tkt_etype = ticket_enctype(tgt.ticket);
  ASSERT_TRUE(tkt_etype.has_value());
  EXPECT_EQ(enctype_name(*tkt_etype), shown.tkt_etype);
  EXPECT_EQ(tgt.key.size(), 32u);
  // max_life 10h.
  EXPECT_EQ(tgt.endtime - tgt.authtime, 10u * 3600u);

  auto again = files::write_ccache(*cc);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(krb::to_hex(again->view()), krb::to_hex(bytes));
}

// A ccache WE write, holding the TGT (ticket and session key) MIT's kinit obtained but with our
// own times, flags and header: klist lists it with our values and hides our config entry, and
// kvno uses it for a TGS exchange with the KDC, then appends to it.
TEST_F(FilesInteropTest, CcacheWeWriteIsListedAndUsedByMit) {
  MitRealm realm(files_realm_options());
  ASSERT_TRUE(realm.create());
  ASSERT_TRUE(realm.add_principal("alice", "alice secret", "+requires_preauth"));
  ASSERT_TRUE(realm.add_random_principal("host/server.kdcperf.test"));
  ASSERT_TRUE(realm.start());
  const std::string mit_path = realm.dir() + "/mit.ccache";
  const RunResult k = realm.kinit("alice", "alice secret", {"-c", "FILE:" + mit_path});
  ASSERT_TRUE(k.ok()) << k.describe();
  auto mit = files::read_ccache(read_file(mit_path));
  ASSERT_TRUE(mit.ok());
  const files::Credential* mit_tgt = nullptr;
  for (const auto& c : mit->creds)
    if (!files::is_config_entry(c)) mit_tgt = &c;
  ASSERT_NE(mit_tgt, nullptr);

  const auto now = static_cast<std::uint32_t>(std::time(nullptr));
  files::Ccache ours;
  ours.default_principal = mit->default_principal;  // no time offset: header length 0
  files::Credential config;
  config.client = ours.default_principal;
  config.server = {
      files::kNtPrincipal,
      std::string(files::kConfigRealm),
      {std::string(files::kConfigName), "pa_type", "krbtgt/KDCPERF.TEST@KDCPERF.TEST"}};
  const std::string_view two = "2";
  config.ticket.assign(krb::as_bytes(two).begin(), krb::as_bytes(two).end());
  ours.creds.push_back(std::move(config));
  files::Credential tgt = mit_tgt->clone();
  tgt.authtime = now - 120;
  tgt.starttime = now - 60;
  tgt.endtime = now + 3 * 3600;
  tgt.renew_till = now + 2 * 86400;
  namespace tf = files::ticket_flags;
  tgt.ticket_flags = tf::kForwardable | tf::kRenewable | tf::kInitial | tf::kPreAuthent;
  ours.creds.push_back(tgt.clone());
  auto bytes = files::write_ccache(ours);
  ASSERT_TRUE(bytes.ok());
  const std::string path = realm.dir() + "/ours.ccache";
  ASSERT_TRUE(write_bytes(path, bytes->view()));

  const auto listed = klist_cache(realm, path);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->default_principal, "alice@KDCPERF.TEST");
  ASSERT_EQ(listed->tickets.size(), 1u);  // the config entry is hidden
  const KlistTicket& shown = listed->tickets[0];
  EXPECT_EQ(shown.server, "krbtgt/KDCPERF.TEST@KDCPERF.TEST");
  EXPECT_EQ(shown.start, tgt.starttime);
  EXPECT_EQ(shown.end, tgt.endtime);
  EXPECT_EQ(shown.renew_till, tgt.renew_till);
  EXPECT_EQ(shown.flags, "FRIA");
  EXPECT_EQ(shown.skey_etype, "aes256-cts-hmac-sha1-96");
  EXPECT_EQ(shown.tkt_etype, "aes256-cts-hmac-sha1-96");
  const RunResult s = realm.client({"klist", "-s", "-c", "FILE:" + path});
  EXPECT_TRUE(s.ok()) << "klist -s: " << s.describe();

  // The session key and ticket bytes we wrote are good enough for a real TGS exchange.
  const RunResult v =
      realm.client({"kvno", "-c", "FILE:" + path, "host/server.kdcperf.test@KDCPERF.TEST"});
  ASSERT_TRUE(v.ok()) << v.describe();
  EXPECT_EQ(realm.count_kdc_log("TGS_REQ"), 1u);
  auto after = files::read_ccache(read_file(path));
  ASSERT_TRUE(after.ok()) << krb::err_name(after.err()) << " at " << after.error().offset;
  std::vector<std::string> servers;
  for (const auto& c : after->creds)
    if (!files::is_config_entry(c)) servers.push_back(files::unparse(c.server));
  EXPECT_EQ(servers, (std::vector<std::string>{"krbtgt/KDCPERF.TEST@KDCPERF.TEST",
                                               "host/server.kdcperf.test@KDCPERF.TEST"}));
}

}  // namespace
}  // namespace kdcperf::testing
