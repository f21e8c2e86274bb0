#pragma once
// The logit lens: the MLM head (transform, LayerNorm, decoder) applied to the [MASK]
// row of the residual stream after the embeddings and after every block, as if the model
// stopped there. For each state: the top-k tokens and, with a target, its rank and
// log-prob, and with a foil too logit(target) - logit(foil) (where the contrast forms). The
// last state's row is the model's own prediction.
#include <string>
#include <vector>

#include "experiments/mask_prediction.h"
#include "experiments/prompt.h"
#include "model/encoder.h"

namespace bertscope {

struct LensState {
  HookSite site;  // embed.out, then blocks.{L}.out
  MaskPrediction prediction;
};

struct LensResult {
  MaskedPrompt prompt;
  std::vector<LensState> states;  // layers + 1 of them
};

// `target` may be empty (no rank or log-prob then), `foil` too (no logit_diff). Throws Error for
// a bad prompt, target or foil.
LensResult run_logit_lens(const Encoder& model, const std::string& prompt, const std::string& target, int top_k,
                          const std::string& foil = "");

}  // namespace bertscope
