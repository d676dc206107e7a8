#include "loadgen/check/reply_checker.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "krb/base/rng.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/kdc_req.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::loadgen::check {
namespace {

namespace proto = krb::proto;
namespace crypto = krb::crypto;
using clients::Population;
using crypto::Enctype;
using kdcperf::testing::read_file;
using kdcperf::testing::read_hex_file;
using kdcperf::testing::read_vector_file;
using kdcperf::testing::source_path;

std::string mit(std::string_view name) {
  return source_path("krb/testdata/mit/" + std::string(name));
}

struct Capture {
  std::string prefix;  // file prefix in krb/testdata/mit
  std::string name, realm, password;
  int etype = 0;
  bool preauth = true;
  bool tcp = false;
};

// From principals.txt (the capture script's record); the tcp_ capture is alice's exchange again.
std::vector<Capture> captures() {
  std::vector<Capture> out;
  for (auto& b : read_vector_file(mit("principals.txt"))) {
    Capture c;
    c.name = b.take("Principal");
    c.realm = b.take("Realm");
    c.password = b.take("Password");
    b.take("Salt");
    std::istringstream et(b.take("Etypes"));
    et >> c.etype;
    c.preauth = b.take("RequiresPreauth") == "yes";
    c.prefix = b.take("Prefix");
    out.push_back(c);
    if (c.prefix == "aes256") {
      c.prefix = "tcp_aes256";
      c.tcp = true;
      out.push_back(c);
    }
  }
  return out;
}

krb::Buffer load(const Capture& c, std::string_view what) {
  krb::Buffer b = read_hex_file(mit(c.prefix + "_" + std::string(what) + ".hex"));
  if (c.tcp && b.size() >= 4) b.erase(b.begin(), b.begin() + 4);  // RFC 4120 §7.2.2 prefix
  return b;
}

// The request the AS-REP answers: the second one for pre-authenticated principals.
proto::AsReq request_of(const Capture& c, const krb::Buffer& bytes) {
  proto::AsReq r;
  EXPECT_TRUE(proto::decode_as_req(bytes, &r).ok()) << c.prefix;
  return r;
}

struct Setup {
  Population pop;
  crypto::KeyCache cache{64};
  std::unique_ptr<ReplyChecker> checker;
  RequestToken token;
  krb::Buffer rep;
  krb::Buffer req;  // keeps the request's borrowed views alive
};

std::unique_ptr<Setup> setup(const Capture& c, std::string_view password,
                             std::optional<std::vector<std::int32_t>> etypes = std::nullopt) {
  auto s = std::make_unique<Setup>();
  s->pop = Population(c.realm);
  EXPECT_TRUE(s->pop.add(c.name, password).ok());
  EXPECT_TRUE(s->pop.apply_salt_info(0, {static_cast<Enctype>(c.etype), std::nullopt, 0}).ok());
  clients::DeriveOptions o;
  o.threads = 1;
  EXPECT_TRUE(s->pop.derive_keys(o).ok());
  s->req = load(c, c.preauth ? "as_req_preauth" : "as_req");
  const auto req = request_of(c, s->req);
  CheckerOptions co;
  co.etypes = etypes.value_or(
      std::vector<std::int32_t>(req.req_body.etypes.begin(), req.req_body.etypes.end()));
  s->checker = std::make_unique<ReplyChecker>(s->pop, s->cache, co);
  s->token = RequestToken{0, req.req_body.nonce, c.preauth ? Leg::kPreauth : Leg::kProbe, true};
  s->rep = load(c, "as_rep");
  return s;
}

void expect_ok(const Verdict& v) {
  EXPECT_EQ(v.kind, ReplyKind::kAsRep);
  EXPECT_TRUE(v.checked);
  EXPECT_EQ(v.failure, CheckFailure::kNone);
  EXPECT_FALSE(v.login_continues);
  EXPECT_FALSE(v.response_too_big);
}

TEST(ReplyChecker, EveryCapturedMitAsRepVerifies) {
  const auto all = captures();
  ASSERT_EQ(all.size(), 7u);
  for (const auto& c : all) {
    SCOPED_TRACE(c.prefix);
    auto s = setup(c, c.password);
    const Verdict v = s->checker->check(s->token, s->rep);
    expect_ok(v);
    // What the checker decoded is the MIT reply: session key etype 18, sname krbtgt/REALM.
    EXPECT_EQ(s->checker->enc_part().key.keytype, 18);
    EXPECT_EQ(s->checker->enc_part().nonce, s->token.nonce);
    EXPECT_EQ(s->checker->as_rep().enc_part.etype, c.prefix == "nopreauth" ? 18 : c.etype);
  }
}

TEST(ReplyChecker, WrongNonceWrongKeyAndUnverified) {
  for (const auto& c : captures()) {
    SCOPED_TRACE(c.prefix);
    auto s = setup(c, c.password);
    RequestToken t = s->token;
    t.nonce += 1;
    EXPECT_EQ(s->checker->check(t, s->rep).failure, CheckFailure::kNonce);
    t.nonce = s->token.nonce ^ 0x40000000;
    EXPECT_EQ(s->checker->check(t, s->rep).failure, CheckFailure::kNonce);
    // Unverified: an AS-REP that decodes is all that is asked.
    t.verify = false;
    const Verdict u = s->checker->check(t, s->rep);
    EXPECT_EQ(u.kind, ReplyKind::kAsRep);
    EXPECT_FALSE(u.checked);
    EXPECT_EQ(u.failure, CheckFailure::kNone);

    auto wrong = setup(c, "not-" + c.password);
    const Verdict w = wrong->checker->check(wrong->token, wrong->rep);
    EXPECT_EQ(w.kind, ReplyKind::kAsRep);
    EXPECT_TRUE(w.checked);
    EXPECT_EQ(w.failure, CheckFailure::kDecrypt);
  }
}

// Re-encodes a captured AS-REP after `edit` changed the decoded outer fields.
template <class Edit>
krb::Buffer edit_outer(const krb::Buffer& rep_bytes, Edit edit) {
  proto::AsRep rep;
  EXPECT_TRUE(proto::decode_as_rep(rep_bytes, &rep).ok());
  edit(rep);
  krb::der::Writer w;
  proto::encode_as_rep(w, rep);
  return krb::Buffer(w.view().begin(), w.view().end());
}

// Decrypts the enc-part with `key`, lets `edit` change the EncASRepPart, and seals it again.
template <class Edit>
krb::Buffer edit_inner(const krb::Buffer& rep_bytes, const crypto::Key& key, Edit edit) {
  proto::AsRep rep;
  EXPECT_TRUE(proto::decode_as_rep(rep_bytes, &rep).ok());
  krb::Buffer plain(rep.enc_part.cipher.size());
  auto n = crypto::open_once(key, crypto::KeyUsage::AS_REP_ENC_PART, rep.enc_part.cipher, plain);
  EXPECT_TRUE(n.ok());
  proto::EncKdcRepPart part;
  EXPECT_TRUE(proto::decode_enc_as_rep_part(krb::ByteView(plain.data(), *n), &part).ok());
  krb::der::Writer pw;
  krb::Buffer replaced_plain;
  if (!edit(part, &replaced_plain)) proto::encode_enc_kdc_rep_part(pw, part);
  const krb::ByteView new_plain =
      replaced_plain.empty() ? pw.view() : krb::ByteView(replaced_plain);
  krb::Buffer sealed(new_plain.size() + 64);
  krb::DeterministicRng rng(3);
  auto sn = crypto::seal_once(key, crypto::KeyUsage::AS_REP_ENC_PART, new_plain, sealed, rng);
  EXPECT_TRUE(sn.ok());
  sealed.resize(*sn);
  rep.enc_part.cipher = sealed;
  krb::der::Writer w;
  proto::encode_as_rep(w, rep);
  return krb::Buffer(w.view().begin(), w.view().end());
}

TEST(ReplyChecker, ModifiedRepliesFailTheRightCheck) {
  const auto all = captures();
  const Capture& alice = all[0];
  ASSERT_EQ(alice.name, "alice");
  auto s = setup(alice, alice.password);
  const crypto::Key key = s->pop.key(0).value();
  auto check = [&](const krb::Buffer& rep) { return s->checker->check(s->token, rep); };

  // Re-encoding the untouched reply still verifies (the edits below are the only change).
  expect_ok(check(edit_outer(s->rep, [](proto::AsRep&) {})));
  expect_ok(
      check(edit_inner(s->rep, key, [](proto::EncKdcRepPart&, krb::Buffer*) { return false; })));

  EXPECT_EQ(
      check(edit_outer(s->rep, [](proto::AsRep& r) { r.cname.components[0] = "mallory"; })).failure,
      CheckFailure::kClientName);
  EXPECT_EQ(
      check(edit_outer(s->rep, [](proto::AsRep& r) { (void)r.cname.components.push_back("x"); }))
          .failure,
      CheckFailure::kClientName);
  EXPECT_EQ(check(edit_outer(s->rep, [](proto::AsRep& r) { r.crealm = "EVIL.TEST"; })).failure,
            CheckFailure::kClientName);
  EXPECT_EQ(
      check(edit_outer(s->rep, [](proto::AsRep& r) { r.ticket.sname.components[0] = "kadmin"; }))
          .failure,
      CheckFailure::kServerName);
  EXPECT_EQ(
      check(edit_outer(s->rep, [](proto::AsRep& r) { r.ticket.realm = "EVIL.TEST"; })).failure,
      CheckFailure::kServerName);

  EXPECT_EQ(check(edit_inner(s->rep, key,
                             [](proto::EncKdcRepPart& p, krb::Buffer*) {
                               p.sname.components[0] = "kadmin";
                               return false;
                             }))
                .failure,
            CheckFailure::kServerName);
  EXPECT_EQ(check(edit_inner(s->rep, key,
                             [](proto::EncKdcRepPart& p, krb::Buffer*) {
                               p.srealm = "EVIL.TEST";
                               return false;
                             }))
                .failure,
            CheckFailure::kServerName);
  EXPECT_EQ(check(edit_inner(s->rep, key,
                             [](proto::EncKdcRepPart& p, krb::Buffer*) {
                               p.key.keytype = 99;
                               return false;
                             }))
                .failure,
            CheckFailure::kSessionKey);
  EXPECT_EQ(check(edit_inner(s->rep, key,
                             [](proto::EncKdcRepPart& p, krb::Buffer*) {
                               p.key.keyvalue = p.key.keyvalue.first(16);  // aes256 needs 32
                               return false;
                             }))
                .failure,
            CheckFailure::kSessionKey);
  EXPECT_EQ(check(edit_inner(s->rep, key,
                             [](proto::EncKdcRepPart& p, krb::Buffer*) {
                               p.endtime = p.authtime - 1;
                               return false;
                             }))
                .failure,
            CheckFailure::kTimes);
  EXPECT_EQ(check(edit_inner(s->rep, key,
                             [](proto::EncKdcRepPart& p, krb::Buffer*) {
                               p.nonce += 1;
                               return false;
                             }))
                .failure,
            CheckFailure::kNonce);
  // A request nonce of 2^31 + 1 that a KDC echoes as the int32 -(2^31 - 1) (Heimdal's
  // encoding, §2) is the same 32 bits: accepted.
  {
    RequestToken big = s->token;
    big.nonce = 0x80000001;
    const krb::Buffer echoed = edit_inner(s->rep, key, [](proto::EncKdcRepPart& p, krb::Buffer*) {
      p.nonce = -0x7fffffff;
      return false;
    });
    EXPECT_EQ(s->checker->check(big, echoed).failure, CheckFailure::kNone);
    big.nonce = 0x80000002;
    EXPECT_EQ(s->checker->check(big, echoed).failure, CheckFailure::kNonce);
  }
  EXPECT_EQ(check(edit_inner(s->rep, key,
                             [](proto::EncKdcRepPart&, krb::Buffer* replaced) {
                               *replaced = krb::Buffer{std::byte{0x30}, std::byte{0x00}};
                               return true;
                             }))
                .failure,
            CheckFailure::kEncPart);
}

TEST(ReplyChecker, ReplyEtypeMustBeRequested) {
  const auto all = captures();
  const Capture& alice = all[0];
  auto s = setup(alice, alice.password, std::vector<std::int32_t>{17});
  EXPECT_EQ(s->checker->check(s->token, s->rep).failure, CheckFailure::kEtype);
  // An empty list means "the client key's etype only", which is alice's reply etype.
  auto t = setup(alice, alice.password, std::vector<std::int32_t>{});
  expect_ok(t->checker->check(t->token, t->rep));
}

TEST(ReplyChecker, ReplyInAnotherEtypeIsOpenedWithADerivedKey) {
  // bob has every etype; MIT answered his request (18 first) with the aes256 key, while our
  // population key is aes128: the checker derives the aes256 key from the password, with the
  // salt the AS-REP's ETYPE-INFO2 names, once.
  Capture bob;
  for (const auto& c : captures()) {
    if (c.name == "bob") bob = c;
  }
  ASSERT_EQ(bob.name, "bob");
  bob.etype = 17;
  auto s = setup(bob, bob.password);
  ASSERT_EQ(s->pop.key_etype(0), Enctype::AES128_CTS_HMAC_SHA1_96);
  expect_ok(s->checker->check(s->token, s->rep));
  expect_ok(s->checker->check(s->token, s->rep));
  EXPECT_EQ(s->checker->alternate_derivations(), 1u);

  // Keys from a keytab and no password: nothing to derive with.
  Population pop(bob.realm);
  ASSERT_TRUE(pop.add("bob", std::nullopt).ok());
  const crypto::Key k128 =
      crypto::string_to_key(Enctype::AES128_CTS_HMAC_SHA1_96, bob.password, "KDCPERF.TESTbob")
          .value();
  ASSERT_TRUE(pop.set_key(0, k128).ok());
  crypto::KeyCache cache(8);
  ReplyChecker checker(pop, cache);
  EXPECT_EQ(checker.check(s->token, s->rep).failure, CheckFailure::kEtype);
}

TEST(ReplyChecker, KeyOverrideIsUsedInsteadOfThePopulationKey) {
  const auto all = captures();
  auto s = setup(all[0], "wrong password");
  const crypto::Key right =
      crypto::string_to_key(Enctype::AES256_CTS_HMAC_SHA1_96, "secret", "KDCPERF.TESTalice")
          .value();
  EXPECT_EQ(s->checker->check(s->token, s->rep).failure, CheckFailure::kDecrypt);
  expect_ok(s->checker->check(s->token, s->rep, &right));
}

TEST(ReplyChecker, CapturedKrbErrorsKeepTheirCodes) {
  const auto all = captures();
  auto s = setup(all[0], all[0].password);
  struct Case {
    std::string file;
    std::int32_t code;  // from the capture README: MIT's error for that exchange
  } cases[] = {{"aes256_preauth_required.hex", 25},
               {"wrongpw_preauth_required.hex", 25},
               {"preauth_failed.hex", 24},
               {"client_unknown.hex", 6}};
  for (const auto& k : cases) {
    SCOPED_TRACE(k.file);
    const krb::Buffer err = read_hex_file(mit(k.file));
    for (const Leg leg : {Leg::kProbe, Leg::kPreauth}) {
      RequestToken t = s->token;
      t.leg = leg;
      const Verdict v = s->checker->check(t, err);
      EXPECT_EQ(v.kind, ReplyKind::kKrbError);
      EXPECT_EQ(v.error_code, k.code);
      EXPECT_FALSE(v.checked);
      EXPECT_EQ(v.login_continues, k.code == 25 && leg == Leg::kProbe);
      EXPECT_FALSE(v.response_too_big);
    }
  }
  // The TCP capture of PREAUTH_REQUIRED without its length prefix.
  krb::Buffer tcp = read_hex_file(mit("tcp_aes256_preauth_required.hex"));
  tcp.erase(tcp.begin(), tcp.begin() + 4);
  EXPECT_EQ(s->checker->check(s->token, tcp).error_code, 25);
}

krb::Buffer error_with_code(std::int32_t code) {
  proto::KrbError e;
  e.stime = 1764080000;
  e.error_code = static_cast<proto::ErrorCode>(code);
  e.realm = "KDCPERF.TEST";
  e.sname.name_type = proto::NameType::NT_SRV_INST;
  (void)e.sname.components.push_back("krbtgt");
  (void)e.sname.components.push_back("KDCPERF.TEST");
  krb::der::Writer w;
  proto::encode_krb_error(w, e);
  return krb::Buffer(w.view().begin(), w.view().end());
}

TEST(ReplyChecker, ResponseTooBigAndUnnamedCodes) {
  const auto all = captures();
  auto s = setup(all[0], all[0].password);
  Verdict v = s->checker->check(s->token, error_with_code(52));
  EXPECT_EQ(v.kind, ReplyKind::kKrbError);
  EXPECT_EQ(v.error_code, 52);
  EXPECT_TRUE(v.response_too_big);
  // Codes are kept whatever their value (MIT's com_err codes are large negative numbers).
  for (const std::int32_t code : {-1765328228, -1, 0, 99, 2147483647}) {
    v = s->checker->check(s->token, error_with_code(code));
    EXPECT_EQ(v.kind, ReplyKind::kKrbError);
    EXPECT_EQ(v.error_code, code);
    EXPECT_FALSE(v.response_too_big);
  }
}

TEST(ReplyChecker, GarbageIsMalformedNeverSuccess) {
  const auto all = captures();
  auto s = setup(all[0], all[0].password);
  std::vector<krb::Buffer> bad;
  bad.emplace_back();
  bad.push_back(krb::Buffer{std::byte{0x6b}});
  bad.push_back(krb::Buffer(300, std::byte{0x6b}));  // AS-REP tag, nonsense length
  bad.push_back(krb::Buffer(300, std::byte{0x7e}));  // KRB-ERROR tag
  krb::Buffer truncated = s->rep;
  truncated.resize(truncated.size() - 10);
  bad.push_back(truncated);
  krb::Buffer trailing = s->rep;
  trailing.push_back(std::byte{0});
  bad.push_back(trailing);
  bad.push_back(s->req);  // an AS-REQ is not a reply
  krb::DeterministicRng rng(11);
  for (int i = 0; i < 200; ++i) {
    krb::Buffer b(static_cast<std::size_t>(i * 7 % 900));
    rng.fill(b);
    bad.push_back(std::move(b));
  }
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const Verdict v = s->checker->check(s->token, bad[i]);
    EXPECT_EQ(v.kind, ReplyKind::kMalformed) << i;
    EXPECT_FALSE(v.checked);
    EXPECT_EQ(v.failure, CheckFailure::kNone);
  }
  // Still works afterwards.
  expect_ok(s->checker->check(s->token, s->rep));
}

