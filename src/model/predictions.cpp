#include "model/predictions.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace bertscope {

std::vector<float> log_softmax(std::span<const float> logits) {
  const float max_logit = *std::max_element(logits.begin(), logits.end());
  double total = 0.0;
  for (float x : logits) total += std::exp(static_cast<double>(x) - max_logit);
  const double log_total = std::log(total) + max_logit;
  std::vector<float> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<float>(logits[i] - log_total);
  return out;
}

std::vector<TokenScore> top_k(std::span<const float> scores, int k) {
  std::vector<int> ids(scores.size());
  std::iota(ids.begin(), ids.end(), 0);
  const auto count = static_cast<size_t>(std::clamp(k, 0, static_cast<int>(scores.size())));
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(count), ids.end(), [&](int a, int b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  std::vector<TokenScore> out;
  for (size_t i = 0; i < count; ++i) out.push_back({ids[i], scores[ids[i]]});
  return out;
}

int rank_of(std::span<const float> scores, int id) {
  const float value = scores[static_cast<size_t>(id)];
  return 1 + static_cast<int>(std::count_if(scores.begin(), scores.end(), [&](float s) { return s > value; }));
}

}  // namespace bertscope
