#include "reports/raster_surface.h"

#include <agg_conv_clip_polyline.h>
#include <agg_conv_curve.h>
#include <agg_conv_dash.h>
#include <agg_conv_stroke.h>
#include <agg_conv_transform.h>
#include <agg_ellipse.h>
#include <agg_path_storage.h>
#include <agg_pixfmt_rgb.h>
#include <agg_rasterizer_scanline_aa.h>
#include <agg_renderer_base.h>
#include <agg_renderer_scanline.h>
#include <agg_rendering_buffer.h>
#include <agg_scanline_u.h>
#include <agg_trans_affine.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "common/error.h"
#include "reports/png_encode.h"

namespace bertscope {

namespace {

using plot_style::Color;

agg::rgba8 to_agg(Color c) {
  const double alpha = std::clamp(c.alpha, 0.0, 1.0);
  return agg::rgba8(static_cast<unsigned>(std::clamp(c.r, 0, 255)), static_cast<unsigned>(std::clamp(c.g, 0, 255)),
                    static_cast<unsigned>(std::clamp(c.b, 0, 255)), static_cast<unsigned>(std::lround(alpha * 255)));
}

agg::path_storage path_of(std::span<const Point> points, bool closed, double scale) {
  agg::path_storage path;
  for (size_t i = 0; i < points.size(); ++i) {
    if (i == 0) path.move_to(points[i].x * scale, points[i].y * scale);
    else path.line_to(points[i].x * scale, points[i].y * scale);
  }
  if (closed) path.close_polygon();
  return path;
}

// Glyph outlines into an AGG path, curves kept as curves (conv_curve flattens them after
// the transform that places and scales the text has been applied).
class PathSink final : public OutlineSink {
 public:
  explicit PathSink(agg::path_storage& path) : path_(path) {}
  void move_to(double x, double y) override { path_.move_to(x, y); }
  void line_to(double x, double y) override { path_.line_to(x, y); }
  void conic_to(double cx, double cy, double x, double y) override { path_.curve3(cx, cy, x, y); }
  void cubic_to(double c1x, double c1y, double c2x, double c2y, double x, double y) override {
    path_.curve4(c1x, c1y, c2x, c2y, x, y);
  }

 private:
  agg::path_storage& path_;
};

class RasterSurface final : public PlotSurface {
  using PixelFormat = agg::pixfmt_rgb24;  // opaque figures: RGB, as PNG stores them

 public:
  RasterSurface(int width, int height, int scale, const FontFace& font)
      : font_(font),
        scale_(scale),
        width_(width * scale),
        height_(height * scale),
        pixels_(checked_size(width_, height_)),
        buffer_(pixels_.data(), static_cast<unsigned>(width_), static_cast<unsigned>(height_), width_ * 3),
        format_(buffer_),
        renderer_(format_) {
    renderer_.clear(to_agg(plot_style::kWhite));
    clip({0, 0, static_cast<double>(width), static_cast<double>(height)});
  }

  void clip(const Box& box) override {
    clip_ = {box.left * scale_, box.top * scale_, box.right * scale_, box.bottom * scale_};
    rasterizer_.clip_box(clip_.left, clip_.top, clip_.right, clip_.bottom);
  }

  void polyline(std::span<const Point> points, const Stroke& stroke) override {
    if (points.size() < 2) return;
    agg::path_storage path = path_of(points, false, scale_);
    draw_stroke(path, stroke, agg::round_join);
  }

  void outline(std::span<const Point> points, const Stroke& stroke) override {
    if (points.size() < 2) return;
    agg::path_storage path = path_of(points, true, scale_);
    draw_stroke(path, stroke, agg::miter_join);
  }

  void polygon(std::span<const Point> points, Color color) override {
    if (points.size() < 3) return;
    agg::path_storage path = path_of(points, true, scale_);
    fill(path, color);
  }

  void rect(const Box& box, Color color) override {
    const Point corners[4] = {{box.left, box.top}, {box.right, box.top}, {box.right, box.bottom}, {box.left, box.bottom}};
    polygon(corners, color);
  }

  void discs(std::span<const Point> centres, double radius, Color color) override {
    for (const Point& c : centres) {
      agg::ellipse disc(c.x * scale_, c.y * scale_, radius * scale_, radius * scale_);
      fill(disc, color);
    }
  }

