#pragma once
// Text into HTML: everything the report shows from a prompt, a token or a path goes
// through escape(), so a prompt like "a < b [MASK]" cannot break the page.
#include <string>

namespace bertscope::html {

inline std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// <tag>escaped text</tag>
inline std::string element(const std::string& tag, const std::string& text) {
  return "<" + tag + ">" + escape(text) + "</" + tag + ">";
}

}  // namespace bertscope::html
