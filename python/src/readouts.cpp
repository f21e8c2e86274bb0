// Model.head, Model.lens, Model.patch_grid and Model.attribution_patch: the prediction head on any hidden state (a logit
// lens or direct logit attribution in a few lines of numpy), and `bertscope lens` and
// `bertscope patch-grid` as DataFrames with the CLI's columns (reports/ writes both tables).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "arguments.h"
#include "arrays.h"
#include "errors.h"
#include <sstream>

#include "experiments/experiment.h"
#include "experiments/logit_lens.h"
#include "experiments/attribution_patching.h"
#include "experiments/patch_grid.h"
#include "module.h"
#include "reports/lens_files.h"
#include "reports/patch_grid_files.h"
#include "spec_arguments.h"

namespace bertscope::python {

namespace {

using FloatRows = py::array_t<float, py::array::c_style | py::array::forcecast>;

// h: [hidden] or [rows, hidden] -> logits [vocab] or [rows, vocab], float32.
py::array_t<float> head(const std::shared_ptr<Model>& model, const py::object& h_arg) {
  const Encoder& encoder = *model->encoder;
  const int hidden = encoder.config().hidden_size, vocab = encoder.config().vocab_size;
  if (!py::isinstance<py::array>(h_arg) && !py::isinstance<py::list>(h_arg)) {
    throw py::type_error("h must be a numpy array of shape [hidden] or [rows, hidden]");
  }
  const FloatRows h = FloatRows::ensure(h_arg);
  if (!h) throw py::type_error("h must be an array of numbers");
  const bool one = h.ndim() == 1;
  if ((h.ndim() != 1 && h.ndim() != 2) || h.shape(h.ndim() - 1) != hidden) {
    std::string shape;
    for (py::ssize_t d = 0; d < h.ndim(); ++d) shape += (d ? ", " : "") + std::to_string(h.shape(d));
    fail("h has shape (" + shape + "); the head reads [" + std::to_string(hidden) + "] or [rows, " + std::to_string(hidden) +
         "] (the model's hidden size)");
  }
  const py::ssize_t rows = one ? 1 : h.shape(0);
  std::vector<float> logits(static_cast<size_t>(rows) * static_cast<size_t>(vocab));
  if (rows > 0) {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    encoder.mlm_logits(h.data(), static_cast<int>(rows), logits.data());
  }
  if (one) return take_array(std::move(logits), {vocab});
  return take_array(std::move(logits), {rows, vocab});
}

py::object frame(const std::string& csv) { return py::module_::import("bertscope._result").attr("_frame")(csv); }

// None -> "", a str -> itself; anything else is a TypeError naming the argument.
std::string optional_text(const py::object& value, const char* name) {
  if (value.is_none()) return {};
  if (!py::isinstance<py::str>(value)) throw py::type_error(std::string(name) + " must be a str or None");
  return value.cast<std::string>();
}

// "out,attn.out" or ["out", "attn.out"]: the sites patched at every block, as the CLI's --sites
// (None: its default, out, attn.out and mlp.out).
std::vector<SiteKind> edit_sites_argument(const py::object& sites) {
  if (sites.is_none()) return PatchGridRequest{}.sites;
  std::vector<std::string> names;
  if (py::isinstance<py::str>(sites)) {
    std::stringstream list(sites.cast<std::string>());
    for (std::string name; std::getline(list, name, ',');) names.push_back(name);
  } else if (py::isinstance<py::list>(sites) || py::isinstance<py::tuple>(sites)) {
    for (py::handle name : sites) {
      if (!py::isinstance<py::str>(name)) throw py::type_error("sites must be a str like \"out,attn.out\" or a list of str");
      names.push_back(name.cast<std::string>());
    }
  } else {
    throw py::type_error("sites must be a str like \"out,attn.out\" or a list of str");
  }
  std::vector<SiteKind> out;
  for (const std::string& name : names) out.push_back(parse_edit_site(name));
  return out;
}

py::object lens(const std::shared_ptr<Model>& model, const std::string& prompt, const py::object& target,
                const py::object& foil_arg, int top) {
  if (top < 1 || top > 1000) fail("top must be between 1 and 1000");
  const std::string word = optional_text(target, "target"), foil = optional_text(foil_arg, "foil");
  LensResult result;
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    result = run_logit_lens(*model->encoder, prompt, word, top, foil);
  }
  return frame(lens_csv(result, model->encoder->tokenizer().vocab()));
}

// patch_grid and attribution_patch: the grid of `bertscope patch-grid` / `attribute`.
py::object grid(const std::shared_ptr<Model>& model, const std::string& prompt, const std::string& other_prompt,
                const std::string& target, const py::object& foil, const py::object& sites, bool heads, int check,
                bool qk_fix, const py::kwargs& options, bool attribute) {
  PatchGridRequest request{prompt, other_prompt, target, optional_text(foil, "foil"), edit_sites_argument(sites), heads, {}};
  if (check < 0) fail("check must be 0 or more (cells to patch for real)");
  ExperimentSpec parts;  // the table's rows set an experiment's interventions: the one it holds is the part patched
  parts.interventions.resize(1);
  apply_options(parts, options, kUsedByPatchGrid, attribute ? "attribution_patch" : "patch_grid");
  request.part = parts.interventions.front();
  PatchGridResult result;
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    if (attribute) {
      if (!model->gradients) model->gradients = std::make_shared<const GradientModel>(*model->encoder);
      result = run_attribution_patching(*model->gradients, request, check, qk_fix);
    } else {
      result = run_patch_grid(*model->encoder, request);
    }
  }
  py::object table = frame(patch_grid_csv(result));
  py::dict attrs = table.attr("attrs");
  attrs["metric"] = result.metric_name;
  attrs["clean_metric"] = result.clean_metric;
  attrs["corrupted_metric"] = result.corrupted_metric;
  attrs["method"] = result.method;
  py::dict patched;
  for (const auto& entry : result.selections) patched[py::str(grid_site_name(entry.first))] = entry.second.describe();
  attrs["patched_part"] = patched;
  if (attribute) {
    attrs["checked_correlation"] = estimate_correlation(result);
    attrs["qk_fix"] = result.qk_fix;
  }
  return table;
}

