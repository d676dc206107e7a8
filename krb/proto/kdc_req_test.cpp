#include "krb/proto/kdc_req.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "krb/proto/decode_testing.hpp"
#include "krb/proto/der_tree_testing.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::proto {
namespace {

using kdcperf::testing::hex;
using kdcperf::testing::read_hex_file;
using kdcperf::testing::source_path;
using testing::DerNode;
using testing::parse_der;
using testing::serialize;

// 20261126133227Z in Unix seconds (python3: calendar.timegm((2026,11,26,13,32,27,0,0,0))).
constexpr std::int64_t kMitTill = 1795699947;

Buffer mit_as_req1() {
  return read_hex_file(source_path("krb/testdata/proto/mit_as_req1.hex"));
}

Buffer encode(const AsReq& req) {
  der::Writer w;
  encode_as_req(w, req);
  EXPECT_TRUE(w.ok());
  return Buffer(w.view().begin(), w.view().end());
}

std::vector<std::int32_t> etypes_of(const KdcReqBody& b) {
  return std::vector<std::int32_t>(b.etypes.begin(), b.etypes.end());
}

// The KDC-REQ-BODY SEQUENCE node of a parsed AS-REQ.
DerNode* body_of(DerNode& root) {
  return root.child(0x30)->child(0xa4)->child(0x30);
}

Status decode_strict(ByteView in) {
  AsReq req;
  return decode_as_req(in, &req);
}
Status decode_lenient(ByteView in) {
  AsReq req;
  return decode_as_req(in, &req, {.allow_trailing_bytes = true});
}

TEST(AsReq, DecodesMitKinitRequest) {
  const Buffer in = mit_as_req1();
  ASSERT_EQ(in.size(), 185u);
  AsReq req;
  ASSERT_TRUE(decode_as_req(in, &req).ok());

  ASSERT_TRUE(req.padata.has_value());
  ASSERT_EQ(req.padata->size(), 2u);
  EXPECT_EQ((*req.padata)[0].padata_type, PaDataType::PA_AS_FRESHNESS);
  EXPECT_TRUE((*req.padata)[0].padata_value.empty());
  EXPECT_EQ((*req.padata)[1].padata_type, PaDataType::PA_REQ_ENC_PA_REP);
  EXPECT_TRUE((*req.padata)[1].padata_value.empty());
  EXPECT_NE(find_pa_data(*req.padata, PaDataType::PA_REQ_ENC_PA_REP), nullptr);
  EXPECT_EQ(find_pa_data(*req.padata, PaDataType::PA_ENC_TIMESTAMP), nullptr);

  const KdcReqBody& b = req.req_body;
  EXPECT_EQ(b.kdc_options, 0x50000010u);
  EXPECT_EQ(b.kdc_options,
            KdcOptions::FORWARDABLE | KdcOptions::PROXIABLE | KdcOptions::RENEWABLE_OK);
  ASSERT_TRUE(b.cname.has_value());
  EXPECT_EQ(*b.cname, (PrincipalName{NameType::NT_PRINCIPAL, {"alice"}}));
  EXPECT_EQ(b.realm, "EXAMPLE.TEST");
  ASSERT_TRUE(b.sname.has_value());
  EXPECT_EQ(*b.sname, (PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}}));
  EXPECT_FALSE(b.from.has_value());
  EXPECT_EQ(b.till, kMitTill);
  EXPECT_FALSE(b.rtime.has_value());
  EXPECT_EQ(b.nonce, 0x33ca4322);
  EXPECT_EQ(etypes_of(b), (std::vector<std::int32_t>{18, 17, 20, 19, 16, 23, 25, 26}));
  EXPECT_FALSE(b.addresses.has_value());
  EXPECT_FALSE(b.enc_authorization_data.has_value());
  EXPECT_FALSE(b.additional_tickets.has_value());

  // Raw views point into the input: the whole message, and req-body (the last field) from
  // its SEQUENCE header to the end.
  EXPECT_EQ(req.raw.data(), in.data());
  EXPECT_EQ(req.raw.size(), in.size());
  EXPECT_EQ(to_hex(req.req_body_raw.first(3)), "308187");
  EXPECT_EQ(req.req_body_raw.size(), 3u + 0x87);
  EXPECT_EQ(req.req_body_raw.data() + req.req_body_raw.size(), in.data() + in.size());
  // Names and realm borrow from the input too.
  EXPECT_GE(static_cast<const void*>(b.realm.data()), static_cast<const void*>(in.data()));
  EXPECT_LT(static_cast<const void*>(b.realm.data()),
            static_cast<const void*>(in.data() + in.size()));
}

