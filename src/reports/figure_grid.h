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

// The grid's data: values, labels and titles (what the figure shows, for tests).
Heatmap intervention_grid(const ExperimentSpec& spec, const SweepResult& sweep, const std::vector<LayerSummary>& summaries);

std::string intervention_grid_figure(const ExperimentSpec& spec, const SweepResult& sweep,
                                     const std::vector<LayerSummary>& summaries, ImageFormat format);

}  // namespace bertscope
