#include "krb/crypto/nfold.hpp"

#include <array>
#include <cstdint>
#include <numeric>

namespace kdcperf::krb::crypto {

bool nfold(ByteView in, MutableByteView out) {
  const std::size_t inlen = in.size();
  const std::size_t outlen = out.size();
  if (inlen == 0 || outlen == 0 || inlen > kMaxNfoldBytes || outlen > kMaxNfoldBytes) {
    return false;
  }
  // The result is the sum of lcm/inlen copies of the input, the k-th copy rotated right by
  // 13*k bits, cut into outlen-byte pieces that are added together with end-around carry.
  const std::size_t lcm = std::lcm(inlen, outlen);
  const auto* src = u8(in);
  std::array<std::uint8_t, kMaxNfoldBytes> acc{};
  unsigned carry = 0;
  // Walk the lcm-byte stream from its last byte to its first, adding into the output byte
  // it lands on, so carries move toward the front as in big-endian addition.
  for (std::size_t i = lcm; i-- > 0;) {
    const std::size_t copy = i / inlen;     // which rotated copy this byte belongs to
    const std::size_t bit_rot = 13 * copy;  // that copy is rotated right by 13*copy bits
    const std::size_t pos = i % inlen;      // byte position within the copy
    // Bit b of the rotated copy is bit (b - rot) mod (8*inlen) of the input.
    const std::size_t inbits = 8 * inlen;
    const std::size_t first_bit = (8 * pos + inbits - (bit_rot % inbits)) % inbits;
    unsigned byte = 0;
    for (int k = 0; k < 8; ++k) {
      const std::size_t b = (first_bit + static_cast<std::size_t>(k)) % inbits;
      const unsigned bit = (src[b / 8] >> (7 - b % 8)) & 1u;
      byte = (byte << 1) | bit;
    }
    const std::size_t o = i % outlen;
    carry += acc[o] + byte;
    acc[o] = static_cast<std::uint8_t>(carry & 0xff);
    carry >>= 8;
    // At the start of each outlen-sized piece the carry chain is continued into the next
    // piece's last byte, which is exactly ones'-complement addition across pieces.
  }
  // End-around carry: add the remaining carry back in from the least significant byte.
  while (carry != 0) {
    for (std::size_t o = outlen; o-- > 0 && carry != 0;) {
      carry += acc[o];
      acc[o] = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
  }
  auto* dst = u8(out);
  for (std::size_t o = 0; o < outlen; ++o) dst[o] = acc[o];
  return true;
}

}  // namespace kdcperf::krb::crypto
