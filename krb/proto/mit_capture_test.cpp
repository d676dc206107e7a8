// Decode -> re-encode and hostile-input sweeps over every message captured from MIT kinit and
// krb5kdc 1.20.1 in krb/testdata/mit/ (see its README.md). Expected names, salts and etypes
// come from that folder's principals.txt, never from one capture's bytes (nonces and times
// change with every capture run).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "krb/proto/decode_testing.hpp"
#include "krb/proto/kdc_rep.hpp"
#include "krb/proto/kdc_req.hpp"
#include "krb/proto/krb_error.hpp"
#include "tests/support/testdata.hpp"

namespace kdcperf::krb::proto {
namespace {

using kdcperf::testing::read_hex_file;
using kdcperf::testing::read_vector_file;
using kdcperf::testing::source_path;

constexpr std::string_view kDir = "krb/testdata/mit/";

struct Client {
  std::string name;
  std::string realm;
  std::string salt;
  std::vector<std::int32_t> etypes;
  bool requires_preauth = false;
  std::string prefix;
};

std::vector<Client> clients() {
  std::vector<Client> out;
  for (auto& block : read_vector_file(source_path(std::string(kDir) + "principals.txt"))) {
    Client c;
    c.name = block.take("Principal");
    c.realm = block.take("Realm");
    block.take("Password");  // for the crypto interop test; this layer never decrypts
    c.salt = block.take("Salt");
    std::istringstream etypes(block.take("Etypes"));
    for (int e; etypes >> e;) c.etypes.push_back(e);
    c.requires_preauth = block.take("RequiresPreauth") == "yes";
    c.prefix = block.take("Prefix");
    out.push_back(std::move(c));
  }
  return out;
}

Buffer capture(std::string_view file) {
  return read_hex_file(source_path(std::string(kDir) + std::string(file)));
}

// A TCP capture without its RFC 4120 §7.2.2 length prefix, after checking the prefix.
Buffer unframe(const Buffer& framed) {
  EXPECT_GE(framed.size(), 4u);
  if (framed.size() < 4) return {};
  EXPECT_EQ(load_be32(framed.data()), framed.size() - 4);
  return Buffer(framed.begin() + 4, framed.end());
}

template <class Encode>
Buffer encode_with(Encode&& encode) {
  der::Writer w;
  encode(w);
  EXPECT_TRUE(w.ok());
  return Buffer(w.view().begin(), w.view().end());
}

std::vector<std::int32_t> pa_types(const std::optional<MethodData>& md) {
  std::vector<std::int32_t> out;
  if (md) {
    for (const PaData& pa : *md) out.push_back(static_cast<std::int32_t>(pa.padata_type));
  }
  return out;
}

PrincipalName krbtgt(std::string_view realm) {
  return PrincipalName{NameType::NT_SRV_INST, {"krbtgt", realm}};
}

// Decodes by message type, re-encodes, and runs the hostile sweeps. Every captured message
// goes through this.
void round_trip_and_sweep(std::string_view file, const Buffer& in) {
  SCOPED_TRACE(std::string(file));
  const MessageType type = peek_message_type(in);
  Buffer again;
  switch (type) {
    case MessageType::AS_REQ: {
      auto m = decode_as_req(in);
      ASSERT_TRUE(m.ok()) << err_name(m.err()) << " at " << m.error().offset;
      again = encode_with([&](der::Writer& w) { encode_as_req(w, *m); });
      testing::expect_every_truncation_fails(in, [](ByteView b) {
        AsReq x;
        return decode_as_req(b, &x);
      });
      testing::expect_junk_inside_every_element_rejected(in, [](ByteView b) {
        AsReq x;
        return decode_as_req(b, &x, {.allow_trailing_bytes = true});
      });
      break;
    }
    case MessageType::AS_REP: {
      auto m = decode_as_rep(in);
      ASSERT_TRUE(m.ok()) << err_name(m.err()) << " at " << m.error().offset;
      again = encode_with([&](der::Writer& w) { encode_as_rep(w, *m); });
      testing::expect_every_truncation_fails(in, [](ByteView b) {
        AsRep x;
        return decode_as_rep(b, &x);
      });
      testing::expect_junk_inside_every_element_rejected(in, [](ByteView b) {
        AsRep x;
        return decode_as_rep(b, &x, {.allow_trailing_bytes = true});
      });
      break;
    }
    case MessageType::KRB_ERROR: {
      auto m = decode_krb_error(in);
      ASSERT_TRUE(m.ok()) << err_name(m.err()) << " at " << m.error().offset;
      again = encode_with([&](der::Writer& w) { encode_krb_error(w, *m); });
      testing::expect_every_truncation_fails(in, [](ByteView b) {
        KrbError x;
        return decode_krb_error(b, &x);
      });
      testing::expect_junk_inside_every_element_rejected(in, [](ByteView b) {
        KrbError x;
        return decode_krb_error(b, &x, {.allow_trailing_bytes = true});
      });
      if (m->e_data) {
        testing::expect_every_truncation_fails(*m->e_data, [](ByteView b) {
          MethodData x;
          return decode_method_data(b, &x);
        });
        testing::expect_junk_inside_every_element_rejected(*m->e_data, [](ByteView b) {
          MethodData x;
          return decode_method_data(b, &x);
        });
      }
      break;
    }
    default:
      FAIL() << "unexpected message type " << static_cast<int>(type);
  }
  EXPECT_EQ(to_hex(again), to_hex(in)) << "re-encoding differs";
}

TEST(MitCapture, EveryMessageRoundTripsAndResistsHostileEdits) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_path(std::string(kDir)))) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".hex") continue;
    Buffer in = capture(name);
    ASSERT_FALSE(in.empty()) << name;
    if (name.starts_with("tcp_")) in = unframe(in);
    round_trip_and_sweep(name, in);
    ++files;
  }
  EXPECT_GE(files, 32u);  // the README's list
}

