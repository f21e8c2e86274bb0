#include "reports/plot_canvas.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "reports/font_face.h"
#include "reports/nice_ticks.h"
#include "reports/plot_surface.h"
#include "reports/raster_surface.h"
#include "reports/svg_surface.h"

namespace bertscope {

namespace {

using plot_style::Color;

// Gaps in pixels: tick end to tick label, tick labels to axis title.
constexpr double kLabelGap = 4, kTitleGap = 6;
// Centres of the x tick labels and of the x title below the panel.
constexpr double kXLabelsBelow = 16, kXTitleBelow = 30;
// Colour bar: gap to the panel and width.
constexpr double kColorbarGap = 22, kColorbarWidth = 20;
// How far descenders reach below the baseline, per em (DejaVu Sans' "g" and "(").
constexpr double kDescent = 0.24;

// A 1-pixel line along whole coordinates lights two pixel rows at half strength; moved to
// the pixel centre it is one sharp row. For the frame, grid and ticks (not data).
double crisp(double v) { return std::floor(v) + 0.5; }

TextStyle::Align align_of(double just) {
  return just < 0.25 ? TextStyle::Align::Start : just < 0.75 ? TextStyle::Align::Middle : TextStyle::Align::End;
}

}  // namespace

const char* image_extension(ImageFormat format) { return format == ImageFormat::Svg ? "svg" : "png"; }

PlotCanvas::PlotCanvas(ImageFormat format, int width, int height)
    : width_(width), height_(height), font_(std::make_unique<FontFace>()) {
  surface_ = format == ImageFormat::Svg ? make_svg_surface(width, height)
                                        : make_raster_surface(width, height, *font_, kPngScale);
  page();
}

PlotCanvas::~PlotCanvas() = default;

std::string PlotCanvas::finish() { return surface_->finish(); }

void PlotCanvas::panel(double left, double top, double width, double height, double x0, double x1, double y0,
                       double y1) {
  px_left_ = left;
  px_top_ = top;
  px_width_ = width;
  px_height_ = height;
  x0_ = x0;
  x1_ = x1;
  y0_ = y0;
  y1_ = y1;
  y_labels_reach_ = 0;
}

void PlotCanvas::page() { panel(0, 0, width_, height_, 0, width_, height_, 0); }

double PlotCanvas::x_per_pixel() const { return (x1_ - x0_) / px_width_; }
double PlotCanvas::y_per_pixel() const { return (y1_ - y0_) / px_height_; }

void PlotCanvas::clip_to_panel() { surface_->clip({px_left_, px_top_, px_left_ + px_width_, px_top_ + px_height_}); }
void PlotCanvas::clip_to_page() { surface_->clip({0, 0, static_cast<double>(width_), static_cast<double>(height_)}); }

double PlotCanvas::text_width(const std::string& text, double size) const { return font_->text_width(text, size); }

// Text centred vertically on (px, py): the baseline goes half a capital's height below the
// point, measured across the text's direction when it is turned.
void PlotCanvas::label(double px, double py, const std::string& text, double just, Color color, double size,
                       double angle) {
  if (text.empty() || !std::isfinite(px) || !std::isfinite(py)) return;
  const double a = angle * std::numbers::pi / 180.0;
  const double drop = font_->cap_middle() * size;
  surface_->text({px + drop * std::sin(a), py + drop * std::cos(a)}, text, {size, color, align_of(just), angle});
}

void PlotCanvas::axes(const Ticks& x, const Ticks& y) {
  clip_to_page();
  const double left = px_left_, top = px_top_, right = px_left_ + px_width_, bottom = px_top_ + px_height_;
  const AxisTicks xt = x.ticks ? nice_ticks(x0_, x1_, x.step, x.minor) : AxisTicks{};
  const AxisTicks yt = y.ticks ? nice_ticks(y0_, y1_, y.step, y.minor) : AxisTicks{};
  auto segment = [&](double ax, double ay, double bx, double by, Color color) {
    const Point points[2] = {{ax, ay}, {bx, by}};
    surface_->polyline(points, {color, 1.0});
  };

  // Grid first, so that data and frame lie over it; not on the frame itself.
  for (double v : xt.major) {
    const double px = crisp(page_x(v));
    if (px > crisp(left) + 1 && px < crisp(right) - 1) segment(px, top, px, bottom, plot_style::kGrid);
  }
  for (double v : yt.major) {
    const double py = crisp(page_y(v));
    if (py > crisp(top) + 1 && py < crisp(bottom) - 1) segment(left, py, right, py, plot_style::kGrid);
  }

  // The frame in grey; its bottom and left edges, the axes proper, in the text colour.
  const double fl = crisp(left), fr = crisp(right), ft = crisp(top), fb = crisp(bottom);
  const Point frame[4] = {{fl, ft}, {fr, ft}, {fr, fb}, {fl, fb}};
  surface_->outline(frame, {plot_style::kAxis, 1.0});
  const Point axes_lines[3] = {{fl, ft}, {fl, fb}, {fr, fb}};
  surface_->polyline(axes_lines, {plot_style::kText, 1.0});

  // Outward ticks from the outer side of the frame's pixel row.
  const double below = std::floor(bottom) + 1, beside = std::floor(left);
  for (double v : xt.major) segment(crisp(page_x(v)), below, crisp(page_x(v)), below + plot_style::kMajorTick, plot_style::kText);
  for (double v : xt.minor) segment(crisp(page_x(v)), below, crisp(page_x(v)), below + plot_style::kMinorTick, plot_style::kText);
  for (double v : yt.major) segment(beside, crisp(page_y(v)), beside - plot_style::kMajorTick, crisp(page_y(v)), plot_style::kText);
  for (double v : yt.minor) segment(beside, crisp(page_y(v)), beside - plot_style::kMinorTick, crisp(page_y(v)), plot_style::kText);

  // Labels: x centred under their ticks, y horizontal and right-aligned beside theirs.
  if (x.labels) {
    for (size_t i = 0; i < xt.major.size(); ++i) {
      label(page_x(xt.major[i]), bottom + kXLabelsBelow, xt.labels[i], 0.5, plot_style::kText, plot_style::kTextSize);
    }
  }
  y_labels_reach_ = yt.major.empty() ? 0.0 : plot_style::kMajorTick;
  if (y.labels && !yt.major.empty()) {
    double widest = 0;
    for (size_t i = 0; i < yt.major.size(); ++i) {
      label(left - plot_style::kMajorTick - kLabelGap, page_y(yt.major[i]), yt.labels[i], 1.0, plot_style::kText,
            plot_style::kTextSize);
      widest = std::max(widest, text_width(yt.labels[i]));
    }
    y_labels_reach_ = plot_style::kMajorTick + kLabelGap + widest;
  }
}

void PlotCanvas::x_title(const std::string& text) {
  clip_to_page();
  label(px_left_ + px_width_ / 2, px_top_ + px_height_ + kXTitleBelow, text, 0.5, plot_style::kText, plot_style::kTextSize);
}

void PlotCanvas::y_title(const std::string& text) {
  clip_to_page();
  // Read upwards, its descenders face the tick labels: keep them kTitleGap clear.
  const double size = plot_style::kTextSize;
  const double centre = px_left_ - y_labels_reach_ - kTitleGap - (kDescent + font_->cap_middle()) * size;
  label(std::max(centre, size), px_top_ + px_height_ / 2, text, 0.5, plot_style::kText, size, 90.0);
}

void PlotCanvas::panel_title(const std::string& text, Color color) {
  clip_to_page();
  label(px_left_, px_top_ - 0.7 * plot_style::kTitleSize, text, 0.0, color, plot_style::kTitleSize);
}

void PlotCanvas::line(std::span<const double> x, std::span<const double> y, Color color, double width, bool dashed) {
  if (x.size() != y.size() || x.size() < 2) return;
  clip_to_panel();
  // A missing value (NaN) breaks the line rather than the file.
  std::vector<Point> run;
  auto flush = [&] {
    if (run.size() >= 2) surface_->polyline(run, {color, width, dashed});
    run.clear();
  };
  for (size_t i = 0; i < x.size(); ++i) {
    const Point p{page_x(x[i]), page_y(y[i])};
    if (std::isfinite(p.x) && std::isfinite(p.y)) {
      run.push_back(p);
    } else {
      flush();
    }
  }
  flush();
}

void PlotCanvas::markers(std::span<const double> x, std::span<const double> y, double radius, Color color) {
  clip_to_panel();
  std::vector<Point> centres;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    const Point p{page_x(x[i]), page_y(y[i])};
    if (std::isfinite(p.x) && std::isfinite(p.y)) centres.push_back(p);
  }
  surface_->discs(centres, radius, color);
}

