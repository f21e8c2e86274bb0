#pragma once
// The figure set of an experiment, per prompt: the target log-softmax (a panel per
// intervention, up to six) and top-1 figures of its sweep, the grid of every intervention
// x block as a heatmap (two interventions or more), and the distribution figure of its
// hidden states; across prompts: the mean effect with its CI over prompts, and its grid.
// Each comes as SVG and as PNG. Everything is rendered in memory; the caller writes the files (atomically, with the
// rest of the run's output).
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "tokenizer/vocab.h"

namespace bertscope {

struct Figure {
  static constexpr size_t kAllPrompts = static_cast<size_t>(-1);

  std::string kind;   // "target-logsoftmax", "top1", "grid" or "distributions"
  size_t prompt = 0;  // index into the spec's prompts, or kAllPrompts: across them
  std::string title;  // one line, for captions and alt text
  std::string svg;
  std::string png;

  // File name without extension, e.g. "target-logsoftmax-prompt0": always with the
  // prompt index, so scripts find the same names for one prompt or many; across prompts
  // "target-logsoftmax-all-prompts".
  std::string stem() const { return kind + (prompt == kAllPrompts ? "-all-prompts" : "-prompt" + std::to_string(prompt)); }
};

// Which figures spec.figures asks for: "auto" is All up to kAllFiguresUpTo prompts, Summary
// beyond (a figure pair per prompt takes longer to draw and write than a sweep takes to run).
enum class FigureSet { None, Summary, All };
inline constexpr size_t kAllFiguresUpTo = 8;
FigureSet figure_set(const ExperimentSpec& spec);

// Per prompt (FigureSet::All, or Summary with one prompt) and across prompts (two or more
// with sweeps: the effect of each intervention, up to kMaxAcrossPromptsSeries, and with two
// interventions or more their grid), as figure_set(result.spec) says.
std::vector<Figure> experiment_figures(const ExperimentResult& result, const Vocab& vocab);

}  // namespace bertscope
