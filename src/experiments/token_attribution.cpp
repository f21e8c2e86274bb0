#include "experiments/token_attribution.h"

#include <cmath>

#include "common/error.h"

namespace bertscope {

double TokenAttributionResult::integrated_total() const {
  double total = 0.0;
  for (const TokenAttribution& t : tokens) total += t.integrated_gradients;
  return total;
}

double TokenAttributionResult::completeness_error() const {
  const double change = metric - baseline_metric;
  if (change == 0.0) return std::nan("");
  return std::fabs(integrated_total() - change) / std::fabs(change);
}

TokenAttributionResult run_token_attribution(const GradientModel& model, const TokenAttributionRequest& request) {
  const Encoder& encoder = model.encoder();
  const Vocab& vocab = encoder.tokenizer().vocab();
  if (request.steps < 1 || request.steps > 4096) {
    throw OptionError("steps", " must be 1 to 4096 (the integral's midpoints), not " + std::to_string(request.steps));
  }
  int baseline_id = -1;
  if (request.baseline == "pad") {
    baseline_id = vocab.pad_id() >= 0 ? vocab.pad_id() : encoder.config().pad_token_id;
  } else if (request.baseline == "mask") {
    baseline_id = vocab.mask_id();
    if (baseline_id < 0) throw OptionError("baseline", " mask: this model's vocabulary has no mask token; use pad");
  } else {
    throw OptionError("baseline", " '" + request.baseline + "' is not one of pad, mask");
  }

  TokenAttributionResult result;
  result.prompt = MaskedPrompt::prepare(encoder, request.prompt, request.target, true, request.foil);
  result.foil = request.foil;
  result.foil_id = result.prompt.foil_id;
  result.metric_name = result.foil_id >= 0 ? "logit_diff" : "target_logsoftmax";
  result.baseline = vocab.token(baseline_id);
  result.steps = request.steps;
  const std::vector<int>& ids = result.prompt.ids;
  const TokenBatch tokens = TokenBatch::single(ids);
  const int S = static_cast<int>(ids.size()), E = encoder.config().embedding_size;

  GradientRequest g;
  g.metric = result.foil_id >= 0 ? GradientMetric::LogitDifference : GradientMetric::TargetLogProb;
  g.position = result.prompt.mask_index;
  g.target = result.prompt.target_id;
  g.foil = result.foil_id;
  g.sites = {HookSite::embed_out()};  // the input gradients are what is read; keep one site

  const GradientResult at_input = model.run(tokens, g);
  result.metric = at_input.metric;
  const std::vector<float>& x = at_input.input_embeddings;

  // The baseline: the baseline token's row, except at the special tokens.
  const EmbeddingWeights& e = encoder.weights().embeddings;
  std::vector<float> b = x;
  result.tokens.resize(static_cast<size_t>(S));
  for (int s = 0; s < S; ++s) {
    const int id = ids[static_cast<size_t>(s)];
    TokenAttribution& t = result.tokens[static_cast<size_t>(s)];
    t.position = s;
    t.token = result.prompt.tokens[static_cast<size_t>(s)];
    t.kept = id == vocab.cls_id() || id == vocab.sep_id() || id == vocab.mask_id() || id == vocab.bos_id() ||
             id == vocab.eos_id() || id == vocab.pad_id();
    if (!t.kept) {
      std::copy_n(e.word + static_cast<size_t>(baseline_id) * static_cast<size_t>(E), E,
                  b.begin() + static_cast<std::ptrdiff_t>(s) * E);
    }
  }
  g.word_embeddings = b;
  g.backward = false;
  result.baseline_metric = model.run(tokens, g).metric;
  g.backward = true;

  // The midpoint rule: the mean gradient at (k - 1/2)/m of the way from b to x.
  std::vector<double> mean_gradient(x.size(), 0.0);
  for (int k = 1; k <= request.steps; ++k) {
    const double alpha = (k - 0.5) / request.steps;
    for (size_t i = 0; i < x.size(); ++i) g.word_embeddings[i] = static_cast<float>(b[i] + alpha * (x[i] - b[i]));
    const GradientResult step = model.run(tokens, g);
    for (size_t i = 0; i < x.size(); ++i) mean_gradient[i] += static_cast<double>(step.input_gradients[i]) / request.steps;
  }
  for (int s = 0; s < S; ++s) {
    TokenAttribution& t = result.tokens[static_cast<size_t>(s)];
    double norm = 0.0;
    for (int i = 0; i < E; ++i) {
      const size_t at = static_cast<size_t>(s) * static_cast<size_t>(E) + static_cast<size_t>(i);
      t.integrated_gradients += (static_cast<double>(x[at]) - b[at]) * mean_gradient[at];
      t.gradient_x_input += static_cast<double>(x[at]) * at_input.input_gradients[at];
      norm += static_cast<double>(at_input.input_gradients[at]) * at_input.input_gradients[at];
    }
    t.gradient_norm = std::sqrt(norm);
  }
  return result;
}

}  // namespace bertscope