TEST(AsReq, ReencodesMitRequestByteIdentical) {
  const Buffer in = mit_as_req1();
  auto req = decode_as_req(in);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(to_hex(encode(*req)), to_hex(in));
  // The body alone re-encodes to the raw body bytes.
  der::Writer w;
  encode_kdc_req_body(w, req->req_body);
  EXPECT_EQ(to_hex(w.view()), to_hex(req->req_body_raw));
}

// Heimdal 7.8 sends full 32-bit nonces as signed int32 (KERBEROS-INTEROP.md §2): 0204 b3ca4322
// must decode and echo with the same bytes.
TEST(AsReq, HeimdalNegativeNonceEchoesByteIdentical) {
  auto root = parse_der(mit_as_req1());
  ASSERT_TRUE(root);
  body_of(*root)->child(0xa7)->child(0x02)->content = hex("b3ca4322");
  const Buffer in = serialize(*root);
  auto req = decode_as_req(in);
  ASSERT_TRUE(req.ok()) << err_name(req.err());
  EXPECT_EQ(req->req_body.nonce, static_cast<std::int32_t>(0xb3ca4322u));
  EXPECT_EQ(req->req_body.nonce, -1278590174);  // python3: 0xb3ca4322 - 2**32
  EXPECT_EQ(to_hex(encode(*req)), to_hex(in));
}

// A correct UInt32 encoder sends nonces >= 2^31 in 5 bytes: 0205 00b3ca4322.
TEST(AsReq, FiveByteUnsignedNonceEchoesByteIdentical) {
  auto root = parse_der(mit_as_req1());
  ASSERT_TRUE(root);
  body_of(*root)->child(0xa7)->child(0x02)->content = hex("00b3ca4322");
  const Buffer in = serialize(*root);
  auto req = decode_as_req(in);
  ASSERT_TRUE(req.ok()) << err_name(req.err());
  EXPECT_EQ(req->req_body.nonce, 0xb3ca4322LL);
  EXPECT_EQ(to_hex(encode(*req)), to_hex(in));
}

TEST(AsReq, NonceOutsideUInt32AndInt32IsRefused) {
  auto root = parse_der(mit_as_req1());
  ASSERT_TRUE(root);
  body_of(*root)->child(0xa7)->child(0x02)->content = hex("0100000000");  // 2^32
  EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kBadInteger);
}

// Heimdal's FAST outer body and anonymous path send till = 19700101000000Z, which MIT reads as
// 0 (KERBEROS-INTEROP.md §2).
TEST(AsReq, TillEpochDecodesToZero) {
  auto root = parse_der(mit_as_req1());
  ASSERT_TRUE(root);
  body_of(*root)->child(0xa5)->child(0x18)->content =
      Buffer(as_bytes("19700101000000Z").begin(), as_bytes("19700101000000Z").end());
  const Buffer in = serialize(*root);
  auto req = decode_as_req(in);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->req_body.till, 0);
  EXPECT_EQ(to_hex(encode(*req)), to_hex(in));
}

