#include "kdc/as/as_service.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "kdc/as/as_testing.hpp"
#include "kdc/as/pac.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/der/writer.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/krb_error.hpp"
#include "krb/proto/padata.hpp"
#include "krb/proto/ticket.hpp"

namespace kdcperf::kdc::as {
namespace {

using namespace testing;

class AsServiceTest : public ::testing::Test {
 protected:
  struct Reply {
    ReplyKind kind = ReplyKind::kNone;
    ErrorCode error = ErrorCode::KDC_ERR_NONE;
    krb::Buffer bytes;
  };

  std::vector<Reply> run(const std::vector<krb::Buffer>& reqs, Transport t = Transport::kUdp) {
    std::vector<AsRequest> in;
    std::vector<krb::Buffer> bufs(reqs.size(), krb::Buffer(8192));
    std::vector<AsReply> out(reqs.size());
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      in.push_back({reqs[i], t});
      out[i].buffer = bufs[i];
    }
    service_.handle(in, kNow, rng_, out);
    std::vector<Reply> r;
    for (auto& o : out) r.push_back({o.kind, o.error, krb::Buffer(o.bytes.begin(), o.bytes.end())});
    return r;
  }
  Reply run1(const RequestSpec& s, Transport t = Transport::kUdp) {
    return run({build_request(s)}, t).at(0);
  }
  crypto::Key alice_key(Enctype e = Enctype::AES256_CTS_HMAC_SHA1_96) {
    return key_from(e, "secret", std::string(kRealm) + "alice");
  }
  RequestSpec alice_preauth() {
    RequestSpec s;
    s.preauth_key = alice_key();
    return s;
  }
  proto::KrbError error_of(const Reply& r) {
    proto::KrbError e;
    EXPECT_TRUE(proto::decode_krb_error(r.bytes, &e).ok());
    return e;
  }

  db::PrincipalDb db_ = make_db();
  AsOptions opts_;
  AsService service_{db_, opts_};
  krb::DeterministicRng rng_{1};
};

TEST_F(AsServiceTest, PreauthRequiredCarriesEtypeInfo2AndEncTimestampHints) {
  const Reply r = run1(RequestSpec{});
  ASSERT_EQ(r.kind, ReplyKind::kError);
  EXPECT_EQ(r.error, ErrorCode::KDC_ERR_PREAUTH_REQUIRED);
  const proto::KrbError e = error_of(r);
  EXPECT_EQ(e.error_code, ErrorCode::KDC_ERR_PREAUTH_REQUIRED);
  EXPECT_EQ(e.stime, kNow.seconds);
  EXPECT_EQ(e.susec, kNow.usec);
  EXPECT_EQ(e.realm, kRealm);
  ASSERT_TRUE(e.crealm && e.cname);
  EXPECT_EQ(e.cname->components[0], "alice");
  proto::MethodData md;
  ASSERT_TRUE(proto::decode_error_method_data(e, &md).ok());
  ASSERT_EQ(md.size(), 2u);
  EXPECT_EQ(md[0].padata_type, proto::PaDataType::PA_ETYPE_INFO2);
  EXPECT_EQ(md[1].padata_type, proto::PaDataType::PA_ENC_TIMESTAMP);
  proto::EtypeInfo2 info;
  ASSERT_TRUE(proto::decode_etype_info2(md[0].padata_value, &info).ok());
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].etype, 18);  // the first requested etype alice has
  EXPECT_EQ(info[0].salt, "KDCPERF.TESTalice");
  EXPECT_FALSE(info[0].s2kparams.has_value());
  EXPECT_EQ(service_.counters().error_count(ErrorCode::KDC_ERR_PREAUTH_REQUIRED), 1u);
}

