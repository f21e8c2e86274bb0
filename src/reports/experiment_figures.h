#pragma once
// The figure set of an experiment, per prompt: the target log-softmax (a panel per
// intervention, up to six) and top-1 figures of its sweep, the grid of every intervention
// x block as a heatmap (two interventions or more), and the distribution figure of its
// hidden states. Each comes as SVG and as
// PNG. Everything is rendered in memory; the caller writes the files (atomically, with the
// rest of the run's output).
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "tokenizer/vocab.h"

namespace bertscope {

struct Figure {
  std::string kind;   // "target-logsoftmax", "top1", "grid" or "distributions"
  size_t prompt = 0;  // index into the spec's prompts
  std::string title;  // one line, for captions and alt text
  std::string svg;
  std::string png;

  // File name without extension, e.g. "target-logsoftmax-prompt0": always with the
  // prompt index, so scripts find the same names for one prompt or many.
  std::string stem() const { return kind + "-prompt" + std::to_string(prompt); }
};

std::vector<Figure> experiment_figures(const ExperimentResult& result, const Vocab& vocab);

}  // namespace bertscope
