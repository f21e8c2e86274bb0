#include "reports/figure_scatter.h"

#include <algorithm>
#include <cmath>

#include "reports/figure_parts.h"

namespace bertscope {

std::string scatter_figure(const Scatter& s, ImageFormat format) {
  constexpr double kTop = 100, kSide = 600, kBottom = 70;
  PlotCanvas canvas(format, plot_style::kFigureWidth, static_cast<int>(kTop + kSide + kBottom));
  draw_figure_header(canvas, s.title, s.subtitle);
  std::vector<double> x, y;
  for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
    if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
      x.push_back(s.x[i]);
      y.push_back(s.y[i]);
    }
  }
  // Equal ranges on both axes, so that y = x is the diagonal and a point's distance from it
  // is the estimate's error in the units of both.
  double low = 0.0, high = 0.0;
  for (size_t i = 0; i < x.size(); ++i) low = std::min({low, x[i], y[i]}), high = std::max({high, x[i], y[i]});
  if (high - low <= 0.0) high = low + 1.0;
  const double pad = 0.06 * (high - low);
  low -= pad;
  high += pad;
  canvas.panel((plot_style::kFigureWidth - kSide) / 2 + 20, kTop, kSide, kSide, low, high, low, high);  // square, centred
  canvas.axes({}, {});
  const double diagonal[2] = {low, high};
  canvas.line(diagonal, diagonal, plot_style::kReference, plot_style::kReferenceWidth, true);
  canvas.markers(x, y, 4.0, plot_style::series_color(0).with_alpha(0.75));
  canvas.x_title(s.x_title);
  canvas.y_title(s.y_title);
  if (!s.note.empty()) canvas.text(low + 10 * canvas.x_per_pixel(), high - 14 * canvas.y_per_pixel(), s.note);
  return canvas.finish();
}

}  // namespace bertscope