TEST_F(AsServiceTest, IssuesATgtThatTheClientAndTheKdcCanOpen) {
  RequestSpec s = alice_preauth();
  s.options |= KdcOptions::FORWARDABLE;
  const Reply r = run1(s);
  ASSERT_EQ(r.kind, ReplyKind::kAsRep);
  auto rep = proto::decode_as_rep(r.bytes);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->crealm, kRealm);
  EXPECT_EQ(rep->cname.components[0], "alice");
  EXPECT_EQ(rep->enc_part.etype, 18);
  EXPECT_FALSE(rep->enc_part.kvno.has_value());
  EXPECT_EQ(rep->ticket.enc_part.kvno, 3u);
  EXPECT_EQ(rep->ticket.sname.components[0], "krbtgt");

  krb::Buffer plain(rep->enc_part.cipher.size());
  auto n = crypto::open_once(alice_key(), KeyUsage::AS_REP_ENC_PART, rep->enc_part.cipher, plain);
  ASSERT_TRUE(n.ok());
  proto::EncKdcRepPart part;
  ASSERT_TRUE(proto::decode_enc_as_rep_part(krb::ByteView(plain.data(), *n), &part).ok());
  EXPECT_EQ(part.tag, proto::EncRepPartTag::ENC_AS_REP_PART);
  EXPECT_EQ(part.nonce, s.nonce);
  EXPECT_EQ(part.authtime, kNow.seconds);
  EXPECT_EQ(part.endtime, kNow.seconds + 10 * 3600);  // realm max_life cuts the 24 h till
  // RENEWABLE-OK turned the cut into a renewable ticket up to the requested till.
  EXPECT_EQ(part.renew_till, s.till);
  EXPECT_EQ(part.flags, TicketFlags::INITIAL | TicketFlags::PRE_AUTHENT | TicketFlags::FORWARDABLE |
                            TicketFlags::RENEWABLE);
  EXPECT_EQ(part.key.keytype, 18);
  EXPECT_EQ(part.key.keyvalue.size(), 32u);
  EXPECT_EQ(part.srealm, kRealm);
  EXPECT_EQ(part.sname.components[1], kRealm);
  ASSERT_EQ(part.last_req.size(), 1u);

  // The TGT opens under the krbtgt key and carries the same session key and a PAC.
  const db::Principal& tgs = db_.krbtgt();
  krb::Buffer tplain(rep->ticket.enc_part.cipher.size());
  auto tn = crypto::open_once(tgs.keys[0].key, KeyUsage::KDC_REP_TICKET,
                              rep->ticket.enc_part.cipher, tplain);
  ASSERT_TRUE(tn.ok());
  proto::EncTicketPart tkt;
  ASSERT_TRUE(proto::decode_enc_ticket_part(krb::ByteView(tplain.data(), *tn), &tkt).ok());
  EXPECT_TRUE(krb::equal(tkt.key.keyvalue, part.key.keyvalue));
  EXPECT_EQ(tkt.flags, part.flags);
  EXPECT_EQ(tkt.cname.components[0], "alice");
  EXPECT_EQ(tkt.crealm, kRealm);
  EXPECT_EQ(tkt.endtime, part.endtime);
  ASSERT_TRUE(tkt.authorization_data.has_value());
  ASSERT_EQ(tkt.authorization_data->size(), 1u);
  EXPECT_EQ((*tkt.authorization_data)[0].ad_type, proto::AuthorizationDataType::AD_IF_RELEVANT);
  proto::AuthorizationData inner;
  ASSERT_TRUE(proto::decode_ad_if_relevant((*tkt.authorization_data)[0].ad_data, &inner).ok());
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner[0].ad_type, proto::AuthorizationDataType::AD_WIN2K_PAC);
  auto cksum = crypto::UsageKey::make(tgs.keys[0].key, KeyUsage::KERB_NON_KERB_CKSUM_SALT);
  krb::Buffer expected(minimal_pac_size("alice", *cksum));
  ASSERT_TRUE(build_minimal_pac("alice", kNow.seconds, *cksum, expected).ok());
  EXPECT_TRUE(krb::equal(inner[0].ad_data, expected));
  EXPECT_EQ(service_.counters().as_rep, 1u);
  EXPECT_EQ(service_.counters().preauth_ok, 1u);
}