void PlotCanvas::diamond(double x, double y, double radius, Color color) {
  const double px = page_x(x), py = page_y(y);
  if (!std::isfinite(px) || !std::isfinite(py)) return;
  clip_to_panel();
  const Point corners[4] = {{px - radius, py}, {px, py - radius}, {px + radius, py}, {px, py + radius}};
  surface_->polygon(corners, color);
}

void PlotCanvas::rect(double x0, double y0, double x1, double y1, Color color) {
  const double ax = page_x(x0), bx = page_x(x1), ay = page_y(y0), by = page_y(y1);
  if (!std::isfinite(ax) || !std::isfinite(bx) || !std::isfinite(ay) || !std::isfinite(by)) return;
  clip_to_panel();
  surface_->rect({std::min(ax, bx), std::min(ay, by), std::max(ax, bx), std::max(ay, by)}, color);
}

void PlotCanvas::error_bar(double x, double low, double high, double cap, Color color, double width) {
  const double half = 0.5 * cap * std::fabs(x_per_pixel());
  const double vx[2] = {x, x}, vy[2] = {low, high};
  line(vx, vy, color, width);
  for (double yv : {low, high}) {
    const double cx[2] = {x - half, x + half}, cy[2] = {yv, yv};
    line(cx, cy, color, width);
  }
}

