#pragma once
// Writes a safetensors file that Python's `safetensors` and numpy load, atomically
// (temporary file in the same folder, fsync, rename): no half-written file on error.
#include <cstdint>
#include <string>
#include <vector>

#include "weights/dtype.h"

namespace bertscope {

struct OutputTensor {
  std::string name;
  DType dtype;  // F32, F16, BF16 or I64
  std::vector<int64_t> shape;
  std::vector<std::byte> data;  // little-endian, dtype_size x elements bytes

  static OutputTensor f32(std::string name, std::vector<int64_t> shape, const float* values);
  static OutputTensor i64(std::string name, std::vector<int64_t> shape, const int64_t* values);
};

void write_safetensors(const std::string& path, const std::vector<OutputTensor>& tensors,
                       const std::vector<std::pair<std::string, std::string>>& metadata = {});

}  // namespace bertscope