TEST_F(AsServiceTest, WithoutPacTheTicketHasNoAuthorizationData) {
  db::PrincipalDb db = make_db(false);
  AsService service(db, AsOptions{});
  RequestSpec s = alice_preauth();
  krb::Buffer req = build_request(s), out(8192);
  AsRequest in{req, Transport::kUdp};
  AsReply reply;
  reply.buffer = out;
  service.handle({&in, 1}, kNow, rng_, {&reply, 1});
  ASSERT_EQ(reply.kind, ReplyKind::kAsRep);
  auto rep = proto::decode_as_rep(reply.bytes);
  ASSERT_TRUE(rep.ok());
  krb::Buffer tplain(rep->ticket.enc_part.cipher.size());
  auto tn = crypto::open_once(db.krbtgt().keys[0].key, KeyUsage::KDC_REP_TICKET,
                              rep->ticket.enc_part.cipher, tplain);
  ASSERT_TRUE(tn.ok());
  proto::EncTicketPart tkt;
  ASSERT_TRUE(proto::decode_enc_ticket_part(krb::ByteView(tplain.data(), *tn), &tkt).ok());
  EXPECT_FALSE(tkt.authorization_data.has_value());
}

TEST_F(AsServiceTest, EncPaRepChecksumCoversTheRequestAsSent) {
  RequestSpec s = alice_preauth();
  s.enc_pa_rep = true;
  const krb::Buffer req = build_request(s);
  const Reply r = run({req}).at(0);
  ASSERT_EQ(r.kind, ReplyKind::kAsRep);
  auto rep = proto::decode_as_rep(r.bytes);
  ASSERT_TRUE(rep.ok());
  krb::Buffer plain(rep->enc_part.cipher.size());
  auto n = crypto::open_once(alice_key(), KeyUsage::AS_REP_ENC_PART, rep->enc_part.cipher, plain);
  ASSERT_TRUE(n.ok());
  proto::EncKdcRepPart part;
  ASSERT_TRUE(proto::decode_enc_as_rep_part(krb::ByteView(plain.data(), *n), &part).ok());
  EXPECT_TRUE(part.flags & TicketFlags::ENC_PA_REP);
  ASSERT_TRUE(part.encrypted_pa_data.has_value());
  const proto::PaData* pa =
      proto::find_pa_data(*part.encrypted_pa_data, proto::PaDataType::PA_REQ_ENC_PA_REP);
  ASSERT_NE(pa, nullptr);
  proto::Checksum ck;
  ASSERT_TRUE(proto::decode_checksum(pa->padata_value, &ck).ok());
  EXPECT_EQ(ck.cksumtype, 16);  // hmac-sha1-96-aes256
  EXPECT_TRUE(crypto::verify_checksum_once(alice_key(), KeyUsage::AS_REQ, req, ck.checksum).ok());
}

TEST_F(AsServiceTest, WrongKeyIsPreauthFailedWithHints) {
  RequestSpec s;
  s.preauth_key = key_from(Enctype::AES256_CTS_HMAC_SHA1_96, "wrong", "KDCPERF.TESTalice");
  const Reply r = run1(s);
  EXPECT_EQ(r.error, ErrorCode::KDC_ERR_PREAUTH_FAILED);
  proto::MethodData md;
  EXPECT_TRUE(proto::decode_error_method_data(error_of(r), &md).ok());
  EXPECT_EQ(service_.counters().preauth_failed, 1u);
}

TEST_F(AsServiceTest, TimestampOutsideTheSkewIsKrbApErrSkewWithoutEData) {
  RequestSpec s = alice_preauth();
  s.patimestamp = kNow.seconds - 301;
  const Reply late = run1(s);
  EXPECT_EQ(late.error, ErrorCode::KRB_AP_ERR_SKEW);
  EXPECT_FALSE(error_of(late).e_data.has_value());
  s.patimestamp = kNow.seconds + 300;  // at the bound: accepted
  EXPECT_EQ(run1(s).kind, ReplyKind::kAsRep);
}

