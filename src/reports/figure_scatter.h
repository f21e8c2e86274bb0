#pragma once
// Points of two measures of the same things against each other, on equal axes with the
// line y = x, and their correlation in the corner: for an estimate against what it
// estimates (attribution patching's estimates against real patches).
#include <string>
#include <vector>

#include "reports/plot_canvas.h"

namespace bertscope {

struct Scatter {
  std::vector<double> x, y;  // one point each; non-finite points are left out
  std::string title, subtitle;
  std::string x_title, y_title;
  std::string note;  // top left inside the panel, e.g. "r = 0.97 (20 cells)"
};

std::string scatter_figure(const Scatter& scatter, ImageFormat format);

}  // namespace bertscope
