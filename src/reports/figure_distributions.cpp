#include "reports/figure_distributions.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <numeric>
#include <vector>

#include "reports/figure_parts.h"

namespace bertscope {

namespace {

using plot_style::Color;

constexpr double kLeft = 95, kHeaderHeight = 120, kTopHeight = 300, kTopWidth = 740;
// The same densities on a log scale, under the linear panel: the tails.
constexpr double kLogTop = kHeaderHeight + kTopHeight + 90, kLogHeight = 220;
constexpr double kLowerTop = kLogTop + kLogHeight + 120, kLowerHeight = 220, kLowerWidth = 350, kLowerGap = 125;
constexpr double kBottom = 70;
const Color kMaskColor = plot_style::series_color(1);

std::string number(const char* pattern, double value) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

Color depth_color(size_t state, size_t states) {
  return plot_style::viridis(states > 1 ? static_cast<double>(state) / static_cast<double>(states - 1) : 0.0);
}

// The exact density of a Gaussian of mean 0 and `std`, at `points` points over [low, high].
std::pair<std::vector<double>, std::vector<double>> gaussian_curve(double std, double low, double high, int points) {
  std::vector<double> x, y;
  for (int i = 0; i < points; ++i) {
    const double v = low + (high - low) * i / (points - 1);
    x.push_back(v);
    y.push_back(std > 0 ? std::exp(-0.5 * v * v / (std * std)) / (std * std::sqrt(2 * std::numbers::pi)) : 0.0);
  }
  return {x, y};
}

// The share of that Gaussian outside [low, high].
double gaussian_share_outside(double std, double low, double high) {
  if (!(std > 0)) return 0.0;
  return 0.5 * std::erfc(-low / (std * std::sqrt(2.0))) + 0.5 * std::erfc(high / (std * std::sqrt(2.0)));
}

// States are placed by the block whose output they are, as every table and file numbers
// them: block L at L, the embeddings (state 0, before block 0) at -1.
double state_x(const StateDistribution& s) { return s.index - 1.0; }
constexpr const char* kStateAxis = "output of block (-1 = embeddings)";

double state_step(size_t states) { return states <= 9 ? 1.0 : states <= 17 ? 2.0 : 4.0; }

// One lower panel: a measure per hidden state, for all values and the [MASK] vector, with
// the Gaussian's value as a dashed line.
void draw_measure_panel(PlotCanvas& canvas, double left, const DistributionReport& report, const std::string& y_title,
                        double gaussian, double (*measure)(const ValueDistribution&)) {
  const size_t n = report.states.size();
  std::vector<double> x, all, mask;
  double low = gaussian, high = gaussian;
  const bool has_mask = !report.states.empty() && report.states.front().mask.moments.count > 0;
  for (const StateDistribution& s : report.states) {
    x.push_back(state_x(s));
    all.push_back(measure(s.all));
    low = std::min(low, all.back());
    high = std::max(high, all.back());
    if (has_mask) {
      mask.push_back(measure(s.mask));
      low = std::min(low, mask.back());
      high = std::max(high, mask.back());
    }
  }
  const double pad = high > low ? 0.1 * (high - low) : 0.5;
  canvas.panel(left, kLowerTop, kLowerWidth, kLowerHeight, x.front() - 0.5, x.back() + 0.5, low - pad, high + pad);
  canvas.axes({state_step(n), 1, true}, {});
  canvas.y_title(y_title);
  canvas.x_title(kStateAxis);
  const double gx[2] = {x.front() - 0.5, x.back() + 0.5}, gy[2] = {gaussian, gaussian};
  canvas.line(gx, gy, plot_style::kReference, plot_style::kReferenceWidth, true);
  if (has_mask) {
    canvas.line(x, mask, kMaskColor, plot_style::kLineWidth);
    canvas.markers(x, mask, 3.5, kMaskColor);
  }
  canvas.line(x, all, plot_style::kText, plot_style::kLineWidth);
  for (size_t i = 0; i < n; ++i) {
    const double px[1] = {x[i]}, py[1] = {all[i]};
    canvas.markers(px, py, 5.0, plot_style::kText);
    canvas.markers(px, py, 3.8, depth_color(i, n));
  }
}

}  // namespace

size_t median_std_state(const DistributionReport& report) {
  std::vector<size_t> order(report.states.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return report.states[a].all.moments.std < report.states[b].all.moments.std;
  });
  return order.empty() ? 0 : order[(order.size() - 1) / 2];
}

