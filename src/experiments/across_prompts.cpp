#include "experiments/across_prompts.h"

#include <cmath>
#include <utility>

namespace bertscope {

std::vector<PromptsCell> across_prompts(const ExperimentResult& result) {
  std::vector<PromptsCell> cells;
  if (result.summaries.empty()) return cells;
  for (const LayerSummary& first : result.summaries.front()) {
    PromptsCell cell;
    cell.intervention = first.intervention;
    cell.layer = first.layer;
    cells.push_back(std::move(cell));
  }
  for (size_t c = 0; c < cells.size(); ++c) {
    PromptsCell& cell = cells[c];
    std::vector<double> shares, contrasts;
    for (size_t p = 0; p < result.summaries.size(); ++p) {
      // Every prompt runs the same interventions on the same blocks, in the same order.
      const LayerSummary& s = result.summaries[p].at(c);
      const MaskPrediction& clean = result.sweeps.at(p).clean;
      cell.effects.push_back(s.target_logsoftmax.mean - clean.target_logsoftmax);
      shares.push_back(s.share_top1_target);
      if (!std::isnan(s.logit_diff.mean)) contrasts.push_back(s.logit_diff.mean - clean.logit_diff);
    }
    cell.effect = mean_interval(cell.effects);
    cell.share_top1_target = mean_interval(shares).mean;
    if (!contrasts.empty()) cell.logit_diff_change = mean_interval(contrasts);
  }
  return cells;
}

}  // namespace bertscope