  void text(Point anchor, const std::string& text, const TextStyle& style) override {
    if (text.empty()) return;
    const double a = style.angle * std::numbers::pi / 180.0;
    const double cos_a = std::cos(a), sin_a = std::sin(a);
    const double size = style.size * scale_;
    const double shift = style.align == TextStyle::Align::Start    ? 0.0
                         : style.align == TextStyle::Align::Middle ? 0.5 * font_.text_width(text, size)
                                                                   : font_.text_width(text, size);
    // Back along the text's direction (right and up on the page for angle 0 and 90).
    double x = anchor.x * scale_ - shift * cos_a, y = anchor.y * scale_ + shift * sin_a;
    // Unrotated text is hinted against a whole-pixel baseline: crisper at 11-18 px.
    const bool hinted = style.angle == 0.0;
    if (hinted) y = std::round(y);
    agg::path_storage path;
    PathSink sink(path);
    font_.outlines(text, size, hinted, sink);
    // Glyph space has y up: turn by the angle, then flip y onto the page.
    agg::trans_affine place(cos_a, -sin_a, -sin_a, -cos_a, x, y);
    agg::conv_curve<agg::path_storage> curves(path);
    agg::conv_transform<agg::conv_curve<agg::path_storage>> placed(curves, place);
    fill(placed, style.color);
  }

  std::string finish() override { return encode_png_rgb(pixels_.data(), width_, height_, width_ * 3); }

 private:
  static size_t checked_size(int width, int height) {
    if (width <= 0 || height <= 0 || width > 20000 || height > 20000) {
      throw Error("a figure of " + std::to_string(width) + " x " + std::to_string(height) + " pixels cannot be drawn");
    }
    return static_cast<size_t>(width) * static_cast<size_t>(height) * 3;
  }

  template <class VertexSource>
  void fill(VertexSource& shape, Color color) {
    rasterizer_.reset();
    rasterizer_.add_path(shape);
    agg::render_scanlines_aa_solid(rasterizer_, scanline_, renderer_, to_agg(color));
  }

  void draw_stroke(agg::path_storage& path, const Stroke& stroke, agg::line_join_e join) {
    auto set_up = [&](auto& outline) {
      outline.width(stroke.width * scale_);
      outline.line_join(join);
      outline.line_cap(agg::butt_cap);
    };
    if (stroke.dashed) {
      // Dashes are made before the rasterizer clips: a line reaching far beyond the panel
      // would first be cut into countless dashes. So the line is cut to the clip box
      // first, widened by the line width so that no dash inside changes.
      using Clipped = agg::conv_clip_polyline<agg::path_storage>;
      Clipped clipped(path);
      const double margin = stroke.width * scale_ + 1;
      clipped.clip_box(clip_.left - margin, clip_.top - margin, clip_.right + margin, clip_.bottom + margin);
      agg::conv_dash<Clipped> dashes(clipped);
      dashes.add_dash(Stroke::kDash * scale_, Stroke::kGap * scale_);
      agg::conv_stroke<agg::conv_dash<Clipped>> outline(dashes);
      set_up(outline);
      fill(outline, stroke.color);
    } else {
      agg::conv_stroke<agg::path_storage> outline(path);
      set_up(outline);
      fill(outline, stroke.color);
    }
  }

  const FontFace& font_;
  double scale_;  // pixels per unit of the layout
  int width_, height_;
  Box clip_;
  std::vector<agg::int8u> pixels_;
  agg::rendering_buffer buffer_;
  PixelFormat format_;
  agg::renderer_base<PixelFormat> renderer_;
  // Clipping in doubles, before AGG converts to its 24.8 fixed point: a point far outside
  // the panel (a huge but finite value) is cut to the panel instead of overflowing an int.
  agg::rasterizer_scanline_aa<agg::rasterizer_sl_clip_dbl> rasterizer_;
  agg::scanline_u8 scanline_;
};

}  // namespace

std::unique_ptr<PlotSurface> make_raster_surface(int width, int height, const FontFace& font, int scale) {
  return std::make_unique<RasterSurface>(width, height, scale, font);
}

}  // namespace bertscope
