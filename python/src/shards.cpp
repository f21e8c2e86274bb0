// bertscope.run_spec(..., shard="K/N") and bertscope.merge: the Run API (runs/) from Python,
// with the CLI's folders: a shard written here merges with shards the CLI wrote, and the
// other way round.
#include <pybind11/stl.h>

#include "arguments.h"
#include "common/io_claims.h"
#include "common/json_text.h"
#include "errors.h"
#include "interrupt.h"
#include "module.h"
#include "runs/merge.h"

namespace bertscope::python {

namespace {

// A shard as "K/N" or (K, N).
ShardChoice shard_argument(const py::object& value) {
  std::string text;
  if (py::isinstance<py::str>(value)) {
    text = value.cast<std::string>();
  } else if (py::isinstance<py::tuple>(value) && py::len(value) == 2 && py::isinstance<py::int_>(value[py::int_(0)]) &&
             py::isinstance<py::int_>(value[py::int_(1)])) {
    text = py::str(value[py::int_(0)]).cast<std::string>() + "/" + py::str(value[py::int_(1)]).cast<std::string>();
  } else {
    throw py::type_error("shard must be \"K/N\" or a tuple (K, N), not " + py::repr(value).cast<std::string>());
  }
  const std::optional<ShardChoice> choice = parse_shard(text);
  if (!choice) fail("shard " + shard_problem(text));
  return *choice;
}

// What the call wrote, as a dict: shard.json's fields, out and files.
py::object shard_summary(const FolderRun& run) {
  nlohmann::json summary = shard_manifest_json(*run.shard);
  summary["out"] = run.folder;
  summary["files"] = run.files;
  return py::module_::import("json").attr("loads")(json_text(summary));
}

// The Result of a folder the Run API wrote (bertscope.Result.open).
py::object opened_result(const std::string& folder) {
  return py::module_::import("bertscope._result").attr("Result").attr("open")(folder);
}

py::object merge(const py::object& shards_arg, const py::object& out, const py::object& model_arg,
                 const py::object& threads) {
  std::vector<std::string> folders;
  if (py::isinstance<py::str>(shards_arg) || !py::hasattr(shards_arg, "__iter__")) {
    throw py::type_error("shards must be a list of shard folders");
  }
  for (py::handle folder : shards_arg) folders.push_back(path_argument(folder, "shards"));
  const std::string out_path = path_argument(out, "out");
  if (out_path.empty()) throw py::type_error("merge() needs out: the folder to write the merged run to");
  IoClaims claims;  // the shards and the model are inputs: out may not be, hold or lie in them
  for (const std::string& folder : folders) claim_input(folder);
  const ShardSet shards = read_shard_set(folders);
  std::shared_ptr<Model> model;
  if (py::isinstance<Model>(model_arg)) {
    model = model_arg.cast<std::shared_ptr<Model>>();
    if (model->dtype != shards.dtype) {
      fail("model runs " + model->dtype + " and the shards ran " + shards.dtype + ": load it with dtype=\"" + shards.dtype + "\"");
    }
    shards.check_model(model->path);
  } else {
    std::string folder = path_argument(model_arg, "model");
    if (folder.empty()) folder = shards.model_path;
    shards.check_model(folder);
    model = py::module_::import("bertscope._bertscope").attr("load")(folder, shards.dtype, threads).cast<std::shared_ptr<Model>>();
  }
  claim_input(model->encoder->dir());
  RunContext context{"python: bertscope.merge(<" + std::to_string(folders.size()) + " shards>, out=" +
                         py::repr(out).cast<std::string>() + ")",
                     model->demo, model->dtype, model->dtype_requested};
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    merge_shards(shards, *model->encoder, model->path, out_path, context);
  }
  return opened_result(out_path);
}

}  // namespace

py::object run_spec_shard(const std::shared_ptr<const Model>& model, ExperimentSpec spec, const std::string& spec_out,
                          const py::object& shard, py::object progress, std::string command) {
  const ShardChoice choice = shard_argument(shard);
  if (spec.out.empty()) spec.out = shard_folder(spec_out, choice);
  claim_input(model->encoder->dir());
  const RunContext context{std::move(command), model->demo, model->dtype, model->dtype_requested};
  PythonProgress meter(std::move(progress), 1);
  RunControl control;
  control.progress = meter.fn();
  FolderRun run;
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    run = run_into_folder(*model->encoder, model->path, spec, context, control, choice);
  }
  return shard_summary(run);
}

void bind_shards(py::module_& m) {
  m.def("merge", &merge, py::arg("shards"), py::kw_only(), py::arg("out"), py::arg("model") = py::none(),
        py::arg("threads") = py::none(),
        R"doc(Merge the shard folders of one run into the folder the unsharded run writes, as `bertscope merge`.

shards: the folders of run_spec(..., shard="K/N") or `bertscope run SPEC --shard K/N`, one
    per K from 0 to N-1, in any order.
out: the folder to write (results.json, runs.csv, summary.csv, figures, report.html), all
    or nothing: on an error it is left as it was.
model: a loaded bertscope.Model (with the shards' dtype) or a model folder; None: the folder
    the shards loaded. Its files must be those the shards ran with.
threads: threads for the clean runs and distributions, when the model is loaded here.

Returns the merged run as a bertscope.Result (Result.open(out)).)doc");
}

}  // namespace bertscope::python
