// CRC-32C (Castagnoli), the checksum TFRecord framing uses, and the "mask"
// TFRecord applies to stored checksums.
//
// CRC-32C: reflected polynomial 0x82F63B78 (0x1EDC6F41 unreflected), initial
// value and final XOR 0xFFFFFFFF (RFC 3720, section 12.1 and appendix B.4).
// Check value: Crc32c("123456789") == 0xE3069283.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tarmac {

// CRC-32C of `data`.
uint32_t Crc32c(std::string_view data);

// Continues a CRC: Crc32cExtend(Crc32c(a), b) == Crc32c(a + b).
uint32_t Crc32cExtend(uint32_t crc, std::string_view data);

// TFRecord stores masked CRCs, because a CRC of data that itself holds CRCs
// is weak: mask(crc) = rotate_right(crc, 15) + 0xA282EAD8 (mod 2^32).
inline constexpr uint32_t kCrc32cMaskDelta = 0xA282EAD8u;

constexpr uint32_t MaskCrc32c(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kCrc32cMaskDelta;
}

constexpr uint32_t UnmaskCrc32c(uint32_t masked) {
  const uint32_t rotated = masked - kCrc32cMaskDelta;
  return (rotated >> 17) | (rotated << 15);
}

}  // namespace tarmac
