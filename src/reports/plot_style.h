#pragma once
// The look every figure shares: one place for colours, line widths and sizes, so that a
// reader who has learnt one figure can read the next. Colours are the Okabe-Ito palette
// (distinguishable with the common colour-vision deficiencies); depth is shown with
// viridis, which is perceptually uniform and prints well in grey.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

namespace bertscope::plot_style {

struct Color {
  int r = 0, g = 0, b = 0;
  double alpha = 1.0;
  Color with_alpha(double a) const { return {r, g, b, a}; }
};

inline constexpr Color kText{34, 34, 34};
inline constexpr Color kAxis{90, 90, 90};
inline constexpr Color kGrid{228, 228, 228};
inline constexpr Color kMuted{120, 120, 120};
inline constexpr Color kReference{0, 0, 0};  // clean run, Gaussian: black dashed everywhere
inline constexpr Color kWhite{255, 255, 255};

// One colour per intervention (and per series), in order.
inline Color series_color(size_t i) {
  static constexpr std::array<Color, 7> kPalette = {{{0, 114, 178},     // blue
                                                     {213, 94, 0},      // vermillion
                                                     {0, 158, 115},     // bluish green
                                                     {204, 121, 167},   // reddish purple
                                                     {230, 159, 0},     // orange
                                                     {86, 180, 233},    // sky blue
                                                     {120, 120, 120}}}; // grey
  return kPalette[i % kPalette.size()];
}

// The colour at t in [0, 1] of a scale given by evenly spaced anchors, linear between them.
template <size_t N>
Color interpolate(const std::array<Color, N>& anchors, double t) {
  t = std::clamp(t, 0.0, 1.0) * static_cast<double>(N - 1);
  const size_t i = std::min(static_cast<size_t>(t), N - 2);
  const double f = t - static_cast<double>(i);
  auto mix = [f](int a, int b) { return static_cast<int>(std::lround(a + f * (b - a))); };
  return {mix(anchors[i].r, anchors[i + 1].r), mix(anchors[i].g, anchors[i + 1].g), mix(anchors[i].b, anchors[i + 1].b)};
}

// viridis at t in [0, 1], linear between nine anchors of matplotlib's table.
inline Color viridis(double t) {
  static constexpr std::array<Color, 9> kAnchors = {{{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142},
                                                     {33, 144, 141}, {39, 173, 129}, {92, 200, 99},
                                                     {170, 220, 50}, {253, 231, 37}}};
  return interpolate(kAnchors, t);
}

// Blue - white - red at t in [0, 1], white at 0.5: ColorBrewer's RdBu (reversed, so that
// positive is red), for signed values centred on 0. Linear between its eleven anchors.
inline Color diverging(double t) {
  static constexpr std::array<Color, 11> kAnchors = {{{5, 48, 97}, {33, 102, 172}, {67, 147, 195}, {146, 197, 222},
                                                      {209, 229, 240}, {247, 247, 247}, {253, 219, 199},
                                                      {244, 165, 130}, {214, 96, 77}, {178, 24, 43}, {103, 0, 31}}};
  return interpolate(kAnchors, t);
}

// Sizes in pixels of the figure (SVG user units, PNG pixels).
inline constexpr int kFigureWidth = 1000;
inline constexpr double kLineWidth = 1.5;
inline constexpr double kReferenceWidth = 1.2;
// Font sizes (pixels per em) of labels, panel titles, figure titles and notes.
inline constexpr double kTextSize = 12;
inline constexpr double kTitleSize = 15;
inline constexpr double kFigureTitleSize = 18;
inline constexpr double kSmallSize = 11;
// Axes: ticks point out of the panel, away from the data; minor ones are shorter.
inline constexpr double kMajorTick = 6;
inline constexpr double kMinorTick = 3.5;

}  // namespace bertscope::plot_style
