#include "reports/figure_logsoftmax.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "reports/figure_parts.h"
#include "reports/nice_ticks.h"

namespace bertscope {

namespace {

// Trials drawn as points per block and intervention. Trials are independent draws, so the
// first ones are a fair sample; beyond this, points only pile up while the SVG grows.
// Means and intervals always use every trial.
constexpr int kMaxPointsPerBlock = kTrialPointsKept;  // the trials a summary keeps

// y spans below this many nats are marked as zoomed in.
constexpr double kZoomNote = 1.0;

constexpr double kRight = 95, kHeaderHeight = 125, kPanelHeight = 240, kPanelGap = 80, kBottom = 62;

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

}  // namespace

double block_step(double span) { return span <= 12 ? 1.0 : span <= 30 ? 2.0 : 4.0; }

double trial_jitter(int trial) {
  const double golden = 0.6180339887498949;
  const double f = static_cast<double>(trial) * golden;
  return f - std::floor(f) - 0.5;
}

std::string target_logsoftmax_figure(const ExperimentSpec& spec, const SweepResult& sweep,
                                      const std::vector<LayerSummary>& summaries, const Vocab& vocab,
                                      ImageFormat format) {
  const size_t panels = spec.interventions.size();
  const double height = kHeaderHeight + static_cast<double>(panels) * kPanelHeight +
                        static_cast<double>(panels - 1) * kPanelGap + kBottom;
  PlotCanvas canvas(format, plot_style::kFigureWidth, static_cast<int>(height));

  // Shared axes: blocks edited and every value shown, the clean run included.
  int first_layer = std::numeric_limits<int>::max(), last_layer = std::numeric_limits<int>::min();
  double low = sweep.clean.target_logsoftmax, high = low;
  for (const LayerSummary& l : summaries) {
    first_layer = std::min(first_layer, l.layer);
    last_layer = std::max(last_layer, l.layer);
    low = std::min(low, l.min_target_logsoftmax);
    high = std::max(high, l.max_target_logsoftmax);
  }
  for (const LayerSummary& l : summaries) {
    low = std::min(low, l.target_logsoftmax.ci_low);
    high = std::max(high, l.target_logsoftmax.ci_high);
  }
  const double pad = high > low ? 0.08 * (high - low) : 0.5;
  low -= pad;
  high += pad;
  // A span this small is a zoom that makes noise look like an effect: the panel says so.
  const bool zoomed = high - low < kZoomNote;
  const double x0 = first_layer - 0.6, x1 = last_layer + 0.6;

  const std::string clean_top1 = vocab.token(sweep.clean.top.at(0).id);
  draw_figure_header(canvas, "Target log-softmax at the [MASK] after editing one block",
                     prompt_line(sweep.prompt.text, sweep.prompt.target) + "    clean top-1: \u201C" + clean_top1 + "\u201D");
  // The legend names what the panels draw: trial points and intervals only where some
  // intervention has several trials; a deterministic one is a single edited run.
  bool any_random = false, any_deterministic = false;
  for (const InterventionSpec& s : spec.interventions) {
    (s.is_random() && spec.trials > 1 ? any_random : any_deterministic) = true;
  }
  std::vector<LegendEntry> legend;
  if (any_random) {
    const std::string trial_label =
        spec.trials > kMaxPointsPerBlock
            ? "one trial (the first " + std::to_string(kMaxPointsPerBlock) + " of " + std::to_string(spec.trials) + " per block)"
            : "one trial";
    legend.push_back({LegendEntry::Kind::Marker, plot_style::kMuted.with_alpha(0.6), trial_label});
    legend.push_back({LegendEntry::Kind::MeanInterval, plot_style::kText, "mean of the trials, 95% CI"});
  }
  if (any_deterministic) legend.push_back({LegendEntry::Kind::Marker, plot_style::kText, "the edited run (deterministic)"});
  legend.push_back({LegendEntry::Kind::Dashed, plot_style::kReference, "clean run (no edit): " + number(sweep.clean.target_logsoftmax)});
  // Room on the left for the widest tick label and the axis title beside it.
  double widest = 0;
  for (const std::string& label : nice_ticks(low, high).labels) widest = std::max(widest, canvas.text_width(label));
  const double left = std::max(95.0, std::ceil(24 + 16 + 10 + widest + 10 + plot_style::kMajorTick));
  draw_legend_row(canvas, left, 80, legend);

  const double plot_width = canvas.width() - left - kRight;
  for (size_t i = 0; i < panels; ++i) {
    const InterventionSpec& intervention = spec.interventions[i];
    const plot_style::Color color = plot_style::series_color(i);
    const double top = kHeaderHeight + static_cast<double>(i) * (kPanelHeight + kPanelGap);
    canvas.panel(left, top, plot_width, kPanelHeight, x0, x1, low, high);
    canvas.axes({block_step(x1 - x0), 1, true}, {});
    const int trials = intervention.is_random() ? spec.trials : 1;
    char note[96] = "";
    if (zoomed) std::snprintf(note, sizeof note, "y axis zoomed in: it spans only %.2g nats", high - low);
    // The title gets the width the note leaves; a long label is cut to fit.
    const double room = plot_width - canvas.text_width(note, plot_style::kSmallSize) - 24;
    std::string title;
    for (size_t chars = 60; chars >= 12; chars -= 4) {
      char buffer[256];
      std::snprintf(buffer, sizeof buffer, "%s  \u00B7  %d trial%s per block  \u00B7  edit site: %s",
                    shorten(intervention.label(), chars).c_str(), trials, trials == 1 ? "" : "s",
                    edit_site_name(spec.site).c_str());
      title = buffer;
      if (canvas.text_width(title, plot_style::kTitleSize) <= room) break;
    }
    canvas.panel_title(title, color);
    canvas.y_title("target log-softmax (nats)");
    if (zoomed) {
      canvas.annotate(x1, high + 0.7 * plot_style::kTitleSize * canvas.y_per_pixel(), note, 1.0, plot_style::kMuted,
                      plot_style::kSmallSize);
    }
    if (i + 1 == panels) canvas.x_title("edited block (0-based)");

    // Clean reference under the data, labelled in the right margin.
    const double cx[2] = {x0, x1}, cy[2] = {sweep.clean.target_logsoftmax, sweep.clean.target_logsoftmax};
    canvas.line(cx, cy, plot_style::kReference, plot_style::kReferenceWidth, true);
    canvas.annotate(x1 + 8 * canvas.x_per_pixel(), sweep.clean.target_logsoftmax, "clean", 0.0, plot_style::kReference,
                    plot_style::kSmallSize);

    // Trials: spread over at most +-12 px or a quarter block, whichever is less.
    const double spread = std::min(0.5, 24 * canvas.x_per_pixel());
    std::vector<double> tx, ty;
    for (const LayerSummary& l : summaries) {
      if (l.intervention != static_cast<int>(i)) continue;
      for (size_t t = 0; t < l.first_target_logsoftmax.size(); ++t) {
        tx.push_back(l.layer + (trials > 1 ? spread * trial_jitter(static_cast<int>(t)) : 0.0));
        ty.push_back(l.first_target_logsoftmax[t]);
      }
    }
    canvas.markers(tx, ty, 2.2, color.with_alpha(trials >= 30 ? 0.28 : 0.5));

    // Means joined in block order, each with its interval.
    std::vector<double> mx, my;
    for (const LayerSummary& l : summaries) {
      if (l.intervention != static_cast<int>(i)) continue;
      mx.push_back(l.layer);
      my.push_back(l.target_logsoftmax.mean);
    }
    canvas.line(mx, my, plot_style::kText.with_alpha(0.55), 1.2);
    for (const LayerSummary& l : summaries) {
      if (l.intervention != static_cast<int>(i) || l.trials < 2) continue;
      canvas.error_bar(l.layer, l.target_logsoftmax.ci_low, l.target_logsoftmax.ci_high, 10, plot_style::kText, 2.0);
    }
    canvas.markers(mx, my, 4.0, plot_style::kText);
  }
  return canvas.finish();
}

}  // namespace bertscope
