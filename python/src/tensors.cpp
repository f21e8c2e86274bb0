// bertscope.read_safetensors: the files dump and collect write (and any safetensors file) as
// numpy arrays, with the library's own bounds-checked reader: no safetensors package needed.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>

#include "arguments.h"
#include "errors.h"
#include "module.h"
#include "weights/safetensors_file.h"

namespace bertscope::python {

namespace {

template <typename T>
py::array copy_of(const SafetensorsFile& file, const TensorInfo& info) {
  std::vector<py::ssize_t> shape(info.shape.begin(), info.shape.end());
  py::array_t<T> out(shape);
  const std::span<const std::byte> bytes = file.bytes(info);
  std::memcpy(out.mutable_data(), bytes.data(), bytes.size());
  return out;
}

py::object read_safetensors(const py::object& path_arg, bool metadata) {
  const std::string path = path_argument(path_arg, "path");
  const auto file = SafetensorsFile::open(path);
  py::dict tensors;
  for (const TensorInfo& info : file->tensors()) {
    py::array array;
    switch (info.dtype) {
      case DType::F64: array = copy_of<double>(*file, info); break;
      case DType::F32: array = copy_of<float>(*file, info); break;
      case DType::I64: array = copy_of<int64_t>(*file, info); break;
      case DType::I32: array = copy_of<int32_t>(*file, info); break;
      case DType::I16: array = copy_of<int16_t>(*file, info); break;
      case DType::I8: array = copy_of<int8_t>(*file, info); break;
      case DType::U8: array = copy_of<uint8_t>(*file, info); break;
      case DType::BOOL: array = copy_of<bool>(*file, info); break;
      case DType::F16: array = copy_of<uint16_t>(*file, info).attr("view")("float16"); break;
      case DType::BF16: {
        // numpy has no bfloat16: widened to float32, exactly.
        std::vector<py::ssize_t> shape(info.shape.begin(), info.shape.end());
        py::array_t<float> out(shape);
        const std::span<const std::byte> bytes = file->bytes(info);
        float* to = out.mutable_data();
        for (size_t i = 0; i < bytes.size() / 2; ++i) {
          uint16_t bits = 0;
          std::memcpy(&bits, bytes.data() + 2 * i, 2);
          to[i] = bf16_to_f32(bits);
        }
        array = out;
        break;
      }
    }
    tensors[py::str(info.name)] = array;
  }
  if (!metadata) return tensors;
  py::dict meta;
  for (const auto& [key, value] : file->metadata()) meta[py::str(key)] = value;
  return py::make_tuple(tensors, meta);
}

}  // namespace

void bind_tensors(py::module_& m) {
  m.def("read_safetensors", &read_safetensors, py::arg("path"), py::kw_only(), py::arg("metadata") = false,
        "A safetensors file (bertscope dump, bertscope collect, a model's weights) as {name: numpy array}; bf16 is "
        "widened to float32. With metadata=True, (arrays, the file's metadata as {key: str}).");
}

}  // namespace bertscope::python
