#pragma once
// Reading a masked-token prediction off MLM logits: log-softmax, top-k, rank.
#include <span>
#include <vector>

namespace bertscope {

struct TokenScore {
  int id = 0;
  float log_prob = 0.0f;
};

// log_softmax over the vocabulary, computed in double so it matches torch's float32 result
// to ~1e-6 even for 30522 logits.
std::vector<float> log_softmax(std::span<const float> logits);
// The k highest entries, highest first; ties broken by the lower id (as torch.topk on CPU
// in practice). `scores` are log-probs or logits alike.
std::vector<TokenScore> top_k(std::span<const float> scores, int k);
// 1-based rank of `id`: 1 + the number of entries strictly greater than scores[id].
int rank_of(std::span<const float> scores, int id);

}  // namespace bertscope