std::string distributions_figure(const DistributionReport& report, ImageFormat format) {
  const double height = kLowerTop + kLowerHeight + kBottom;
  PlotCanvas canvas(format, plot_style::kFigureWidth, static_cast<int>(height));
  const size_t n = report.states.size();
  const double factor = report.request.noise_factor;

  draw_figure_header(canvas, "Clean hidden states against Gaussian noise", prompt_line(report.prompt.text, ""));
  const StateDistribution& reference = report.states.at(median_std_state(report));
  const double noise_std = factor * reference.all.moments.std;
  draw_legend_row(canvas, kLeft, 86,
                  {{LegendEntry::Kind::Line, plot_style::viridis(0.5), "one hidden state (all tokens x dims), colour: depth"},
                   {LegendEntry::Kind::Dashed, plot_style::kReference,
                    "Gaussian noise (exact density), std " + number("%g", factor) + " x " +
                        number("%.3f", reference.all.moments.std) + " (" + reference.name + ")"},
                   {LegendEntry::Kind::Dashed, plot_style::kMuted, "Gaussian of the same std as that state"}});

  // Top: densities over the histogram's range, on a linear and on a log scale.
  const Histogram& first = report.states.front().all.histogram;
  const auto [gauss_x, gauss_y] = gaussian_curve(noise_std, first.low, first.high, 401);
  // Beside the noise, a Gaussian as wide as the state itself: what its shape (peak, tails)
  // would be without its heavy tails.
  const auto [own_x, own_y] = gaussian_curve(reference.all.moments.std, first.low, first.high, 401);
  double top_density = std::max(*std::max_element(gauss_y.begin(), gauss_y.end()), *std::max_element(own_y.begin(), own_y.end()));
  double lowest_density = top_density;
  int64_t outside = 0, total = 0;
  for (const StateDistribution& s : report.states) {
    for (double d : s.all.histogram.density()) {
      top_density = std::max(top_density, d);
      if (d > 0) lowest_density = std::min(lowest_density, d);
    }
    outside += s.all.histogram.below + s.all.histogram.above;
    total += s.all.histogram.total();
  }
  auto centres = [](const Histogram& h) {
    std::vector<double> x;
    for (size_t b = 0; b < h.counts.size(); ++b) x.push_back(h.low + (static_cast<double>(b) + 0.5) * h.bin_width());
    return x;
  };
  // log10 of a density; an empty bin has none (NaN breaks the line there).
  auto log_of = [](std::vector<double> v) {
    for (double& d : v) d = d > 0 ? std::log10(d) : std::numeric_limits<double>::quiet_NaN();
    return v;
  };
  canvas.panel(kLeft, kHeaderHeight, kTopWidth, kTopHeight, first.low, first.high, 0, 1.08 * top_density);
  canvas.axes({}, {});
  canvas.y_title("density (1 / unit)");
  for (size_t i = 0; i < n; ++i) {
    const Histogram& h = report.states[i].all.histogram;
    canvas.line(centres(h), h.density(), depth_color(i, n), plot_style::kLineWidth);
  }
  canvas.line(own_x, own_y, plot_style::kMuted, 1.5, true);
  canvas.line(gauss_x, gauss_y, plot_style::kReference, 2.0, true);
  if (outside > 0 && total > 0) {
    canvas.text(first.high - 0.01 * (first.high - first.low), 1.02 * top_density,
                number("outside the range, not shown: %.2f%% of the hidden-state values, ",
                       100.0 * static_cast<double>(outside) / static_cast<double>(total)) +
                    number("%.2f%% of the noise", 100.0 * gaussian_share_outside(noise_std, first.low, first.high)),
                1.0, plot_style::kMuted, plot_style::kSmallSize);
  }
  canvas.depth_colorbar(report.states.front().index - 1, report.states.back().index - 1, kStateAxis);

  const double log_high = std::ceil(std::log10(top_density) + 0.05);
  const double log_low = std::min(log_high - 1, std::floor(std::log10(lowest_density)));
  canvas.panel(kLeft, kLogTop, kTopWidth, kLogHeight, first.low, first.high, log_low, log_high);
  canvas.axes({}, {1.0, 1, true});
  canvas.panel_title("The same on a log scale: the tails");
  canvas.y_title("log10 density");
  canvas.x_title("hidden-state value");
  for (size_t i = 0; i < n; ++i) {
    const Histogram& h = report.states[i].all.histogram;
    canvas.line(centres(h), log_of(h.density()), depth_color(i, n), plot_style::kLineWidth);
  }
  canvas.line(own_x, log_of(own_y), plot_style::kMuted, 1.5, true);
  canvas.line(gauss_x, log_of(gauss_y), plot_style::kReference, 2.0, true);

  // Bottom: excess kurtosis and tail share per state against the Gaussian's.
  const bool has_mask = report.states.front().mask.moments.count > 0;
  std::vector<LegendEntry> lower_legend = {{LegendEntry::Kind::Marker, plot_style::kText, "all values (tokens x dims)"}};
  if (has_mask) lower_legend.push_back({LegendEntry::Kind::Marker, kMaskColor, "[MASK] vector"});
  lower_legend.push_back({LegendEntry::Kind::Dashed, plot_style::kReference,
                          "Gaussian: excess kurtosis 0, " + number("%.2f%%", 100.0 * gaussian_share_beyond(3.0)) +
                              " beyond 3 std"});
  draw_legend_row(canvas, kLeft, kLowerTop - 62, lower_legend);
  draw_measure_panel(canvas, kLeft, report, "excess kurtosis", 0.0,
                     [](const ValueDistribution& d) { return d.moments.excess_kurtosis; });
  draw_measure_panel(canvas, kLeft + kLowerWidth + kLowerGap, report, "values beyond 3 std (%)",
                     100.0 * gaussian_share_beyond(3.0),
                     [](const ValueDistribution& d) { return 100.0 * d.tails.beyond_3std; });
  return canvas.finish();
}

}  // namespace bertscope
