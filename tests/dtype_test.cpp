// dtype.h: names and sizes, and float16/bfloat16 <-> float32 checked against values
// derived here from the IEEE formulas (in double), not from the code under test.
#include "weights/dtype.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"

using namespace bertscope;

namespace {

// IEEE binary16 / bfloat16 value of a finite bit pattern, straight from the definition.
double half_value(uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
  const double magnitude = exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
  return sign ? -magnitude : magnitude;
}
double bf16_value(uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 7) & 0xFF, mantissa = bits & 0x7F;
  const double magnitude = exponent == 0 ? std::ldexp(mantissa, -133) : std::ldexp(1.0 + mantissa / 128.0, exponent - 127);
  return sign ? -magnitude : magnitude;
}

// Reference rounding of x to a 16-bit format by search: the nearest finite value, ties
// to the even bit pattern, beyond (max + half an ulp) -> inf. `value` maps bits to double.
template <typename Value>
uint16_t reference_round(float x, Value value, uint16_t max_finite_bits) {
  const double ax = std::fabs(static_cast<double>(x));
  const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const double max = value(max_finite_bits);
  const double beyond = max + (max - value(static_cast<uint16_t>(max_finite_bits - 1))) / 2;
  if (ax >= beyond) return static_cast<uint16_t>(sign | (max_finite_bits + 1));  // inf pattern
  // Positive finite patterns are ordered like their values: binary search.
  uint16_t lo = 0, hi = max_finite_bits;
  while (hi - lo > 1) {
    const auto mid = static_cast<uint16_t>((lo + hi) / 2);
    (value(mid) <= ax ? lo : hi) = mid;
  }
  if (value(hi) <= ax) lo = hi;
  const uint16_t up = static_cast<uint16_t>(std::min<int>(lo + 1, max_finite_bits + 1));
  const double d_lo = ax - value(lo);
  const double d_up = up > max_finite_bits ? std::numeric_limits<double>::infinity() : value(up) - ax;
  const uint16_t r = d_lo < d_up ? lo : d_up < d_lo ? up : ((lo & 1) ? up : lo);
  return static_cast<uint16_t>(sign | r);
}

float from_bits(uint32_t b) { return std::bit_cast<float>(b); }

}  // namespace

TEST(DType, NamesSizesAndParsing) {
  const std::pair<const char*, size_t> expected[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                                     {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};
  for (const auto& [name, size] : expected) {
    const auto dt = parse_dtype(name);
    ASSERT_TRUE(dt.has_value()) << name;
    EXPECT_EQ(dtype_name(*dt), name);
    EXPECT_EQ(dtype_size(*dt), size) << name;
  }
  EXPECT_FALSE(parse_dtype("F8_E4M3").has_value());
  EXPECT_FALSE(parse_dtype("f32").has_value());  // names are case-sensitive in safetensors
  EXPECT_FALSE(parse_dtype("").has_value());
}

TEST(DType, F16KnownValues) {
  EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16_to_f32(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
  EXPECT_EQ(f16_to_f32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16_to_f32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7C01)));  // signalling NaN with the lowest payload bit
  EXPECT_TRUE(std::isnan(f16_to_f32(0xFFFF)));
}

TEST(DType, F16ToF32MatchesDefinitionForEveryPattern) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const auto bits = static_cast<uint16_t>(b);
    if (((bits >> 10) & 0x1F) == 0x1F) continue;  // inf / NaN: above
    ASSERT_EQ(static_cast<double>(f16_to_f32(bits)), half_value(bits)) << std::hex << b;
  }
}

TEST(DType, Bf16KnownValuesAndDefinition) {
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_f32(0x4049), 3.140625f);
  EXPECT_EQ(bf16_to_f32(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7FC0)));
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const auto bits = static_cast<uint16_t>(b);
    if (((bits >> 7) & 0xFF) == 0xFF) continue;
    ASSERT_EQ(static_cast<double>(bf16_to_f32(bits)), bf16_value(bits)) << std::hex << b;
  }
}

TEST(DType, RoundTripsEveryPattern) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const auto bits = static_cast<uint16_t>(b);
    const float h = f16_to_f32(bits);
    if (std::isnan(h)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(h)))) << std::hex << b;
    } else {
      ASSERT_EQ(f32_to_f16(h), bits) << std::hex << b;
    }
    const float bf = bf16_to_f32(bits);
    if (std::isnan(bf)) {
      EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(bf)))) << std::hex << b;
    } else {
      ASSERT_EQ(f32_to_bf16(bf), bits) << std::hex << b;
    }
  }
}

