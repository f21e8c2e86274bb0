#include "reports/experiment_figures.h"

#include "experiments/across_prompts.h"
#include "experiments/sweep_summary.h"
#include "reports/figure_across_prompts.h"
#include "reports/figure_distributions.h"
#include "reports/figure_grid.h"
#include "reports/figure_logsoftmax.h"
#include "reports/figure_targets.h"
#include "reports/figure_top1.h"
#include "reports/plot_canvas.h"

namespace bertscope {

namespace {
// Beyond this many interventions a panel each grows taller than a page; the grid shows them.
constexpr size_t kMaxPanels = 6;
}  // namespace

FigureSet figure_set(const ExperimentSpec& spec) {
  if (spec.figures == "none") return FigureSet::None;
  if (spec.figures == "summary") return FigureSet::Summary;
  if (spec.figures == "all") return FigureSet::All;
  return spec.prompts.size() <= kAllFiguresUpTo ? FigureSet::All : FigureSet::Summary;
}

std::vector<Figure> experiment_figures(const ExperimentResult& result, const Vocab& vocab) {
  std::vector<Figure> figures;
  auto add = [&](const std::string& kind, size_t prompt, const std::string& title, auto&& render) {
    Figure f{kind, prompt, title, render(ImageFormat::Svg), render(ImageFormat::Png)};
    figures.push_back(std::move(f));
  };
  const FigureSet set = figure_set(result.spec);
  const size_t interventions = result.spec.interventions.size();
  if (set != FigureSet::None && result.sweeps.size() >= 2) {
    const std::vector<PromptsCell> cells = across_prompts(result);
    if (interventions <= kMaxAcrossPromptsSeries) {
      add("target-logsoftmax", Figure::kAllPrompts,
          "Change of the target log-softmax against the edited block: each prompt, the mean over prompts with its 95% CI",
          [&](ImageFormat format) { return across_prompts_figure(result.spec, cells, format); });
    }
    if (interventions >= 2) {
      add("grid", Figure::kAllPrompts, "Mean change of the target log-softmax over prompts, per intervention and edited block",
          [&](ImageFormat format) { return heatmap_figure(across_prompts_grid(result.spec, cells), format); });
    }
  }
  const bool per_prompt = set == FigureSet::All || (set == FigureSet::Summary && result.spec.prompts.size() == 1);
  for (size_t p = 0; per_prompt && p < result.spec.prompts.size(); ++p) {
    if (p < result.sweeps.size()) {
      const SweepResult& sweep = result.sweeps[p];
      const std::vector<LayerSummary>& summaries = result.summaries.at(p);
      if (interventions <= kMaxPanels) {
        add("target-logsoftmax", p, "Target log-softmax against the edited block: each trial, the mean with its 95% CI, and the clean run",
            [&](ImageFormat format) { return target_logsoftmax_figure(result.spec, sweep, summaries, vocab, format); });
      }
      add("top1", p, "Top-1 word per edited block, and the share of trials still predicting the target",
          [&](ImageFormat format) { return top1_figure(result.spec, sweep, summaries, vocab, format); });
      if (interventions >= 2) {
        add("grid", p, "Mean change of the target log-softmax from the clean run, per intervention and edited block",
            [&](ImageFormat format) { return intervention_grid_figure(result.spec, sweep, summaries, format); });
      }
      if (!result.spec.targets.empty()) {
        add("targets", p, "Mean change of each target word's log-softmax from the clean run, per edited block",
            [&](ImageFormat format) { return targets_figure(result.spec, sweep, summaries, format); });
      }
    }
    if (p < result.distributions.size()) {
      const DistributionReport& report = result.distributions[p];
      add("distributions", p, "Hidden-state distributions against Gaussian noise: histograms, excess kurtosis and tails",
          [&](ImageFormat format) { return distributions_figure(report, format); });
    }
  }
  return figures;
}

}  // namespace bertscope
