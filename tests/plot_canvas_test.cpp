// The drawing layer under the figures: the font measures and fails clearly, the SVG writer
// keeps text as typed and cuts panels with clip paths, layout keeps axis titles clear of
// tick labels, and the PNG renderer draws the same figure at the same size.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "common/error.h"
#include "figure_checks.h"
#include "reports/font_face.h"
#include "reports/plot_canvas.h"
#include "reports/svg_text.h"

namespace bertscope {
namespace {

// Every `<text ...>content</text>` of an SVG: the start tag's attributes and the content.
std::vector<std::pair<std::string, std::string>> texts(const std::string& svg) {
  std::vector<std::pair<std::string, std::string>> found;
  const std::regex element(R"re(<text([^>]*)>([^<]*)</text>)re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), element); it != std::sregex_iterator(); ++it) {
    found.emplace_back((*it)[1], (*it)[2]);
  }
  return found;
}

double attribute(const std::string& attributes, const std::string& name) {
  std::smatch m;
  const std::regex pattern("\\s" + name + "=\"([-0-9.]+)\"");
  return std::regex_search(attributes, m, pattern) ? std::stod(m[1]) : std::nan("");
}

TEST(FontFace, MeasuresWithKerningAndScalesWithSize) {
  const FontFace font;
  const double a = font.text_width("A", 12), v = font.text_width("V", 12);
  EXPECT_GT(a, 5.0);
  EXPECT_LT(a, 12.0);
  EXPECT_LT(font.text_width("AV", 12), a + v) << "DejaVu Sans kerns A and V";
  EXPECT_NEAR(font.text_width("hidden-state value", 24), 2 * font.text_width("hidden-state value", 12), 1e-9);
  EXPECT_EQ(font.text_width("", 12), 0.0);
  EXPECT_GT(font.text_width("\u201Cbehind\u201D \u00B7 \xFF", 12), font.text_width("behind", 12))
      << "quotes, a middle dot and a broken byte all take room";
  EXPECT_GT(font.cap_middle(), 0.3);
  EXPECT_LT(font.cap_middle(), 0.4);
}

TEST(FontFace, MissingFontNamesTheDebianPackage) {
  try {
    FontFace font("/nonexistent/DejaVuSans.ttf");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fonts-dejavu-core"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/nonexistent/DejaVuSans.ttf"), std::string::npos) << e.what();
  }
}

TEST(SvgSurface, TextComesOutAsTypedAndEscaped) {
  PlotCanvas canvas(ImageFormat::Svg, 300, 100);
  canvas.text(10, 50, "##ing <b> & \"q\"  \u2019x\u2019");
  canvas.text(10, 70, std::string("bell\x07") + "end");
  const std::string svg = canvas.finish();
  EXPECT_TRUE(test::is_well_formed_svg(svg)) << svg;
  const std::string text = test::svg_visible_text(svg);
  EXPECT_NE(text.find("##ing <b> & \"q\"  \u2019x\u2019"), std::string::npos) << text;
  EXPECT_NE(text.find("bell\uFFFDend"), std::string::npos) << "a control character is not XML: " << text;
  EXPECT_NE(svg.find("<text xml:space=\"preserve\""), std::string::npos) << "double spaces stay double";
  EXPECT_NE(svg.find("font-family=\"DejaVu Sans, sans-serif\""), std::string::npos) << "the font layout measured with";
}

TEST(SvgSurface, PanelsAreClippedAndTheFileFitsAPage) {
  PlotCanvas canvas(ImageFormat::Svg, 400, 300);
  for (double left : {40.0, 220.0}) {
    canvas.panel(left, 20, 140, 200, 0, 10, 0, 1);
    canvas.axes({}, {});
    const double x[3] = {-5, 5, 15}, y[3] = {0.5, 2, 0.5};
    canvas.line(x, y, plot_style::series_color(0));  // leaves the panel on both sides
  }
  const std::string svg = canvas.finish();
  EXPECT_TRUE(test::is_well_formed_svg(svg)) << svg;
  EXPECT_NE(svg.find("width=\"400\" height=\"300\" viewBox=\"0 0 400 300\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("<clipPath id=\"c0\"><rect x=\"40\" y=\"20\" width=\"140\" height=\"200\"/></clipPath>"),
            std::string::npos) << svg;
  EXPECT_NE(svg.find("<clipPath id=\"c1\"><rect x=\"220\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("<g clip-path=\"url(#c1)\">\n<polyline"), std::string::npos) << svg;
  const std::string html = svg_for_html(svg, "f1-", "two panels");
  EXPECT_TRUE(test::is_well_formed_svg(html)) << html;
  EXPECT_NE(html.find("url(#f1-c1)"), std::string::npos);
  EXPECT_NE(html.find("id=\"f1-c1\""), std::string::npos);
  EXPECT_EQ(html.substr(0, html.find('>')).find(" width="), std::string::npos) << "the page sizes the figure";
}

