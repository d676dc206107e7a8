#include "tests/support/testdata.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>

namespace kdcperf::testing {

std::string source_path(std::string_view relative) {
  return std::string(KDCPERF_SOURCE_DIR) + "/" + std::string(relative);
}

krb::Buffer read_file(std::string_view path) {
  std::ifstream in{std::string(path), std::ios::binary};
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  krb::Buffer b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) b[i] = std::byte(static_cast<unsigned char>(s[i]));
  return b;
}

krb::Buffer hex(std::string_view h) {
  auto b = krb::from_hex(h);
  if (!b) {
    ADD_FAILURE() << "malformed hex in test: " << h;
    return {};
  }
  return *b;
}

krb::Buffer read_hex_file(std::string_view path) {
  const krb::Buffer raw = read_file(path);
  auto b = krb::from_hex_text(krb::as_chars(raw));
  if (!b) {
    ADD_FAILURE() << "malformed hex in " << path;
    return {};
  }
  return *b;
}

VectorBlock::~VectorBlock() {
  for (const auto& [k, v] : attrs_)
    ADD_FAILURE() << "vector at line " << line_ << ": attribute " << k << " was never checked";
}

std::string VectorBlock::take(const std::string& key) {
  auto it = attrs_.find(key);
  if (it == attrs_.end()) {
    ADD_FAILURE() << "vector at line " << line_ << " has no " << key;
    return {};
  }
  std::string v = it->second;
  attrs_.erase(it);
  return v;
}

krb::Buffer VectorBlock::take_hex(const std::string& key) {
  return hex(take(key));
}

std::vector<VectorBlock> read_vector_file(std::string_view path) {
  std::vector<VectorBlock> blocks;
  const krb::Buffer raw = read_file(path);
  std::istringstream lines{std::string(krb::as_chars(raw))};
  std::map<std::string, std::string> cur;
  int line_no = 0, start = 0;
  auto flush = [&] {
    if (!cur.empty()) blocks.emplace_back(std::move(cur), start);
    cur.clear();
  };
  for (std::string line; std::getline(lines, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      flush();
      continue;
    }
    auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t");
      const auto e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    if (cur.empty()) start = line_no;
    cur[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  flush();
  return blocks;
}

}  // namespace kdcperf::testing