TEST_F(AsServiceTest, TheTimestampMayUseAnotherEtypeThanTheReplyKey) {
  RequestSpec s;
  s.preauth_key = alice_key(Enctype::AES128_CTS_HMAC_SHA1_96);
  const Reply r = run1(s);
  ASSERT_EQ(r.kind, ReplyKind::kAsRep);
  auto rep = proto::decode_as_rep(r.bytes);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->enc_part.etype, 18);  // reply key: the first requested etype alice has
}

TEST_F(AsServiceTest, PrincipalWithoutPreauthGetsATicketWithoutPreAuthent) {
  RequestSpec s;
  s.client = "bob";
  const Reply r = run1(s);
  ASSERT_EQ(r.kind, ReplyKind::kAsRep);
  auto rep = proto::decode_as_rep(r.bytes);
  ASSERT_TRUE(rep.ok());
  krb::Buffer plain(rep->enc_part.cipher.size());
  const crypto::Key bob = key_from(Enctype::AES256_CTS_HMAC_SHA1_96, "pw", "KDCPERF.TESTbob");
  auto n = crypto::open_once(bob, KeyUsage::AS_REP_ENC_PART, rep->enc_part.cipher, plain);
  ASSERT_TRUE(n.ok());
  proto::EncKdcRepPart part;
  ASSERT_TRUE(proto::decode_enc_as_rep_part(krb::ByteView(plain.data(), *n), &part).ok());
  EXPECT_FALSE(part.flags & TicketFlags::PRE_AUTHENT);
  EXPECT_TRUE(part.flags & TicketFlags::INITIAL);
}

TEST_F(AsServiceTest, ErrorsAsRealKdcsSendThem) {
  RequestSpec unknown;
  unknown.client = "mallory";
  EXPECT_EQ(run1(unknown).error, ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN);
  RequestSpec service;
  service.sname = {"host", "kdc.example"};
  EXPECT_EQ(run1(service).error, ErrorCode::KDC_ERR_S_PRINCIPAL_UNKNOWN);
  RequestSpec realm;
  realm.realm = "OTHER.TEST";
  EXPECT_EQ(run1(realm).error, ErrorCode::KDC_ERR_WRONG_REALM);
  RequestSpec etypes;
  etypes.etypes = {16, -133};  // des3 and an unknown negative number
  EXPECT_EQ(run1(etypes).error, ErrorCode::KDC_ERR_ETYPE_NOSUPP);
  RequestSpec rc4only;
  rc4only.etypes = {23};  // alice has no rc4 key
  EXPECT_EQ(run1(rc4only).error, ErrorCode::KDC_ERR_ETYPE_NOSUPP);
  RequestSpec disabled;
  disabled.client = "carol";
  EXPECT_EQ(run1(disabled).error, ErrorCode::KDC_ERR_CLIENT_REVOKED);
  RequestSpec expired;
  expired.client = "dave";
  EXPECT_EQ(run1(expired).error, ErrorCode::KDC_ERR_NAME_EXP);
  RequestSpec renew = alice_preauth();
  renew.options |= KdcOptions::RENEW;
  EXPECT_EQ(run1(renew).error, ErrorCode::KDC_ERR_BADOPTION);
  RequestSpec past = alice_preauth();
  past.till = kNow.seconds - 10;
  EXPECT_EQ(run1(past).error, ErrorCode::KDC_ERR_NEVER_VALID);
}

