#include "reports/svg_text.h"

#include "reports/html_text.h"
#include "tokenizer/unicode_text.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>

namespace bertscope {

namespace {

// A character that may stand for itself in XML text and attribute values.
bool plain_xml_char(uint32_t cp) {
  if (cp == '&' || cp == '<' || cp == '>' || cp == '"' || cp == '\'') return false;
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return false;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  return cp <= 0x10FFFF && cp != 0xFFFE && cp != 0xFFFF;
}

std::string decode_entities(const std::string& svg) {
  std::string out;
  out.reserve(svg.size());
  for (size_t i = 0; i < svg.size();) {
    if (svg.compare(i, 3, "&#x") == 0) {
      const size_t end = svg.find(';', i + 3);
      if (end != std::string::npos && end > i + 3 && end - i <= 10) {
        const std::string hex = svg.substr(i + 3, end - i - 3);
        char* stop = nullptr;
        const unsigned long cp = std::strtoul(hex.c_str(), &stop, 16);
        if (*stop == '\0' && plain_xml_char(static_cast<uint32_t>(cp))) {
          unicode::append_utf8(out, static_cast<char32_t>(cp));
          i = end + 1;
          continue;
        }
      }
    }
    out += svg[i++];
  }
  return out;
}

// Joins each attribute line to its element; elements keep one line each, unindented.
std::string join_attribute_lines(const std::string& svg) {
  std::string out;
  out.reserve(svg.size());
  for (size_t i = 0; i < svg.size();) {
    if (svg[i] != '\n') {
      out += svg[i++];
      continue;
    }
    size_t next = i + 1;
    while (next < svg.size() && svg[next] == ' ') ++next;
    out += next < svg.size() && svg[next] == '<' ? '\n' : ' ';
    if (next >= svg.size()) out.back() = '\n';
    i = next;
  }
  return out;
}

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

std::string tidy_plplot_svg(const std::string& svg) {
  std::string out = join_attribute_lines(decode_entities(svg));
  const size_t root = out.find("<svg");
  if (root == std::string::npos) return out;
  for (const char* name : {"width", "height"}) {
    size_t begin = 0, end = 0;
    if (find_attribute(out, root, name, begin, end) && end >= begin + 2 && out.compare(end - 2, 2, "pt") == 0) {
      out.erase(end - 2, 2);
    }
  }
  return out;
}

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
