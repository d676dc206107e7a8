#include "krb/crypto/key.hpp"

#include <string>

namespace kdcperf::krb::crypto {

std::string Key::debug_string() const {
  const EnctypeInfo* info = enctype_info(etype);
  std::string s = "Key{";
  if (info != nullptr) {
    s += info->name;
  } else {
    s += "etype ";
    s += std::to_string(static_cast<std::int32_t>(etype));
  }
  s += ", ";
  s += std::to_string(bytes.size());
  s += " bytes}";
  return s;
}

}  // namespace kdcperf::krb::crypto
