// RFC 4120 message codecs per message (krb/proto): what the KDC pays to decode an AS-REQ and
// encode its reply, and what the load generator pays the other way. Inputs are the captured
// MIT kinit requests (krb/testdata/proto, krb/testdata/mit) and an AS-REP shaped like the
// 840-byte one MIT sent (KERBEROS-INTEROP.md §1.5). Writers are reused, as on the hot path.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/testdata.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/string_to_key.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/krb_error.hpp"
#include "krb/proto/message.hpp"

namespace kdcperf::krb::proto {
namespace {

using bench::read_testdata_hex;

void set_counters(benchmark::State& state, std::size_t bytes) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.counters["bytes"] = static_cast<double>(bytes);
}

template <class Decode>
void decode_bytes(benchmark::State& state, const Buffer& in, const std::string& what,
                  Decode&& decode) {
  if (in.empty() || !decode(in).ok()) {
    state.SkipWithError(("cannot decode " + what).c_str());
    return;
  }
  for (auto _ : state) {
    Status st = decode(in);
    benchmark::DoNotOptimize(st);
  }
  set_counters(state, in.size());
}

template <class Decode>
void decode_file(benchmark::State& state, const std::string& file, Decode&& decode) {
  decode_bytes(state, read_testdata_hex(file), file, decode);
}

// kinit's first AS-REQ (185 B, padata {150, 149}).
void BM_DecodeAsReq(benchmark::State& state) {
  AsReq req;
  decode_file(state, "krb/testdata/proto/mit_as_req1.hex", [&](ByteView in) {
    Status st = decode_as_req(in, &req);
    benchmark::DoNotOptimize(req);
    return st;
  });
}
BENCHMARK(BM_DecodeAsReq);

// kinit's second AS-REQ, with PA-FX-COOKIE and PA-ENC-TIMESTAMP: what the KDC decodes for
// every successful login.
void BM_DecodeAsReqPreauth(benchmark::State& state) {
  AsReq req;
  decode_file(state, "krb/testdata/mit/aes256_as_req_preauth.hex", [&](ByteView in) {
    Status st = decode_as_req(in, &req);
    EncryptedData ts;
    if (st.ok()) st = decode_pa_enc_timestamp((*req.padata)[1].padata_value, &ts);
    benchmark::DoNotOptimize(req);
    benchmark::DoNotOptimize(ts);
    return st;
  });
}
BENCHMARK(BM_DecodeAsReqPreauth);

// The load generator's side: a captured AS-REP and PREAUTH_REQUIRED error.
void BM_DecodeAsRep(benchmark::State& state) {
  AsRep rep;
  decode_file(state, "krb/testdata/mit/aes256_as_rep.hex", [&](ByteView in) {
    Status st = decode_as_rep(in, &rep);
    benchmark::DoNotOptimize(rep);
    return st;
  });
}
BENCHMARK(BM_DecodeAsRep);

// The load generator's second decode per reply: the EncASRepPart of the same capture (257
// bytes in the 285-byte enc-part), decrypted once, outside the loop, with alice's key.
void BM_DecodeEncAsRepPart(benchmark::State& state) {
  const Buffer rep_bytes = read_testdata_hex("krb/testdata/mit/aes256_as_rep.hex");
  AsRep rep;
  if (!decode_as_rep(rep_bytes, &rep).ok()) {
    state.SkipWithError("cannot decode the AS-REP");
    return;
  }
  const std::string_view components[] = {"alice"};
  auto key = crypto::string_to_key(crypto::Enctype::AES256_CTS_HMAC_SHA1_96, "secret",
                                   crypto::default_salt(rep.crealm, components));
  if (!key.ok()) {
    state.SkipWithError("cannot derive alice's key");
    return;
  }
  Buffer plain(rep.enc_part.cipher.size());
  auto n = crypto::open_once(*key, crypto::KeyUsage::AS_REP_ENC_PART, rep.enc_part.cipher, plain);
  if (!n.ok()) {
    state.SkipWithError("cannot decrypt the enc-part");
    return;
  }
  plain.resize(*n);
  EncKdcRepPart part;
  decode_bytes(state, plain, "the decrypted enc-part", [&](ByteView in) {
    Status st = decode_enc_as_rep_part(in, &part);
    benchmark::DoNotOptimize(part);
    return st;
  });
}
BENCHMARK(BM_DecodeEncAsRepPart);

void BM_DecodeKrbError(benchmark::State& state) {
  KrbError err;
  decode_file(state, "krb/testdata/proto/mit_preauth_required.hex", [&](ByteView in) {
    Status st = decode_krb_error(in, &err);
    MethodData md;
    if (st.ok()) st = decode_error_method_data(err, &md);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(md);
    return st;
  });
}
BENCHMARK(BM_DecodeKrbError);

// Fields and sizes of MIT's AS-REP (840 bytes): ETYPE-INFO2 padata, Ticket enc-part 341 B
// with kvno 1, enc-part 285 B.
struct AsRepInputs {
  Buffer info2;
  Buffer ticket_cipher = Buffer(341, std::byte{0xa5});
  Buffer reply_cipher = Buffer(285, std::byte{0x5a});
  AsRep rep;
  AsRepInputs() {
    der::Writer w;
    encode_etype_info2(w, EtypeInfo2{{18, "EXAMPLE.TESTalice", std::nullopt}});
    info2.assign(w.view().begin(), w.view().end());
    rep.padata = MethodData{{PaDataType::PA_ETYPE_INFO2, info2}};
    rep.crealm = "EXAMPLE.TEST";
    rep.cname = PrincipalName{NameType::NT_PRINCIPAL, {"alice"}};
    rep.ticket.realm = "EXAMPLE.TEST";
    rep.ticket.sname = PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
    rep.ticket.enc_part = EncryptedData{18, 1u, ticket_cipher};
    rep.enc_part = EncryptedData{18, std::nullopt, reply_cipher};
  }
};

void BM_EncodeAsRep(benchmark::State& state) {
  const AsRepInputs in;
  der::Writer w(2048);
  for (auto _ : state) {
    w.reset();
    encode_as_rep(w, in.rep);
    benchmark::DoNotOptimize(w.view().data());
  }
  if (!w.ok()) state.SkipWithError("writer failed");
  set_counters(state, w.size());
}
BENCHMARK(BM_EncodeAsRep);

// The two plaintexts the KDC seals per AS-REP: EncTicketPart with a PAC-sized AD-IF-RELEVANT
// (MIT 1.20's minimal PAC is 112 B) and EncASRepPart with encrypted-pa-data.
void BM_EncodeEncTicketPart(benchmark::State& state) {
  const Buffer key(32, std::byte{0x11});
  const Buffer pac(112, std::byte{0x22});
  der::Writer ad_writer(512);
  encode_ad_if_relevant(ad_writer, AuthorizationData{{AuthorizationDataType::AD_WIN2K_PAC, pac}});
  EncTicketPart p;
  p.flags = 0x50e10000;
  p.key = EncryptionKey{18, key};
  p.crealm = "EXAMPLE.TEST";
  p.cname = PrincipalName{NameType::NT_PRINCIPAL, {"alice"}};
  p.authtime = 1795613547;
  p.endtime = p.authtime + 36000;
  p.renew_till = p.authtime + 86400;
  p.authorization_data =
      AuthorizationData{{AuthorizationDataType::AD_IF_RELEVANT, ad_writer.view()}};
  der::Writer w(1024);
  for (auto _ : state) {
    w.reset();
    encode_enc_ticket_part(w, p);
    benchmark::DoNotOptimize(w.view().data());
  }
  set_counters(state, w.size());
}
BENCHMARK(BM_EncodeEncTicketPart);

void BM_EncodeEncAsRepPart(benchmark::State& state) {
  const Buffer key(32, std::byte{0x11});
  const Buffer checksum(19, std::byte{0x33});
  EncKdcRepPart p;
  p.tag = EncRepPartTag::ENC_TGS_REP_PART;
  p.key = EncryptionKey{18, key};
  p.last_req = LastReq{{LastReqType::LR_NONE, 0}};
  p.nonce = 0x382dd119;
  p.flags = 0x50e10000;
  p.authtime = 1795613547;
  p.endtime = p.authtime + 36000;
  p.renew_till = p.authtime + 86400;
  p.srealm = "EXAMPLE.TEST";
  p.sname = PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
  p.encrypted_pa_data =
      MethodData{{PaDataType::PA_REQ_ENC_PA_REP, checksum}, {PaDataType::PA_FX_FAST, {}}};
  der::Writer w(1024);
  for (auto _ : state) {
    w.reset();
    encode_enc_kdc_rep_part(w, p);
    benchmark::DoNotOptimize(w.view().data());
  }
  set_counters(state, w.size());
}
BENCHMARK(BM_EncodeEncAsRepPart);

// MIT's PREAUTH_REQUIRED (237 B): the e-data METHOD-DATA is encoded into a second reused
// writer first, as a KDC would.
void BM_EncodeKrbError(benchmark::State& state) {
  der::Writer info_w(256);
  encode_etype_info2(info_w, EtypeInfo2{{18, "EXAMPLE.TESTalice", std::nullopt}});
  const Buffer info2(info_w.view().begin(), info_w.view().end());
  const Buffer cookie{std::byte{'M'}, std::byte{'I'}, std::byte{'T'}};
  const MethodData hints{{PaDataType::PA_FX_FAST, {}},
                         {PaDataType::PA_ETYPE_INFO2, info2},
                         {PaDataType::PA_ENC_TIMESTAMP, {}},
                         {PaDataType::PA_FX_COOKIE, cookie}};
  KrbError e;
  e.stime = 1795613547;
  e.susec = 870371;
  e.error_code = ErrorCode::KDC_ERR_PREAUTH_REQUIRED;
  e.crealm = "EXAMPLE.TEST";
  e.cname = PrincipalName{NameType::NT_PRINCIPAL, {"alice"}};
  e.realm = "EXAMPLE.TEST";
  e.sname = PrincipalName{NameType::NT_SRV_INST, {"krbtgt", "EXAMPLE.TEST"}};
  e.e_text = "NEEDED_PREAUTH";
  der::Writer edata_w(256);
  der::Writer w(512);
  for (auto _ : state) {
    edata_w.reset();
    encode_method_data(edata_w, hints);
    e.e_data = edata_w.view();
    w.reset();
    encode_krb_error(w, e);
    benchmark::DoNotOptimize(w.view().data());
  }
  set_counters(state, w.size());
}
BENCHMARK(BM_EncodeKrbError);

void BM_PeekMessageType(benchmark::State& state) {
  const Buffer in = read_testdata_hex("krb/testdata/proto/mit_preauth_required.hex");
  for (auto _ : state) {
    MessageType t = peek_message_type(in);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PeekMessageType);

}  // namespace
}  // namespace kdcperf::krb::proto
