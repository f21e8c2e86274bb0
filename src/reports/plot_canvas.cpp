#include "reports/plot_canvas.h"

#include <plplot.h>
#include <stdio.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "common/error.h"
#include "reports/svg_text.h"

namespace bertscope {

namespace {

using plot_style::Color;

// PLplot keeps its state in globals (current stream, the SVG driver's output file), so
// one figure is drawn at a time in the whole process.
std::mutex& plplot_mutex() {
  static std::mutex m;
  return m;
}

// PLplot reports recoverable errors through plabort() and then skips the call; they are
// collected here and turned into an Error by finish(), so a figure missing a part is
// never written as if it were complete.
std::string& abort_messages() {
  static std::string messages;
  return messages;
}
void on_plplot_abort(PLCHAR_VECTOR message) {
  if (!abort_messages().empty()) abort_messages() += "; ";
  abort_messages() += message;
}
// plexit() would end the process (losing every result of the run) after calling this
// handler; throwing from here leaves through PLplot's C frames instead (Debian builds them
// with unwind tables on every architecture bertscope supports). Only reached for fatal
// PLplot errors such as running out of memory.
int on_plplot_exit(PLCHAR_VECTOR message) { throw Error(std::string("PLplot: ") + message); }

// PLplot reads '#' as the start of an escape sequence ("#u" superscript...); word pieces
// like "##ing" must come out as typed.
std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out += c;
    if (c == '#') out += '#';
  }
  return out;
}

constexpr PLINT kScratchColor = 15;  // cmap0 slot re-set before every drawing call

}  // namespace

// The figure's bytes, gathered through a stdio stream handed to PLplot (plsfile). The
// drivers close that stream when the page ends; `closed` says whether they did.
struct PlotCanvas::Capture {
  std::string bytes;
  bool closed = false;
  FILE* file = nullptr;

  static ssize_t write(void* cookie, const char* data, size_t size) {
    static_cast<Capture*>(cookie)->bytes.append(data, size);
    return static_cast<ssize_t>(size);
  }
  static int close(void* cookie) {
    static_cast<Capture*>(cookie)->closed = true;
    return 0;
  }
};

const char* image_extension(ImageFormat format) { return format == ImageFormat::Svg ? "svg" : "png"; }

namespace {
// Asking for a device PLplot lacks would make plinit() prompt on stdin for another one.
bool has_device(const std::string& name) {
  constexpr int kCapacity = 256;
  const char* menu_storage[kCapacity];
  const char* name_storage[kCapacity];
  const char** menus = menu_storage;
  const char** names = name_storage;
  int count = kCapacity;
  plgDevs(&menus, &names, &count);
  for (int i = 0; i < count; ++i) {
    if (names[i] && name == names[i]) return true;
  }
  return false;
}
}  // namespace

bool png_supported() {
  std::lock_guard<std::mutex> lock(plplot_mutex());
  return has_device("pngcairo");
}

PlotCanvas::PlotCanvas(ImageFormat format, int width, int height)
    : lock_(plplot_mutex()), format_(format), width_(width), height_(height), capture_(std::make_unique<Capture>()) {
  const char* device = format == ImageFormat::Svg ? "svg" : "pngcairo";
  if (!has_device(device)) {
    throw Error(std::string("PLplot has no ") + device + " driver" +
                (format == ImageFormat::Png ? ": install Debian's plplot-driver-cairo to get PNG figures" : ""));
  }
  cookie_io_functions_t io{nullptr, &Capture::write, nullptr, &Capture::close};
  capture_->file = fopencookie(capture_.get(), "w", io);
  if (!capture_->file) throw Error("cannot open an in-memory stream for a figure");
  abort_messages().clear();
  plsabort(on_plplot_abort);
  plsexit(on_plplot_exit);
  plmkstrm(&stream_);
  if (stream_ < 0) {
    fclose(capture_->file);
    throw Error("PLplot: no free plot stream");
  }
  plsdev(device);
  plsfile(capture_->file);
  plspage(0.0, 0.0, width, height, 0, 0);
  // Text clipping would wrap every label of the SVG in its own clip path.
  if (format == ImageFormat::Svg) plsetopt("drvopt", "text_clipping=0");
  plscolbg(255, 255, 255);
  plscol0(1, plot_style::kText.r, plot_style::kText.g, plot_style::kText.b);
  plinit();
  pladv(0);
  page();
}

