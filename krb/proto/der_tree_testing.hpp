// Test-only (header-only; library code never includes it): a small DER tree for editing
// captured messages. A test parses real bytes, changes one field (a nonce's encoding, an
// extra PA-DATA, a negative etype) and serializes again with correct minimal lengths, so
// tolerance tests start from what a peer really sent. trailing_data_variants() is the
// TestDerTrailingData sweep (BoringSSL crypto/test/der_trailing_data.h): one copy of the
// message per constructed element, with junk appended inside that element and every
// enclosing length fixed up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "krb/base/bytes.hpp"

namespace kdcperf::krb::proto::testing {

struct DerNode {
  std::uint8_t tag = 0;
  Buffer content;                 // contents of a primitive element
  std::vector<DerNode> children;  // elements of a constructed one

  bool constructed() const { return (tag & 0x20) != 0; }
  // The nth child with this tag, or nullptr.
  DerNode* child(std::uint8_t t, std::size_t nth = 0) {
    for (DerNode& c : children) {
      if (c.tag == t && nth-- == 0) return &c;
    }
    return nullptr;
  }
};

namespace detail {
inline bool parse_elements(ByteView in, std::vector<DerNode>* out, int depth);

inline bool parse_one(ByteView in, std::size_t* used, DerNode* out, int depth) {
  if (depth > 64 || in.size() < 2) return false;
  out->tag = std::to_integer<std::uint8_t>(in[0]);
  std::size_t len = std::to_integer<std::size_t>(in[1]);
  std::size_t hdr = 2;
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    if (n == 0 || n > 4 || in.size() < 2 + n) return false;
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | std::to_integer<std::size_t>(in[2 + i]);
    hdr = 2 + n;
  }
  if (len > in.size() - hdr) return false;
  const ByteView contents = in.subspan(hdr, len);
  if (out->constructed()) {
    if (!parse_elements(contents, &out->children, depth + 1)) return false;
  } else {
    out->content.assign(contents.begin(), contents.end());
  }
  *used = hdr + len;
  return true;
}

inline bool parse_elements(ByteView in, std::vector<DerNode>* out, int depth) {
  while (!in.empty()) {
    DerNode n;
    std::size_t used = 0;
    if (!parse_one(in, &used, &n, depth)) return false;
    out->push_back(std::move(n));
    in = in.subspan(used);
  }
  return true;
}

inline void put_length(Buffer* out, std::size_t len) {
  if (len < 0x80) {
    out->push_back(std::byte(len));
    return;
  }
  std::size_t n = 0;
  for (std::size_t v = len; v != 0; v >>= 8) ++n;
  out->push_back(std::byte(0x80 | n));
  for (std::size_t i = n; i-- > 0;) out->push_back(std::byte((len >> (8 * i)) & 0xff));
}

// Serializes n; if the pre-order index of a constructed node equals `target`, appends junk
// at the end of its contents. *index counts constructed nodes visited.
inline Buffer serialize(const DerNode& n, long target, long* index, ByteView junk) {
  Buffer contents;
  if (n.constructed()) {
    const long mine = (*index)++;
    for (const DerNode& c : n.children) {
      const Buffer b = serialize(c, target, index, junk);
      contents.insert(contents.end(), b.begin(), b.end());
    }
    if (mine == target) contents.insert(contents.end(), junk.begin(), junk.end());
  } else {
    contents = n.content;
  }
  Buffer out;
  out.push_back(std::byte(n.tag));
  put_length(&out, contents.size());
  out.insert(out.end(), contents.begin(), contents.end());
  return out;
}

inline long count_constructed(const DerNode& n) {
  if (!n.constructed()) return 0;
  long c = 1;
  for (const DerNode& ch : n.children) c += count_constructed(ch);
  return c;
}
}  // namespace detail

// The input must be exactly one element; nullopt if it does not parse.
inline std::optional<DerNode> parse_der(ByteView in) {
  DerNode n;
  std::size_t used = 0;
  if (!detail::parse_one(in, &used, &n, 0) || used != in.size()) return std::nullopt;
  return n;
}

inline Buffer serialize(const DerNode& n) {
  long index = 0;
  return detail::serialize(n, -1, &index, {});
}

// One variant per constructed element of `message` (pre-order), each with `junk` appended
// inside that element. Empty if the message does not parse.
inline std::vector<Buffer> trailing_data_variants(ByteView message, ByteView junk) {
  std::vector<Buffer> out;
  const auto root = parse_der(message);
  if (!root) return out;
  const long n = detail::count_constructed(*root);
  for (long target = 0; target < n; ++target) {
    long index = 0;
    out.push_back(detail::serialize(*root, target, &index, junk));
  }
  return out;
}

}  // namespace kdcperf::krb::proto::testing
