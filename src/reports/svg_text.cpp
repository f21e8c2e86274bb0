#include "reports/svg_text.h"

#include <cctype>

#include "reports/html_text.h"

namespace bertscope {

namespace {

// The attribute `name` of the start tag at `tag_begin`: where its value starts and ends.
bool find_attribute(const std::string& svg, size_t tag_begin, const std::string& name, size_t& value_begin,
                    size_t& value_end) {
  const size_t tag_end = svg.find('>', tag_begin);
  for (size_t at = svg.find(name + "=\"", tag_begin); at != std::string::npos && at < tag_end;
       at = svg.find(name + "=\"", at + 1)) {
    if (!std::isspace(static_cast<unsigned char>(svg[at - 1]))) continue;  // "stroke-width" is not "width"
    value_begin = at + name.size() + 2;
    value_end = svg.find('"', value_begin);
    return value_end != std::string::npos && value_end < tag_end;
  }
  return false;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::string svg_for_html(const std::string& svg, const std::string& id_prefix, const std::string& title) {
  const size_t root = svg.find("<svg");
  if (root == std::string::npos) return "";
  std::string out = svg.substr(root);
  for (const char* name : {"width", "height"}) {
    size_t begin = 0, end = 0;
    if (find_attribute(out, 0, name, begin, end)) out.erase(begin - std::string(name).size() - 2, end - begin + std::string(name).size() + 3);
  }
  out = replace_all(out, " id=\"", " id=\"" + id_prefix);
  out = replace_all(out, "url(#", "url(#" + id_prefix);
  out = replace_all(out, "href=\"#", "href=\"#" + id_prefix);
  out.insert(4, " role=\"img\" aria-label=\"" + html::escape(title) + "\"");
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace bertscope
