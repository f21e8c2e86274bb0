#pragma once
// What a trial measures at the [MASK]: the target's log-softmax, probability, rank and
// loss, the top-k tokens, and the KL divergence from the clean prediction.
#include <limits>
#include <span>
#include <vector>

#include "model/predictions.h"

namespace bertscope {

struct MaskPrediction {
  double target_logsoftmax = 0.0;
  double target_prob = 0.0;
  int target_rank = 0;  // 1 = top
  double loss = 0.0;    // cross-entropy of the target: -log_softmax[target]
  // logit(target) - logit(foil) (= the difference of their log-softmax: the normalizer
  // cancels); NaN without a foil.
  double logit_diff = std::numeric_limits<double>::quiet_NaN();
  std::vector<TokenScore> top;
  // The log-softmax of each further target word (the spec's `targets`), in their order.
  std::vector<double> word_logsoftmax;

  // `log_probs` are the log-softmax over the vocabulary at the mask; foil_id -1: none;
  // `word_ids` the further targets' ids.
  static MaskPrediction from_log_probs(std::span<const float> log_probs, int target_id, int top_k, int foil_id = -1,
                                       std::span<const int> word_ids = {});
};

// KL(clean || edited) = sum p_clean (log p_clean - log p_edited), in nats.
double kl_divergence(std::span<const float> clean_log_probs, std::span<const float> edited_log_probs);

// a.b / (|a| |b|), in double; NaN when either vector is all zeros (no direction to compare).
double cosine_similarity(std::span<const float> a, std::span<const float> b);

}  // namespace bertscope