TEST_F(AsServiceTest, UndecodableRequestsGetKrbErrGenericAndAreCounted) {
  const krb::Buffer garbage = {std::byte{0x6a}, std::byte{0x05}, std::byte{0x30}};
  const Reply r = run({garbage, krb::Buffer{}}).at(0);
  EXPECT_EQ(r.error, ErrorCode::KRB_ERR_GENERIC);
  const proto::KrbError e = error_of(r);
  EXPECT_FALSE(e.cname.has_value());
  EXPECT_EQ(service_.counters().malformed, 2u);
  EXPECT_EQ(service_.counters().requests, 2u);
}

TEST_F(AsServiceTest, TrailingBytesAreAcceptedOverUdpOnly) {
  krb::Buffer req = build_request(RequestSpec{});
  req.push_back(std::byte{0});
  req.push_back(std::byte{0});
  EXPECT_EQ(run({req}, Transport::kUdp).at(0).error, ErrorCode::KDC_ERR_PREAUTH_REQUIRED);
  EXPECT_EQ(run({req}, Transport::kTcp).at(0).error, ErrorCode::KRB_ERR_GENERIC);
}

TEST_F(AsServiceTest, OversizedUdpReplyBecomesResponseTooBigButTcpCarriesIt) {
  AsOptions small;
  small.max_udp_reply = 200;
  AsService service(db_, small);
  const krb::Buffer req = build_request(alice_preauth());
  for (Transport t : {Transport::kUdp, Transport::kTcp}) {
    krb::Buffer out(8192);
    AsRequest in{req, t};
    AsReply reply;
    reply.buffer = out;
    service.handle({&in, 1}, kNow, rng_, {&reply, 1});
    if (t == Transport::kUdp) {
      EXPECT_EQ(reply.error, ErrorCode::KRB_ERR_RESPONSE_TOO_BIG);
      EXPECT_LE(reply.bytes.size(), 200u);
    } else {
      EXPECT_EQ(reply.kind, ReplyKind::kAsRep);
    }
  }
}

TEST_F(AsServiceTest, NoncesAreEchoedExactlyAsEncoded) {
  for (std::int64_t nonce :
       {std::int64_t{-5}, std::int64_t{0x7fffffff}, std::int64_t{0xfffffffe}}) {
    RequestSpec s = alice_preauth();
    s.nonce = nonce;
    const Reply r = run1(s);
    ASSERT_EQ(r.kind, ReplyKind::kAsRep);
    auto rep = proto::decode_as_rep(r.bytes);
    ASSERT_TRUE(rep.ok());
    krb::Buffer plain(rep->enc_part.cipher.size());
    auto n = crypto::open_once(alice_key(), KeyUsage::AS_REP_ENC_PART, rep->enc_part.cipher, plain);
    ASSERT_TRUE(n.ok());
    proto::EncKdcRepPart part;
    ASSERT_TRUE(proto::decode_enc_as_rep_part(krb::ByteView(plain.data(), *n), &part).ok());
    EXPECT_EQ(part.nonce, nonce);
  }
}

TEST_F(AsServiceTest, RenewableOnlyWhenAskedAndNeverBeyondWhatWasAsked) {
  RequestSpec plain = alice_preauth();
  plain.options = 0;
  RequestSpec renewable = alice_preauth();
  renewable.options = KdcOptions::RENEWABLE;
  renewable.rtime = kNow.seconds + 3 * 86400;
  RequestSpec short_till = alice_preauth();
  short_till.till = kNow.seconds + 3600;  // within max_life: RENEWABLE-OK changes nothing
  const auto replies =
      run({build_request(plain), build_request(renewable), build_request(short_till)});
  std::vector<proto::EncKdcRepPart> parts(3);
  std::vector<krb::Buffer> plains(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(replies[i].kind, ReplyKind::kAsRep) << i;
    auto rep = proto::decode_as_rep(replies[i].bytes);
    ASSERT_TRUE(rep.ok());
    plains[i].resize(rep->enc_part.cipher.size());
    auto n =
        crypto::open_once(alice_key(), KeyUsage::AS_REP_ENC_PART, rep->enc_part.cipher, plains[i]);
    ASSERT_TRUE(n.ok());
    ASSERT_TRUE(proto::decode_enc_as_rep_part(krb::ByteView(plains[i].data(), *n), &parts[i]).ok());
  }
  EXPECT_FALSE(parts[0].flags & TicketFlags::RENEWABLE);
  EXPECT_FALSE(parts[0].renew_till.has_value());
  EXPECT_TRUE(parts[1].flags & TicketFlags::RENEWABLE);
  EXPECT_EQ(parts[1].renew_till, renewable.rtime);
  EXPECT_FALSE(parts[2].flags & TicketFlags::RENEWABLE);
  EXPECT_EQ(parts[2].endtime, short_till.till);
}

