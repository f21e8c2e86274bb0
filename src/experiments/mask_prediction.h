#pragma once
// What a trial measures at the [MASK]: the target's log-softmax, probability, rank and
// loss, the top-k tokens, and the KL divergence from the clean prediction.
#include <span>
#include <vector>

#include "model/predictions.h"

namespace bertscope {

struct MaskPrediction {
  double target_logsoftmax = 0.0;
  double target_prob = 0.0;
  int target_rank = 0;  // 1 = top
  double loss = 0.0;    // cross-entropy of the target: -log_softmax[target]
  std::vector<TokenScore> top;

  // `log_probs` are the log-softmax over the vocabulary at the mask.
  static MaskPrediction from_log_probs(std::span<const float> log_probs, int target_id, int top_k);
};

// KL(clean || edited) = sum p_clean (log p_clean - log p_edited), in nats.
double kl_divergence(std::span<const float> clean_log_probs, std::span<const float> edited_log_probs);

}  // namespace bertscope