// A KDC ignores padata it does not know; the decoder must keep it, whatever the number.
TEST(AsReq, UnknownAndNegativePaDataTypesAreKept) {
  auto root = parse_der(mit_as_req1());
  ASSERT_TRUE(root);
  DerNode* padata_seq = root->child(0x30)->child(0xa3)->child(0x30);
  ASSERT_NE(padata_seq, nullptr);
  // PA-DATA {0x7fff, ""} and {-1, "x"}.
  padata_seq->children.push_back(*parse_der(hex("300a a104 02027fff a202 0400")));
  padata_seq->children.push_back(*parse_der(hex("300a a103 0201ff a203 040178")));
  const Buffer in = serialize(*root);
  auto req = decode_as_req(in);
  ASSERT_TRUE(req.ok()) << err_name(req.err());
  ASSERT_EQ(req->padata->size(), 4u);
  EXPECT_EQ(static_cast<std::int32_t>((*req->padata)[2].padata_type), 0x7fff);
  EXPECT_EQ(static_cast<std::int32_t>((*req->padata)[3].padata_type), -1);
  EXPECT_EQ(to_hex((*req->padata)[3].padata_value), "78");
  EXPECT_EQ(to_hex(encode(*req)), to_hex(in));
}

TEST(AsReq, UnknownAndNegativeEtypesAreKept) {
  auto root = parse_der(mit_as_req1());
  ASSERT_TRUE(root);
  DerNode* etypes = body_of(*root)->child(0xa8)->child(0x30);
  ASSERT_NE(etypes, nullptr);
  etypes->children.insert(etypes->children.begin(), *parse_der(hex("0202ff79")));  // -135
  etypes->children.push_back(*parse_der(hex("0202 03e7")));                        // 999
  etypes->children.push_back(*parse_der(hex("0201 80")));                          // -128
  const Buffer in = serialize(*root);
  auto req = decode_as_req(in);
  ASSERT_TRUE(req.ok()) << err_name(req.err());
  EXPECT_EQ(etypes_of(req->req_body),
            (std::vector<std::int32_t>{-135, 18, 17, 20, 19, 16, 23, 25, 26, 999, -128}));
  EXPECT_EQ(to_hex(encode(*req)), to_hex(in));
}

// KerberosFlags of another length than 32 bits decode (MIT decodes any); the encoder always
// writes 32 bits (RFC 4120 §5.2.8), so such input does not re-encode identically.
TEST(AsReq, KdcOptionsOfAnyLengthDecode) {
  auto root = parse_der(mit_as_req1());
  ASSERT_TRUE(root);
  body_of(*root)->child(0xa0)->child(0x03)->content = hex("00 50");
  const Buffer short_flags = serialize(*root);
  auto req = decode_as_req(short_flags);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->req_body.kdc_options, 0x50000000u);
  body_of(*root)->child(0xa0)->child(0x03)->content = hex("00 50000010 ff");
  const Buffer long_flags = serialize(*root);
  req = decode_as_req(long_flags);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->req_body.kdc_options, 0x50000010u);
}

TEST(AsReq, TrailingBytesAfterTheMessage) {
  Buffer in = mit_as_req1();
  const std::size_t size = in.size();
  in.push_back(std::byte{0xde});
  in.push_back(std::byte{0xad});
  AsReq req;
  const Status strict = decode_as_req(in, &req);
  EXPECT_EQ(strict.err(), Err::kTrailingData);
  EXPECT_EQ(strict.error().offset, size);
  // MIT's KDC accepts a UDP datagram with junk after the message (KERBEROS-INTEROP.md §5.1).
  ASSERT_TRUE(decode_as_req(in, &req, {.allow_trailing_bytes = true}).ok());
  EXPECT_EQ(req.raw.size(), size);
  EXPECT_EQ(req.req_body.nonce, 0x33ca4322);
}

TEST(AsReq, PvnoAndMsgTypeAreChecked) {
  auto root = parse_der(mit_as_req1());
  ASSERT_TRUE(root);
  DerNode* seq = root->child(0x30);
  seq->child(0xa1)->child(0x02)->content = hex("04");
  EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kBadPvno);
  seq->child(0xa1)->child(0x02)->content = hex("05");
  seq->child(0xa2)->child(0x02)->content = hex("0c");  // TGS-REQ inside an AS-REQ tag
  EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kBadMsgType);
  seq->child(0xa2)->child(0x02)->content = hex("0a");
  root->tag = 0x6c;  // [APPLICATION 12]
  EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kBadTag);
}

