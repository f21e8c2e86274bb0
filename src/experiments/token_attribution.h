#pragma once
// Per-token attributions of a prediction (the [MASK], a causal model's last token): how much
// each input token's word embedding contributes to a metric of it (the target's log-prob,
// or logit(target) - logit(foil)), by three methods of the gradient (model/gradients.h):
//   integrated_gradients  (x - b) . mean over k of grad f(b + (k - 1/2)/m (x - b)), k = 1..m:
//                         the midpoint rule of Sundararajan et al. (2017) with m steps; the
//                         tokens' sum is f(x) - f(b) up to the rule's error (completeness)
//   gradient_x_input      x . grad f(x)
//   gradient_norm         |grad f(x)|, the plain saliency (no sign)
// x is each token's word embedding and b the baseline's: the `baseline` token's embedding
// ([PAD] by default, or [MASK]) at every position except the special tokens ([CLS], [SEP],
// the [MASK] itself), which keep theirs, as Captum's BERT tutorials build the reference.
// Position and token-type embeddings are not interpolated (LayerIntegratedGradients on the
// word embeddings).
#include <string>
#include <vector>

#include "experiments/prompt.h"
#include "model/gradients.h"

namespace bertscope {

struct TokenAttributionRequest {
  std::string prompt, target, foil;  // foil empty: the metric is the target's log-prob
  int steps = 64;                    // of the integral, 1 to 4096
  std::string baseline = "pad";      // "pad" or "mask"
};

struct TokenAttribution {
  int position = 0;
  std::string token;
  bool kept = false;  // a special token, the same in the baseline (its integrated gradient is 0)
  double integrated_gradients = 0.0, gradient_x_input = 0.0, gradient_norm = 0.0;
};

struct TokenAttributionResult {
  MaskedPrompt prompt;
  std::string foil;
  int foil_id = -1;
  std::string metric_name;  // "logit_diff" or "target_logsoftmax", as patch-grid names them
  std::string baseline;     // the baseline token, as the vocabulary writes it
  int steps = 0;
  double metric = 0.0;           // f(x)
  double baseline_metric = 0.0;  // f(b)
  std::vector<TokenAttribution> tokens;

  double integrated_total() const;
  // |sum of integrated gradients - (f(x) - f(b))| / |f(x) - f(b)|: the integral's error
  // (NaN when f(x) = f(b)).
  double completeness_error() const;
};

// Error for a bad prompt, target or foil, steps outside 1..4096, or a baseline this
// model's vocabulary has no token for.
TokenAttributionResult run_token_attribution(const GradientModel& model, const TokenAttributionRequest& request);

}  // namespace bertscope
