#pragma once
// A figure's SVG file (svg_surface.h) made fit to sit inside report.html.
#include <string>

namespace bertscope {

// The <svg> element alone, ready to sit inside an HTML page: no XML declaration or
// DOCTYPE, no fixed width/height (the page's CSS sizes it, the viewBox keeps its shape),
// every id prefixed with `id_prefix` so that several figures on one page cannot clash, and
// `title` as its accessible name.
std::string svg_for_html(const std::string& svg, const std::string& id_prefix, const std::string& title);

}  // namespace bertscope
