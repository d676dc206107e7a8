#include "krb/files/principal.hpp"

namespace kdcperf::krb::files {
namespace {

void append_quoted(std::string& out, const std::string& s) {
  for (const char c : s) {
    switch (c) {
      case '/':
      case '@':
      case '\\':
        out += '\\';
        out += c;
        break;
      case '\0':
        out += "\\0";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

std::string unparse(const Principal& p) {
  std::string out;
  for (std::size_t i = 0; i < p.components.size(); ++i) {
    if (i != 0) out += '/';
    append_quoted(out, p.components[i]);
  }
  out += '@';
  append_quoted(out, p.realm);
  return out;
}

}  // namespace kdcperf::krb::files
