// Fuzz target: a safetensors file (8-byte header length, JSON header, data) as bertscope
// maps and validates it (SafetensorsFile::open), then every floating tensor read back as
// float32 through the TensorStore, as model loading does.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "weights/safetensors_file.h"
#include "weights/tensor_store.h"

using namespace bertscope;

namespace {

bool is_floating(DType d) { return d == DType::F32 || d == DType::F16 || d == DType::BF16 || d == DType::F64; }

void check_accepted_file(const SafetensorsFile& file, size_t file_size) {
  fuzz::expect(file.data_offset() >= 8 && file.data_offset() <= file_size, "data offset outside the file");
  const size_t data_size = file_size - file.data_offset();
  size_t previous_end = 0;
  std::vector<const TensorInfo*> by_begin;
  for (const TensorInfo& t : file.tensors()) {
    fuzz::expect(t.begin <= t.end && t.end <= data_size, "tensor '" + t.name + "' reaches outside the data section");
    fuzz::expect(static_cast<uint64_t>(t.element_count()) * dtype_size(t.dtype) == t.end - t.begin,
                 "tensor '" + t.name + "' byte count disagrees with dtype x shape");
    fuzz::expect(file.find(t.name) == &t, "find() does not return tensor '" + t.name + "'");
    fuzz::expect(file.bytes(t).size() == t.end - t.begin, "bytes() size of '" + t.name + "'");
    if (t.end > t.begin) by_begin.push_back(&t);
  }
  std::sort(by_begin.begin(), by_begin.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (const TensorInfo* t : by_begin) {
    fuzz::expect(t->begin >= previous_end, "tensor '" + t->name + "' overlaps another");
    previous_end = t->end;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz::scratch_path("model.safetensors");
  fuzz::write_input(path, data, size);
  try {
    const auto file = SafetensorsFile::open(path);
    check_accepted_file(*file, size);
    const TensorStore store = TensorStore::open_file(path);
    for (const TensorInfo& t : file->tensors()) {
      if (!is_floating(t.dtype)) continue;
      // Converted size is at most twice the bytes on disk (F16 -> F32): bounded by the input.
      const std::vector<float> values = store.read_f32(t.name, t.shape);
      fuzz::expect(values.size() == static_cast<size_t>(t.element_count()), "read_f32 size of '" + t.name + "'");
      if (const float* borrowed = store.borrow_f32(t.name, t.shape)) {
        fuzz::expect(std::equal(values.begin(), values.end(), borrowed, [](float a, float b) {
                       return a == b || (a != a && b != b);
                     }),
                     "borrowed and copied values of '" + t.name + "' differ");
      }
    }
  } catch (const Error& e) {
    fuzz::check_refusal(e, path);
  }
  return 0;
}
