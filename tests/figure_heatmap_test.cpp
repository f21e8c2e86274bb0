// The heatmap figure: every finite value is a cell in its scale's colour, NaN cells are
// left empty and the figure says so, labels, titles and the colour bar are shown, long
// column labels turn upright, crowded labels thin out, and bad shapes are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <regex>

#include "common/error.h"
#include "figure_checks.h"
#include "reports/figure_heatmap.h"
#include "reports/font_face.h"
#include "reports/plot_style.h"

namespace bertscope {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string hex(plot_style::Color c) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02X%02X%02X", c.r, c.g, c.b);
  return buffer;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Blocks up the side, tokens along the bottom: a positions x blocks grid.
Heatmap blocks_by_tokens() {
  Heatmap h;
  h.rows = 3;
  h.columns = 4;
  h.values = {-2.0, 0.0, 1.0, 0.5,  //
              0.25, -1.0, 2.0, 0.0,
              1.5, kNaN, -0.5, 0.75};
  h.row_labels = {"block 0", "block 1", "block 2"};
  h.column_labels = {"[CLS]", "paris", "is", "[SEP]"};
  h.title = "Patching each position at each block";
  h.subtitle = "prompt line";
  h.x_title = "patched position";
  h.y_title = "edited block";
  h.colorbar_title = "change in target log-softmax (nats)";
  h.scale = Heatmap::Scale::Diverging;
  return h;
}

TEST(HeatmapFigure, DrawsLabelsTitlesAndTheColourBar) {
  const Heatmap h = blocks_by_tokens();
  const std::string svg = heatmap_figure(h, ImageFormat::Svg);
  ASSERT_TRUE(test::is_well_formed_svg(svg));
  const std::string text = test::svg_visible_text(svg);
  for (const std::string& s : {h.title, h.subtitle, h.x_title, h.y_title, h.colorbar_title}) {
    EXPECT_NE(text.find(s), std::string::npos) << s;
  }
  for (const std::string& s : h.row_labels) EXPECT_NE(text.find(s), std::string::npos) << s;
  for (const std::string& s : h.column_labels) EXPECT_NE(text.find(s), std::string::npos) << s;
  // A diverging bar is symmetric about 0: -2 .. 2 from the largest magnitude.
  EXPECT_NE(text.find(" -2 "), std::string::npos) << text;
  EXPECT_NE(text.find(" 2 "), std::string::npos);
  EXPECT_NE(text.find(" 0 "), std::string::npos);
  test::PngSize size;
  ASSERT_TRUE(test::png_size(heatmap_figure(h, ImageFormat::Png), size));
  EXPECT_GE(size.width, 1000u);
  // Four columns fill the figure's width: the colour bar's title ends up at its right edge.
  const size_t title_at = svg.find(">" + h.colorbar_title + "</text>");
  ASSERT_NE(title_at, std::string::npos);
  const size_t x_at = svg.find(" x=\"", svg.rfind("<text ", title_at)) + 4;
  const double title_x = std::stod(svg.substr(x_at));
  EXPECT_GT(title_x, 1000.0 - 60.0);
  EXPECT_LT(title_x, 1000.0);
}

TEST(HeatmapFigure, DivergingScaleIsWhiteAtZeroRedAboveBlueBelow) {
  using plot_style::Color;
  const Color zero = heatmap_color(Heatmap::Scale::Diverging, 0.0, -2.0, 2.0);
  EXPECT_EQ(hex(zero), "#F7F7F7");
  const Color up = heatmap_color(Heatmap::Scale::Diverging, 1.5, -2.0, 2.0);
  const Color down = heatmap_color(Heatmap::Scale::Diverging, -1.5, -2.0, 2.0);
  EXPECT_GT(up.r, up.b);
  EXPECT_GT(down.b, down.r);
  // Sequential: viridis from dark purple at the low end to yellow at the high end.
  EXPECT_EQ(hex(heatmap_color(Heatmap::Scale::Sequential, 3.0, 3.0, 7.0)), "#440154");
  EXPECT_EQ(hex(heatmap_color(Heatmap::Scale::Sequential, 7.0, 3.0, 7.0)), "#FDE725");
  EXPECT_EQ(hex(heatmap_color(Heatmap::Scale::Sequential, 99.0, 3.0, 7.0)), "#FDE725") << "clamped";

  // In the figure: the cells holding 0 are white, the one holding 2 the end red.
  const std::string svg = heatmap_figure(blocks_by_tokens(), ImageFormat::Svg);
  EXPECT_GE(count(svg, "fill=\"#F7F7F7\""), 2u);
  EXPECT_GE(count(svg, "fill=\"" + hex(plot_style::diverging(1.0)) + "\""), 1u);
}

TEST(HeatmapFigure, NanCellsAreLeftEmptyAndTheFigureSaysSo) {
  Heatmap h = blocks_by_tokens();
  const std::string with_nan = heatmap_figure(h, ImageFormat::Svg);
  h.values[9] = 0.125;
  const std::string full = heatmap_figure(h, ImageFormat::Svg);
  EXPECT_EQ(count(full, "<rect"), count(with_nan, "<rect") + 1) << "one cell fewer";
  EXPECT_NE(test::svg_visible_text(with_nan).find("empty cells: no value"), std::string::npos);
  EXPECT_EQ(test::svg_visible_text(full).find("empty cells"), std::string::npos) << "only said when drawn";
}

TEST(HeatmapFigure, CellValuesAreWrittenWhenAsked) {
  Heatmap h = blocks_by_tokens();
  h.cell_format = "%.2f";
  const std::string text = test::svg_visible_text(heatmap_figure(h, ImageFormat::Svg));
  EXPECT_NE(text.find("-1.00"), std::string::npos);
  EXPECT_NE(text.find("0.75"), std::string::npos);
  h.values[0] = -0.001;
  EXPECT_EQ(test::svg_visible_text(heatmap_figure(h, ImageFormat::Svg)).find("-0.00"), std::string::npos) << "no signed zero";
}

TEST(HeatmapFigure, LongColumnLabelsReadUpwardsAndCrowdedRowLabelsThinOut) {
  Heatmap h;
  h.rows = 120;
  h.columns = 4;
  for (size_t i = 0; i < h.rows * h.columns; ++i) h.values.push_back(static_cast<double>(i));
  for (size_t r = 0; r < h.rows; ++r) h.row_labels.push_back("r" + std::to_string(r));
  h.column_labels = {"a very long column label indeed, wider than a cell", "and another one, longer than a cell",
                     "a third that is long enough to turn upright", "and a fourth, long enough to turn as well"};
  h.colorbar_title = "value";
  const std::string svg = heatmap_figure(h, ImageFormat::Svg);
  ASSERT_TRUE(test::is_well_formed_svg(svg));
  EXPECT_EQ(count(svg, "rotate(-90"), 5u) << "four column labels and the colour bar title";
  // 120 rows at the smallest cell height: labels at least a line apart, the first kept.
  const std::string text = test::svg_visible_text(svg);
  EXPECT_NE(text.find(" r0 "), std::string::npos);
  EXPECT_EQ(text.find(" r1 "), std::string::npos);
  const std::regex row_label(R"( r\d+ )");
  const auto labels = static_cast<size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), row_label), std::sregex_iterator()));
  EXPECT_GT(labels, 20u);
  EXPECT_LT(labels, 120u);
}

