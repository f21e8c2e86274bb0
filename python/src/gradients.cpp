// Model.gradients: d metric / d activation at hook sites and at the input embeddings, from
// the engine's exact backward pass (model/gradients.h), as numpy arrays beside the
// activations (the shapes of run_with_cache). Model.saliency: per-token attributions.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "arguments.h"
#include "arrays.h"
#include "errors.h"
#include "experiments/prompt.h"
#include "experiments/token_attribution.h"
#include "model/gradients.h"
#include "model/site_patterns.h"
#include "module.h"
#include "reports/token_attribution_files.h"

namespace bertscope::python {

namespace {

GradientMetric metric_argument(const py::object& metric, bool has_foil) {
  if (metric.is_none()) return has_foil ? GradientMetric::LogitDifference : GradientMetric::TargetLogProb;
  if (!py::isinstance<py::str>(metric)) throw py::type_error("metric must be a str: target_logprob, logit_diff or loss");
  const std::string name = metric.cast<std::string>();
  for (GradientMetric m : {GradientMetric::TargetLogProb, GradientMetric::LogitDifference, GradientMetric::Loss}) {
    if (name == metric_name(m)) {
      if (m == GradientMetric::LogitDifference && !has_foil) fail("metric='logit_diff' needs a foil (foil=\"...\")");
      return m;
    }
  }
  fail("metric '" + name + "' is not one of target_logprob, logit_diff, loss");
}

py::array_t<float> array_of(std::vector<float>&& values, const std::vector<int64_t>& shape) {
  return take_array(std::move(values), std::vector<py::ssize_t>(shape.begin(), shape.end()));
}

// A word (one word piece, as the CLI's --target) or a token id.
int token_argument(const Encoder& encoder, const py::object& token, const char* role) {
  if (py::isinstance<py::str>(token)) return single_piece_id(encoder, token.cast<std::string>(), role);
  if (!py::isinstance<py::int_>(token) || py::isinstance<py::bool_>(token)) {
    throw py::type_error(std::string(role) + " must be a word (str) or a token id (int)");
  }
  const long long id = token.cast<long long>();
  if (id < 0 || id >= encoder.config().vocab_size) {
    fail(std::string(role) + " id " + std::to_string(id) + " is outside the vocabulary (0 to " +
         std::to_string(encoder.config().vocab_size - 1) + ")");
  }
  return static_cast<int>(id);
}

py::dict gradients(const std::shared_ptr<Model>& model, const std::string& text, const py::object& target,
                   const py::object& foil, const py::object& metric, const py::object& sites) {
  const Encoder& encoder = *model->encoder;
  const MaskedPrompt prompt = MaskedPrompt::prepare(encoder, text, "");
  const int target_id = token_argument(encoder, target, "target");
  const int foil_id = foil.is_none() ? -1 : token_argument(encoder, foil, "foil");
  if (foil_id == target_id) fail("the foil is the target's token: logit_diff would be 0 whatever the input");
  GradientRequest request;
  request.metric = metric_argument(metric, foil_id >= 0);
  request.position = prompt.mask_index;
  request.target = target_id;
  request.foil = foil_id;
  request.sites = sites_argument(encoder, sites, residual_sites(encoder));
  GradientResult result;
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    if (!model->gradients) model->gradients = std::make_shared<const GradientModel>(encoder);
    result = model->gradients->run(TokenBatch::single(prompt.ids), request);
  }
  py::dict activations, grads;  // in forward order
  for (size_t i = 0; i < result.activations.size(); ++i) {
    SiteValues& a = result.activations[i];
    SiteValues& g = result.gradients[i];
    activations[py::str(a.site.name())] = array_of(std::move(a.values), a.shape);
    grads[py::str(g.site.name())] = array_of(std::move(g.values), g.shape);
  }
  const int seq = static_cast<int>(prompt.ids.size()), width = encoder.config().embedding_size;
  py::dict out;
  out["metric"] = result.metric;
  out["metric_name"] = metric_name(request.metric);
  out["position"] = prompt.mask_index;
  out["tokens"] = prompt.tokens;
  out["ids"] = prompt.ids;
  out["activations"] = activations;
  out["gradients"] = grads;
  out["input_embeddings"] = array_of(std::move(result.input_embeddings), {seq, width});
  out["input_gradients"] = array_of(std::move(result.input_gradients), {seq, width});
  return out;
}

py::object saliency(const std::shared_ptr<Model>& model, const std::string& prompt, const std::string& target,
                    const py::object& foil, int steps, const std::string& baseline) {
  TokenAttributionRequest request{prompt, target, foil.is_none() ? std::string() : foil.cast<std::string>(), steps,
                                  baseline};
  TokenAttributionResult result;
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    if (!model->gradients) model->gradients = std::make_shared<const GradientModel>(*model->encoder);
    result = run_token_attribution(*model->gradients, request);
  }
  py::object table = py::module_::import("bertscope._result").attr("_frame")(token_attribution_csv(result));
  py::dict attrs = table.attr("attrs");
  attrs["metric"] = result.metric_name;
  attrs["metric_value"] = result.metric;
  attrs["baseline"] = result.baseline;
  attrs["baseline_metric"] = result.baseline_metric;
  attrs["steps"] = result.steps;
  attrs["completeness_error"] = result.completeness_error();
  return table;
}

}  // namespace

void bind_gradients(py::class_<Model, std::shared_ptr<Model>>& cls) {
  cls.def("gradients", &gradients, py::arg("text"), py::arg("target"), py::arg("foil") = py::none(),
          py::arg("metric") = py::none(), py::arg("sites") = py::none(),
          R"doc(Gradients of a metric of the prediction at the [MASK] (a causal model's last
token) with respect to the activations at hook sites and to the input embeddings, from an
exact backward pass in float32 (what PyTorch's autograd gives for those tensors).

target, foil: a word (one word piece, as the CLI's --target) or a token id.
metric: "target_logprob" (log_softmax(logits)[target], the default without a foil),
    "logit_diff" (logits[target] - logits[foil], the default with one) or "loss"
    (-log_softmax(logits)[target]).
sites: as in run_with_cache (None: embed.out and every block output; "**": every site).

Returns a dict: metric (its value), metric_name, position (the row it reads), tokens, ids,
activations and gradients ({site: float32 array}, run_with_cache's shapes),
input_embeddings and input_gradients (float32 [seq, embedding_size]: each token's word
embedding and d metric / d it, what gradient x input and integrated gradients read).)doc");
  cls.def("saliency", &saliency, py::arg("prompt"), py::arg("target"), py::kw_only(), py::arg("foil") = py::none(),
          py::arg("steps") = TokenAttributionRequest{}.steps, py::arg("baseline") = TokenAttributionRequest{}.baseline,
          R"doc(Per-token attributions of the prediction, as `bertscope saliency`: saliency.csv as a DataFrame
(position, token, kept, integrated_gradients, gradient_x_input, gradient_norm).

Integrated gradients from the baseline (the `baseline` token, "pad" or "mask", at every position but
the special tokens, which are kept) over `steps` midpoints; the tokens' sum equals f(x) - f(baseline)
up to .attrs["completeness_error"] (relative). .attrs also hold metric, metric_value, baseline,
baseline_metric and steps.)doc");
}

}  // namespace bertscope::python