void PlotCanvas::text(double x, double y, const std::string& text, double just, Color color, double size,
                      double angle_degrees) {
  clip_to_panel();
  label(page_x(x), page_y(y), text, just, color, size, angle_degrees);
}

void PlotCanvas::annotate(double x, double y, const std::string& text, double just, Color color, double size) {
  clip_to_page();
  label(page_x(x), page_y(y), text, just, color, size);
}

void PlotCanvas::depth_colorbar(int first, int last, const std::string& title) {
  if (last < first) return;
  clip_to_page();
  const int n = last - first + 1;
  const double left = px_left_ + px_width_ + kColorbarGap, right = left + kColorbarWidth;
  const double top = px_top_, bottom = px_top_ + px_height_;
  // Value v fills [v - 0.5, v + 0.5], from the bottom up; edges on whole pixels, so that
  // neighbouring steps meet without a light seam.
  auto y_of = [&](double v) { return std::round(bottom - (v - (first - 0.5)) / n * (bottom - top)); };
  for (int i = 0; i < n; ++i) {
    const double t = n > 1 ? static_cast<double>(i) / (n - 1) : 0.0;
    surface_->rect({left, y_of(first + i + 0.5), right, y_of(first + i - 0.5)}, plot_style::viridis(t));
  }
  const Point frame[4] = {{crisp(left), crisp(top)}, {crisp(right), crisp(top)}, {crisp(right), crisp(bottom)},
                          {crisp(left), crisp(bottom)}};
  surface_->outline(frame, {plot_style::kAxis, 1.0});

  // Ticks and labels on the right, a label per value (every other one past 12).
  const AxisTicks ticks = nice_ticks(first - 0.5, last + 0.5, n > 12 ? 2.0 : 1.0, 1);
  const double outer = std::floor(right) + 1;
  double widest = 0;
  for (size_t i = 0; i < ticks.major.size(); ++i) {
    const double py = (y_of(ticks.major[i] - 0.5) + y_of(ticks.major[i] + 0.5)) / 2;
    const Point tick[2] = {{outer, crisp(py)}, {outer + plot_style::kMajorTick, crisp(py)}};
    surface_->polyline(tick, {plot_style::kText, 1.0});
    label(outer + plot_style::kMajorTick + kLabelGap, py, ticks.labels[i], 0.0, plot_style::kText, plot_style::kTextSize);
    widest = std::max(widest, text_width(ticks.labels[i]));
  }
  // The title reads upwards; its tops face the labels.
  const double size = plot_style::kTextSize;
  const double centre = outer + plot_style::kMajorTick + kLabelGap + widest + kTitleGap + font_->cap_middle() * size;
  label(centre, (top + bottom) / 2, title, 0.5, plot_style::kText, size, 90.0);
}

}  // namespace bertscope
