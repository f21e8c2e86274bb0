#pragma once
// All tensors of a model directory: `model.safetensors`, or the shards listed by
// `model.safetensors.index.json` (its weight_map), seen as one name -> tensor table.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weights/safetensors_file.h"

namespace bertscope {

class TensorStore {
 public:
  // `dir` is a resolved model directory (see model_dir.h). Throws Error when neither file
  // exists, a shard named by the index is missing, or the index is malformed.
  static TensorStore open_dir(const std::string& dir);
  static TensorStore open_file(const std::string& path);

  // The file named in "missing tensor" messages: model.safetensors, or the index.
  const std::string& origin() const { return origin_; }

  bool contains(std::string_view name) const;
  // Tensor `name` converted to float32. Throws Error naming the file when the tensor is
  // absent or its shape differs from `expected_shape`.
  std::vector<float> read_f32(std::string_view name, const std::vector<int64_t>& expected_shape) const;
  // The same, and in the same pass (each block scanned while it is in cache, not the whole
  // tensor again afterwards) the index of its first non-finite value, or nullopt.
  std::vector<float> read_f32_checked(std::string_view name, const std::vector<int64_t>& expected_shape,
                                      std::optional<size_t>& first_non_finite) const;
  // Pointer straight into the mapping when the tensor is F32 and 4-byte aligned (no copy),
  // else nullptr. Same checks as read_f32. Valid while this store lives.
  const float* borrow_f32(std::string_view name, const std::vector<int64_t>& expected_shape) const;
  // The checks of read_f32 (present, of that shape) without reading the data.
  void require(std::string_view name, const std::vector<int64_t>& expected_shape) const {
    lookup(name, expected_shape);
  }
  // Drops the tensor's pages from resident memory after it has been copied (see
  // SafetensorsFile::release); pointers from borrow_f32 stay valid.
  void release(std::string_view name) const;
  // Where `name` lives, for messages (the file path), or "" when absent.
  std::string file_of(std::string_view name) const;
  std::vector<std::string> names() const;
  // The stored shape of `name`. Throws Error naming the file when it is absent.
  const std::vector<int64_t>& shape_of(std::string_view name) const;

 private:
  struct Entry {
    const SafetensorsFile* file;
    const TensorInfo* info;
  };
  const Entry& lookup(std::string_view name, const std::vector<int64_t>& expected_shape) const;
  static DType float_dtype(const Entry& e);
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::vector<std::pair<std::string, Entry>> entries_;  // sorted by name
  std::string origin_;  // model.safetensors or the index: named when a tensor is missing
};

}  // namespace bertscope
