#include "reports/figure_heatmap.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "reports/figure_parts.h"
#include "reports/font_face.h"
#include "reports/nice_ticks.h"

namespace bertscope {

namespace {

using plot_style::Color;

// Layout in pixels: margins, the header above the grid, the bands left of it (y title,
// row labels) and right of it (colour bar, its tick labels and title).
constexpr double kMargin = 24, kGridTop = 100, kYTitleBand = 24, kLabelGap = 8;
constexpr double kBarGap = 24, kBarWidth = 18, kTick = 6, kTickGap = 4;
// Cells: as wide as the figure allows within these bounds; rows fill about kGridHeight.
constexpr double kMinCell = 14, kMaxCell = 360, kGridHeight = 480, kMinRow = 14, kMaxRow = 40;
// Labels closer than this (their height) would run into each other: then every k-th.
constexpr double kLabelPitch = 15;
constexpr int kBarSteps = 120;

struct Range {
  double low, high;
};

// The values' range, made symmetric about 0 for a diverging scale and widened when it is a
// single value, so that every finite value has a colour.
Range color_range(const Heatmap& h) {
  double low = h.low, high = h.high;
  if (std::isnan(low) || std::isnan(high)) {
    double lo = INFINITY, hi = -INFINITY;
    for (double v : h.values) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!(lo <= hi)) lo = 0, hi = 1;  // no value at all
    if (std::isnan(low)) low = lo;
    if (std::isnan(high)) high = hi;
  }
  if (h.scale == Heatmap::Scale::Diverging) {
    const double m = std::max(std::fabs(low), std::fabs(high));
    return m > 0 ? Range{-m, m} : Range{-1, 1};
  }
  if (!(high > low)) return {low - 0.5, low + 0.5};
  return {low, high};
}

// "-0.0" says a sign that the rounded number does not have.
void drop_negative_zero(char* text) {
  if (text[0] != '-') return;
  for (const char* c = text + 1; *c; ++c) {
    if (*c >= '1' && *c <= '9') return;
  }
  for (char* c = text; *c; ++c) c[0] = c[1];
}

bool is_dark(Color c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b < 128; }

// Every k-th label, so that labels `pitch` pixels apart stay kLabelPitch apart.
size_t label_stride(double pitch) { return std::max<size_t>(1, static_cast<size_t>(std::ceil(kLabelPitch / pitch))); }

void check(const Heatmap& h) {
  if (h.rows == 0 || h.columns == 0) throw Error("heatmap: no rows or no columns");
  if (h.values.size() != h.rows * h.columns) {
    throw Error("heatmap: " + std::to_string(h.values.size()) + " values for " + std::to_string(h.rows) + " x " +
                std::to_string(h.columns) + " cells");
  }
  if (!h.row_labels.empty() && h.row_labels.size() != h.rows) throw Error("heatmap: row labels do not match the rows");
  if (!h.column_labels.empty() && h.column_labels.size() != h.columns) {
    throw Error("heatmap: column labels do not match the columns");
  }
}

double widest(const FontFace& font, const std::vector<std::string>& labels, double size) {
  double w = 0;
  for (const std::string& s : labels) w = std::max(w, font.text_width(s, size));
  return w;
}

}  // namespace

Color heatmap_color(Heatmap::Scale scale, double value, double low, double high) {
  const double t = high > low ? (value - low) / (high - low) : 0.5;
  return scale == Heatmap::Scale::Diverging ? plot_style::diverging(t) : plot_style::viridis(t);
}

