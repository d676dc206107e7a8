#include "loadgen/clients/request_factory.hpp"

#include <gtest/gtest.h>

#include <array>

#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/padata.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::loadgen::clients {
namespace {

namespace proto = krb::proto;
namespace crypto = krb::crypto;
using crypto::Enctype;
using kdcperf::testing::read_hex_file;
using kdcperf::testing::source_path;

constexpr krb::KerberosTimestamp kNow{1764080000, 123456};  // 2025-11-25T14:13:20Z

struct Fixture {
  Population pop{"KDCPERF.TEST"};
  std::array<std::byte, kMaxRequestBytes> buf{};

  explicit Fixture(Enctype e = Enctype::AES256_CTS_HMAC_SHA1_96) {
    EXPECT_TRUE(pop.add("alice", std::string_view("secret")).ok());
    EXPECT_TRUE(pop.add("host/h.test", std::string_view("hostpw")).ok());
    DeriveOptions o;
    o.etype = e;
    o.threads = 1;
    EXPECT_TRUE(pop.derive_keys(o).ok());
  }
};

proto::AsReq decode(krb::ByteView bytes) {
  proto::AsReq r;
  EXPECT_TRUE(proto::decode_as_req(bytes, &r).ok());
  return r;
}

void expect_body(const proto::AsReq& r, std::int64_t nonce, std::vector<std::string> cname) {
  const auto& b = r.req_body;
  EXPECT_EQ(b.kdc_options, proto::KdcOptions::RENEWABLE_OK);
  ASSERT_TRUE(b.cname);
  EXPECT_EQ(b.cname->name_type, proto::NameType::NT_PRINCIPAL);
  EXPECT_EQ(std::vector<std::string>(b.cname->components.begin(), b.cname->components.end()),
            cname);
  EXPECT_EQ(b.realm, "KDCPERF.TEST");
  ASSERT_TRUE(b.sname);
  EXPECT_EQ(b.sname->name_type, proto::NameType::NT_SRV_INST);
  ASSERT_EQ(b.sname->components.size(), 2u);
  EXPECT_EQ(b.sname->components[0], "krbtgt");
  EXPECT_EQ(b.sname->components[1], "KDCPERF.TEST");
  EXPECT_FALSE(b.from);
  EXPECT_EQ(b.till, kNow.seconds + 86400);
  EXPECT_FALSE(b.rtime);
  EXPECT_EQ(b.nonce, nonce);
  EXPECT_FALSE(b.addresses);
  EXPECT_EQ(std::vector<std::int32_t>(b.etypes.begin(), b.etypes.end()),
            (std::vector<std::int32_t>{18, 17, 20, 19, 23}));
}

TEST(RequestFactory, ProbeIsKinitsFirstRequestWithoutPadata) {
  Fixture f;
  RequestFactory rf(f.pop, {});
  auto n = rf.build_probe(0, 0x33ca4322, kNow, f.buf);
  ASSERT_TRUE(n.ok());
  const auto r = decode(krb::ByteView(f.buf.data(), *n));
  EXPECT_FALSE(r.padata);
  expect_body(r, 0x33ca4322, {"alice"});
  // The same body fields as MIT kinit's captured first request (KERBEROS-INTEROP.md §1.2 and
  // krb/testdata/mit: kdc-options 0x10, cname, realm, sname), apart from the etype list, which
  // lists only what kdcperf implements, and the times and nonce.
  const krb::Buffer mit = read_hex_file(source_path("krb/testdata/mit/aes256_as_req.hex"));
  const auto m = decode(mit);
  EXPECT_EQ(m.req_body.kdc_options, r.req_body.kdc_options);
  EXPECT_EQ(*m.req_body.cname, *r.req_body.cname);
  EXPECT_EQ(m.req_body.realm, r.req_body.realm);
  EXPECT_EQ(*m.req_body.sname, *r.req_body.sname);
  EXPECT_EQ(m.req_body.from.has_value(), r.req_body.from.has_value());
  EXPECT_EQ(m.req_body.rtime.has_value(), r.req_body.rtime.has_value());
  EXPECT_EQ(m.req_body.addresses.has_value(), r.req_body.addresses.has_value());
}

TEST(RequestFactory, PreauthTimestampOpensWithTheClientKeyForEveryEtype) {
  for (const Enctype e : {Enctype::AES128_CTS_HMAC_SHA1_96, Enctype::AES256_CTS_HMAC_SHA1_96,
                          Enctype::AES128_CTS_HMAC_SHA256_128, Enctype::AES256_CTS_HMAC_SHA384_192,
                          Enctype::RC4_HMAC}) {
    Fixture f(e);
    RequestFactory rf(f.pop, {});
    const auto key = f.pop.key(1).value();
    auto uk = crypto::UsageKey::make(key, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP).value();
    auto n = rf.build_preauth(1, uk, 77, kNow, f.buf);
    ASSERT_TRUE(n.ok());
    const auto r = decode(krb::ByteView(f.buf.data(), *n));
    expect_body(r, 77, {"host", "h.test"});
    ASSERT_TRUE(r.padata);
    ASSERT_EQ(r.padata->size(), 1u);
    EXPECT_EQ((*r.padata)[0].padata_type, proto::PaDataType::PA_ENC_TIMESTAMP);
    proto::EncryptedData ed;
    ASSERT_TRUE(proto::decode_pa_enc_timestamp((*r.padata)[0].padata_value, &ed).ok());
    EXPECT_EQ(ed.etype, static_cast<std::int32_t>(e));
    EXPECT_FALSE(ed.kvno) << "MIT sends no kvno";
    // Opened with a key made independently from the password and the default salt.
    const auto independent = crypto::string_to_key(e, "hostpw", "KDCPERF.TESThosth.test").value();
    krb::Buffer plain(ed.cipher.size());
    auto pn =
        crypto::open_once(independent, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, ed.cipher, plain);
    ASSERT_TRUE(pn.ok()) << static_cast<int>(e);
    proto::PaEncTsEnc ts;
    ASSERT_TRUE(proto::decode_pa_enc_ts_enc(krb::ByteView(plain.data(), *pn), &ts).ok());
    EXPECT_EQ(ts.patimestamp, kNow.seconds);
    EXPECT_EQ(ts.pausec.value_or(-1), kNow.usec);
    // Another key usage does not open it.
    EXPECT_FALSE(
        crypto::open_once(independent, crypto::KeyUsage::AS_REP_ENC_PART, ed.cipher, plain).ok());
  }
}

TEST(RequestFactory, OptionsPacRequestEtypesAndFlags) {
  Fixture f(Enctype::AES128_CTS_HMAC_SHA1_96);
  RequestOptions o;
  o.pac_request = true;
  o.etypes.clear();  // only the client key's etype
  o.kdc_options |= proto::KdcOptions::FORWARDABLE | proto::KdcOptions::PROXIABLE;
  o.lifetime_seconds = 3600;
  RequestFactory rf(f.pop, o);
  const auto key = f.pop.key(0).value();
  auto uk = crypto::UsageKey::make(key, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP).value();
  auto n = rf.build_preauth(0, uk, 5, kNow, f.buf);
  ASSERT_TRUE(n.ok());
  const auto r = decode(krb::ByteView(f.buf.data(), *n));
  // MIT's Debian default: forwardable|proxiable|renewable-ok = 0x50000010 (§1.2).
  EXPECT_EQ(r.req_body.kdc_options, 0x50000010u);
  EXPECT_EQ(r.req_body.till, kNow.seconds + 3600);
  EXPECT_EQ(std::vector<std::int32_t>(r.req_body.etypes.begin(), r.req_body.etypes.end()),
            std::vector<std::int32_t>{17});
  ASSERT_TRUE(r.padata);
  ASSERT_EQ(r.padata->size(), 2u);
  EXPECT_EQ((*r.padata)[0].padata_type, proto::PaDataType::PA_ENC_TIMESTAMP);
  EXPECT_EQ((*r.padata)[1].padata_type, proto::PaDataType::PA_PAC_REQUEST);
  // KERB-PA-PAC-REQUEST {include-pac TRUE} is 3005a0030101ff (MS-KILE §2.2.3, §3 of the notes).
  EXPECT_EQ(krb::to_hex((*r.padata)[1].padata_value), "3005a0030101ff");
  // The probe carries the PAC request alone.
  n = rf.build_probe(0, 6, kNow, f.buf);
  ASSERT_TRUE(n.ok());
  const auto p = decode(krb::ByteView(f.buf.data(), *n));
  ASSERT_TRUE(p.padata);
  ASSERT_EQ(p.padata->size(), 1u);
  EXPECT_EQ((*p.padata)[0].padata_type, proto::PaDataType::PA_PAC_REQUEST);
}

// The pre-encoded blocks give exactly what the krb/proto encoders give for the same fields
// (DER has one encoding per value, so decode + encode_as_req must reproduce the bytes).
TEST(RequestFactory, BytesEqualTheProtoEncodersOutput) {
  for (const bool pac : {false, true}) {
    for (const bool only_key_etype : {false, true}) {
      Fixture f(Enctype::AES256_CTS_HMAC_SHA384_192);
      RequestOptions o;
      o.pac_request = pac;
      if (only_key_etype) o.etypes.clear();
      RequestFactory rf(f.pop, o);
      const auto key = f.pop.key(1).value();
      auto uk = crypto::UsageKey::make(key, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP).value();
      for (const std::int64_t nonce :
           {std::int64_t{1}, std::int64_t{0x7fffffff}, std::int64_t{128}}) {
        for (int leg = 0; leg < 2; ++leg) {
          auto n = leg == 0 ? rf.build_probe(1, nonce, kNow, f.buf)
                            : rf.build_preauth(1, uk, nonce, {kNow.seconds + leg, 999999}, f.buf);
          ASSERT_TRUE(n.ok());
          const krb::ByteView ours(f.buf.data(), *n);
          const auto r = decode(ours);
          krb::der::Writer w;
          proto::encode_as_req(w, r);
          EXPECT_EQ(krb::to_hex(w.view()), krb::to_hex(ours));
          if (r.padata && leg == 1) {
            proto::EncryptedData ed;
            ASSERT_TRUE(proto::decode_pa_enc_timestamp((*r.padata)[0].padata_value, &ed).ok());
            krb::Buffer plain(ed.cipher.size());
            auto pn =
                crypto::open_once(key, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP, ed.cipher, plain);
            ASSERT_TRUE(pn.ok());
            proto::PaEncTsEnc ts;
            ASSERT_TRUE(proto::decode_pa_enc_ts_enc(krb::ByteView(plain.data(), *pn), &ts).ok());
            krb::der::Writer tw;
            proto::encode_pa_enc_ts_enc(tw, ts);
            EXPECT_EQ(krb::to_hex(tw.view()), krb::to_hex(krb::ByteView(plain.data(), *pn)));
            EXPECT_EQ(ts.patimestamp, kNow.seconds + 1);
            EXPECT_EQ(ts.pausec.value_or(0), 999999);
          }
        }
      }
    }
  }
}

TEST(RequestFactory, EveryRequestIsUnique) {
  Fixture f;
  RequestFactory rf(f.pop, {});
  const auto key = f.pop.key(0).value();
  auto uk = crypto::UsageKey::make(key, crypto::KeyUsage::AS_REQ_PA_ENC_TIMESTAMP).value();
  // Same nonce and time on purpose: the confounder alone makes the bytes differ.
  std::array<std::byte, kMaxRequestBytes> other{};
  auto a = rf.build_preauth(0, uk, 9, kNow, f.buf);
  auto b = rf.build_preauth(0, uk, 9, kNow, other);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(krb::equal(krb::ByteView(f.buf.data(), *a), krb::ByteView(other.data(), *b)));
}

TEST(RequestFactory, OnlyTheKeyEtypeFallsBackToDefaultsWithoutAKey) {
  Population pop("KDCPERF.TEST");
  ASSERT_TRUE(pop.add("nokey", std::nullopt).ok());
  RequestOptions o;
  o.etypes.clear();
  RequestFactory rf(pop, o);
  std::array<std::byte, kMaxRequestBytes> buf{};
  auto n = rf.build_probe(0, 3, kNow, buf);
  ASSERT_TRUE(n.ok());
  const auto r = decode(krb::ByteView(buf.data(), *n));
  EXPECT_EQ(std::vector<std::int32_t>(r.req_body.etypes.begin(), r.req_body.etypes.end()),
            (std::vector<std::int32_t>{18, 17, 20, 19, 23}));
  EXPECT_EQ(rf.etypes_for(0).size(), 5u);
}

TEST(RequestFactory, ErrorsInsteadOfOverflow) {
  Fixture f;
  RequestFactory rf(f.pop, {});
  std::array<std::byte, 40> small{};
  EXPECT_EQ(rf.build_probe(0, 1, kNow, small).err(), krb::Err::kBufferTooSmall);
  EXPECT_EQ(rf.build_probe(7, 1, kNow, f.buf).err(), krb::Err::kInvalidArgument);
  auto n = build_probe_request(f.pop, 1, 42, kNow, f.buf);
  ASSERT_TRUE(n.ok());
  expect_body(decode(krb::ByteView(f.buf.data(), *n)), 42, {"host", "h.test"});
}

}  // namespace
}  // namespace kdcperf::loadgen::clients
