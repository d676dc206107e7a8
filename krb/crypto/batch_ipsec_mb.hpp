// The multi-buffer backend of seal_batch/open_batch for the AES enctypes (17-20), on
// intel-ipsec-mb 1.3's cipher-burst and hash-burst APIs: AES-CBC and HMAC over up to 128
// messages per library call, with the ciphertext-stealing swap (RFC 3962 §5) done here.
//
// Internal to krb/crypto: cipher.cpp validates each job's buffers, then hands the valid ones
// here; the OpenSSL per-message path (seal_with_confounder/open) stays the reference, and the
// tests compare the two byte for byte.
#pragma once

#include <memory>
#include <span>

#include "krb/base/bytes.hpp"
#include "krb/crypto/cipher.hpp"
#include "krb/crypto/enctype.hpp"

namespace kdcperf::krb::crypto::ipsec_mb {

// Expanded Ke (encrypt and decrypt schedules) and the HMAC(Ki) inner and outer hash states
// of one (key, usage), computed once; wiped with sodium_memzero when freed.
struct KeyState;
struct KeyStateDeleter {
  void operator()(KeyState* k) const noexcept;
};
using KeyStatePtr = std::unique_ptr<KeyState, KeyStateDeleter>;

// True when the library initialises a manager with AES-NI on this CPU (checked once).
bool available();

// For an AES enctype (17-20) with its derived Ke and Ki; nullptr when !available() or the
// enctype is not AES.
KeyStatePtr make_key_state(Enctype e, ByteView ke, ByteView ki);

// Multi-buffer code runs a fixed set of lanes, so one message costs about as much as a full
// set. Below min_batch() messages of one HMAC in a batch, the per-message OpenSSL path is
// faster, and cipher.cpp sends them there. The count is per lane_group() (the HMAC).
inline constexpr std::size_t kLaneGroups = 3;
std::size_t lane_group(const KeyState& k);
std::size_t min_batch(const KeyState& k);

// A seal job whose buffers cipher.cpp has checked (out holds plaintext + overhead; in and out
// identical or disjoint), with its 16-byte confounder.
struct SealItem {
  const KeyState* key;
  const std::byte* confounder;
  SealJob* job;
};
// An open job whose buffers cipher.cpp has checked (ciphertext holds confounder and MAC; out
// holds the plaintext; identical or disjoint).
struct OpenItem {
  const KeyState* key;
  OpenJob* job;
};

// Set each job's status and out_len with the same results as seal_with_confounder/open. On
// any failure an open job's out is zeroed. Runs kMaxItems at a time (one burst each).
inline constexpr std::size_t kMaxItems = 128;
void seal(std::span<const SealItem> items);
void open(std::span<const OpenItem> items);

}  // namespace kdcperf::krb::crypto::ipsec_mb
