#include "reports/figure_targets.h"

#include <algorithm>
#include <limits>

#include "reports/figure_parts.h"

namespace bertscope {

Heatmap targets_grid(const ExperimentSpec& spec, const SweepResult& sweep, const std::vector<LayerSummary>& summaries) {
  std::vector<std::string> words = {sweep.prompt.target};
  words.insert(words.end(), spec.targets.begin(), spec.targets.end());
  std::vector<int> blocks;
  for (const LayerSummary& l : summaries) {
    if (std::find(blocks.begin(), blocks.end(), l.layer) == blocks.end()) blocks.push_back(l.layer);
  }
  std::sort(blocks.begin(), blocks.end());
  Heatmap h;
  h.rows = blocks.size();
  h.columns = spec.interventions.size() * words.size();
  h.values.assign(h.rows * h.columns, std::numeric_limits<double>::quiet_NaN());
  for (const LayerSummary& l : summaries) {
    const size_t row = static_cast<size_t>(std::find(blocks.begin(), blocks.end(), l.layer) - blocks.begin());
    for (size_t w = 0; w < words.size(); ++w) {
      const double change = w == 0 ? l.target_logsoftmax.mean - sweep.clean.target_logsoftmax
                                   : l.word_logsoftmax.at(w - 1).mean - sweep.clean.word_logsoftmax.at(w - 1);
      h.values[row * h.columns + static_cast<size_t>(l.intervention) * words.size() + w] = change;
    }
  }
  for (int b : blocks) h.row_labels.push_back(std::to_string(b));
  for (const InterventionSpec& s : spec.interventions) {
    for (const std::string& w : words) {
      h.column_labels.push_back(spec.interventions.size() > 1 ? shorten(s.label(), 16) + ": " + shorten(w, 10) : shorten(w, 16));
    }
  }
  h.title = "Change of each target word's log-softmax, per edited block";
  h.subtitle = prompt_line(sweep.prompt.text, sweep.prompt.target) + "    edit site: " + edit_site_name(spec.site);
  h.x_title = spec.interventions.size() > 1 ? "intervention: word" : "word (" + spec.interventions.front().label() + ")";
  h.y_title = "edited block (0-based)";
  h.colorbar_title = "mean log-softmax - clean (nats)";
  h.scale = Heatmap::Scale::Diverging;
  h.cell_format = "%.2f";
  return h;
}

std::string targets_figure(const ExperimentSpec& spec, const SweepResult& sweep, const std::vector<LayerSummary>& summaries,
                           ImageFormat format) {
  return heatmap_figure(targets_grid(spec, sweep, summaries), format);
}

}  // namespace bertscope
