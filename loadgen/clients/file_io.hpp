// Files for the load generator's cold paths: keytabs of derived keys, identity lists, ticket
// caches. libkrb opens no files (DESIGN.md), so reading and writing happen here.
#pragma once

#include <string>
#include <string_view>

#include "krb/base/bytes.hpp"
#include "krb/base/result.hpp"
#include "loadgen/clients/population.hpp"

namespace kdcperf::loadgen::clients {

// A whole regular file, at most max_bytes (else Err::kElementTooLarge); Err::kNotFound when it
// cannot be opened.
krb::Result<krb::Buffer> read_file(const std::string& path, std::size_t max_bytes = 1u << 30);

// Writes bytes to `path` atomically with the given mode: a temporary file beside it (mkstemp,
// so created 0600 and never world-readable, then fchmod to `mode`), fsync, rename over
// `path`. A reader sees the old file or the new one, never a partial one; on failure the
// temporary file is removed. Err::kNotFound (directory missing or not writable) or
// Err::kInvalidArgument.
krb::Status write_file_atomic(const std::string& path, krb::ByteView bytes, unsigned mode = 0600);

// Population keys to and from a keytab file (Population::to_keytab / load_keys), so a second
// run skips string-to-key.
krb::Status save_keys_file(const Population& population, const std::string& path,
                           std::uint32_t timestamp);
krb::Result<std::uint64_t> load_keys_file(Population& population, const std::string& path,
                                          std::span<const std::int32_t> preference = {});

}  // namespace kdcperf::loadgen::clients
