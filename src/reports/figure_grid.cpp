#include "reports/figure_grid.h"

#include <algorithm>
#include <limits>

#include "reports/figure_parts.h"

namespace bertscope {

namespace {

// Interventions that differ only in the one position they edit are labelled by that
// position and its token ("4 france"): the columns of a patching study. Labels of the
// spec's own (`label`) are kept.
bool one_position_each(const std::vector<InterventionSpec>& interventions) {
  for (const InterventionSpec& s : interventions) {
    if (s.positions.mode != Positions::Mode::List || s.positions.list.size() != 1) return false;
    if (s.kind != interventions.front().kind || s.other_prompt != interventions.front().other_prompt ||
        s.factor != interventions.front().factor || !s.label().starts_with(s.default_label())) {
      return false;
    }
  }
  return true;
}

}  // namespace

Heatmap block_grid(const ExperimentSpec& spec, const std::vector<GridValue>& cells, const std::vector<std::string>* tokens) {
  Heatmap h;
  std::vector<int> blocks;
  for (const GridValue& c : cells) {
    if (std::find(blocks.begin(), blocks.end(), c.layer) == blocks.end()) blocks.push_back(c.layer);
  }
  std::sort(blocks.begin(), blocks.end());
  h.rows = blocks.size();
  h.columns = spec.interventions.size();
  h.values.assign(h.rows * h.columns, std::numeric_limits<double>::quiet_NaN());
  for (const GridValue& c : cells) {
    const size_t row = static_cast<size_t>(std::find(blocks.begin(), blocks.end(), c.layer) - blocks.begin());
    h.values[row * h.columns + static_cast<size_t>(c.intervention)] = c.value;
  }
  for (int b : blocks) h.row_labels.push_back(std::to_string(b));
  const bool by_position = one_position_each(spec.interventions);
  for (const InterventionSpec& s : spec.interventions) {
    if (by_position) {
      const int p = s.positions.list.front();
      std::string label = std::to_string(p);
      if (tokens) label += " " + shorten(p < static_cast<int>(tokens->size()) ? (*tokens)[static_cast<size_t>(p)] : "?", 12);
      h.column_labels.push_back(label);
    } else {
      h.column_labels.push_back(shorten(s.label(), 28));
    }
  }
  h.x_title = by_position ? InterventionSpec::kind_name(spec.interventions.front().kind) + " at position (0-based, [CLS] = 0)"
                          : "intervention";
  h.y_title = "edited block (0-based)";
  h.scale = Heatmap::Scale::Diverging;
  h.cell_format = "%.2f";
  return h;
}

Heatmap intervention_grid(const ExperimentSpec& spec, const SweepResult& sweep, const std::vector<LayerSummary>& summaries) {
  std::vector<GridValue> cells;
  for (const LayerSummary& l : summaries) {
    cells.push_back({l.intervention, l.layer, l.target_logsoftmax.mean - sweep.clean.target_logsoftmax});
  }
  Heatmap h = block_grid(spec, cells, &sweep.prompt.tokens);
  h.title = "Change of the target log-softmax, per intervention and edited block";
  h.subtitle = prompt_line(sweep.prompt.text, sweep.prompt.target) + "    edit site: " + edit_site_name(spec.site);
  h.colorbar_title = "mean target log-softmax - clean (nats)";
  return h;
}

std::string intervention_grid_figure(const ExperimentSpec& spec, const SweepResult& sweep,
                                     const std::vector<LayerSummary>& summaries, ImageFormat format) {
  return heatmap_figure(intervention_grid(spec, sweep, summaries), format);
}

}  // namespace bertscope
