#pragma once
// The surface every figure draws on, in the house style (plot_style.h): panels with data
// coordinates, axes with ticks, labels and grid, titles, legends' pieces and a colour bar.
// PlotCanvas does all layout itself, in pixels of the figure, and hands the drawing to a
// PlotSurface: the SVG writer or the AGG rasterizer that makes the PNG (plot_surface.h).
//
// Why no plotting library: the figures need a dozen primitives and one axis style, which
// this does in a few hundred lines with small Debian dependencies (AGG, FreeType, libpng,
// the DejaVu font; no X, cairo or glib), keeps labels as real SVG text, and draws the SVG
// and the PNG from the same layout. Text is measured with the font that draws it
// (font_face.h), so legends and axis titles are placed from exact widths.
//
// Coordinates: layout is in pixels of the figure, from its top left (panel(), page());
// drawing calls then use the current panel's data coordinates.
#include <memory>
#include <span>
#include <string>

#include "reports/plot_style.h"

namespace bertscope {

class FontFace;
class PlotSurface;

enum class ImageFormat { Svg, Png };
// PNG pixels per unit of the layout: a figure laid out 1000 wide is a 2000-pixel PNG (the
// SVG says 1000 and scales freely).
inline constexpr int kPngScale = 2;
const char* image_extension(ImageFormat format);

struct Ticks {
  double step = 0.0;  // between labelled ticks; 0: a nice step for the range (nice_ticks.h)
  int minor = 0;      // minor intervals per step; 0: chosen from the step, 1: none
  bool labels = true;
  bool ticks = true;  // false: the frame alone, no ticks, labels or grid lines
};

class PlotCanvas {
 public:
  using Color = plot_style::Color;

  // Starts a figure of `width` x `height` pixels with a white background. Throws Error
  // when the font (fonts-dejavu-core) cannot be read.
  PlotCanvas(ImageFormat format, int width, int height);
  ~PlotCanvas();
  PlotCanvas(const PlotCanvas&) = delete;
  PlotCanvas& operator=(const PlotCanvas&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }

  // A plotting area at a pixel rectangle showing data [x0, x1] x [y0, y1].
  void panel(double left, double top, double width, double height, double x0, double x1, double y0, double y1);
  // The whole figure as the area, in pixels from the top left: for titles and legends.
  void page();

  // Grid lines at the labelled ticks, a frame, outward ticks and tick labels.
  void axes(const Ticks& x, const Ticks& y);
  void x_title(const std::string& text);
  // Left of the y tick labels that axes() drew, reading upwards.
  void y_title(const std::string& text);
  // Left-aligned above the panel.
  void panel_title(const std::string& text, Color color = plot_style::kText);

  void line(std::span<const double> x, std::span<const double> y, Color color,
            double width = plot_style::kLineWidth, bool dashed = false);
  // Filled discs of `radius` pixels (round whatever the panel's aspect).
  void markers(std::span<const double> x, std::span<const double> y, double radius, Color color);
  void diamond(double x, double y, double radius, Color color);
  void rect(double x0, double y0, double x1, double y1, Color color);
  // A vertical interval with caps `cap` pixels wide.
  void error_bar(double x, double low, double high, double cap, Color color, double width);
  // `just`: 0 left, 0.5 centre, 1 right of (x, y); the text is centred vertically on y.
  // `size` in pixels (plot_style::kTextSize...). Clipped to the panel.
  void text(double x, double y, const std::string& text, double just = 0.0, Color color = plot_style::kText,
            double size = plot_style::kTextSize, double angle_degrees = 0.0);

  // Like text(), but not clipped to the panel: for labels in its margins.
  void annotate(double x, double y, const std::string& text, double just = 0.0, Color color = plot_style::kText,
                double size = plot_style::kTextSize);

  // Width in pixels of `text` drawn at `size`, exactly as text() draws it.
  double text_width(const std::string& text, double size = plot_style::kTextSize) const;

  // A vertical colour bar of viridis steps for the values first..last, right of the
  // current panel, with a title along it.
  void depth_colorbar(int first, int last, const std::string& title);

  // Page pixels (from the top left) of a point in the current panel's data coordinates.
  double page_x(double x) const { return px_left_ + (x - x0_) / x_per_pixel(); }
  double page_y(double y) const { return px_top_ + (y - y1_) / -y_per_pixel(); }

  // Pixels per data unit in the current panel, for sizes given in pixels.
  double x_per_pixel() const;
  double y_per_pixel() const;

  // Ends the figure and returns the bytes of the SVG or PNG file.
  std::string finish();

 private:
  void clip_to_panel();
  void clip_to_page();
  void label(double px, double py, const std::string& text, double just, Color color, double size, double angle = 0.0);

  int width_, height_;
  std::unique_ptr<FontFace> font_;
  std::unique_ptr<PlotSurface> surface_;
  // The current panel in pixels and data units.
  double px_left_ = 0, px_top_ = 0, px_width_ = 1, px_height_ = 1;
  double x0_ = 0, x1_ = 1, y0_ = 0, y1_ = 1;
  // How far left of the panel the y tick labels of the last axes() reach, for y_title().
  double y_labels_reach_ = 0;
};

}  // namespace bertscope
