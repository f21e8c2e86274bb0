#pragma once
// A dataset's answer: per intervention and edited block, the effect averaged over prompts.
// Each prompt gives one number per cell, the mean change of its target log-softmax from its
// own clean run, so that a prompt weighs the same whatever its trials; the interval is
// over prompts (Student t, n - 1 degrees of freedom): how much the effect varies across the
// dataset, not the noise of the trials (summary.csv has that, per prompt).
#include <vector>

#include "experiments/experiment.h"
#include "experiments/statistics.h"

namespace bertscope {

struct PromptsCell {
  int intervention = 0;
  int layer = 0;
  std::vector<double> effects;     // per prompt, in prompt order: mean target log-softmax - clean
  MeanInterval effect;             // over the prompts
  MeanInterval logit_diff_change;  // mean logit_diff - clean, over the prompts with a foil (count 0: none has one)
  double share_top1_target = 0.0;  // over the prompts, of the share of trials still predicting the target
};

// The cells in the order of a prompt's summaries (intervention, then block); empty without
// sweeps. Reads result.summaries and each sweep's clean run.
std::vector<PromptsCell> across_prompts(const ExperimentResult& result);

}  // namespace bertscope