std::string heatmap_figure(const Heatmap& h, ImageFormat format) {
  check(h);
  const Range range = color_range(h);
  const AxisTicks bar_ticks = nice_ticks(range.low, range.high);
  const double size = plot_style::kTextSize;

  // Measure first: the bands beside the grid are as wide as their labels.
  const FontFace font;
  const double row_labels_width = widest(font, h.row_labels, size);
  const double column_labels_width = widest(font, h.column_labels, size);
  const double left = std::round(kMargin + (h.y_title.empty() ? 0 : kYTitleBand) + row_labels_width + kLabelGap);
  const double right_band = kBarGap + kBarWidth + kTick + kTickGap + widest(font, bar_ticks.labels, size) + 30 + kMargin;
  const double columns = static_cast<double>(h.columns), rows = static_cast<double>(h.rows);
  // Whole-pixel cells: neighbours meet without a seam in the PNG.
  const double cell_w =
      std::floor(std::clamp((plot_style::kFigureWidth - left - right_band) / columns, kMinCell, kMaxCell));
  const double cell_h = std::floor(std::clamp(kGridHeight / rows, kMinRow, kMaxRow));
  const double grid_w = cell_w * columns, grid_h = cell_h * rows;
  // Column labels lie flat when they fit in a cell, else they read upwards.
  const bool upright_columns = column_labels_width + 4 > cell_w;
  const double column_band = h.column_labels.empty() ? 0 : upright_columns ? column_labels_width + 10 : 20;
  const double x_title_y = kGridTop + grid_h + column_band + 16;
  const double width = std::max<double>(plot_style::kFigureWidth, left + grid_w + right_band);
  const double height = x_title_y + (h.x_title.empty() ? 0 : 24) + kMargin;
  PlotCanvas canvas(format, static_cast<int>(std::ceil(width)), static_cast<int>(std::ceil(height)));

  draw_figure_header(canvas, h.title, h.subtitle);
  const bool has_empty = std::any_of(h.values.begin(), h.values.end(), [](double v) { return !std::isfinite(v); });
  if (has_empty) {
    canvas.text(24, 80, "empty cells: no value", 0.0, plot_style::kMuted, plot_style::kSmallSize);
  }

  // The cells, in data units of one per cell; row 0 at the bottom unless asked otherwise.
  if (h.first_row_on_top) {
    canvas.panel(left, kGridTop, grid_w, grid_h, 0, columns, rows, 0);
  } else {
    canvas.panel(left, kGridTop, grid_w, grid_h, 0, columns, 0, rows);
  }
  for (size_t r = 0; r < h.rows; ++r) {
    for (size_t c = 0; c < h.columns; ++c) {
      const double v = h.at(r, c);
      if (!std::isfinite(v)) continue;
      const double x = static_cast<double>(c), y = static_cast<double>(r);
      const Color color = heatmap_color(h.scale, v, range.low, range.high);
      canvas.rect(x, y, x + 1, y + 1, color);
      if (h.cell_format.empty()) continue;
      char text[64];
      std::snprintf(text, sizeof text, h.cell_format.c_str(), v);
      drop_negative_zero(text);
      if (canvas.text_width(text, plot_style::kSmallSize) + 4 <= cell_w && cell_h >= 13) {
        canvas.text(x + 0.5, y + 0.5, text, 0.5, is_dark(color) ? plot_style::kWhite : plot_style::kText,
                    plot_style::kSmallSize);
      }
    }
  }
  canvas.axes({0, 0, false, false}, {0, 0, false, false});  // the frame alone
  auto row_centre = [&](size_t r) { return canvas.page_y(static_cast<double>(r) + 0.5); };
  auto column_centre = [&](size_t c) { return canvas.page_x(static_cast<double>(c) + 0.5); };

  // Labels, in page pixels.
  std::vector<double> row_y(h.rows), column_x(h.columns);
  for (size_t r = 0; r < h.rows; ++r) row_y[r] = row_centre(r);
  for (size_t c = 0; c < h.columns; ++c) column_x[c] = column_centre(c);
  canvas.page();
  for (size_t r = 0; r < h.row_labels.size(); r += label_stride(cell_h)) {
    canvas.text(left - kLabelGap, row_y[r], h.row_labels[r], 1.0, plot_style::kText, size);
  }
  const double below = kGridTop + grid_h + 6;
  for (size_t c = 0; c < h.column_labels.size(); c += upright_columns ? label_stride(cell_w) : 1) {
    if (upright_columns) {
      canvas.text(column_x[c], below, h.column_labels[c], 1.0, plot_style::kText, size, 90.0);
    } else {
      canvas.text(column_x[c], below + 8, h.column_labels[c], 0.5, plot_style::kText, size);
    }
  }
  if (!h.x_title.empty()) canvas.text(left + grid_w / 2, x_title_y, h.x_title, 0.5, plot_style::kText, size);
  if (!h.y_title.empty()) {
    canvas.text(kMargin + 6, kGridTop + grid_h / 2, h.y_title, 0.5, plot_style::kText, size, 90.0);
  }

  // The colour bar: steps on whole pixels from the bottom (low) up, a frame, ticks right.
  const double bar_left = left + grid_w + kBarGap, bar_right = bar_left + kBarWidth;
  const double bottom = kGridTop + grid_h;
  auto edge = [&](int k) { return std::round(bottom - grid_h * k / kBarSteps); };
  for (int k = 0; k < kBarSteps; ++k) {
    const double v = range.low + (range.high - range.low) * (k + 0.5) / kBarSteps;
    canvas.rect(bar_left, edge(k + 1), bar_right, edge(k), heatmap_color(h.scale, v, range.low, range.high));
  }
  canvas.panel(bar_left, kGridTop, kBarWidth, grid_h, 0, 1, range.low, range.high);
  canvas.axes({0, 0, false, false}, {0, 0, false, false});
  std::vector<double> tick_y;
  for (double v : bar_ticks.major) tick_y.push_back(canvas.page_y(v));
  canvas.page();
  for (size_t i = 0; i < tick_y.size(); ++i) {
    const double y = std::floor(tick_y[i]) + 0.5;
    const double tx[2] = {bar_right + 1, bar_right + 1 + kTick}, ty[2] = {y, y};
    canvas.line(tx, ty, plot_style::kText, 1.0);
    canvas.text(bar_right + 1 + kTick + kTickGap, tick_y[i], bar_ticks.labels[i], 0.0, plot_style::kText, size);
  }
  const double title_x = bar_right + 1 + kTick + kTickGap + widest(font, bar_ticks.labels, size) + 14;
  canvas.text(title_x, kGridTop + grid_h / 2, h.colorbar_title, 0.5, plot_style::kText, size, 90.0);
  return canvas.finish();
}

}  // namespace bertscope
