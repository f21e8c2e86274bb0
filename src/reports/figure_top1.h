#pragma once
// What the model predicts after each edit, as a table figure in the logit-lens layout:
// one row per edited block (the clean run on top), the three most frequent top-1 words
// over the trials in cells shaded by their share, the target word outlined; beside it,
// bars of the share of trials whose top-1 is still the target, and a mark for the share
// whose top-1 is punctuation. One panel per intervention, two side by side.
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "experiments/sweep_summary.h"
#include "reports/plot_canvas.h"
#include "tokenizer/vocab.h"

namespace bertscope {

std::string top1_figure(const ExperimentSpec& spec, const SweepResult& sweep, const std::vector<LayerSummary>& summaries,
                        const Vocab& vocab, ImageFormat format);

}  // namespace bertscope
