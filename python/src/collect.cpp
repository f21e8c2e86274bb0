// Model.collect: activations at chosen sites and positions over a list of prompts (or a prompt
// file), as arrays of rows; bertscope.Collection (python/bertscope/_collect.py) is its front.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "arguments.h"
#include "arrays.h"
#include "errors.h"
#include "experiments/collect.h"
#include "experiments/prompt_file.h"
#include "interrupt.h"
#include "module.h"

namespace bertscope::python {

bool names_prompt_file(py::handle value) {
  if (py::hasattr(value, "__fspath__")) return true;
  if (!py::isinstance<py::str>(value)) return false;
  const std::string text = value.cast<std::string>();
  for (const char* ending : {".txt", ".jsonl", ".csv"}) {
    if (text.ends_with(ending)) return true;
  }
  return false;
}

// A list of texts, or a prompt file (os.PathLike, or a str that names a .txt, .jsonl or .csv file).
std::vector<PromptSpec> prompts_argument(const py::object& prompts, const std::string& name) {
  if (py::isinstance<py::list>(prompts) || py::isinstance<py::tuple>(prompts)) {
    std::vector<PromptSpec> out;
    for (py::handle text : prompts) {
      if (!py::isinstance<py::str>(text)) throw py::type_error(name + " must be a list of str or a prompt file's path");
      out.push_back({text.cast<std::string>()});
    }
    if (out.empty()) fail(name + " is an empty list");
    assign_prompt_ids(out, [&name](size_t i) { return name + "[" + std::to_string(i) + "]"; });
    return out;
  }
  if (!names_prompt_file(prompts) && py::isinstance<py::str>(prompts)) {
    throw py::type_error(name + " must be a list of str or a prompt file's path (.txt, .jsonl, .csv), not one str");
  }
  return read_prompt_file(path_argument(prompts, name.c_str()));
}

namespace {

py::object collect(const std::shared_ptr<Model>& model, const py::object& prompts, const py::object& sites,
                   const py::object& positions, int max_batch_tokens, py::object progress) {
  const Encoder& encoder = *model->encoder;
  CollectRequest request;
  request.prompts = prompts_argument(prompts, "prompts");
  request.sites = sites_argument(encoder, sites, {});
  if (request.sites.empty()) fail("sites names no site");
  request.positions = Positions::parse(index_list_argument(positions, "positions"));
  if (max_batch_tokens < 1) fail("max_batch_tokens must be at least 1");
  request.max_batch_tokens = max_batch_tokens;
  PythonProgress meter(std::move(progress), 1);
  Collection collection;
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    const CollectPlan plan = plan_collection(encoder, request);
    collection = collect_activations(encoder, request, plan, meter.fn());
  }
  const auto rows = static_cast<py::ssize_t>(collection.rows());
  py::dict activations;
  for (size_t s = 0; s < collection.sites.size(); ++s) {
    activations[py::str(collection.sites[s].name())] =
        take_array(std::move(collection.values[s]), {rows, static_cast<py::ssize_t>(collection.widths[s])});
  }
  std::vector<long long> prompt(collection.row_prompt.begin(), collection.row_prompt.end());
  std::vector<long long> position(collection.row_position.begin(), collection.row_position.end());
  py::list texts, ids;
  for (const PromptSpec& p : request.prompts) {
    texts.append(p.text);
    ids.append(p.id);
  }
  py::dict raw;
  raw["activations"] = activations;
  raw["prompt"] = take_array(std::move(prompt), {rows});
  raw["position"] = take_array(std::move(position), {rows});
  raw["token"] = collection.row_token;
  raw["texts"] = texts;
  raw["prompt_ids"] = ids;
  raw["positions"] = request.positions.describe();
  return py::module_::import("bertscope._collect").attr("Collection")(raw);
}

}  // namespace

void bind_collect(py::class_<Model, std::shared_ptr<Model>>& cls) {
  cls.def("collect", &collect, py::arg("prompts"), py::arg("sites"), py::kw_only(), py::arg("positions") = CollectRequest{}.positions.describe(),
          py::arg("max_batch_tokens") = CollectRequest{}.max_batch_tokens, py::arg("progress") = py::none(),
          "Activations at `sites` (names or globs) and `positions` (mask, last, all, word:WORD, indices) over a list "
          "of prompts or a prompt file: a bertscope.Collection, one row per (prompt, position).");
}

}  // namespace bertscope::python
