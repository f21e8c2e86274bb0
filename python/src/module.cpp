// The extension module bertscope._bertscope; python/bertscope/__init__.py is its front.
#include "module.h"

PYBIND11_MODULE(_bertscope, m) {
  using namespace bertscope::python;
  m.doc() = "bertscope's engine: masked-LM encoders' forward passes with hooks, intervention sweeps, experiment specs";
  m.attr("__version__") = BERTSCOPE_VERSION;
  register_errors(m);
  py::class_<Model, std::shared_ptr<Model>> model(m, "Model");
  bind_model(m, model);
  bind_forward(model);
  bind_experiment(m, model);
  bind_collect(model);
  bind_neurons(model);
  bind_gradients(model);
  bind_readouts(model);
  bind_weights(m, model);
  bind_tensors(m);
  bind_unit_statistics(m);
  bind_shards(m);
}
