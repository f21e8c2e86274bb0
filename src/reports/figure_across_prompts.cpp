#include "reports/figure_across_prompts.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "reports/figure_grid.h"
#include "reports/figure_logsoftmax.h"
#include "reports/figure_parts.h"
#include "reports/nice_ticks.h"

namespace bertscope {

namespace {

constexpr double kRight = 40, kHeaderHeight = 150, kPanelHeight = 360, kBottom = 62;

std::string subtitle(const ExperimentSpec& spec, size_t prompts) {
  return std::to_string(prompts) + " prompts    edit site: " + edit_site_name(spec.site) +
         "    each prompt's change is the mean over its trials";
}

}  // namespace

std::string across_prompts_figure(const ExperimentSpec& spec, const std::vector<PromptsCell>& cells, ImageFormat format) {
  const size_t series = spec.interventions.size();
  const size_t prompts = cells.empty() ? 0 : cells.front().effects.size();
  PlotCanvas canvas(format, plot_style::kFigureWidth, static_cast<int>(kHeaderHeight + kPanelHeight + kBottom));

  int first_layer = std::numeric_limits<int>::max(), last_layer = std::numeric_limits<int>::min();
  double low = 0.0, high = 0.0;  // 0, each prompt's clean run, is always in view
  for (const PromptsCell& c : cells) {
    first_layer = std::min(first_layer, c.layer);
    last_layer = std::max(last_layer, c.layer);
    for (double e : c.effects) {
      low = std::min(low, e);
      high = std::max(high, e);
    }
    if (c.effect.count > 1) {
      low = std::min(low, c.effect.ci_low);
      high = std::max(high, c.effect.ci_high);
    }
  }
  const double pad = high > low ? 0.08 * (high - low) : 0.5;
  low -= pad;
  high += pad;
  const double x0 = first_layer - 0.6, x1 = last_layer + 0.6;

  draw_figure_header(canvas, "Change of the target log-softmax after editing one block, across prompts", subtitle(spec, prompts));
  double widest = 0;
  for (const std::string& label : nice_ticks(low, high).labels) widest = std::max(widest, canvas.text_width(label));
  const double left = std::max(95.0, std::ceil(24 + 16 + 10 + widest + 10 + plot_style::kMajorTick));
  draw_legend_row(canvas, left, 80,
                  {{LegendEntry::Kind::Marker, plot_style::kMuted.with_alpha(0.6), "one prompt (its mean over trials)"},
                   {LegendEntry::Kind::MeanInterval, plot_style::kText, "mean over prompts, 95% CI"},
                   {LegendEntry::Kind::Dashed, plot_style::kReference, "0: each prompt's clean run"}});
  std::vector<LegendEntry> names;
  for (size_t i = 0; i < series; ++i) {
    names.push_back({LegendEntry::Kind::Line, plot_style::series_color(i), shorten(spec.interventions[i].label(), 120 / series)});
  }
  draw_legend_row(canvas, left, 108, names);

  canvas.panel(left, kHeaderHeight, canvas.width() - left - kRight, kPanelHeight, x0, x1, low, high);
  canvas.axes({block_step(x1 - x0), 1, true}, {});
  canvas.y_title("target log-softmax - clean (nats)");
  canvas.x_title("edited block (0-based)");
  const double zx[2] = {x0, x1}, zy[2] = {0.0, 0.0};
  canvas.line(zx, zy, plot_style::kReference, plot_style::kReferenceWidth, true);

  // Interventions side by side within a block, so that their intervals do not hide each other.
  const double width = std::min(0.6, 0.2 * static_cast<double>(series));
  for (size_t i = 0; i < series; ++i) {
    const plot_style::Color color = plot_style::series_color(i);
    const double offset = series > 1 ? width * (static_cast<double>(i) / static_cast<double>(series - 1) - 0.5) : 0.0;
    const double spread = std::min(0.5 * width / static_cast<double>(series), 12 * canvas.x_per_pixel());
    std::vector<double> px, py, mx, my;
    for (const PromptsCell& c : cells) {
      if (c.intervention != static_cast<int>(i)) continue;
      for (size_t p = 0; p < c.effects.size(); ++p) {
        px.push_back(c.layer + offset + spread * trial_jitter(static_cast<int>(p)));
        py.push_back(c.effects[p]);
      }
      mx.push_back(c.layer + offset);
      my.push_back(c.effect.mean);
    }
    canvas.markers(px, py, 2.2, color.with_alpha(prompts >= 30 ? 0.3 : 0.5));
    canvas.line(mx, my, color, 1.6);
    for (const PromptsCell& c : cells) {
      if (c.intervention != static_cast<int>(i) || c.effect.count < 2) continue;
      canvas.error_bar(c.layer + offset, c.effect.ci_low, c.effect.ci_high, 8, plot_style::kText, 1.6);
    }
    canvas.markers(mx, my, 4.0, color);
  }
  return canvas.finish();
}

Heatmap across_prompts_grid(const ExperimentSpec& spec, const std::vector<PromptsCell>& cells) {
  std::vector<GridValue> values;
  for (const PromptsCell& c : cells) values.push_back({c.intervention, c.layer, c.effect.mean});
  Heatmap h = block_grid(spec, values, nullptr);
  h.title = "Change of the target log-softmax across prompts, per intervention and edited block";
  h.subtitle = subtitle(spec, cells.empty() ? 0 : cells.front().effects.size());
  h.colorbar_title = "mean change from clean (nats)";
  return h;
}

}  // namespace bertscope
