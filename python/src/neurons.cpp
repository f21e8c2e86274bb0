// Model.neuron_stats: bertscope neurons from Python, the same study, tables and files.
#include <pybind11/stl.h>

#include "arguments.h"
#include "common/io_claims.h"
#include "errors.h"
#include "experiments/neuron_study.h"
#include "interrupt.h"
#include "module.h"
#include "reports/neuron_files.h"
#include "reports/file_set.h"
#include "reports/output_folder.h"

namespace bertscope::python {

namespace {

py::object neuron_stats(const std::shared_ptr<Model>& model, const py::object& prompts_a, const py::object& prompts_b,
                        const py::object& sites, const py::object& positions, const py::object& positions_b,
                        const py::object& labels, const std::string& test, double alpha,
                        const py::object& out, int max_batch_tokens, py::object progress) {
  const Encoder& encoder = *model->encoder;
  NeuronStudyRequest request;
  request.prompts_a = prompts_argument(prompts_a, "prompts_a");
  request.prompts_b = prompts_argument(prompts_b, "prompts_b");
  request.sites = sites_argument(encoder, sites, {});
  request.positions_a = Positions::parse(index_list_argument(positions, "positions"));
  request.positions_b = positions_b.is_none() ? request.positions_a
                                              : Positions::parse(index_list_argument(positions_b, "positions_b"));
  if (!labels.is_none()) {
    const bool pair = (py::isinstance<py::tuple>(labels) || py::isinstance<py::list>(labels)) && py::len(labels) == 2;
    if (!pair || !py::isinstance<py::str>(labels[py::int_(0)]) || !py::isinstance<py::str>(labels[py::int_(1)])) {
      throw py::type_error("labels must be two str, like (\"him\", \"her\")");
    }
    request.label_a = labels[py::int_(0)].cast<std::string>();
    request.label_b = labels[py::int_(1)].cast<std::string>();
  }
  const auto kind = parse_unit_test(test);
  if (!kind) fail("test must be one of student, welch, paired, not '" + test + "'");
  request.test = *kind;
  request.alpha = alpha;
  if (max_batch_tokens < 1) fail("max_batch_tokens must be at least 1");
  request.max_batch_tokens = max_batch_tokens;
  request.validate();
  const std::string out_path = path_argument(out, "out");
  IoClaims claims;
  claim_input(encoder.dir());
  std::optional<OutputFolder> folder;
  if (!out_path.empty()) folder.emplace(out_path, "neurons.json");
  PythonProgress meter(std::move(progress), 1);
  NeuronStudy study;
  std::string units, blocks;
  std::vector<std::string> written;
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    study = run_neuron_study(encoder, request, meter.fn());
    units = units_csv(study);
    blocks = blocks_csv(study);
    if (folder) {
      const RunContext context{"python: Model.neuron_stats(...)", model->demo, model->dtype, model->dtype_requested};
      written = write_files_together(folder->staging(), neuron_files(study, encoder, context));
    }
  }
  py::list files;
  if (folder) {
    folder->commit();
    for (const std::string& path : written) files.append(folder->published(path));
  }
  return py::module_::import("bertscope._collect").attr("NeuronStats")(units, blocks, files);
}

}  // namespace

void bind_neurons(py::class_<Model, std::shared_ptr<Model>>& cls) {
  cls.def("neuron_stats", &neuron_stats, py::arg("prompts_a"), py::arg("prompts_b"), py::kw_only(),
          py::arg("sites") = defaults::kNeuronSites, py::arg("positions") = Positions{}.describe(),
          py::arg("positions_b") = py::none(), py::arg("labels") = py::none(),
          py::arg("test") = unit_test_name(NeuronStudyRequest{}.test), py::arg("alpha") = NeuronStudyRequest{}.alpha,
          py::arg("out") = py::none(), py::arg("max_batch_tokens") = NeuronStudyRequest{}.max_batch_tokens,
          py::arg("progress") = py::none(),
          "Units of `sites` that tell two prompt sets apart, as `bertscope neurons`: a t-test per unit between the "
          "sets' per-prompt means at `positions` (`positions_b` for the second set), FDR within each site. `labels`: "
          "the sets' names, (\"a\", \"b\") by default.");
}

}  // namespace bertscope::python
