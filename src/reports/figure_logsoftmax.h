#pragma once
// The notebook's figure made honest by repeated trials: the target word's log-softmax at
// the [MASK] against the edited block, one panel per intervention. Every trial is a small
// translucent point (spread sideways a little so that equal values stay visible), the mean
// of the trials has its 95% confidence interval, and the clean run is a dashed line. All
// panels share the y axis, so interventions compare at a glance.
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "experiments/sweep_summary.h"
#include "reports/plot_canvas.h"
#include "tokenizer/vocab.h"

namespace bertscope {

std::string target_logsoftmax_figure(const ExperimentSpec& spec, const SweepResult& sweep,
                                      const std::vector<LayerSummary>& summaries, const Vocab& vocab,
                                      ImageFormat format);

// Horizontal offset of trial `trial` within its block, in [-0.5, 0.5): a low-discrepancy
// sequence, so points spread evenly and the same run always draws the same figure.
double trial_jitter(int trial);
// A tick step giving about 12 or fewer labelled ticks over `span` edited blocks.
double block_step(double span);

}  // namespace bertscope
