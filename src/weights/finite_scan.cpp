#include "weights/finite_scan.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace bertscope {

namespace {

constexpr uint32_t kExponent = 0x7F800000u;  // all ones only for inf and NaN
constexpr size_t kBlock = 4096;

// Largest exponent field in the block: a max-reduction over integers, which compilers turn
// into SIMD code without -ffast-math (a loop over std::isfinite would stay scalar).
uint32_t max_exponent(const float* values, size_t count) {
  uint32_t largest = 0;
  for (size_t i = 0; i < count; ++i) largest = std::max(largest, std::bit_cast<uint32_t>(values[i]) & kExponent);
  return largest;
}

}  // namespace

std::optional<size_t> first_non_finite(const float* values, size_t count) {
  for (size_t start = 0; start < count; start += kBlock) {
    const size_t n = std::min(kBlock, count - start);
    if (max_exponent(values + start, n) != kExponent) continue;
    for (size_t i = start; i < start + n; ++i) {
      if (!std::isfinite(values[i])) return i;
    }
  }
  return std::nullopt;
}

std::string non_finite_name(float value) {
  if (std::isnan(value)) return "NaN";
  return value < 0 ? "-inf" : "inf";
}

}  // namespace bertscope
