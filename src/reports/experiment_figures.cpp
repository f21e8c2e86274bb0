#include "reports/experiment_figures.h"

#include "experiments/sweep_summary.h"
#include "reports/figure_distributions.h"
#include "reports/figure_grid.h"
#include "reports/figure_logsoftmax.h"
#include "reports/figure_top1.h"
#include "reports/plot_canvas.h"

namespace bertscope {

namespace {
// Beyond this many interventions a panel each grows taller than a page; the grid shows them.
constexpr size_t kMaxPanels = 6;
}  // namespace

std::vector<Figure> experiment_figures(const ExperimentResult& result, const Vocab& vocab) {
  std::vector<Figure> figures;
  auto add = [&](const std::string& kind, size_t prompt, const std::string& title, auto&& render) {
    Figure f{kind, prompt, title, render(ImageFormat::Svg), render(ImageFormat::Png)};
    figures.push_back(std::move(f));
  };
  for (size_t p = 0; p < result.spec.prompts.size(); ++p) {
    if (p < result.sweeps.size()) {
      const SweepResult& sweep = result.sweeps[p];
      const std::vector<LayerSummary>& summaries = result.summaries.at(p);
      const size_t interventions = result.spec.interventions.size();
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