TEST(AsReq, MissingRequiredFieldsAndWrongOrder) {
  {
    auto root = parse_der(mit_as_req1());
    auto& fields = body_of(*root)->children;
    std::erase_if(fields, [](const DerNode& n) { return n.tag == 0xa5; });  // till
    EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kMissingField);
  }
  {
    auto root = parse_der(mit_as_req1());
    auto& fields = body_of(*root)->children;
    std::erase_if(fields, [](const DerNode& n) { return n.tag == 0xa8; });  // etype, last
    EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kMissingField);
  }
  {
    auto root = parse_der(mit_as_req1());
    auto& fields = body_of(*root)->children;
    std::swap(fields[1], fields[2]);  // realm [2] before cname [1]
    EXPECT_FALSE(decode_strict(serialize(*root)).ok());
  }
}

TEST(AsReq, TruncationAtEveryByteFails) {
  const Buffer in = mit_as_req1();
  testing::expect_every_truncation_fails(in, decode_strict);
  testing::expect_every_truncation_fails(in, decode_lenient);
}

TEST(AsReq, JunkInsideEveryElementIsRejected) {
  const Buffer in = mit_as_req1();
  // 30 constructed elements in the MIT request (counted by a python3 one-off walking the DER),
  // times two kinds of junk.
  EXPECT_EQ(testing::expect_junk_inside_every_element_rejected(in, decode_strict), 2u * 30u);
  testing::expect_junk_inside_every_element_rejected(in, decode_lenient);
}

TEST(AsReq, OverLimitCountsAreTooMany) {
  // etypes: kMaxEtypes decode, one more is kTooMany.
  {
    auto root = parse_der(mit_as_req1());
    DerNode* etypes = body_of(*root)->child(0xa8)->child(0x30);
    while (etypes->children.size() < kMaxEtypes) etypes->children.push_back(etypes->children[0]);
    EXPECT_TRUE(decode_strict(serialize(*root)).ok());
    etypes->children.push_back(etypes->children[0]);
    EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kTooMany);
  }
  // padata.
  {
    auto root = parse_der(mit_as_req1());
    DerNode* padata = root->child(0x30)->child(0xa3)->child(0x30);
    while (padata->children.size() < kMaxPaData) padata->children.push_back(padata->children[0]);
    EXPECT_TRUE(decode_strict(serialize(*root)).ok());
    padata->children.push_back(padata->children[0]);
    EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kTooMany);
  }
  // sname components.
  {
    auto root = parse_der(mit_as_req1());
    DerNode* comps = body_of(*root)->child(0xa3)->child(0x30)->child(0xa1)->child(0x30);
    while (comps->children.size() < kMaxNameComponents)
      comps->children.push_back(comps->children[0]);
    EXPECT_TRUE(decode_strict(serialize(*root)).ok());
    comps->children.push_back(comps->children[0]);
    EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kTooMany);
  }
  // addresses [9], inserted after etype [8].
  {
    auto root = parse_der(mit_as_req1());
    DerNode addrs = *parse_der(hex("a900"));
    addrs.children.push_back(*parse_der(hex("3000")));
    DerNode one = *parse_der(hex("300d a003 020102 a106 0404 7f000001"));  // IPv4 127.0.0.1
    while (addrs.children[0].children.size() < kMaxAddresses)
      addrs.children[0].children.push_back(one);
    body_of(*root)->children.push_back(addrs);
    const Buffer bytes = serialize(*root);
    auto req = decode_as_req(bytes);
    ASSERT_TRUE(req.ok()) << err_name(req.err());
    ASSERT_TRUE(req->req_body.addresses);
    EXPECT_EQ(req->req_body.addresses->size(), kMaxAddresses);
    EXPECT_EQ((*req->req_body.addresses)[0].addr_type, AddressType::IPV4);
    EXPECT_EQ(to_hex((*req->req_body.addresses)[0].address), "7f000001");
    body_of(*root)->children.back().children[0].children.push_back(one);
    EXPECT_EQ(decode_strict(serialize(*root)).err(), Err::kTooMany);
  }
}