TEST(HeatmapFigure, RowOrderFollowsTheOption) {
  Heatmap h = blocks_by_tokens();
  auto y_of = [](const std::string& svg, const std::string& label) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(svg, m, std::regex("y=\"([0-9.]+)\"[^>]*>" + label + "<")));
    return m.empty() ? 0.0 : std::stod(m[1]);
  };
  const std::string bottom_up = heatmap_figure(h, ImageFormat::Svg);
  EXPECT_GT(y_of(bottom_up, "block 0"), y_of(bottom_up, "block 2")) << "row 0 at the bottom";
  h.first_row_on_top = true;
  const std::string top_down = heatmap_figure(h, ImageFormat::Svg);
  EXPECT_LT(y_of(top_down, "block 0"), y_of(top_down, "block 2"));
}

// A patch grid's subtitle names two prompts and a metric: wider than the figure, it wraps
// onto a second line in whole words, and no line runs past the figure's right edge.
TEST(HeatmapFigure, LongSubtitleWrapsWithinTheFigure) {
  Heatmap h = blocks_by_tokens();
  h.subtitle = "clean \u201CWhen Mary and John went to the store, John gave a drink to [MASK]\u201D into corrupted "
               "\u201CWhen Mary and John went to the store, Mary gave a drink to [MASK]\u201D; metric logit(mary) - logit(john)";
  const std::string svg = heatmap_figure(h, ImageFormat::Svg);
  ASSERT_TRUE(test::is_well_formed_svg(svg));
  const FontFace font;
  ASSERT_GT(font.text_width(h.subtitle, plot_style::kTextSize), 1000.0 - 48.0) << "the case must be too wide for one line";
  // The subtitle's lines: left-aligned at the margin, below the title (baseline 30.6), above the grid.
  const std::regex text_element(R"re(<text [^>]*x="([0-9.]+)" y="([0-9.]+)" font-size="([0-9.]+)"[^>]*>([^<]*)</text>)re");
  std::string lines;
  int subtitle_lines = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text_element); it != std::sregex_iterator(); ++it) {
    const std::string words = test::svg_visible_text((*it)[4].str());
    const double y = std::stod((*it)[2].str());
    if (std::stod((*it)[1].str()) != 24.0 || y <= 35 || y >= 75) continue;  // SVG y: the baseline
    ++subtitle_lines;
    lines += words + " ";
    EXPECT_LE(24.0 + font.text_width(words, std::stod((*it)[3].str())), 1000.0 - 24.0) << words;
  }
  EXPECT_EQ(subtitle_lines, 2);
  EXPECT_NE(lines.find("metric logit(mary) - logit(john)"), std::string::npos) << lines;
  EXPECT_NE(lines.find("clean \u201CWhen Mary"), std::string::npos) << lines;
}

TEST(HeatmapFigure, RefusesValuesThatDoNotMatchTheShape) {
  Heatmap h = blocks_by_tokens();
  h.values.pop_back();
  EXPECT_THROW(heatmap_figure(h, ImageFormat::Svg), Error);
  h = blocks_by_tokens();
  h.row_labels.pop_back();
  EXPECT_THROW(heatmap_figure(h, ImageFormat::Svg), Error);
  h = blocks_by_tokens();
  h.rows = 0;
  h.values.clear();
  EXPECT_THROW(heatmap_figure(h, ImageFormat::Svg), Error);
}

}  // namespace
}  // namespace bertscope
