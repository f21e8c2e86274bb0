#pragma once
// The pieces of the Python module `bertscope._bertscope`, one concept per file:
//   errors.cpp      bertscope.Error (a ValueError) with the CLI's one-line message
//   demo_model.cpp  where the shipped demo model lies, relative to this module
//   arrays.cpp      numpy arrays that take over C++ buffers (no second copy)
//   interrupt.cpp   the progress callback that lets Ctrl-C and Python callbacks stop a sweep
//   model.cpp       bertscope.Model: load, config, tokenize, encode, predict
//   arguments.cpp   Python arguments: paths, one text or a list (a padded batch), layers
//   (model/site_patterns.h of the engine: site names and glob patterns -> hook sites)
//   forward.cpp     run_with_cache and run_with_hooks
//   experiment.cpp  Model.sweep and run_spec: experiments, their results and files
//   collect.cpp     Model.collect: activations at sites and positions over many prompts
//   tensors.cpp     read_safetensors: dump's and collect's files as numpy arrays
//   neurons.cpp     Model.neuron_stats: bertscope neurons, t-tests per unit between two prompt sets
//   gradients.cpp   Model.gradients (d metric / d activations, the exact backward pass), Model.saliency
//   readouts.cpp    Model.head (logits of any hidden state), Model.lens and Model.patch_grid
//   weights.cpp     Model.weights: the checkpoint's tensors by HuggingFace name
//   unit_statistics.cpp  compare_units: per-unit t-tests of two sets of activations, with FDR
//   module.cpp      the module definition
#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <string>

#include "experiments/experiment.h"
#include "model/encoder.h"
#include "model/gradients.h"

namespace bertscope::python {

namespace py = pybind11;

// A loaded model as Python holds it: shared, so that a Result keeps it alive.
struct Model {
  std::shared_ptr<const Encoder> encoder;
  std::string path;   // as resolved: the folder given, $BERTSCOPE_MODEL or the demo model
  std::string dtype;  // "f32" or "bf16": what runs
  std::string dtype_requested;  // what load() was given: "auto", "f32" or "bf16"
  int threads = 0;    // 0: OpenMP's default (OMP_NUM_THREADS or all cores)
  bool demo = false;  // the shipped demo model, not a real BERT
  // The backward pass's plain weights, loaded by the first Model.gradients (under exclusive()).
  std::shared_ptr<const GradientModel> gradients;

  // OpenMP's thread count is per calling thread: every call that computes sets it again, so
  // a model used from another Python thread keeps its setting.
  void use_threads() const;

  // One computation at a time on a Model: its forward passes share working buffers, and
  // four threads sharing one Model got wrong logits in up to a third of their passes. Every
  // call that computes holds this for its whole computation, taken after it released the
  // GIL (a thread waiting here never blocks one whose hook needs the GIL). So threads may
  // share a Model safely, and run one after the other on it; for computation in parallel,
  // give each thread its own bertscope.load() (each model's passes use all --threads cores).
  std::unique_lock<std::mutex> exclusive() const { return std::unique_lock<std::mutex>(busy_); }

 private:
  mutable std::mutex busy_;
};

void register_errors(py::module_& m);
void bind_model(py::module_& m, py::class_<Model, std::shared_ptr<Model>>& cls);
void bind_forward(py::class_<Model, std::shared_ptr<Model>>& cls);
void bind_experiment(py::module_& m, py::class_<Model, std::shared_ptr<Model>>& cls);
void bind_collect(py::class_<Model, std::shared_ptr<Model>>& cls);
void bind_neurons(py::class_<Model, std::shared_ptr<Model>>& cls);
void bind_gradients(py::class_<Model, std::shared_ptr<Model>>& cls);
void bind_readouts(py::class_<Model, std::shared_ptr<Model>>& cls);
void bind_weights(py::module_& m, py::class_<Model, std::shared_ptr<Model>>& cls);
void bind_tensors(py::module_& m);
void bind_unit_statistics(py::module_& m);
void bind_shards(py::module_& m);

// run_spec with shard="K/N": shard K of N of `spec` into spec.out (empty: the shard's own
// folder beside `spec_out`, the spec's, as `bertscope run --shard`), through the Run API;
// returns shard.json's fields with out and files, as a dict.
py::object run_spec_shard(const std::shared_ptr<const Model>& model, ExperimentSpec spec, const std::string& spec_out,
                          const py::object& shard, py::object progress, std::string command);

}  // namespace bertscope::python
