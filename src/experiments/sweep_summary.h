#pragma once
// Per intervention and layer: mean, std and 95% CI of each trial measure, the share of
// trials that still predict the target or fall into punctuation, and the top-1 tokens.
#include <map>
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
  MeanInterval target_logsoftmax, target_prob, target_rank, loss, kl_from_clean, noise_std, noise_sigma;
  MeanInterval logit_diff;  // logit(target) - logit(foil); NaN without a foil
  MeanInterval cosine_to_clean;
  std::vector<MeanInterval> word_logsoftmax;  // each further target's (the spec's `targets`)
  std::vector<MeanInterval> site_cosines;     // at each of the spec's cosine_sites
  double share_top1_target = 0.0;
  double share_top1_punctuation = 0.0;
  std::vector<std::pair<int, int>> top1_counts;  // (token id, trials), most frequent first
  // For figures, which draw trials without holding them: the target log-softmax of the
  // first kTrialPointsKept trials (trial 0 first), and its range over every trial.
  std::vector<double> first_target_logsoftmax;
  double min_target_logsoftmax = 0.0, max_target_logsoftmax = 0.0;
};

// Trials a summary keeps for figures, per intervention and layer.
inline constexpr int kTrialPointsKept = 200;

// The summaries of one prompt's trials, fed in canonical order (intervention, layer,
// trial), as they are read back from disk: each (intervention, layer) is summarized when
// its last trial has come, so only that group's measures (8 numbers a trial) are held.
class SummaryAccumulator {
 public:
  SummaryAccumulator(const Vocab& vocab, int target_id) : vocab_(vocab), target_id_(target_id) {}
  void add(const TrialResult& trial);
  // Ends the last group and hands every summary over.
  std::vector<LayerSummary> finish();

 private:
  void close_group();
  const Vocab& vocab_;
  int target_id_;
  std::vector<LayerSummary> done_;
  bool open_ = false;
  LayerSummary group_;
  // target log-softmax, prob, rank, loss, logit difference, KL, cosine to clean, noise std
  // and sigma
  static constexpr int kMeasures = 9;
  std::vector<double> measures_[kMeasures];
  std::vector<std::vector<double>> words_;  // each further target's log-softmax, per trial
  std::vector<std::vector<double>> cosines_;  // each cosine site's cosine, per trial
  std::map<int, int> counts_;
  int target_hits_ = 0, punctuation_ = 0;
};

std::vector<LayerSummary> summarize(const SweepResult& result, const Vocab& vocab);

// A word piece made only of punctuation (BERT's definition: ASCII symbols or Unicode P*),
// "##" continuation marks ignored: ".", ",", "!!", "##." are; "a.", "[UNK]" are not.
bool is_punctuation_token(const std::string& token);

}  // namespace bertscope
