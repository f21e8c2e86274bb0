#include "weights/safetensors_writer.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json_text.h"
#include "weights/safetensors_file.h"

namespace bertscope {

using json = nlohmann::json;

namespace {

size_t element_count_checked(const std::string& path, const std::string& name, const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error(path + ": tensor '" + name + "' has negative dimension in shape " + shape_string(shape));
    if (__builtin_mul_overflow(n, static_cast<size_t>(d), &n))
      throw Error(path + ": tensor '" + name + "' shape " + shape_string(shape) + " overflows");
  }
  return n;
}

template <typename T>
std::vector<std::byte> copy_bytes(const std::vector<int64_t>& shape, const T* values) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(std::max<int64_t>(d, 0));
  std::vector<std::byte> out(n * sizeof(T));
  if (n) std::memcpy(out.data(), values, out.size());  // host is little-endian (dtype.cpp)
  return out;
}

}  // namespace

OutputTensor OutputTensor::f32(std::string name, std::vector<int64_t> shape, const float* values) {
  auto data = copy_bytes(shape, values);
  return {std::move(name), DType::F32, std::move(shape), std::move(data)};
}

OutputTensor OutputTensor::i64(std::string name, std::vector<int64_t> shape, const int64_t* values) {
  auto data = copy_bytes(shape, values);
  return {std::move(name), DType::I64, std::move(shape), std::move(data)};
}

void write_safetensors(const std::string& path, const std::vector<OutputTensor>& tensors,
                       const std::vector<std::pair<std::string, std::string>>& metadata) {
  // Data in name order, the same order nlohmann (a std::map) prints the header keys in:
  // the same tensors always give the same bytes, whatever order the caller built them in.
  std::vector<const OutputTensor*> order;
  for (const auto& t : tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const OutputTensor* a, const OutputTensor* b) { return a->name < b->name; });

  json header = json::object();
  size_t offset = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const OutputTensor& t = *order[i];
    if (t.name == "__metadata__") throw Error(path + ": '__metadata__' cannot be a tensor name");
    if (i > 0 && order[i - 1]->name == t.name) throw Error(path + ": tensor '" + t.name + "' given twice");
    const size_t count = element_count_checked(path, t.name, t.shape);
    size_t needed = 0;
    if (__builtin_mul_overflow(count, dtype_size(t.dtype), &needed) || needed != t.data.size())
      throw Error(path + ": tensor '" + t.name + "' has " + std::to_string(t.data.size()) + " bytes, but " +
                  dtype_name(t.dtype) + " x " + shape_string(t.shape) + " needs " + std::to_string(needed));
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + needed}}};
    offset += needed;
  }
  if (!metadata.empty()) {
    json meta = json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = std::move(meta);
  }

  std::string text;
  try {
    text = json_text(header);  // the metadata holds the text as given, not always UTF-8
  } catch (const json::exception& e) {  // a name or metadata string that is not UTF-8
    throw Error(path + ": cannot encode the header (" + e.what() + ")");
  }
  // Pad with spaces (valid JSON whitespace) so the data section starts 8-byte aligned,
  // letting readers use F32/I64 data in place.
  text.append((8 - text.size() % 8) % 8, ' ');
  const uint64_t header_len = text.size();
  char len_bytes[8];
  std::memcpy(len_bytes, &header_len, 8);  // little-endian host

  // Streamed: a multi-GB file is never assembled in memory.
  AtomicFileWriter out(path);
  out.write(std::string_view(len_bytes, 8));
  out.write(text);
  for (const OutputTensor* t : order)
    out.write(std::string_view(reinterpret_cast<const char*>(t->data.data()), t->data.size()));
  out.commit();
}

}  // namespace bertscope
