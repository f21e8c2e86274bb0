// Model.weights: the checkpoint's tensors by their HuggingFace names, as float32 numpy arrays
// (bf16 and f16 widened exactly), read one at a time from the model's files on request: the
// engine's packed copies are reordered for its kernels and are not what a user reads.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "arrays.h"
#include "module.h"
#include "weights/tensor_store.h"

namespace bertscope::python {

namespace {

// A model folder's tensors (model.safetensors or the shards of model.safetensors.index.json);
// bertscope.Weights (python/bertscope/_weights.py) makes it a collections.abc.Mapping.
struct Weights {
  std::shared_ptr<const TensorStore> store;

  py::array_t<float> get(const std::string& name) const {
    const std::vector<int64_t>& shape = store->shape_of(name);
    std::vector<float> values;
    {
      py::gil_scoped_release release;
      values = store->read_f32(name, shape);
    }
    return take_array(std::move(values), std::vector<py::ssize_t>(shape.begin(), shape.end()));
  }
};

}  // namespace

void bind_weights(py::module_& m, py::class_<Model, std::shared_ptr<Model>>& cls) {
  py::class_<Weights>(m, "_Weights", "A model folder's tensors (use bertscope.Weights)")
      .def("get", &Weights::get, py::arg("name"))
      .def("names", [](const Weights& w) { return w.store->names(); })
      .def("contains", [](const Weights& w, const std::string& name) { return w.store->contains(name); })
      .def("shape", [](const Weights& w, const std::string& name) { return w.store->shape_of(name); })
      .def("origin", [](const Weights& w) { return w.store->origin(); });
  cls.def_property_readonly(
      "weights",
      [](const Model& self) {
        Weights raw{std::make_shared<const TensorStore>(TensorStore::open_dir(self.path))};
        return py::module_::import("bertscope._weights").attr("Weights")(py::cast(std::move(raw)));
      },
      R"doc(The checkpoint's tensors by their HuggingFace names (m.weights["bert.encoder.layer.0.output.dense.weight"]),
as float32 numpy arrays in HuggingFace's layout, read from the model's files when asked for. With m.head,
direct logit attribution and weight-based analyses need no other package.)doc");
}

}  // namespace bertscope::python