py::object patch_grid(const std::shared_ptr<Model>& model, const std::string& prompt, const std::string& other_prompt,
                      const std::string& target, const py::object& foil, const py::object& sites, bool heads,
                      const py::kwargs& options) {
  return grid(model, prompt, other_prompt, target, foil, sites, heads, 0, false, options, false);
}

py::object attribution_patch(const std::shared_ptr<Model>& model, const std::string& prompt,
                             const std::string& other_prompt, const std::string& target, const py::object& foil,
                             const py::object& sites, bool heads, int check, bool qk_fix, const py::kwargs& options) {
  return grid(model, prompt, other_prompt, target, foil, sites, heads, check, qk_fix, options, true);
}

}  // namespace

void bind_readouts(py::class_<Model, std::shared_ptr<Model>>& cls) {
  cls.def("head", &head, py::arg("h"), R"doc(The prediction head on hidden states: logits over the vocabulary.

h: [hidden] or [rows, hidden] (float32 or anything numpy converts), e.g. a row of run_with_cache's
    blocks.{L}.out: the logit lens at block L, or a component's output for direct logit attribution.
    The head is the family's own: BERT's transform, LayerNorm and decoder; GPT-2's ln_f and unembedding.
Returns float32 logits, [vocab] or [rows, vocab]; log-softmax them for log-probs.)doc");
  cls.def("lens", &lens, py::arg("prompt"), py::arg("target") = py::none(), py::kw_only(), py::arg("foil") = py::none(),
          py::arg("top") = defaults::kTopK,
          R"doc(The logit lens at the [MASK], as `bertscope lens`: the head on the state after the embeddings
and after every block. Returns lens.csv as a DataFrame: site, block, rank, token, token_id, prob,
log_prob, and with a target its rank and log-softmax at each state; with a foil too (a second
word), logit_diff = logit(target) - logit(foil) at each state: where the contrast forms.)doc");
  // The rows of the option table that choose the part of each vector patched, as keywords.
  static const std::string part_doc = R"doc(
Only part of each vector can be patched: corrupted + P (clean - corrupted), P the projection onto
some units, a direction or a subspace, chosen by these keywords (those of `bertscope patch-grid`;
.attrs["patched_part"] names the part per site):
)doc" + options_doc(kUsedByPatchGrid);
  static const std::string patch_grid_doc = R"doc(Activation patching, as `bertscope patch-grid`: the corrupted run (other_prompt) with each
(site, block, position), or with heads=True each head's attn.z, put back from the clean run (prompt).
sites: "out,attn.out" or a list of such names (None: out, attn.out and mlp.out); attn.q, attn.k,
    attn.v and attn.z patch every head at the position.
The metric at the [MASK] is logit(target) - logit(foil), or the target's log-prob without a foil.
Returns patch-grid.csv as a DataFrame (site, block, position, token, head, metric, normalized: 0 =
corrupted, 1 = clean, method "patch"); its .attrs hold metric, clean_metric, corrupted_metric and method.)doc" +
                                              part_doc;
  cls.def("patch_grid", &patch_grid, py::arg("prompt"), py::arg("other_prompt"), py::arg("target"), py::kw_only(),
          py::arg("foil") = py::none(), py::arg("sites") = py::none(), py::arg("heads") = false, patch_grid_doc.c_str());
  static const std::string attribution_doc = R"doc(Attribution patching, as `bertscope attribute`: every cell of patch_grid estimated at once from
the gradient of the corrupted run, (a_clean - a_corrupted) . d metric / d a (one batched forward pass of both prompts and
one backward pass for the whole grid), with patch_grid's arguments and columns (method "atp").
check: also patch the `check` cells of the largest estimates for real: their rows follow, with
method "patch"; .attrs["checked_correlation"] is the correlation of estimate and real metric.
qk_fix: AtP*'s fix for attention saturation (Kramar et al. 2024): attn.q and attn.k cells (add them
to sites) recompute the softmax of the pattern rows they change, linear from the pattern on.)doc" + part_doc;
  cls.def("attribution_patch", &attribution_patch, py::arg("prompt"), py::arg("other_prompt"), py::arg("target"),
          py::kw_only(), py::arg("foil") = py::none(), py::arg("sites") = py::none(), py::arg("heads") = false,
          py::arg("check") = 0, py::arg("qk_fix") = false, attribution_doc.c_str());
}

}  // namespace bertscope::python
