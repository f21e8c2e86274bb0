#include "experiments/mask_prediction.h"

#include <cmath>
#include <limits>

namespace bertscope {

MaskPrediction MaskPrediction::from_log_probs(std::span<const float> log_probs, int target_id, int top_k, int foil_id,
                                              std::span<const int> word_ids) {
  MaskPrediction p;
  p.top = bertscope::top_k(log_probs, top_k);
  for (const int id : word_ids) p.word_logsoftmax.push_back(log_probs[static_cast<size_t>(id)]);
  if (target_id >= 0) {
    p.target_logsoftmax = log_probs[static_cast<size_t>(target_id)];
    p.target_prob = std::exp(p.target_logsoftmax);
    p.target_rank = rank_of(log_probs, target_id);
    p.loss = -p.target_logsoftmax;
    if (foil_id >= 0) p.logit_diff = p.target_logsoftmax - static_cast<double>(log_probs[static_cast<size_t>(foil_id)]);
  }
  return p;
}

double kl_divergence(std::span<const float> clean_log_probs, std::span<const float> edited_log_probs) {
  double kl = 0.0;
  for (size_t i = 0; i < clean_log_probs.size(); ++i) {
    const double lp = clean_log_probs[i];
    kl += std::exp(lp) * (lp - static_cast<double>(edited_log_probs[i]));
  }
  return kl;
}

double cosine_similarity(std::span<const float> a, std::span<const float> b) {
  double dot = 0.0, aa = 0.0, bb = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  if (aa == 0.0 || bb == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return dot / std::sqrt(aa * bb);
}

}  // namespace bertscope
