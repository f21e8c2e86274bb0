#include "reports/figure_parts.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace bertscope {

namespace {
size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

std::string shorten(const std::string& text, size_t max_chars) {
  if (utf8_length(text) <= max_chars) return text;
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool starts_char = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_char && ++chars > max_chars - 1) break;
    out += text[i];
  }
  return out + "\u2026";
}

plot_style::Color blend(plot_style::Color from, plot_style::Color to, double t) {
  auto mix = [t](int a, int b) { return static_cast<int>(std::lround(a + t * (b - a))); };
  return {mix(from.r, to.r), mix(from.g, to.g), mix(from.b, to.b)};
}

std::string probability_text(double p) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, p >= 0.01 ? "p %.2f" : "p %.1g", p);
  return buffer;
}

namespace {

// The word in quotes, cut (with "…") until it fits `width` pixels at the cells' text size.
std::string quoted(const PlotCanvas& canvas, const std::string& word, double width) {
  constexpr size_t kWordChars = 16;  // at most, before it is cut to fit
  for (size_t chars = kWordChars;; --chars) {
    const std::string q = "\u201C" + shorten(word, chars) + "\u201D";
    if (chars <= 2 || canvas.text_width(q, plot_style::kSmallSize) <= width) return q;
  }
}

}  // namespace

void draw_word_cell(PlotCanvas& canvas, const CellBox& box, const std::string& word, const std::string& note, double share,
                    plot_style::Color color, bool outlined) {
  const double strength = 0.12 + 0.88 * share;
  const double right = box.left + box.width, bottom = box.top + box.height;
  canvas.rect(box.left + 1, box.top + 1, right - 1, bottom - 1, blend(plot_style::kWhite, color, strength));
  if (outlined) {
    const double ox[5] = {box.left + 1.5, right - 1.5, right - 1.5, box.left + 1.5, box.left + 1.5};
    const double oy[5] = {box.top + 1.5, box.top + 1.5, bottom - 1.5, bottom - 1.5, box.top + 1.5};
    canvas.line(ox, oy, plot_style::kText, 2.5);
  }
  const plot_style::Color ink = strength > 0.6 ? plot_style::kWhite : plot_style::kText;
  const double middle = box.top + box.height / 2;
  // The word gets what the note leaves, with a gap between them.
  const double room = box.width - 14 - canvas.text_width(note, plot_style::kSmallSize) - 6;
  canvas.text(box.left + 7, middle, quoted(canvas, word, room), 0.0, ink, plot_style::kSmallSize);
  canvas.text(right - 7, middle, note, 1.0, ink, plot_style::kSmallSize);
}

std::string prompt_line(const std::string& prompt, const std::string& target) {
  std::string line = "\u201C" + shorten(prompt, 110) + "\u201D";
  if (!target.empty()) line += "    target: \u201C" + target + "\u201D";
  return line;
}

namespace {

// The length of the longest run of whole words at the start of `text` that fits `width`
// pixels; at least one word, so that a word wider than the figure still moves on.
size_t words_that_fit(const PlotCanvas& canvas, const std::string& text, double width, double size) {
  size_t end = std::min(text.find(' '), text.size());
  while (end < text.size()) {
    const size_t next = std::min(text.find(' ', end + 1), text.size());
    if (canvas.text_width(text.substr(0, next), size) > width) break;
    end = next;
  }
  return end;
}

}  // namespace

void draw_figure_header(PlotCanvas& canvas, const std::string& title, const std::string& subtitle) {
  canvas.page();
  canvas.text(24, 24, title, 0.0, plot_style::kText, plot_style::kFigureTitleSize);
  const double width = canvas.width() - 48.0;
  if (canvas.text_width(subtitle, plot_style::kTextSize) <= width) {
    canvas.text(24, 50, subtitle, 0.0, plot_style::kMuted, plot_style::kTextSize);
    return;
  }
  // Too long for one line (a patch grid's two prompts and its metric): two lines in the
  // small size, in the band above the legends (y 80 and below); what the second cannot
  // hold ends in "…".
  const double size = plot_style::kSmallSize;
  const size_t first_end = words_that_fit(canvas, subtitle, width, size);
  canvas.text(24, 45, subtitle.substr(0, first_end), 0.0, plot_style::kMuted, size);
  if (first_end >= subtitle.size()) return;
  std::string rest = subtitle.substr(first_end + 1);
  for (size_t chars = rest.size(); canvas.text_width(rest, size) > width && chars > 1;) {
    chars = chars * 9 / 10;
    rest = shorten(subtitle.substr(first_end + 1), chars);
  }
  canvas.text(24, 61, rest, 0.0, plot_style::kMuted, size);
}

double draw_legend_row(PlotCanvas& canvas, double left, double y, const std::vector<LegendEntry>& entries) {
  using Kind = LegendEntry::Kind;
  canvas.page();
  double x = left;
  for (const LegendEntry& e : entries) {
    const double key = 26;  // width of the key drawn before each label
    const std::array<double, 2> lx = {x, x + key}, ly = {y, y};
    switch (e.kind) {
      case Kind::Marker: {
        const std::array<double, 1> mx = {x + key / 2}, my = {y};
        canvas.markers(mx, my, 3.0, e.color);
        break;
      }
      case Kind::Line: canvas.line(lx, ly, e.color, plot_style::kLineWidth + 0.5); break;
      case Kind::Dashed: canvas.line(lx, ly, e.color, plot_style::kReferenceWidth, true); break;
      case Kind::MeanInterval: {
        const std::array<double, 1> mx = {x + key / 2}, my = {y};
        canvas.error_bar(x + key / 2, y + 8, y - 8, 8, e.color, 2.0);
        canvas.markers(mx, my, 4.0, e.color);
        break;
      }
      case Kind::Bar: canvas.rect(x + 3, y - 6, x + key - 3, y + 6, e.color); break;
      case Kind::Diamond: canvas.diamond(x + key / 2, y, 5.0, e.color); break;
    }
    canvas.text(x + key + 6, y, e.label, 0.0, plot_style::kText, plot_style::kTextSize);
    x += key + 6 + canvas.text_width(e.label, plot_style::kTextSize) + 26;
  }
  return x;
}

}  // namespace bertscope
