#pragma once
// exp(x) for float, written so that a `#pragma omp simd` loop calling it vectorizes: no
// branches, no library call (std::exp is a scalar call per element, and glibc's vector
// variants are only used under -ffast-math, which bertscope does not build with).
//
// Range reduction x = n ln2 + r, |r| <= ln2 / 2, with ln2 split in two so that n ln2 is exact
// enough; e^r by the Cephes expf polynomial (relative error ~1e-7 on that interval); then
// 2^n applied as two factors 2^(n/2) 2^(n - n/2), each a normal float, so that results
// down to the subnormal range and up to overflow come out right without special cases.
// Inputs below -104 (where e^x < 2^-150 rounds to 0) give 0, above 89 give +inf; exp(0) is
// exactly 1; NaN gives NaN. tests/fast_exp_test.cpp measures it against std::exp.

#include <bit>
#include <cstdint>

namespace bertscope {

#if defined(__GNUC__)
#define BERTSCOPE_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define BERTSCOPE_ALWAYS_INLINE inline
#endif

BERTSCOPE_ALWAYS_INLINE float fast_exp(float x) {
  // Clamp by selects (vectorizable); NaN fails both tests and stays NaN.
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  // n = round(x / ln2) by the 1.5 * 2^23 trick: adding it leaves n in the low mantissa bits.
  constexpr float kRound = 12582912.0f;
  const float shifted = xc * 1.44269504088896341f + kRound;
  const float n = shifted - kRound;
  const auto ni = static_cast<uint32_t>(std::bit_cast<int32_t>(shifted) - std::bit_cast<int32_t>(kRound));
  // r = x - n ln2, with ln2 = 0.693359375 - 2.12194440e-4 (the first part has few bits: n times
  // it is exact).
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * (r * r) + r + 1.0f;
  // 2^n as 2^half * 2^(n - half); n is in [-150, 129], so both halves have normal exponents.
  const uint32_t half = static_cast<uint32_t>(static_cast<int32_t>(ni) >> 1);
  const uint32_t rest = ni - half;
  const float scale_a = std::bit_cast<float>((half + 127u) << 23);
  const float scale_b = std::bit_cast<float>((rest + 127u) << 23);
  return er * scale_a * scale_b;
}

}  // namespace bertscope
