// The MIT captures in krb/testdata/mit/ (see its README.md) are what they claim to be, and our
// crypto opens what MIT sealed: PA-ENC-TIMESTAMP (key usage 1) and the AS-REP enc-part (usage 3)
// with keys from the principals' passwords, the TGT (usage 2) with the krbtgt key MIT's klist
// printed. DER is walked with the bare der::Reader, not the krb/proto decoders, so that this
// test checks the data independently of them. Needs no MIT tools at run time.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/der/reader.hpp"
#include "tests/support/mit_realm.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::testing {
namespace {

namespace der = krb::der;
using krb::ByteView;
using krb::Result;
using krb::crypto::Enctype;
using krb::crypto::Key;
using krb::crypto::KeyUsage;

constexpr std::string_view kDir = "krb/testdata/mit/";
constexpr std::int64_t kMaxSkew = 300;  // RFC 4120 §1.6 / MIT clockskew default

krb::Buffer load(std::string_view name) {
  return read_hex_file(source_path(std::string(kDir) + std::string(name)));
}

// Contents of the [n] field of a SEQUENCE's contents, skipping the other fields.
Result<der::Reader> field(der::Reader seq, unsigned n) {
  while (!seq.empty()) {
    if (seq.next_is(der::ctx(n))) return seq.read(der::ctx(n));
    KRB_RETURN_IF_ERROR(seq.read_any());
  }
  return krb::Err::kMissingField;
}

// The SEQUENCE inside an [APPLICATION n] wrapper (every Kerberos message and part).
Result<der::Reader> app_seq(ByteView bytes, unsigned n) {
  der::Reader r(bytes);
  KRB_ASSIGN_OR_RETURN(der::Reader a, r.read(der::app(n)));
  return a.read(der::kSequence);
}

Result<der::Reader> seq_of(der::Reader f) {
  return f.read(der::kSequence);
}

struct EncData {
  std::int32_t etype = 0;
  std::optional<std::uint32_t> kvno;
  ByteView cipher;
};

Result<EncData> encrypted_data(der::Reader f) {
  KRB_ASSIGN_OR_RETURN(der::Reader s, seq_of(f));
  EncData e;
  KRB_ASSIGN_OR_RETURN(der::Reader et, field(s, 0));
  KRB_ASSIGN_OR_RETURN(e.etype, et.read_int32());
  if (auto kv = field(s, 1); kv.ok()) {
    KRB_ASSIGN_OR_RETURN(e.kvno, kv->read_uint32());
  }
  KRB_ASSIGN_OR_RETURN(der::Reader c, field(s, 2));
  KRB_ASSIGN_OR_RETURN(e.cipher, c.read_octet_string());
  return e;
}

// PA-DATA values of a KDC-REQ, by padata-type.
Result<std::map<std::int32_t, ByteView>> padata(der::Reader req_seq, unsigned field_no) {
  std::map<std::int32_t, ByteView> out;
  KRB_ASSIGN_OR_RETURN(der::Reader f, field(req_seq, field_no));
  KRB_ASSIGN_OR_RETURN(der::Reader list, seq_of(f));
  while (!list.empty()) {
    KRB_ASSIGN_OR_RETURN(der::Reader pa, list.read(der::kSequence));
    KRB_ASSIGN_OR_RETURN(der::Reader t, field(pa, 1));
    KRB_ASSIGN_OR_RETURN(std::int32_t type, t.read_int32());
    KRB_ASSIGN_OR_RETURN(der::Reader v, field(pa, 2));
    KRB_ASSIGN_OR_RETURN(out[type], v.read_octet_string());
  }
  return out;
}

// The parsed views below borrow from the message buffer: keep it alive while they are used.
struct AsReq {
  std::map<std::int32_t, ByteView> pa;
  std::int64_t nonce = 0;
};

Result<AsReq> as_req(ByteView msg) {
  KRB_ASSIGN_OR_RETURN(der::Reader s, app_seq(msg, 10));
  AsReq r;
  KRB_ASSIGN_OR_RETURN(r.pa, padata(s, 3));
  KRB_ASSIGN_OR_RETURN(der::Reader bf, field(s, 4));
  KRB_ASSIGN_OR_RETURN(der::Reader body, seq_of(bf));
  KRB_ASSIGN_OR_RETURN(der::Reader nf, field(body, 7));
  KRB_ASSIGN_OR_RETURN(r.nonce, nf.read_nonce());
  return r;
}

struct AsRep {
  EncData ticket_enc;
  ByteView ticket;  // the whole Ticket encoding, as stored in a ccache
  EncData enc_part;
};

Result<AsRep> as_rep(ByteView msg) {
  KRB_ASSIGN_OR_RETURN(der::Reader s, app_seq(msg, 11));
  AsRep r;
  KRB_ASSIGN_OR_RETURN(der::Reader tf, field(s, 5));
  r.ticket = tf.rest();
  KRB_ASSIGN_OR_RETURN(der::Reader t, app_seq(r.ticket, 1));
  KRB_ASSIGN_OR_RETURN(der::Reader te, field(t, 3));
  KRB_ASSIGN_OR_RETURN(r.ticket_enc, encrypted_data(te));
  KRB_ASSIGN_OR_RETURN(der::Reader ef, field(s, 6));
  KRB_ASSIGN_OR_RETURN(r.enc_part, encrypted_data(ef));
  return r;
}

// KRB-ERROR error-code [6] and stime [4].
Result<std::pair<std::int32_t, std::int64_t>> krb_error(ByteView msg) {
  KRB_ASSIGN_OR_RETURN(der::Reader s, app_seq(msg, 30));
  KRB_ASSIGN_OR_RETURN(der::Reader tf, field(s, 4));
  KRB_ASSIGN_OR_RETURN(std::int64_t stime, tf.read_kerberos_time());
  KRB_ASSIGN_OR_RETURN(der::Reader cf, field(s, 6));
  KRB_ASSIGN_OR_RETURN(std::int32_t code, cf.read_int32());
  return std::make_pair(code, stime);
}

// EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING }
Result<std::pair<std::int32_t, ByteView>> encryption_key(der::Reader f) {
  KRB_ASSIGN_OR_RETURN(der::Reader s, seq_of(f));
  KRB_ASSIGN_OR_RETURN(der::Reader t, field(s, 0));
  KRB_ASSIGN_OR_RETURN(std::int32_t type, t.read_int32());
  KRB_ASSIGN_OR_RETURN(der::Reader v, field(s, 1));
  KRB_ASSIGN_OR_RETURN(ByteView value, v.read_octet_string());
  return std::make_pair(type, value);
}

Result<krb::Buffer> open(const Key& key, KeyUsage usage, ByteView cipher) {
  krb::Buffer out(cipher.size());
  KRB_ASSIGN_OR_RETURN(std::size_t n, krb::crypto::open_once(key, usage, cipher, out));
  out.resize(n);
  return out;
}

struct Principal {
  std::string name, realm, password, salt, prefix;
  std::vector<Enctype> etypes;
  bool preauth = false;
};

std::vector<Principal> principals() {
  std::vector<Principal> out;
  for (auto& b : read_vector_file(source_path(std::string(kDir) + "principals.txt"))) {
    Principal p;
    p.name = b.take("Principal");
    p.realm = b.take("Realm");
    p.password = b.take("Password");
    p.salt = b.take("Salt");
    p.prefix = b.take("Prefix");
    p.preauth = b.take("RequiresPreauth") == "yes";
    std::istringstream et(b.take("Etypes"));
    for (int e; et >> e;) p.etypes.push_back(static_cast<Enctype>(e));
    out.push_back(std::move(p));
  }
  return out;
}

const Principal* find(const std::vector<Principal>& ps, std::string_view name) {
  for (const auto& p : ps) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Key password_key(const Principal& p, Enctype e, std::string_view password) {
  auto k = krb::crypto::string_to_key(e, password, p.salt);
  EXPECT_TRUE(k.ok()) << krb::err_name(k.err());
  return k.ok() ? std::move(k).value() : Key{};
}

// The krbtgt key of the ticket's etype, as MIT's `klist -k -K` printed it for krbtgt.keytab.
std::optional<Key> krbtgt_key(Enctype e) {
  const auto text = read_file(source_path(std::string(kDir) + "krbtgt.keytab.klist.txt"));
  const auto entries = parse_klist_keytab(krb::as_chars(text));
  if (!entries) return std::nullopt;
  const auto* info = krb::crypto::enctype_info(e);
  if (info == nullptr) return std::nullopt;
  for (const auto& entry : *entries) {
    if (entry.enctype != info->name) continue;
    const auto bytes = krb::from_hex(entry.key_hex);
    if (!bytes) return std::nullopt;
    return Key{e, krb::SecretBytes(*bytes)};
  }
  return std::nullopt;
}

// Checks one AS-REP against the request it answers: the enc-part opens with the reply key,
// echoes the nonce, and carries the session key that the TGT (opened with krbtgt's key) holds.
void check_as_rep(ByteView rep_bytes, const AsReq& req, const Key& reply_key,
                  const std::string& cname) {
  auto rep = as_rep(rep_bytes);
  ASSERT_TRUE(rep.ok()) << krb::err_name(rep.err()) << " at " << rep.error().offset;
  EXPECT_EQ(rep->enc_part.etype, static_cast<std::int32_t>(reply_key.etype));
  EXPECT_FALSE(rep->enc_part.kvno.has_value()) << "MIT omits the AS-REP enc-part kvno";
  auto plain = open(reply_key, KeyUsage::AS_REP_ENC_PART, rep->enc_part.cipher);
  ASSERT_TRUE(plain.ok()) << krb::err_name(plain.err());
  // MIT encodes EncASRepPart with the EncTGSRepPart tag [APPLICATION 26].
  auto part = app_seq(*plain, 26);
  ASSERT_TRUE(part.ok()) << krb::err_name(part.err());
  auto kf = field(*part, 0);
  ASSERT_TRUE(kf.ok());
  auto session = encryption_key(*kf);
  ASSERT_TRUE(session.ok());
  auto nf = field(*part, 2);
  ASSERT_TRUE(nf.ok());
  auto nonce = nf->read_nonce();
  ASSERT_TRUE(nonce.ok());
  EXPECT_EQ(*nonce, req.nonce);

  // The TGT, sealed with krbtgt's key (usage 2), holds the same session key and the client.
  const auto tkey = krbtgt_key(static_cast<Enctype>(rep->ticket_enc.etype));
  ASSERT_TRUE(tkey.has_value()) << "no krbtgt key for etype " << rep->ticket_enc.etype;
  EXPECT_EQ(rep->ticket_enc.kvno, std::optional<std::uint32_t>(1));
  auto tplain = open(*tkey, KeyUsage::KDC_REP_TICKET, rep->ticket_enc.cipher);
  ASSERT_TRUE(tplain.ok()) << krb::err_name(tplain.err());
  auto etp = app_seq(*tplain, 3);
  ASSERT_TRUE(etp.ok());
  auto tkf = field(*etp, 1);
  ASSERT_TRUE(tkf.ok());
  auto tsession = encryption_key(*tkf);
  ASSERT_TRUE(tsession.ok());
  EXPECT_EQ(tsession->first, session->first);
  EXPECT_TRUE(krb::equal(tsession->second, session->second));
  // MIT 1.20 puts a minimal PAC in every TGT: authorization-data [10] is present.
  EXPECT_TRUE(field(*etp, 10).ok());
  auto cnf = field(*etp, 3);
  ASSERT_TRUE(cnf.ok());
  const auto cname_bytes = cnf->rest();
  const std::string_view cname_text = krb::as_chars(cname_bytes);
  EXPECT_NE(cname_text.find(cname), std::string_view::npos);
}

class MitCaptures : public ::testing::Test {
 protected:
  void SetUp() override {
    ps_ = principals();
    ASSERT_FALSE(ps_.empty());
  }
  std::vector<Principal> ps_;
};

TEST_F(MitCaptures, PreauthExchangePerEnctype) {
  std::size_t checked = 0;
  for (const Principal& p : ps_) {
    if (!p.preauth) continue;
    SCOPED_TRACE(p.name);
    ASSERT_EQ(p.etypes.size(), 1u);
    const Enctype e = p.etypes[0];
    const Key key = password_key(p, e, p.password);

    // #1: no real preauth yet; the KDC asks for it and tells its time.
    const krb::Buffer req1_bytes = load(p.prefix + "_as_req.hex");
    auto req1 = as_req(req1_bytes);
    ASSERT_TRUE(req1.ok()) << krb::err_name(req1.err());
    EXPECT_EQ(req1->pa.count(2), 0u);
    auto err = krb_error(load(p.prefix + "_preauth_required.hex"));
    ASSERT_TRUE(err.ok()) << krb::err_name(err.err());
    EXPECT_EQ(err->first, 25);  // KDC_ERR_PREAUTH_REQUIRED

    // #2: PA-ENC-TIMESTAMP opens with the password key under usage 1, not under another usage.
    const krb::Buffer req2_bytes = load(p.prefix + "_as_req_preauth.hex");
    auto req2 = as_req(req2_bytes);
    ASSERT_TRUE(req2.ok()) << krb::err_name(req2.err());
    ASSERT_EQ(req2->pa.count(2), 1u);
    auto ts = encrypted_data(der::Reader(req2->pa.at(2)));
    ASSERT_TRUE(ts.ok()) << krb::err_name(ts.err());
    EXPECT_EQ(ts->etype, static_cast<std::int32_t>(e));
    auto plain = open(key, KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, ts->cipher);
    ASSERT_TRUE(plain.ok()) << krb::err_name(plain.err());
    auto wrong_usage = open(key, KeyUsage::AS_REP_ENC_PART, ts->cipher);
    EXPECT_EQ(wrong_usage.err(), krb::Err::kIntegrityFailed);
    der::Reader tr(*plain);
    auto tseq = tr.read(der::kSequence);
    ASSERT_TRUE(tseq.ok());
    auto tf = field(*tseq, 0);
    ASSERT_TRUE(tf.ok());
    auto patime = tf->read_kerberos_time();
    ASSERT_TRUE(patime.ok());
    EXPECT_LE(std::llabs(*patime - err->second), kMaxSkew) << "client and KDC clocks agree";

    check_as_rep(load(p.prefix + "_as_rep.hex"), *req2, key, p.name);
    ++checked;
  }
  EXPECT_EQ(checked, 5u) << "one preauth capture per enctype 17 18 19 20 23";
}

TEST_F(MitCaptures, WrongPasswordTimestampDoesNotOpenWithTheRightKey) {
  const Principal* alice = find(ps_, "alice");
  ASSERT_NE(alice, nullptr);
  const krb::Buffer req_bytes = load("wrongpw_as_req_preauth.hex");
  auto req = as_req(req_bytes);
  ASSERT_TRUE(req.ok());
  ASSERT_EQ(req->pa.count(2), 1u);
  auto ts = encrypted_data(der::Reader(req->pa.at(2)));
  ASSERT_TRUE(ts.ok());
  const Enctype e = static_cast<Enctype>(ts->etype);
  EXPECT_EQ(
      open(password_key(*alice, e, alice->password), KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, ts->cipher)
          .err(),
      krb::Err::kIntegrityFailed);
  EXPECT_TRUE(
      open(password_key(*alice, e, "wrong-password"), KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, ts->cipher)
          .ok());
  auto err = krb_error(load("preauth_failed.hex"));
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->first, 24);  // KDC_ERR_PREAUTH_FAILED
  auto unknown = krb_error(load("client_unknown.hex"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->first, 6);  // KDC_ERR_C_PRINCIPAL_UNKNOWN
}

TEST_F(MitCaptures, NoPreauthReply) {
  const Principal* bob = find(ps_, "bob");
  ASSERT_NE(bob, nullptr);
  EXPECT_FALSE(bob->preauth);
  const krb::Buffer req_bytes = load("nopreauth_as_req.hex");
  auto req = as_req(req_bytes);
  ASSERT_TRUE(req.ok());
  const krb::Buffer rep_bytes = load("nopreauth_as_rep.hex");
  auto rep = as_rep(rep_bytes);
  ASSERT_TRUE(rep.ok());
  const Enctype e = static_cast<Enctype>(rep->enc_part.etype);
  check_as_rep(rep_bytes, *req, password_key(*bob, e, bob->password), "bob");
}

TEST_F(MitCaptures, TcpFramesCarryTheirLength) {
  const Principal* alice = find(ps_, "alice");
  ASSERT_NE(alice, nullptr);
  krb::Buffer msgs[4];
  const char* names[4] = {"tcp_aes256_as_req.hex", "tcp_aes256_preauth_required.hex",
                          "tcp_aes256_as_req_preauth.hex", "tcp_aes256_as_rep.hex"};
  for (int i = 0; i < 4; ++i) {
    const krb::Buffer framed = load(names[i]);
    ASSERT_GT(framed.size(), 4u) << names[i];
    // RFC 4120 §7.2.2: 4-byte big-endian length, high bit clear, then the message.
    EXPECT_EQ(krb::load_be32(framed.data()), framed.size() - 4) << names[i];
    msgs[i].assign(framed.begin() + 4, framed.end());
  }
  auto req = as_req(msgs[2]);
  ASSERT_TRUE(req.ok());
  check_as_rep(msgs[3], *req, password_key(*alice, alice->etypes[0], alice->password), "alice");
}

TEST_F(MitCaptures, CcacheHoldsTheCapturedTicket) {
  const krb::Buffer cc = read_file(source_path(std::string(kDir) + "alice.ccache"));
  ASSERT_GE(cc.size(), 2u);
  EXPECT_EQ(krb::load_be16(cc.data()), 0x0504) << "FILE ccache v4";
  const krb::Buffer rep_bytes = load("aes256_as_rep.hex");
  auto rep = as_rep(rep_bytes);
  ASSERT_TRUE(rep.ok());
  const auto it = std::search(cc.begin(), cc.end(), rep->ticket.begin(), rep->ticket.end());
  EXPECT_NE(it, cc.end()) << "kinit stores the Ticket bytes of the AS-REP it got";
}

TEST_F(MitCaptures, ClientKeytabMatchesPasswords) {
  const auto text = read_file(source_path(std::string(kDir) + "clients.keytab.klist.txt"));
  const auto entries = parse_klist_keytab(krb::as_chars(text));
  ASSERT_TRUE(entries.has_value());
  std::size_t n = 0;
  for (const Principal& p : ps_) {
    for (Enctype e : p.etypes) {
      const auto* info = krb::crypto::enctype_info(e);
      ASSERT_NE(info, nullptr);
      const Key k = password_key(p, e, p.password);
      bool found = false;
      for (const auto& entry : *entries) {
        if (entry.principal != p.name + "@" + p.realm) continue;
        if (entry.enctype != info->name) continue;
        EXPECT_EQ(entry.key_hex, krb::to_hex(k.bytes.view())) << p.name << " " << info->name;
        found = true;
      }
      EXPECT_TRUE(found) << p.name << " etype " << static_cast<int>(e);
      ++n;
    }
  }
  EXPECT_EQ(n, entries->size());
}

}  // namespace
}  // namespace kdcperf::testing
