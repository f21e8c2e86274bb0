#pragma once
// The spec's further targets (`targets = ["he", "she", "they"]`) side by side: a column per
// word and intervention, the target first, a row per edited block, each cell the mean change
// of that word's log-softmax from the clean run on the diverging scale. Which words an edit
// moves, and which way, in one picture (the course's he / she / they bias exercise).
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "experiments/sweep_summary.h"
#include "reports/figure_heatmap.h"

namespace bertscope {

// The grid's data (for tests); the spec must have targets.
Heatmap targets_grid(const ExperimentSpec& spec, const SweepResult& sweep, const std::vector<LayerSummary>& summaries);

std::string targets_figure(const ExperimentSpec& spec, const SweepResult& sweep, const std::vector<LayerSummary>& summaries,
                           ImageFormat format);

}  // namespace bertscope