PlotCanvas::~PlotCanvas() {
  if (stream_ >= 0) {
    plsstrm(stream_);
    plend1();
    if (!capture_->closed) fclose(capture_->file);
  }
}

std::string PlotCanvas::finish() {
  plsstrm(stream_);
  plend1();
  stream_ = -1;
  if (!capture_->closed) fclose(capture_->file);
  if (!abort_messages().empty()) throw Error("PLplot could not draw a figure: " + abort_messages());
  if (capture_->bytes.empty()) throw Error("PLplot wrote an empty figure");
  return format_ == ImageFormat::Svg ? tidy_plplot_svg(capture_->bytes) : std::move(capture_->bytes);
}

void PlotCanvas::panel(double left, double top, double width, double height, double x0, double x1, double y0,
                       double y1) {
  px_left_ = left;
  px_top_ = top;
  px_width_ = width;
  px_height_ = height;
  x0_ = x0;
  x1_ = x1;
  y0_ = y0;
  y1_ = y1;
  const double W = width_, H = height_;
  plvpor(left / W, (left + width) / W, 1.0 - (top + height) / H, 1.0 - top / H);
  plwind(x0, x1, y0, y1);
}

void PlotCanvas::page() { panel(0, 0, width_, height_, 0, width_, height_, 0); }

double PlotCanvas::x_per_pixel() const { return (x1_ - x0_) / px_width_; }
double PlotCanvas::y_per_pixel() const { return (y1_ - y0_) / px_height_; }

void PlotCanvas::use_color(Color color) {
  plscol0a(kScratchColor, color.r, color.g, color.b, color.alpha);
  plcol0(kScratchColor);
}

void PlotCanvas::set_text_size(double millimetres) { plschr(millimetres, 1.0); }

void PlotCanvas::axes(const Ticks& x, const Ticks& y) {
  // Grid first, so that data and frame lie over it.
  plwidth(1.0);
  use_color(plot_style::kGrid);
  plbox(x.ticks ? "g" : "", x.step, 0, y.ticks ? "g" : "", y.step, 0);
  use_color(plot_style::kAxis);
  plbox("bc", 0, 0, "bc", 0, 0);
  set_text_size(plot_style::kTextSize);
  use_color(plot_style::kText);
  const std::string xopt = x.ticks ? std::string("bsti") + (x.labels ? "n" : "") : "b";
  const std::string yopt = y.ticks ? std::string("bstiv") + (y.labels ? "n" : "") : "b";
  plbox(xopt.c_str(), x.step, x.minor, yopt.c_str(), y.step, y.minor);
}

void PlotCanvas::x_title(const std::string& text) {
  set_text_size(plot_style::kTextSize);
  use_color(plot_style::kText);
  plmtex("b", 3.0, 0.5, 0.5, escape(text).c_str());
}

void PlotCanvas::y_title(const std::string& text) {
  set_text_size(plot_style::kTextSize);
  use_color(plot_style::kText);
  // Far enough out for tick labels like "-0.15".
  plmtex("l", 5.2, 0.5, 0.5, escape(text).c_str());
}

void PlotCanvas::panel_title(const std::string& text, Color color) {
  set_text_size(plot_style::kTitleSize);
  use_color(color);
  plmtex("t", 0.9, 0.0, 0.0, escape(text).c_str());
}

void PlotCanvas::line(std::span<const double> x, std::span<const double> y, Color color, double width, bool dashed) {
  if (x.size() != y.size() || x.size() < 2) return;
  use_color(color);
  plwidth(width);
  if (dashed) {
    PLINT mark = 3000, space = 2000;  // micrometres
    plstyl(1, &mark, &space);
  }
  plline(static_cast<PLINT>(x.size()), x.data(), y.data());
  if (dashed) plstyl(0, nullptr, nullptr);
}

void PlotCanvas::markers(std::span<const double> x, std::span<const double> y, double radius, Color color) {
  use_color(color);
  // Few sides for small dots: they look as round, and the SVG of a many-trial sweep stays small.
  constexpr int kMaxSides = 12;
  const int kSides = radius < 3.0 ? 6 : kMaxSides;
  const double rx = radius * std::fabs(x_per_pixel()), ry = radius * std::fabs(y_per_pixel());
  double ux[kMaxSides], uy[kMaxSides];
  for (int k = 0; k < kSides; ++k) {
    const double a = 2.0 * std::numbers::pi * k / kSides;
    ux[k] = rx * std::cos(a);
    uy[k] = ry * std::sin(a);
  }
  double px[kMaxSides], py[kMaxSides];
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    for (int k = 0; k < kSides; ++k) {
      px[k] = x[i] + ux[k];
      py[k] = y[i] + uy[k];
    }
    plfill(kSides, px, py);
  }
}

