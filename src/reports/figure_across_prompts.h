#pragma once
// A dataset's effect at a glance (experiments/across_prompts.h): per edited block, each
// prompt's mean change of the target log-softmax from its own clean run (a point each),
// their mean and its 95% CI over prompts, one colour per intervention, against 0 = no
// change. With more interventions than kMaxAcrossPromptsSeries the lines crowd, and the
// grid of the same means shows them instead.
#include <cstddef>
#include <string>
#include <vector>

#include "experiments/across_prompts.h"
#include "reports/figure_heatmap.h"

namespace bertscope {

inline constexpr size_t kMaxAcrossPromptsSeries = 6;

std::string across_prompts_figure(const ExperimentSpec& spec, const std::vector<PromptsCell>& cells, ImageFormat format);

// The means as a grid: a column per intervention, a row per edited block (figure_grid.h).
Heatmap across_prompts_grid(const ExperimentSpec& spec, const std::vector<PromptsCell>& cells);

}  // namespace bertscope
