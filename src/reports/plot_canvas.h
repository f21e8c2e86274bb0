#pragma once
// The surface every figure draws on: one PLplot stream rendering an SVG or a PNG into
// memory, with the few primitives the figures need, in the house style (plot_style.h).
//
// Why PLplot (Debian: libplplot-dev, and plplot-driver-cairo for PNG) rather than drawing
// with cairo directly: PLplot is a maintained scientific plotting library that places
// axes, ticks and tick labels, draws colour bars, and lays out rotated text, so no figure
// hand-draws its axes. Its own SVG driver writes labels as SVG <text>, so axis titles and
// words in figures stay text (searchable and selectable in report.html, checkable by
// tests), where cairo's SVG surface writes glyph outlines. Its pngcairo driver (cairo and
// pango) renders the same drawing as an antialiased PNG.
//
// Coordinates: layout is in pixels of the figure, from its top left (panel(), page());
// drawing calls then use the current panel's data coordinates.
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "reports/plot_style.h"

namespace bertscope {

enum class ImageFormat { Svg, Png };
const char* image_extension(ImageFormat format);

// Whether this PLplot can write PNG (the pngcairo driver, Debian package plplot-driver-cairo).
bool png_supported();

struct Ticks {
  double step = 0.0;  // between labelled ticks; 0: PLplot chooses
  int minor = 0;      // minor intervals per step; 0: PLplot chooses
  bool labels = true;
  bool ticks = true;  // false: the frame alone, no ticks, labels or grid lines
};

class PlotCanvas {
 public:
  using Color = plot_style::Color;

  // Starts a figure of `width` x `height` pixels with a white background. Throws Error
  // when PLplot lacks the driver.
  PlotCanvas(ImageFormat format, int width, int height);
  ~PlotCanvas();  // ends the PLplot stream if finish() was not reached
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
  void text(double x, double y, const std::string& text, double just = 0.0, Color color = plot_style::kText,
            double size = plot_style::kTextSize, double angle_degrees = 0.0);

  // Like text(), but not clipped to the panel: for labels in its margins.
  void annotate(double x, double y, const std::string& text, double just = 0.0, Color color = plot_style::kText,
                double size = plot_style::kTextSize);

  // A vertical colour bar of viridis steps for the values first..last, right of the
  // current panel, with a title along it.
  void depth_colorbar(int first, int last, const std::string& title);

  // Page pixels (from the top left) of a point in the current panel's data coordinates.
  double page_x(double x) const { return px_left_ + (x - x0_) / x_per_pixel(); }
  double page_y(double y) const { return px_top_ + (y - y1_) / -y_per_pixel(); }

  // Pixels per data unit in the current panel, for sizes given in pixels.
  double x_per_pixel() const;
  double y_per_pixel() const;

  // Ends the figure and returns the bytes of the SVG or PNG file. Throws Error if PLplot
  // reported a problem while drawing.
  std::string finish();

 private:
  void use_color(Color color);
  void set_text_size(double millimetres);

  struct Capture;
  std::unique_lock<std::mutex> lock_;
  ImageFormat format_;
  int width_, height_;
  int stream_ = -1;
  std::unique_ptr<Capture> capture_;
  // The current panel in pixels and data units.
  double px_left_ = 0, px_top_ = 0, px_width_ = 1, px_height_ = 1;
  double x0_ = 0, x1_ = 1, y0_ = 0, y1_ = 1;
};

}  // namespace bertscope
