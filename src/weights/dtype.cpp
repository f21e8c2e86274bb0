#include "weights/dtype.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/vector_dispatch.h"

namespace bertscope {

// safetensors stores every element little-endian; we read them with memcpy straight
// into host integers/floats, which is only right on a little-endian host.
static_assert(std::endian::native == std::endian::little, "bertscope assumes a little-endian host");

namespace {

struct DTypeRow {
  DType dtype;
  const char* name;  // as spelled in a safetensors header
  size_t size;       // bytes per element
};

constexpr DTypeRow kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::BOOL, "BOOL", 1},
};

const DTypeRow& row(DType dtype) {
  for (const auto& r : kDTypes)
    if (r.dtype == dtype) return r;
  throw Error("internal: unknown DType value " + std::to_string(static_cast<int>(dtype)));
}

}  // namespace

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& r : kDTypes)
    if (name == r.name) return r.dtype;
  return std::nullopt;
}

std::string dtype_name(DType dtype) { return row(dtype).name; }

size_t dtype_size(DType dtype) { return row(dtype).size; }

float f16_to_f32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1Fu;
  const uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float32 (10 significant bits).
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1F) {
    // Inf or NaN; the NaN payload is kept in the top mantissa bits so NaN stays NaN.
    return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  }
  // Normal: rebias the exponent (15 -> 127), widen the mantissa.
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

float bf16_to_f32(uint16_t bits) {
  // bfloat16 is the top half of a float32.
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

namespace {

// Branch-free, so that a loop of it compiles to vector code (the bf16 matmuls round every
// input this way: it must run at memory speed).
inline uint16_t round_bf16(uint32_t bits) {
  // Round to nearest even: add just under half an ulp, plus one when the kept lsb is odd.
  // A carry out of the mantissa correctly bumps the exponent (up to inf).
  const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
  // NaN: truncating could clear every mantissa bit left (turning it into inf): force a quiet bit.
  const uint32_t nan = (bits >> 16) | 0x0040u;
  return static_cast<uint16_t>((bits & 0x7FFFFFFFu) > 0x7F800000u ? nan : rounded);
}

}  // namespace

uint16_t f32_to_bf16(float value) { return round_bf16(std::bit_cast<uint32_t>(value)); }

namespace {
// One thread's share, cloned per ISA (common/vector_dispatch.h).
BERTSCOPE_VECTOR_CLONES
void f32_to_bf16_span(const float* src, std::ptrdiff_t n, uint16_t* dst) {
#pragma omp simd
  for (std::ptrdiff_t i = 0; i < n; ++i) dst[i] = round_bf16(std::bit_cast<uint32_t>(src[i]));
}
}  // namespace

void f32_to_bf16(const float* src, size_t count, uint16_t* dst) {
  constexpr std::ptrdiff_t kChunk = 16384;  // floats per task: 64 KiB, whole cache lines
  const auto n = static_cast<std::ptrdiff_t>(count);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t at = 0; at < n; at += kChunk) f32_to_bf16_span(src + at, std::min(kChunk, n - at), dst + at);
}

uint16_t f32_to_f16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & 0x7FFFFFFFu;

  if (abs >= 0x7F800000u) {  // inf or NaN
    if (abs == 0x7F800000u) return static_cast<uint16_t>(sign | 0x7C00u);
    return static_cast<uint16_t>(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));  // quiet NaN
  }
  // 65520 = halfway between the largest half (65504) and 2^16: it and above round to inf.
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);

  // Rounds `m / 2^shift` to nearest, ties to even.
  auto round_shift = [](uint32_t m, uint32_t shift) {
    const uint32_t kept = m >> shift;
    const uint32_t rest = m & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    return (rest > half || (rest == half && (kept & 1u))) ? kept + 1u : kept;
  };

  const uint32_t exponent = abs >> 23;
  if (exponent < 113) {
    // Below the smallest normal half (2^-14): result is a subnormal half, mantissa =
    // value * 2^24 rounded. value = m * 2^(exponent - 150), so shift = 126 - exponent.
    // Rounding up to 0x400 yields the smallest normal encoding, which is correct.
    if (exponent < 102) return sign;  // below 2^-25: rounds to zero (2^-25 itself ties to 0)
    const uint32_t m = (abs & 0x7FFFFFu) | 0x800000u;
    return static_cast<uint16_t>(sign | round_shift(m, 126u - exponent));
  }
  // Normal half: rebias (127 -> 15), drop 13 mantissa bits with rounding; a carry into
  // the exponent field is the right result (the overflow case was handled above).
  const uint32_t truncated = ((exponent - 112u) << 10) | ((abs & 0x7FFFFFu) >> 13);
  const uint32_t rest = abs & 0x1FFFu;
  const uint32_t rounded = (rest > 0x1000u || (rest == 0x1000u && (truncated & 1u))) ? truncated + 1u : truncated;
  return static_cast<uint16_t>(sign | rounded);
}

void convert_to_f32(DType dtype, const std::byte* src, size_t count, float* dst) {
  // memcpy per element: the source may sit at any byte offset of a mapped file.
  switch (dtype) {
    case DType::F32:
      if (count) std::memcpy(dst, src, count * sizeof(float));
      return;
    case DType::F16:
    case DType::BF16: {
      const bool half = dtype == DType::F16;
      for (size_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        dst[i] = half ? f16_to_f32(bits) : bf16_to_f32(bits);
      }
      return;
    }
    case DType::F64:
      for (size_t i = 0; i < count; ++i) {
        double v;
        std::memcpy(&v, src + 8 * i, 8);
        dst[i] = static_cast<float>(v);
      }
      return;
    default:
      throw Error("cannot convert dtype " + dtype_name(dtype) + " to float32 (not a floating type)");
  }
}

}  // namespace bertscope
