#pragma once
// Element types that may appear in a safetensors file, and their conversion to float32.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bertscope {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

std::optional<DType> parse_dtype(std::string_view name);  // "F32" -> DType::F32
std::string dtype_name(DType dtype);
size_t dtype_size(DType dtype);

float f16_to_f32(uint16_t bits);
float bf16_to_f32(uint16_t bits);
uint16_t f32_to_bf16(float value);  // round to nearest even, NaN kept NaN
// The same for `count` values, vectorised and spread over the OpenMP threads.
void f32_to_bf16(const float* src, size_t count, uint16_t* dst);
uint16_t f32_to_f16(float value);   // round to nearest even, overflow -> inf

// Converts `count` elements of a floating dtype (F32, F16, BF16, F64) at `src` to float32.
// Throws Error for non-floating dtypes.
void convert_to_f32(DType dtype, const std::byte* src, size_t count, float* dst);

}  // namespace bertscope
