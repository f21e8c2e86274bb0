#pragma once
// A matrix of values as a grid of coloured cells: rows and columns labelled (e.g. blocks
// up the side, tokens along the bottom), a colour bar that says what a colour is worth,
// and a title block. For grids of results such as patching each position at each block,
// where one panel per row would stack into an image no one can read.
//
// Colours: a sequential scale (viridis, low to high) for values of one sign or meaning, or
// a diverging one (blue - white - red) centred on 0 for signed effects, so that "no
// effect" is white whatever the range. A cell without a value (NaN) is left empty and the
// figure says so.
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "reports/plot_canvas.h"

namespace bertscope {

struct Heatmap {
  enum class Scale { Sequential, Diverging };

  size_t rows = 0, columns = 0;
  std::vector<double> values;  // rows x columns, row-major; NaN: no value (an empty cell)
  std::vector<std::string> row_labels;     // one per row, or empty for none
  std::vector<std::string> column_labels;  // one per column, or empty for none
  bool first_row_on_top = false;  // false: row 0 at the bottom, as on a y axis

  std::string title, subtitle;  // the figure's title block
  std::string x_title, y_title;  // what the columns and the rows are
  std::string colorbar_title;    // what a cell's colour measures, with its unit
  Scale scale = Scale::Sequential;
  // The range the colours span. NaN: from the values (Diverging: -m..m, m the largest
  // magnitude). Values beyond it take the end colours.
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();
  // printf format of a number written in each cell (e.g. "%.2f"); empty: none.
  std::string cell_format;

  double at(size_t row, size_t column) const { return values[row * columns + column]; }
};

// The figure as SVG or PNG. Throws Error when the values do not match rows x columns or
// the labels do not match their count.
std::string heatmap_figure(const Heatmap& heatmap, ImageFormat format);

// The colour of `value` on the heatmap's scale over [low, high]; for tests and legends.
plot_style::Color heatmap_color(Heatmap::Scale scale, double value, double low, double high);

}  // namespace bertscope
