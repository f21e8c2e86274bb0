#pragma once
// An experiment's interventions side by side as one heatmap: a column per intervention
// (for a patching study, a column per patched position, labelled with its token), a row
// per edited block, each cell the mean change of the target log-softmax from the clean
// run, on a diverging scale centred on "no change". It replaces a stack of one panel per
// intervention, which for a dozen positions grows taller than any page.
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "experiments/sweep_summary.h"
#include "reports/figure_heatmap.h"

namespace bertscope {

// One cell of a grid: intervention (its index in the spec), edited block and value.
struct GridValue {
  int intervention = 0;
  int layer = 0;
  double value = 0.0;
};
// A grid of the spec's interventions (columns; a patching study's by position, with the
// position's token when `tokens` is given) x the blocks of `cells` (rows), on the
// diverging scale; the caller adds the titles.
Heatmap block_grid(const ExperimentSpec& spec, const std::vector<GridValue>& cells, const std::vector<std::string>* tokens);

// The grid's data: values, labels and titles (what the figure shows, for tests).
Heatmap intervention_grid(const ExperimentSpec& spec, const SweepResult& sweep, const std::vector<LayerSummary>& summaries);

std::string intervention_grid_figure(const ExperimentSpec& spec, const SweepResult& sweep,
                                     const std::vector<LayerSummary>& summaries, ImageFormat format);

}  // namespace bertscope