TEST(PlotCanvasLayout, TickLabelsAndTitlesDoNotOverlap) {
  PlotCanvas canvas(ImageFormat::Svg, 500, 400);
  canvas.panel(120, 40, 300, 250, 0, 4, -0.155, 0.02);
  canvas.axes({}, {});
  canvas.y_title("values beyond 3 std (%)");
  canvas.x_title("hidden state");
  const std::string svg = canvas.finish();
  double labels_left = 1e9, labels_bottom = 0, title_x = 0, x_title_y = 0;
  for (const auto& [attributes, content] : texts(svg)) {
    const double x = attribute(attributes, "x"), y = attribute(attributes, "y");
    if (content == "values beyond 3 std (%)") {
      EXPECT_NE(attributes.find("rotate(-90"), std::string::npos) << attributes;
      title_x = x;
    } else if (content == "hidden state") {
      x_title_y = y;
    } else if (attributes.find("text-anchor=\"end\"") != std::string::npos) {  // a y tick label
      labels_left = std::min(labels_left, x - canvas.text_width(content));
      EXPECT_LE(x, 120 - plot_style::kMajorTick) << content << " reaches into its tick";
    } else {  // an x tick label
      labels_bottom = std::max(labels_bottom, y + 0.25 * plot_style::kTextSize);
      EXPECT_GT(y - 0.75 * plot_style::kTextSize, 290 + plot_style::kMajorTick) << content << " touches its tick";
    }
  }
  EXPECT_LT(labels_left, 120 - 30) << "labels like -0.15 are wide";
  // The rotated title's baseline is at title_x; its descenders reach a quarter em beyond.
  EXPECT_LT(title_x + 0.25 * plot_style::kTextSize, labels_left);
  EXPECT_GT(title_x - plot_style::kTextSize, 0);
  EXPECT_GT(x_title_y - 0.75 * plot_style::kTextSize, labels_bottom);
}

TEST(RasterSurface, DrawsAPngOfTheFigureSize) {
  auto png = [](bool draw) {
    PlotCanvas canvas(ImageFormat::Png, 320, 200);
    if (draw) {
      canvas.panel(60, 20, 240, 140, 0, 1, 0, 1);
      canvas.axes({}, {});
      canvas.y_title("density");
      const double x[2] = {0, 1}, y[2] = {0, 1};
      canvas.line(x, y, plot_style::series_color(1), 2.0, true);
      canvas.markers(x, y, 4, plot_style::kText.with_alpha(0.5));
      canvas.depth_colorbar(0, 4, "depth");
    }
    return canvas.finish();
  };
  const std::string blank = png(false), drawn = png(true);
  for (const std::string* p : {&blank, &drawn}) {
    test::PngSize size;
    ASSERT_TRUE(test::png_size(*p, size));
    EXPECT_EQ(size.width, 320u * kPngScale);  // drawn at kPngScale pixels per unit
    EXPECT_EQ(size.height, 200u * kPngScale);
  }
  // A white page compresses to almost nothing; axes, text and lines do not.
  EXPECT_GT(drawn.size(), 4 * blank.size());
}

TEST(RasterSurface, FarOutsideValuesAreCutToThePanel) {
  // Finite, but far beyond any pixel: the rasterizer must clip before it goes to integers
  // (the sanitizer build checks the conversions); non-finite values are left out.
  for (ImageFormat format : {ImageFormat::Png, ImageFormat::Svg}) {
    PlotCanvas canvas(format, 200, 100);
    canvas.panel(20, 10, 160, 80, 0, 1, 0, 1);
    const double x[4] = {0, 0.5, 1e300, 1}, y[4] = {0.5, -1e300, 0.5, std::nan("")};
    canvas.line(x, y, plot_style::kText, 2.0);
    canvas.line(x, y, plot_style::kText, 1.0, true);
    canvas.markers(x, y, 3, plot_style::kText);
    canvas.rect(0.2, -1e300, 0.4, 1e300, plot_style::kMuted);
    canvas.text(1e300, 0.5, "far");
    const std::string bytes = canvas.finish();
    if (format == ImageFormat::Svg) {
      EXPECT_TRUE(test::is_well_formed_svg(bytes));
      EXPECT_EQ(bytes.find("nan"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace bertscope
