#include "reports/figure_top1.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reports/figure_parts.h"

namespace bertscope {

namespace {

using plot_style::Color;

// Panel layout in pixels: row labels, three word columns, a gap, the bars.
constexpr double kMargin = 24, kLabelWidth = 56, kCellWidth = 100, kGap = 18, kBarWidth = 120;
constexpr double kPanelWidth = kLabelWidth + 3 * kCellWidth + kGap + kBarWidth;
constexpr double kPanelGapX = 40, kRowHeight = 22, kHeaderHeight = 128;
constexpr double kPanelTitle = 30, kColumnHeads = 26, kCleanGap = 8, kAxisHeight = 50, kPanelGapY = 24;
constexpr int kColumns = 2;

std::string percent(double share) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.0f%%", 100.0 * share);
  return buffer;
}

}  // namespace

std::string top1_figure(const ExperimentSpec& spec, const SweepResult& sweep, const std::vector<LayerSummary>& summaries,
                        const Vocab& vocab, ImageFormat format) {
  const size_t panels = spec.interventions.size();
  std::vector<int> layers;
  for (const LayerSummary& l : summaries) {
    if (l.intervention == 0) layers.push_back(l.layer);
  }
  const double rows_height = static_cast<double>(layers.size() + 1) * kRowHeight + kCleanGap;
  const double panel_height = kPanelTitle + kColumnHeads + rows_height + kAxisHeight;
  const size_t columns = std::min<size_t>(kColumns, panels);
  const size_t panel_rows = (panels + columns - 1) / columns;
  const double width = std::max<double>(plot_style::kFigureWidth,
                                        2 * kMargin + static_cast<double>(columns) * (kPanelWidth + kPanelGapX));
  const double height = kHeaderHeight + static_cast<double>(panel_rows) * (panel_height + kPanelGapY);
  PlotCanvas canvas(format, static_cast<int>(width), static_cast<int>(height));

  const std::string& target = sweep.prompt.target;
  const std::string clean_top1 = vocab.token(sweep.clean.top.at(0).id);
  draw_figure_header(canvas, "Top-1 word at the [MASK] after editing one block",
                     prompt_line(sweep.prompt.text, target));
  // The cells' numbers are shares of trials; the clean run is one run, so its probability is
  // said here rather than in its cell, where it would read as a share.
  draw_legend_row(canvas, kMargin + kLabelWidth, 84,
                  {{LegendEntry::Kind::Bar, plot_style::kMuted, "top-1 = target (share of trials)"},
                   {LegendEntry::Kind::Diamond, plot_style::kText, "top-1 is punctuation"},
                   {LegendEntry::Kind::Bar, blend(plot_style::kWhite, plot_style::kMuted, 0.12 + 0.88 * 0.35),
                    "clean: the unedited run's top-1, at " + probability_text(std::exp(sweep.clean.top.at(0).log_prob))}});
  canvas.text(kMargin + kLabelWidth, 108,
              "cells: the most frequent top-1 words over the trials, shaded by their share; the target word outlined", 0.0,
              plot_style::kMuted, plot_style::kSmallSize);

  for (size_t i = 0; i < panels; ++i) {
    const Color color = plot_style::series_color(i);
    const double left = kMargin + static_cast<double>(i % columns) * (kPanelWidth + kPanelGapX);
    const double top = kHeaderHeight + static_cast<double>(i / columns) * (panel_height + kPanelGapY);
    const double table_top = top + kPanelTitle + kColumnHeads;
    const int trials = spec.interventions[i].is_random() ? spec.trials : 1;

    canvas.page();
    char title[200];
    std::snprintf(title, sizeof title, "%s  \u00B7  %d trial%s per block", shorten(spec.interventions[i].label(), 40).c_str(), trials,
                  trials == 1 ? "" : "s");
    canvas.text(left, top + 10, title, 0.0, color, plot_style::kTitleSize);
    const double heads_y = top + kPanelTitle + kColumnHeads / 2;
    canvas.text(left + kLabelWidth - 10, heads_y, "block", 1.0, plot_style::kMuted, plot_style::kSmallSize);
    const char* heads[3] = {"most frequent", "2nd", "3rd"};
    for (int c = 0; c < 3; ++c) {
      canvas.text(left + kLabelWidth + c * kCellWidth + 7, heads_y, heads[c], 0.0, plot_style::kMuted, plot_style::kSmallSize);
    }

    // The clean run: one run, its top-1 word.
    canvas.text(left + kLabelWidth - 10, table_top + kRowHeight / 2, "clean", 1.0, plot_style::kText, plot_style::kSmallSize);
    draw_word_cell(canvas, {left + kLabelWidth, table_top, kCellWidth, kRowHeight}, clean_top1, "", 0.35, plot_style::kMuted,
                   clean_top1 == target);

    // One row per edited block.
    std::vector<const LayerSummary*> rows;
    for (const LayerSummary& l : summaries) {
      if (l.intervention == static_cast<int>(i)) rows.push_back(&l);
    }
    for (size_t r = 0; r < rows.size(); ++r) {
      const LayerSummary& l = *rows[r];
      const double row_top = table_top + kCleanGap + static_cast<double>(r + 1) * kRowHeight;
      canvas.text(left + kLabelWidth - 10, row_top + kRowHeight / 2, std::to_string(l.layer), 1.0, plot_style::kText,
                  plot_style::kSmallSize);
      for (size_t c = 0; c < 3 && c < l.top1_counts.size(); ++c) {
        const auto& [id, count] = l.top1_counts[c];
        const double share = static_cast<double>(count) / l.trials;
        const std::string& word = vocab.token(id);
        draw_word_cell(canvas, {left + kLabelWidth + static_cast<double>(c) * kCellWidth, row_top, kCellWidth, kRowHeight},
                       word, percent(share), share, color, word == target);
      }
    }

    // Bars on a % axis, rows aligned with the table (y counts rows downwards).
    const double bars_left = left + kLabelWidth + 3 * kCellWidth + kGap;
    const double total_rows = static_cast<double>(rows.size() + 1) + kCleanGap / kRowHeight;
    // A little room beyond 0 and 100 keeps marks at the ends whole.
    canvas.panel(bars_left, table_top, kBarWidth, rows_height, -6, 106, total_rows, 0);
    canvas.axes({50, 5, true, true}, {0, 0, false, false});
    canvas.x_title("% of trials");
    auto bar_row = [&](double y_center, double target_share, double punct_share, Color bar_color) {
      if (target_share > 0) canvas.rect(0, y_center - 0.3, 100 * target_share, y_center + 0.3, bar_color);
      canvas.diamond(100 * punct_share, y_center, 5.0, plot_style::kText);
    };
    bar_row(0.5, clean_top1 == target ? 1.0 : 0.0, is_punctuation_token(clean_top1) ? 1.0 : 0.0, plot_style::kMuted);
    for (size_t r = 0; r < rows.size(); ++r) {
      bar_row(static_cast<double>(r) + 1.5 + kCleanGap / kRowHeight, rows[r]->share_top1_target,
              rows[r]->share_top1_punctuation, color);
    }
  }
  return canvas.finish();
}

}  // namespace bertscope
