#pragma once
// The SVG writer of a figure: every primitive becomes one element (<polyline>, <polygon>,
// <rect>, <circle>, <text>), labels stay real text (searchable in report.html, checkable
// by tests), and each panel's drawing sits in a group cut by its own clip path.
#include <memory>

#include "reports/plot_surface.h"

namespace bertscope {

// A `width` x `height` pixel figure with a white background.
std::unique_ptr<PlotSurface> make_svg_surface(int width, int height);

}  // namespace bertscope
