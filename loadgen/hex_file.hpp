// Reading the krb/testdata *.hex format (captured messages) for the measurement tools
// kdcperf-responder and kdcperf-plain-generator: hex digits, whitespace ignored, lines that
// start with '#' are comments.
#pragma once

#include <optional>
#include <string>

#include "krb/base/bytes.hpp"

namespace kdcperf::loadgen {

// The bytes; nullopt when the file cannot be read, holds anything but hex digits, whitespace
// and comment lines, or an odd number of digits.
std::optional<krb::Buffer> read_hex_file(const std::string& path);

}  // namespace kdcperf::loadgen