void PlotCanvas::diamond(double x, double y, double radius, Color color) {
  use_color(color);
  const double rx = radius * std::fabs(x_per_pixel()), ry = radius * std::fabs(y_per_pixel());
  double px[4] = {x - rx, x, x + rx, x}, py[4] = {y, y + ry, y, y - ry};
  plfill(4, px, py);
}

void PlotCanvas::rect(double x0, double y0, double x1, double y1, Color color) {
  use_color(color);
  double px[4] = {x0, x1, x1, x0}, py[4] = {y0, y0, y1, y1};
  plfill(4, px, py);
}

void PlotCanvas::error_bar(double x, double low, double high, double cap, Color color, double width) {
  const double half = 0.5 * cap * std::fabs(x_per_pixel());
  const double vx[2] = {x, x}, vy[2] = {low, high};
  line(vx, vy, color, width);
  for (double yv : {low, high}) {
    const double cx[2] = {x - half, x + half}, cy[2] = {yv, yv};
    line(cx, cy, color, width);
  }
}

void PlotCanvas::text(double x, double y, const std::string& text, double just, Color color, double size,
                      double angle_degrees) {
  if (text.empty()) return;
  set_text_size(size);
  use_color(color);
  // plptex takes the direction in data units; going through pixels keeps the angle true
  // whatever the panel's aspect.
  const double a = angle_degrees * std::numbers::pi / 180.0;
  const double dx = std::cos(a) * x_per_pixel(), dy = std::sin(a) * y_per_pixel();
  plptex(x, y, dx, dy, just, escape(text).c_str());
}

void PlotCanvas::annotate(double x, double y, const std::string& label, double just, Color color, double size) {
  const double px = page_x(x), py = page_y(y);
  const double saved[8] = {px_left_, px_top_, px_width_, px_height_, x0_, x1_, y0_, y1_};
  page();
  text(px, py, label, just, color, size);
  panel(saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], saved[6], saved[7]);
}

void PlotCanvas::depth_colorbar(int first, int last, const std::string& title) {
  const int n = last - first + 1;
  // cmap1 as viridis, so PLplot's shades match plot_style::viridis used for the lines.
  constexpr int kAnchors = 9;
  PLFLT at[kAnchors], r[kAnchors], g[kAnchors], b[kAnchors];
  for (int i = 0; i < kAnchors; ++i) {
    at[i] = static_cast<double>(i) / (kAnchors - 1);
    const Color c = plot_style::viridis(at[i]);
    r[i] = c.r / 255.0;
    g[i] = c.g / 255.0;
    b[i] = c.b / 255.0;
  }
  plscmap1n(256);
  plscmap1l(1, kAnchors, at, r, g, b, nullptr);

  std::vector<PLFLT> edges;
  for (int i = 0; i <= n; ++i) edges.push_back(first - 0.5 + i);
  const PLINT n_values[1] = {static_cast<PLINT>(edges.size())};
  const PLFLT* values[1] = {edges.data()};
  const std::string label = escape(title);
  const char* labels[1] = {label.c_str()};
  const PLINT label_opts[1] = {PL_COLORBAR_LABEL_RIGHT};
  const char* axis_opts[1] = {"bcvtn"};
  const PLFLT ticks[1] = {n > 12 ? 2.0 : 1.0};
  const PLINT sub_ticks[1] = {0};
  PLFLT bar_width = 0, bar_height = 0;
  set_text_size(plot_style::kTextSize);
  use_color(plot_style::kText);
  plwidth(1.0);
  plcolorbar(&bar_width, &bar_height, PL_COLORBAR_SHADE,
             PL_POSITION_RIGHT | PL_POSITION_OUTSIDE | PL_POSITION_VIEWPORT, 0.015, 0.0, 0.025, 1.0, 0, kScratchColor,
             1, 0.0, 0.0, 0, 0.0, 1, label_opts, labels, 1, axis_opts, ticks, sub_ticks, n_values, values);
}

}  // namespace bertscope
