#include "reports/figure_lens.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reports/figure_parts.h"

namespace bertscope {

namespace {

// Cells share what the figure's width leaves beside the labels and the plot, at least kMinCell.
constexpr double kMargin = 24, kLabelWidth = 96, kMinCell = 100, kGap = 24, kPlotWidth = 220, kPlotRight = 40;
constexpr double kRowHeight = 22, kHeaderHeight = 120, kColumnHeads = 26, kAxisHeight = 56;

std::string row_label(const HookSite& site) {
  return site.kind == SiteKind::EmbedOut ? "embeddings" : "block " + std::to_string(site.layer);
}

}  // namespace

std::string lens_figure(const LensResult& lens, const Vocab& vocab, ImageFormat format) {
  const size_t rows = lens.states.size();
  const size_t k = lens.states.empty() ? 0 : lens.states.front().prediction.top.size();
  const bool has_target = lens.prompt.target_id >= 0;
  const double plot_band = has_target ? kGap + kPlotWidth + kPlotRight : 0.0;
  const double free_width = plot_style::kFigureWidth - 2 * kMargin - kLabelWidth - plot_band;
  const double cell_width = std::floor(std::max(kMinCell, free_width / static_cast<double>(std::max<size_t>(k, 1))));
  const double table_width = kLabelWidth + static_cast<double>(k) * cell_width;
  const double width = std::max<double>(plot_style::kFigureWidth, 2 * kMargin + table_width + plot_band);
  const double table_top = kHeaderHeight + kColumnHeads;
  const double height = table_top + static_cast<double>(rows) * kRowHeight + kAxisHeight;
  PlotCanvas canvas(format, static_cast<int>(width), static_cast<int>(height));
  draw_figure_header(canvas, "Logit lens: the MLM head on the [MASK] row after each block",
                     prompt_line(lens.prompt.text, lens.prompt.target));
  canvas.text(kMargin + kLabelWidth, 90,
              "cells: the top words read from that state, shaded by probability; the target outlined. The last row is "
              "the model's prediction",
              0.0, plot_style::kMuted, plot_style::kSmallSize);

  canvas.page();
  const double heads_y = kHeaderHeight + kColumnHeads / 2;
  canvas.text(kMargin + kLabelWidth - 10, heads_y, "state", 1.0, plot_style::kMuted, plot_style::kSmallSize);
  for (size_t c = 0; c < k; ++c) {
    canvas.text(kMargin + kLabelWidth + static_cast<double>(c) * cell_width + 7, heads_y, "top " + std::to_string(c + 1), 0.0,
                plot_style::kMuted, plot_style::kSmallSize);
  }
  for (size_t r = 0; r < rows; ++r) {
    const LensState& state = lens.states[r];
    const double top = table_top + static_cast<double>(r) * kRowHeight;
    canvas.text(kMargin + kLabelWidth - 10, top + kRowHeight / 2, row_label(state.site), 1.0, plot_style::kText,
                plot_style::kSmallSize);
    for (size_t c = 0; c < state.prediction.top.size(); ++c) {
      const TokenScore& t = state.prediction.top[c];
      const double p = std::exp(static_cast<double>(t.log_prob));
      char note[32];
      std::snprintf(note, sizeof note, "%.2f", p);
      draw_word_cell(canvas, {kMargin + kLabelWidth + static_cast<double>(c) * cell_width, top, cell_width, kRowHeight},
                     vocab.token(t.id), note, p, plot_style::series_color(0), t.id == lens.prompt.target_id);
    }
  }

  if (has_target) {
    // The target's log-prob per state, rows aligned with the table (y counts rows downwards).
    double low = 0.0;
    std::vector<double> x, y;
    for (size_t r = 0; r < rows; ++r) {
      x.push_back(lens.states[r].prediction.target_logsoftmax);
      y.push_back(static_cast<double>(r) + 0.5);
      low = std::min(low, x.back());
    }
    low = std::floor(low - 0.5);
    canvas.panel(kMargin + table_width + kGap, table_top, kPlotWidth, static_cast<double>(rows) * kRowHeight, low, 0.0,
                 static_cast<double>(rows), 0.0);
    canvas.axes({0, 0, true, true}, {0, 0, false, false});
    canvas.x_title("target log-prob");
    canvas.line(x, y, plot_style::series_color(1));
    canvas.markers(x, y, 3.5, plot_style::series_color(1));
  }
  return canvas.finish();
}

}  // namespace bertscope
