#pragma once
// The readable tables printed at the end of a run: per intervention, one line per layer
// with the top-1 word, the target log-softmax mean with its 95% CI, and the loss; and per
// hidden state, how far its distribution is from a Gaussian.
#include <string>

#include "experiments/experiment.h"

namespace bertscope {

std::string sweep_tables(const ExperimentResult& result, const Encoder& model);
std::string distribution_tables(const ExperimentResult& result);

}  // namespace bertscope
