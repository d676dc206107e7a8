// Reading test data: files under krb/testdata/ and `Key = Value` vector files.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "krb/base/bytes.hpp"

namespace kdcperf::testing {

// Absolute path of a file in the source tree, e.g. source_path("krb/testdata/x.hex").
std::string source_path(std::string_view relative);
// Whole file as bytes; fails the current test (ADD_FAILURE) and returns empty if unreadable.
krb::Buffer read_file(std::string_view path);
// A file of hex digits (whitespace and '#' comment lines ignored) as bytes.
krb::Buffer read_hex_file(std::string_view path);
// Hex string to bytes; aborts the test on malformed hex (a bug in the test itself).
krb::Buffer hex(std::string_view h);

// A vector file: blocks of `Key = Value` lines separated by blank lines, '#' comments.
// Every attribute must be consumed by the test: take() removes it, and the destructor of
// VectorBlock fails the test if any attribute was left unread (a silently ignored field is a
// vector that was never checked).
class VectorBlock {
 public:
  explicit VectorBlock(std::map<std::string, std::string> attrs, int line)
      : attrs_(std::move(attrs)), line_(line) {}
  VectorBlock(VectorBlock&&) = default;
  ~VectorBlock();
  bool has(const std::string& key) const { return attrs_.count(key) != 0; }
  std::string take(const std::string& key);
  krb::Buffer take_hex(const std::string& key);
  int line() const { return line_; }

 private:
  std::map<std::string, std::string> attrs_;
  int line_;
};

std::vector<VectorBlock> read_vector_file(std::string_view path);

}  // namespace kdcperf::testing