bool same_verdict(const Verdict& a, const Verdict& b) {
  return a.kind == b.kind && a.error_code == b.error_code && a.checked == b.checked &&
         a.failure == b.failure && a.login_continues == b.login_continues &&
         a.response_too_big == b.response_too_big;
}

// check_batch (the engine's path: one open_batch per 64 replies) gives every reply the verdict
// check() gives it alone, whatever the mix and the crypto backend, across chunk boundaries.
TEST(ReplyChecker, CheckBatchGivesEveryReplyTheVerdictCheckGivesIt) {
  const auto all = captures();
  auto s = setup(all[0], all[0].password);
  const crypto::Key key = s->pop.key(0).value();
  std::vector<krb::Buffer> replies;
  std::vector<RequestToken> tokens;
  auto add = [&](krb::Buffer reply, RequestToken t) {
    replies.push_back(std::move(reply));
    tokens.push_back(t);
  };
  RequestToken other_nonce = s->token;
  other_nonce.nonce += 1;
  RequestToken unverified = s->token;
  unverified.verify = false;
  RequestToken probe = s->token;
  probe.leg = Leg::kProbe;
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    add(s->rep, s->token);
    add(s->rep, other_nonce);
    add(s->rep, unverified);
    add(edit_outer(s->rep, [](proto::AsRep& r) { r.cname.components[0] = "mallory"; }), s->token);
    add(edit_outer(s->rep, [](proto::AsRep& r) { r.ticket.realm = "EVIL.TEST"; }), s->token);
    // A wrong cname and a wrong nonce: the nonce is what is reported, as check() does.
    add(edit_outer(s->rep, [](proto::AsRep& r) { r.crealm = "EVIL.TEST"; }), other_nonce);
    add(edit_inner(s->rep, key,
                   [](proto::EncKdcRepPart& p, krb::Buffer*) {
                     p.sname.components[0] = "kadmin";
                     return false;
                   }),
        s->token);
    add(edit_inner(s->rep, key,
                   [](proto::EncKdcRepPart& p, krb::Buffer*) {
                     p.endtime = p.authtime - 1;
                     return false;
                   }),
        s->token);
    add(edit_inner(s->rep, key,
                   [](proto::EncKdcRepPart&, krb::Buffer* replaced) {
                     *replaced = krb::Buffer{std::byte{0x30}, std::byte{0x00}};
                     return true;
                   }),
        s->token);
    krb::Buffer flipped = s->rep;
    flipped[flipped.size() - 3] ^= std::byte{1};  // in the enc-part's MAC
    add(flipped, s->token);
    add(read_hex_file(mit("aes256_preauth_required.hex")), probe);
    add(read_hex_file(mit("aes256_preauth_required.hex")), s->token);
    add(krb::Buffer(300, std::byte{0x6b}), s->token);
    add(s->req, s->token);
    for (int i = 0; i < 12; ++i) add(s->rep, s->token);
  }
  ASSERT_GT(replies.size(), 2 * ReplyChecker::kMaxBatch);

  for (const auto backend : {crypto::BatchBackend::kOpenSsl, crypto::BatchBackend::kIpsecMb}) {
    if (!crypto::batch_backend_available(backend)) continue;
    const auto saved = crypto::batch_backend();
    crypto::set_batch_backend(backend);
    std::vector<ReplyCheck> items;
    for (std::size_t i = 0; i < replies.size(); ++i) items.push_back({&tokens[i], replies[i], {}});
    s->checker->check_batch(items);
    crypto::set_batch_backend(saved);
    std::size_t ok = 0;
    for (std::size_t i = 0; i < replies.size(); ++i) {
      const Verdict alone = s->checker->check(tokens[i], replies[i]);
      EXPECT_TRUE(same_verdict(items[i].verdict, alone))
          << "item " << i << ": failure " << static_cast<int>(items[i].verdict.failure) << " vs "
          << static_cast<int>(alone.failure);
      ok += alone.checked && alone.failure == CheckFailure::kNone;
    }
    EXPECT_EQ(ok, kRounds * 13u);  // the untouched reply with its own token, 13 a round
  }
}

}  // namespace
}  // namespace kdcperf::loadgen::check