TEST_F(AsServiceTest, ABatchAnswersEachRequestInItsOwnSlot) {
  // More requests than one internal batch, mixed outcomes, each reply where its request was.
  std::vector<krb::Buffer> reqs;
  std::vector<ErrorCode> want;
  for (int i = 0; i < 150; ++i) {
    RequestSpec s = alice_preauth();
    s.nonce = 1000 + i;
    switch (i % 3) {
      case 0:
        want.push_back(ErrorCode::KDC_ERR_NONE);
        break;
      case 1:
        s.client = "nobody";
        want.push_back(ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN);
        break;
      default:
        s.preauth_key.reset();
        want.push_back(ErrorCode::KDC_ERR_PREAUTH_REQUIRED);
    }
    reqs.push_back(build_request(s));
  }
  const auto replies = run(reqs);
  for (int i = 0; i < 150; ++i) {
    EXPECT_EQ(replies[i].error, want[i]) << i;
    if (want[i] != ErrorCode::KDC_ERR_NONE) continue;
    auto rep = proto::decode_as_rep(replies[i].bytes);
    ASSERT_TRUE(rep.ok());
    krb::Buffer plain(rep->enc_part.cipher.size());
    auto n = crypto::open_once(alice_key(), KeyUsage::AS_REP_ENC_PART, rep->enc_part.cipher, plain);
    ASSERT_TRUE(n.ok());
    proto::EncKdcRepPart part;
    ASSERT_TRUE(proto::decode_enc_as_rep_part(krb::ByteView(plain.data(), *n), &part).ok());
    EXPECT_EQ(part.nonce, 1000 + i);
  }
  const AsCounters& c = service_.counters();
  EXPECT_EQ(c.requests, 150u);
  EXPECT_EQ(c.as_rep, 50u);
  EXPECT_EQ(c.errors, 100u);
  EXPECT_EQ(c.error_count(ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN), 50u);
}

TEST_F(AsServiceTest, Rc4ClientGetsAnRc4ReplyWithoutSalt) {
  RequestSpec s;
  s.client = "erin";
  s.etypes = {18, 23};
  const Reply req = run1(s);
  ASSERT_EQ(req.error, ErrorCode::KDC_ERR_PREAUTH_REQUIRED);
  s.preauth_key = key_from(Enctype::RC4_HMAC, "pw", "");
  const Reply r = run1(s);
  ASSERT_EQ(r.kind, ReplyKind::kAsRep);
  auto rep = proto::decode_as_rep(r.bytes);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->enc_part.etype, 23);
}

TEST_F(AsServiceTest, FieldTooLongForTransportErrors) {
  krb::Buffer out(1024);
  const krb::ByteView e = service_.transport_error(ErrorCode::KRB_ERR_FIELD_TOOLONG, kNow, out);
  proto::KrbError err;
  ASSERT_TRUE(proto::decode_krb_error(e, &err).ok());
  EXPECT_EQ(err.error_code, ErrorCode::KRB_ERR_FIELD_TOOLONG);
  EXPECT_EQ(service_.counters().error_count(ErrorCode::KRB_ERR_FIELD_TOOLONG), 1u);
}

}  // namespace
}  // namespace kdcperf::kdc::as
