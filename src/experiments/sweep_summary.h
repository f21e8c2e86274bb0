#pragma once
// Per intervention and layer: mean, std and 95% CI of each trial measure, the share of
// trials that still predict the target or fall into punctuation, and the top-1 tokens.
#include <string>
#include <utility>
#include <vector>

#include "experiments/statistics.h"
#include "experiments/sweep.h"
#include "tokenizer/vocab.h"

namespace bertscope {

struct LayerSummary {
  int intervention = 0;
  int layer = 0;
  int trials = 0;
  MeanInterval target_logsoftmax, target_prob, target_rank, loss, kl_from_clean, noise_std;
  double share_top1_target = 0.0;
  double share_top1_punctuation = 0.0;
  std::vector<std::pair<int, int>> top1_counts;  // (token id, trials), most frequent first
};

std::vector<LayerSummary> summarize(const SweepResult& result, const Vocab& vocab);

// A word piece made only of punctuation (BERT's definition: ASCII symbols or Unicode P*),
// "##" continuation marks ignored: ".", ",", "!!", "##." are; "a.", "[UNK]" are not.
bool is_punctuation_token(const std::string& token);

}  // namespace bertscope
