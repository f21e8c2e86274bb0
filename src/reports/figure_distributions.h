#pragma once
// Exercise 5 as a figure: how Gaussian are the clean hidden states? Top: one histogram
// line (density) per hidden state, coloured by depth with a colour bar, and the Gaussian
// noise the noise intervention would add drawn on top. Below: excess kurtosis and the
// share of values beyond 3 std per hidden state, for all values and for the [MASK] vector,
// against the Gaussian's 0 and 0.27%.
#include <string>

#include "experiments/distributions.h"
#include "reports/plot_canvas.h"

namespace bertscope {

std::string distributions_figure(const DistributionReport& report, ImageFormat format);

// The state whose noise line is drawn: the one whose std is the median, so the line
// stands for the typical state (states' std differ little after LayerNorm).
size_t median_std_state(const DistributionReport& report);

}  // namespace bertscope