void check_exchange(const Client& c, const std::string& prefix, bool tcp) {
  SCOPED_TRACE(prefix + (tcp ? " (tcp)" : ""));
  auto load = [&](std::string_view what) {
    const Buffer b = capture(prefix + std::string(what));
    return tcp ? unframe(b) : b;
  };
  const Buffer req1_bytes = load("_as_req.hex");
  const Buffer err_bytes = load("_preauth_required.hex");
  const Buffer req2_bytes = load("_as_req_preauth.hex");
  const Buffer rep_bytes = load("_as_rep.hex");

  // AS-REQ #1: padata {150, 149}, MIT's library defaults (README "What these captures show").
  auto req1 = decode_as_req(req1_bytes);
  ASSERT_TRUE(req1.ok());
  EXPECT_EQ(pa_types(req1->padata), (std::vector<std::int32_t>{150, 149}));
  const KdcReqBody& b1 = req1->req_body;
  EXPECT_EQ(b1.kdc_options, KdcOptions::RENEWABLE_OK);
  EXPECT_EQ(*b1.cname, (PrincipalName{NameType::NT_PRINCIPAL, {c.name}}));
  EXPECT_EQ(b1.realm, c.realm);
  EXPECT_EQ(*b1.sname, krbtgt(c.realm));
  EXPECT_FALSE(b1.from || b1.rtime || b1.addresses);
  EXPECT_EQ(std::vector<std::int32_t>(b1.etypes.begin(), b1.etypes.end()),
            (std::vector<std::int32_t>{18, 17, 20, 19, 16, 23, 25, 26}));
  EXPECT_GT(b1.nonce, 0);
  EXPECT_LE(b1.nonce, 0x7fffffff);

  // KRB-ERROR 25 with METHOD-DATA {136, 19, 2, 133 "MIT"} and one ETYPE-INFO2 entry.
  auto err = decode_krb_error(err_bytes);
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->error_code, ErrorCode::KDC_ERR_PREAUTH_REQUIRED);
  EXPECT_EQ(err->e_text, "NEEDED_PREAUTH");
  EXPECT_EQ(err->crealm, c.realm);
  EXPECT_EQ(*err->cname, *b1.cname);
  EXPECT_EQ(err->realm, c.realm);
  EXPECT_EQ(err->sname, krbtgt(c.realm));
  EXPECT_FALSE(err->ctime || err->cusec);
  MethodData hints;
  ASSERT_TRUE(decode_error_method_data(*err, &hints).ok());
  EXPECT_EQ(pa_types(hints), (std::vector<std::int32_t>{136, 19, 2, 133}));
  EXPECT_EQ(as_chars(find_pa_data(hints, PaDataType::PA_FX_COOKIE)->padata_value), "MIT");
  EtypeInfo2 info;
  ASSERT_TRUE(
      decode_etype_info2(find_pa_data(hints, PaDataType::PA_ETYPE_INFO2)->padata_value, &info)
          .ok());
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].etype, c.etypes.front());
  EXPECT_EQ(info[0].salt, c.salt);
  EXPECT_FALSE(info[0].s2kparams);

  // AS-REQ #2: padata {133 "MIT", 2, 150, 149}; the timestamp is sealed with the client's
  // etype, without kvno. A new nonce, the same names.
  auto req2 = decode_as_req(req2_bytes);
  ASSERT_TRUE(req2.ok());
  EXPECT_EQ(pa_types(req2->padata), (std::vector<std::int32_t>{133, 2, 150, 149}));
  EXPECT_EQ(as_chars((*req2->padata)[0].padata_value), "MIT");
  EncryptedData ts;
  ASSERT_TRUE(decode_pa_enc_timestamp((*req2->padata)[1].padata_value, &ts).ok());
  EXPECT_EQ(ts.etype, c.etypes.front());
  EXPECT_FALSE(ts.kvno);
  EXPECT_NE(req2->req_body.nonce, b1.nonce);
  EXPECT_EQ(*req2->req_body.cname, *b1.cname);
  EXPECT_EQ(*req2->req_body.sname, *b1.sname);

  {  // AS-REP
    auto rep = decode_as_rep(rep_bytes);
    ASSERT_TRUE(rep.ok());
    EXPECT_EQ(pa_types(rep->padata), (std::vector<std::int32_t>{19}));
    EtypeInfo2 rep_info;
    ASSERT_TRUE(decode_etype_info2((*rep->padata)[0].padata_value, &rep_info).ok());
    ASSERT_EQ(rep_info.size(), 1u);
    EXPECT_EQ(rep_info[0].etype, c.etypes.front());
    EXPECT_EQ(rep_info[0].salt, c.salt);
    EXPECT_EQ(rep->crealm, c.realm);
    EXPECT_EQ(rep->cname, *b1.cname);
    EXPECT_EQ(rep->ticket.realm, c.realm);
    EXPECT_EQ(rep->ticket.sname, krbtgt(c.realm));
    EXPECT_EQ(rep->ticket.enc_part.etype, 18);  // every TGT is sealed with krbtgt's aes256 key
    EXPECT_EQ(rep->ticket.enc_part.kvno, 1u);
    EXPECT_EQ(rep->enc_part.etype, c.etypes.front());
    EXPECT_FALSE(rep->enc_part.kvno);
    Ticket alone;
    ASSERT_TRUE(decode_ticket(rep->ticket.raw, &alone).ok());
    EXPECT_EQ(alone.enc_part.cipher.size(), rep->ticket.enc_part.cipher.size());
  }
}

