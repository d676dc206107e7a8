// Reading a krb/testdata *.hex file (captured messages; krb::from_hex_text) for the measurement
// tools: kdcperf-responder and the reference generators (reference_options.hpp).
#pragma once

#include <optional>
#include <string>

#include "krb/base/bytes.hpp"

namespace kdcperf::loadgen {

// The bytes; nullopt when the file cannot be read, holds anything but hex digits, whitespace
// and comment lines, or an odd number of digits.
std::optional<krb::Buffer> read_hex_file(const std::string& path);

}  // namespace kdcperf::loadgen
