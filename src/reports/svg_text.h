#pragma once
// Small rewrites of the SVG that PLplot's driver writes, for the files and for report.html.
#include <string>

namespace bertscope {

// PLplot writes every character of a label as a numeric entity ("&#x62;&#x6c;...") and
// every attribute on its own indented line. This decodes the entities of printable ASCII
// (all but the XML specials & < > " '), so labels read as text in the file and tests and
// searches find them, and joins the attribute lines, which makes the file about a third
// smaller. The width and height become pixels (PLplot says "pt", which shows the figure a
// third larger than it was laid out). The drawing is unchanged.
std::string tidy_plplot_svg(const std::string& svg);

// The <svg> element alone, ready to sit inside an HTML page: no XML declaration or
// DOCTYPE, no fixed width/height (the page's CSS sizes it, the viewBox keeps its shape),
// every id prefixed with `id_prefix` so that several figures on one page cannot clash, and
// `title` as its accessible name.
std::string svg_for_html(const std::string& svg, const std::string& id_prefix, const std::string& title);

}  // namespace bertscope
