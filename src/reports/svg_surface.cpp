#include "reports/svg_surface.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "reports/html_text.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

using plot_style::Color;

// Hundredths of a pixel are below what any screen shows; trailing zeros go ("95", "0.5").
std::string num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  std::string s = buffer;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

std::string hex(Color c) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02X%02X%02X", c.r & 0xFF, c.g & 0xFF, c.b & 0xFF);
  return buffer;
}

// ` fill="#..."` or ` stroke="#..."`, with the opacity when the colour has one.
std::string paint(const char* what, Color c) {
  std::string s = std::string(" ") + what + "=\"" + hex(c) + "\"";
  if (c.alpha < 1.0) s += std::string(" ") + what + "-opacity=\"" + num(std::max(0.0, c.alpha)) + "\"";
  return s;
}

std::string points_attribute(std::span<const Point> points) {
  std::string s = " points=\"";
  for (size_t i = 0; i < points.size(); ++i) {
    if (i > 0) s += ' ';
    s += num(points[i].x) + "," + num(points[i].y);
  }
  return s + "\"";
}

std::string stroke_attributes(const Stroke& stroke, const char* join) {
  std::string s = " fill=\"none\"" + paint("stroke", stroke.color) + " stroke-width=\"" + num(stroke.width) +
                  "\" stroke-linejoin=\"" + join + "\"";
  if (stroke.dashed) s += " stroke-dasharray=\"" + num(Stroke::kDash) + " " + num(Stroke::kGap) + "\"";
  return s;
}

// Text as XML character data: markup escaped, and what XML cannot hold at all (control
// characters, broken UTF-8 from an odd vocabulary entry) shown as U+FFFD, so a word in a
// figure can never make the file unreadable.
std::string xml_text(const std::string& text) {
  std::string clean;
  for (char32_t cp : unicode::decode_utf8(text)) {
    const bool allowed = cp == '\t' || cp >= 0x20;
    unicode::append_utf8(clean, allowed && cp != 0xFFFE && cp != 0xFFFF ? cp : unicode::kReplacement);
  }
  return html::escape(clean);
}

class SvgSurface final : public PlotSurface {
 public:
  SvgSurface(int width, int height) : width_(width), height_(height) {
    const std::string w = std::to_string(width), h = std::to_string(height);
    // The font is the one layout measured text with (font_face.h).
    out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w +
           "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h +
           "\" font-family=\"DejaVu Sans, sans-serif\">\n<rect width=\"" + w + "\" height=\"" + h +
           "\"" + paint("fill", plot_style::kWhite) + "/>\n";
  }

  void clip(const Box& box) override {
    const bool whole_page = box.left <= 0 && box.top <= 0 && box.right >= width_ && box.bottom >= height_;
    if (group_open_ && !whole_page && box == clip_) return;
    if (!group_open_ && whole_page) return;
    if (group_open_) out_ += "</g>\n";
    group_open_ = false;
    if (whole_page) return;
    size_t id = 0;
    while (id < clip_paths_.size() && !(clip_paths_[id] == box)) ++id;
    if (id == clip_paths_.size()) {
      clip_paths_.push_back(box);
      out_ += "<clipPath id=\"c" + std::to_string(id) + "\"><rect x=\"" + num(box.left) + "\" y=\"" + num(box.top) +
              "\" width=\"" + num(box.right - box.left) + "\" height=\"" + num(box.bottom - box.top) +
              "\"/></clipPath>\n";
    }
    out_ += "<g clip-path=\"url(#c" + std::to_string(id) + ")\">\n";
    group_open_ = true;
    clip_ = box;
  }

  void polyline(std::span<const Point> points, const Stroke& stroke) override {
    if (points.size() < 2) return;
    out_ += "<polyline" + points_attribute(points) + stroke_attributes(stroke, "round") + "/>\n";
  }

  void outline(std::span<const Point> points, const Stroke& stroke) override {
    if (points.size() < 2) return;
    out_ += "<polygon" + points_attribute(points) + stroke_attributes(stroke, "miter") + "/>\n";
  }

  void polygon(std::span<const Point> points, Color fill) override {
    if (points.size() < 3) return;
    out_ += "<polygon" + points_attribute(points) + paint("fill", fill) + "/>\n";
  }

  void rect(const Box& box, Color fill) override {
    out_ += "<rect x=\"" + num(box.left) + "\" y=\"" + num(box.top) + "\" width=\"" + num(box.right - box.left) +
            "\" height=\"" + num(box.bottom - box.top) + "\"" + paint("fill", fill) + "/>\n";
  }

  void discs(std::span<const Point> centres, double radius, Color fill) override {
    if (centres.empty()) return;
    // One group carries the colour: a sweep has hundreds of markers.
    out_ += "<g" + paint("fill", fill) + ">\n";
    const std::string r = num(radius);
    for (const Point& c : centres) out_ += "<circle cx=\"" + num(c.x) + "\" cy=\"" + num(c.y) + "\" r=\"" + r + "\"/>\n";
    out_ += "</g>\n";
  }

  void text(Point anchor, const std::string& text, const TextStyle& style) override {
    if (text.empty()) return;
    const std::string x = num(anchor.x), y = num(anchor.y);
    // xml:space on each element, where browsers honour it: labels keep their runs of
    // spaces ("shuffle  ·  100 trials").
    out_ += "<text xml:space=\"preserve\" x=\"" + x + "\" y=\"" + y + "\" font-size=\"" + num(style.size) + "\"" + paint("fill", style.color);
    if (style.align == TextStyle::Align::Middle) out_ += " text-anchor=\"middle\"";
    if (style.align == TextStyle::Align::End) out_ += " text-anchor=\"end\"";
    // SVG turns clockwise (y points down); the style's angle is counterclockwise.
    if (style.angle != 0.0) out_ += " transform=\"rotate(" + num(-style.angle) + " " + x + " " + y + ")\"";
    out_ += ">" + xml_text(text) + "</text>\n";
  }

  std::string finish() override {
    if (group_open_) out_ += "</g>\n";
    group_open_ = false;
    out_ += "</svg>\n";
    return std::move(out_);
  }

 private:
  int width_, height_;
  std::string out_;
  bool group_open_ = false;
  Box clip_;                    // of the open group
  std::vector<Box> clip_paths_; // defined so far; the index is the id
};

}  // namespace

std::unique_ptr<PlotSurface> make_svg_surface(int width, int height) {
  return std::make_unique<SvgSurface>(width, height);
}

}  // namespace bertscope