// Every optional field present, built by hand: encode -> decode -> encode is stable and the
// fields survive.
TEST(AsReq, HandBuiltRoundTripWithEveryField) {
  const Buffer cipher = hex("00112233445566778899aabbccddeeff");
  Buffer ts = hex("3041a003020112a23a0438");  // EncryptedData{18, 56-byte cipher}
  ts.resize(ts.size() + 56, std::byte{0x5a});
  Ticket tkt;
  tkt.realm = "EXAMPLE.TEST";
  tkt.sname = PrincipalName{NameType::NT_SRV_HST, {"host", "server.example.test"}};
  tkt.enc_part = EncryptedData{18, 3u, cipher};

  AsReq req;
  const Buffer pac_request = hex("3005a0030101ff");
  const Buffer ipv4 = hex("c0000201");
  req.padata =
      MethodData{{PaDataType::PA_ENC_TIMESTAMP, ts}, {PaDataType::PA_PAC_REQUEST, pac_request}};
  KdcReqBody& b = req.req_body;
  b.kdc_options = KdcOptions::FORWARDABLE | KdcOptions::RENEWABLE | KdcOptions::CANONICALIZE;
  b.cname = PrincipalName{NameType::NT_ENTERPRISE, {"alice@example.test"}};
  b.realm = "EXAMPLE.TEST";
  b.sname = PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
  b.from = 1795613547;
  b.till = 253392806885;  // 99990913024805Z, what Windows 11 sends
  b.rtime = 1796218347;
  b.nonce = 0xffffffffLL;
  b.etypes = EtypeList{18, 17, -135};
  b.addresses = HostAddresses{{AddressType::IPV4, ipv4},
                              {AddressType::NETBIOS, as_bytes("WS01            ")}};
  b.enc_authorization_data = EncryptedData{18, std::nullopt, cipher};
  b.additional_tickets = AdditionalTickets{tkt};

  const Buffer first = encode(req);
  auto back = decode_as_req(first);
  ASSERT_TRUE(back.ok()) << err_name(back.err()) << " at " << back.error().offset;
  EXPECT_EQ(to_hex(encode(*back)), to_hex(first));
  const KdcReqBody& d = back->req_body;
  EXPECT_EQ(d.kdc_options, b.kdc_options);
  EXPECT_EQ(*d.cname, *b.cname);
  EXPECT_EQ(*d.sname, *b.sname);
  EXPECT_EQ(d.from, b.from);
  EXPECT_EQ(d.till, b.till);
  EXPECT_EQ(d.rtime, b.rtime);
  EXPECT_EQ(d.nonce, 0xffffffffLL);
  EXPECT_EQ(etypes_of(d), (std::vector<std::int32_t>{18, 17, -135}));
  ASSERT_EQ(d.addresses->size(), 2u);
  EXPECT_EQ((*d.addresses)[1].addr_type, AddressType::NETBIOS);
  EXPECT_EQ(d.enc_authorization_data->etype, 18);
  EXPECT_FALSE(d.enc_authorization_data->kvno);
  ASSERT_EQ(d.additional_tickets->size(), 1u);
  const Ticket& t = (*d.additional_tickets)[0];
  EXPECT_EQ(t.sname, tkt.sname);
  EXPECT_EQ(t.enc_part.kvno, 3u);
  EXPECT_EQ(to_hex(t.enc_part.cipher), to_hex(cipher));
  EXPECT_EQ(t.raw.data()[0], std::byte{0x61});  // raw points at the [APPLICATION 1] element
  EXPECT_EQ(to_hex((*back->padata)[0].padata_value), to_hex(ts));
}

TEST(AsReq, FixedBufferTooSmallIsReportedByTheWriter) {
  const Buffer in = mit_as_req1();
  auto req = decode_as_req(in);
  ASSERT_TRUE(req.ok());
  std::byte small[100];
  der::Writer w{MutableByteView(small)};
  encode_as_req(w, *req);
  EXPECT_EQ(w.status().err(), Err::kBufferTooSmall);
  std::byte exact[185];
  der::Writer w2{MutableByteView(exact)};
  encode_as_req(w2, *req);
  EXPECT_TRUE(w2.ok());
  EXPECT_EQ(to_hex(w2.view()), to_hex(in));
}

}  // namespace
}  // namespace kdcperf::krb::proto