TEST(MitCapture, PreauthExchangesOfEveryEnctype) {
  std::size_t checked = 0;
  for (const Client& c : clients()) {
    if (!c.requires_preauth) continue;
    check_exchange(c, c.prefix, false);
    if (c.name == "alice") check_exchange(c, "tcp_" + c.prefix, true);
    ++checked;
  }
  EXPECT_EQ(checked, 5u);
}

TEST(MitCapture, NoPreauthClientGetsTheReplyAtOnce) {
  for (const Client& c : clients()) {
    if (c.requires_preauth) continue;
    const Buffer req_bytes = capture(c.prefix + "_as_req.hex");
    const Buffer rep_bytes = capture(c.prefix + "_as_rep.hex");
    auto req = decode_as_req(req_bytes);
    ASSERT_TRUE(req.ok());
    EXPECT_EQ(*req->req_body.cname, (PrincipalName{NameType::NT_PRINCIPAL, {c.name}}));
    auto rep = decode_as_rep(rep_bytes);
    ASSERT_TRUE(rep.ok());
    EXPECT_EQ(rep->cname, *req->req_body.cname);
    // The reply key is the first requested etype the client has a key for.
    std::int32_t expected = 0;
    for (std::int32_t e : req->req_body.etypes) {
      if (std::find(c.etypes.begin(), c.etypes.end(), e) != c.etypes.end()) {
        expected = e;
        break;
      }
    }
    EXPECT_EQ(rep->enc_part.etype, expected);
    EtypeInfo2 info;
    ASSERT_TRUE(decode_etype_info2((*rep->padata)[0].padata_value, &info).ok());
    EXPECT_EQ(info[0].etype, expected);
    EXPECT_EQ(info[0].salt, c.salt);
  }
}

TEST(MitCapture, WrongPasswordAndUnknownClientErrors) {
  const Buffer failed_bytes = capture("preauth_failed.hex");
  const Buffer required_bytes = capture("wrongpw_preauth_required.hex");
  const Buffer unknown_req_bytes = capture("unknown_as_req.hex");
  const Buffer unknown_bytes = capture("client_unknown.hex");
  auto failed = decode_krb_error(failed_bytes);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->error_code, ErrorCode::KDC_ERR_PREAUTH_FAILED);
  EXPECT_EQ(failed->e_text, "PREAUTH_FAILED");
  auto required = decode_krb_error(required_bytes);
  ASSERT_TRUE(required.ok());
  ASSERT_TRUE(failed->e_data && required->e_data);
  EXPECT_EQ(to_hex(*failed->e_data), to_hex(*required->e_data));  // the same hints

  auto unknown_req = decode_as_req(unknown_req_bytes);
  ASSERT_TRUE(unknown_req.ok());
  auto unknown = decode_krb_error(unknown_bytes);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->error_code, ErrorCode::KDC_ERR_C_PRINCIPAL_UNKNOWN);
  EXPECT_EQ(unknown->e_text, "CLIENT_NOT_FOUND");
  EXPECT_FALSE(unknown->e_data);
  EXPECT_EQ(*unknown->cname, *unknown_req->req_body.cname);
  EXPECT_EQ(*unknown->crealm, unknown_req->req_body.realm);
  MethodData md;
  EXPECT_EQ(decode_error_method_data(*unknown, &md).err(), Err::kMissingField);
}

}  // namespace
}  // namespace kdcperf::krb::proto