TEST(DType, F32ToF16RoundsToNearestEven) {
  // Ties between neighbours go to the even mantissa.
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // 1 + half ulp -> 1
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // 1 + 1.5 ulp -> 1 + 2 ulp
  EXPECT_EQ(f32_to_f16(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3C01);  // above half -> up
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7BFF);  // below the midpoint to 2^16
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);  // the midpoint ties to "even" = inf
  EXPECT_EQ(f32_to_f16(-1e10f), 0xFC00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);                                 // tie -> 0
  EXPECT_EQ(f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);           // just above
  EXPECT_EQ(f32_to_f16(3 * std::ldexp(1.0f, -25)), 0x0002);                             // 1.5 -> 2
  EXPECT_EQ(f32_to_f16(std::ldexp(1023.5f, -24)), 0x0400);  // subnormal rounding into the normals
  EXPECT_EQ(f32_to_f16(1e-30f), 0x0000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(from_bits(0x7F800001)))));  // payload only in low bits
}

TEST(DType, F32ToBf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f32_to_bf16(from_bits(0x3F808000)), 0x3F80);  // exact tie, even stays
  EXPECT_EQ(f32_to_bf16(from_bits(0x3F818000)), 0x3F82);  // exact tie, odd goes up
  EXPECT_EQ(f32_to_bf16(from_bits(0x3F808001)), 0x3F81);  // above the tie
  EXPECT_EQ(f32_to_bf16(from_bits(0x3F807FFF)), 0x3F80);  // below the tie
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds past the max -> inf
  EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(from_bits(0x7F800001)))));  // would truncate to inf
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(from_bits(0xFFFFFFFF)))));
}

TEST(DType, RoundingMatchesReferenceSearchOnRandomFloats) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<uint32_t> any_bits;
  std::uniform_int_distribution<int> exponent(-30, 18);
  std::uniform_real_distribution<float> mantissa(-2.0f, 2.0f);
  for (int i = 0; i < 20000; ++i) {
    // Half the draws near the f16 range (where rounding is interesting), half any float.
    float x = i % 2 ? std::ldexp(mantissa(rng), exponent(rng)) : from_bits(any_bits(rng));
    if (std::isnan(x)) continue;
    if (std::isfinite(x)) {
      ASSERT_EQ(f32_to_f16(x), reference_round(x, half_value, 0x7BFF)) << x;
      ASSERT_EQ(f32_to_bf16(x), reference_round(x, bf16_value, 0x7F7F)) << x;
    }
  }
}

// The bulk rounding of the bf16 matmuls' inputs (vector code, threads) must give what the
// one-value rounding gives, bit for bit: ties, NaNs, infinities, subnormals, any bits.
TEST(DType, BulkBf16RoundingEqualsOneByOne) {
  std::vector<float> values;
  for (uint32_t high = 0; high < 0x10000; ++high) {
    for (uint32_t low : {0x0000u, 0x7FFFu, 0x8000u, 0x8001u, 0xFFFFu}) values.push_back(from_bits(high << 16 | low));
  }
  std::mt19937 rng(99);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 100003; ++i) values.push_back(from_bits(any_bits(rng)));  // odd count: a vector tail
  std::vector<uint16_t> bulk(values.size());
  f32_to_bf16(values.data(), values.size(), bulk.data());
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(bulk[i], f32_to_bf16(values[i])) << std::hex << std::bit_cast<uint32_t>(values[i]);
  }
}

TEST(DType, ConvertToF32FromUnalignedBytes) {
  // Offset 1 in the buffer: the converter must not assume alignment.
  std::vector<std::byte> buf(1 + 3 * 8);
  const float f32[3] = {1.5f, -0.25f, 1e30f};
  std::memcpy(buf.data() + 1, f32, sizeof f32);
  float out[3] = {};
  convert_to_f32(DType::F32, buf.data() + 1, 3, out);
  EXPECT_EQ(out[0], 1.5f);
  EXPECT_EQ(out[1], -0.25f);
  EXPECT_EQ(out[2], 1e30f);

  const uint16_t f16[3] = {0x3C00, 0xC000, 0x0001};
  std::memcpy(buf.data() + 1, f16, sizeof f16);
  convert_to_f32(DType::F16, buf.data() + 1, 3, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], std::ldexp(1.0f, -24));

  const uint16_t bf16[3] = {0x3F80, 0xC000, 0x4049};
  std::memcpy(buf.data() + 1, bf16, sizeof bf16);
  convert_to_f32(DType::BF16, buf.data() + 1, 3, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], 3.140625f);

  const double f64[3] = {0.5, -3.0, 1e300};
  std::memcpy(buf.data() + 1, f64, sizeof f64);
  convert_to_f32(DType::F64, buf.data() + 1, 3, out);
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_EQ(out[1], -3.0f);
  EXPECT_TRUE(std::isinf(out[2]));

  EXPECT_THROW(convert_to_f32(DType::I64, buf.data(), 1, out), Error);
}
