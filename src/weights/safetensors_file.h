#pragma once
// A read-only, memory-mapped safetensors file (https://huggingface.co/docs/safetensors).
// Layout: 8-byte little-endian header length N, N bytes of JSON header, then the data.
// Every header field is validated before use: a hostile file can make us read nothing
// outside the mapping and allocate nothing larger than the file.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weights/dtype.h"

namespace bertscope {

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  size_t begin = 0;  // byte offset into the data section
  size_t end = 0;    // one past the last byte
  int64_t element_count() const;
};

// "[30522, 32]", as error messages print shapes.
std::string shape_string(const std::vector<int64_t>& shape);

class SafetensorsFile {
 public:
  // Maps and validates `path`. Throws Error naming the file and the problem: missing file,
  // truncated header, header length beyond the file, bad JSON, unknown dtype, negative
  // shape, byte count that disagrees with dtype x shape, offsets out of range or overlapping.
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(std::string_view name) const;  // nullptr when absent
  std::span<const std::byte> bytes(const TensorInfo& info) const;
  // Drops the tensor's pages from this process's resident memory once they have been
  // copied elsewhere (the data stays readable: a later access reads it back from the
  // page cache). Keeps the RSS of a loaded model near one copy of its weights.
  void release(const TensorInfo& info) const;
  // The optional "__metadata__" string map, sorted by key (e.g. {"format": "pt"}).
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  // Bytes before the data section: 8 + header length.
  size_t data_offset() const { return data_offset_; }

  // Largest header accepted; the JSON parser's memory is proportional to it.
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

 private:
  SafetensorsFile() = default;
  std::string path_;
  const std::byte* map_ = nullptr;
  size_t map_size_ = 0;
  size_t data_offset_ = 0;
  std::vector<TensorInfo> tensors_;  // sorted by name
  std::vector<std::pair<std::string, std::string>> metadata_;
};

}  // namespace bertscope
