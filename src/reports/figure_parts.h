#pragma once
// Pieces every figure repeats: the title block naming the prompt, and a one-line legend
// placed outside the data, so it never hides a point.
#include <string>
#include <vector>

#include "reports/plot_canvas.h"

namespace bertscope {

struct LegendEntry {
  enum class Kind { Marker, Line, Dashed, MeanInterval, Bar, Diamond };
  Kind kind;
  plot_style::Color color;
  std::string label;
};

// Title and one-line subtitle at the top of the figure (page coordinates).
void draw_figure_header(PlotCanvas& canvas, const std::string& title, const std::string& subtitle);

// Entries left to right from (left, y), in page coordinates. Returns the x where it ended.
double draw_legend_row(PlotCanvas& canvas, double left, double y, const std::vector<LegendEntry>& entries);

// `text` cut to at most `max_chars` characters (UTF-8 aware), with "..." when cut.
std::string shorten(const std::string& text, size_t max_chars);

// A cell of a word table (page coordinates): the word quoted on the left, cut (with "…")
// to the room `note` leaves on the right, shaded by `share` (0..1) in `color`, outlined when `outlined`.
struct CellBox {
  double left, top, width, height;
};
void draw_word_cell(PlotCanvas& canvas, const CellBox& box, const std::string& word, const std::string& note, double share,
                    plot_style::Color color, bool outlined);
// A probability with two significant digits however small: "p 0.31", "p 0.0003", never "p 0.00".
std::string probability_text(double p);
// `from` moved a share t of the way to `to`.
plot_style::Color blend(plot_style::Color from, plot_style::Color to, double t);
// "Pay no attention ... [MASK] ...", target "behind": the line every figure of a prompt shows.
std::string prompt_line(const std::string& prompt, const std::string& target);

}  // namespace bertscope
