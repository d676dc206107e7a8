// A principal name as the MIT file formats store it (keytab and FILE ccache): a name type, a
// realm and the name components, each an arbitrary byte string (RFC 4120 §5.2.2 KerberosString
// in practice, but files do not promise UTF-8 or even printable bytes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kdcperf::krb::files {

// RFC 4120 §6.2 name types used by the tests and tools; the field itself is a raw int32 so
// any value a file holds is kept.
inline constexpr std::int32_t kNtUnknown = 0;
inline constexpr std::int32_t kNtPrincipal = 1;
inline constexpr std::int32_t kNtSrvInst = 2;

struct Principal {
  std::int32_t name_type = kNtPrincipal;
  std::string realm;
  std::vector<std::string> components;

  friend bool operator==(const Principal&, const Principal&) = default;
};

// "comp1/comp2@REALM" as MIT's krb5_unparse_name prints it (what klist shows): '/', '@' and
// '\' are escaped with a backslash, and NUL, tab, newline and backspace become \0 \t \n \b.
std::string unparse(const Principal& p);

}  // namespace kdcperf::krb::files
