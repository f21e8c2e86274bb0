#pragma once
// What a figure is drawn onto: a few primitives in pixels of the figure (origin top left,
// y down), which PlotCanvas lays out once and an SVG writer (svg_surface.h) and a raster
// renderer (raster_surface.h) carry out alike, so the SVG and the PNG of a figure show the
// same drawing.
#include <span>
#include <string>

#include "reports/plot_style.h"

namespace bertscope {

struct Point {
  double x = 0, y = 0;
};

// A rectangle: left, top, right, bottom.
struct Box {
  double left = 0, top = 0, right = 0, bottom = 0;
  bool operator==(const Box&) const = default;
};

struct Stroke {
  plot_style::Color color;
  double width = 1.0;
  bool dashed = false;  // dashes of kDash pixels with kGap between them
  static constexpr double kDash = 9.0, kGap = 6.0;
};

struct TextStyle {
  // Where the anchor is along the text: SVG's text-anchor, so a browser that substitutes
  // another font still keeps right-aligned labels right-aligned.
  enum class Align { Start, Middle, End };
  double size = plot_style::kTextSize;  // pixels per em
  plot_style::Color color = plot_style::kText;
  Align align = Align::Start;
  double angle = 0.0;  // degrees counterclockwise: 90 reads from bottom to top
};

class PlotSurface {
 public:
  virtual ~PlotSurface() = default;

  // Everything drawn from now on is cut to `box` (a panel), until the next call.
  virtual void clip(const Box& box) = 0;

  // Round joins, flat ends. Points must be finite.
  virtual void polyline(std::span<const Point> points, const Stroke& stroke) = 0;
  // The outline of a closed shape, e.g. a frame.
  virtual void outline(std::span<const Point> points, const Stroke& stroke) = 0;
  virtual void polygon(std::span<const Point> points, plot_style::Color fill) = 0;
  virtual void rect(const Box& box, plot_style::Color fill) = 0;
  // Filled discs of one radius and colour: markers.
  virtual void discs(std::span<const Point> centres, double radius, plot_style::Color fill) = 0;
  // UTF-8 `text` with its baseline through `anchor`.
  virtual void text(Point anchor, const std::string& text, const TextStyle& style) = 0;

  // The bytes of the finished file.
  virtual std::string finish() = 0;
};

}  // namespace bertscope
