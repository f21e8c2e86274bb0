#pragma once
// Checks of figure files shared by the figure and report tests: is this SVG well formed
// (tags balanced, one root), what text does it show, is this a PNG and how large.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/unicode_text.h"

namespace bertscope::test {

// The character data of an SVG (the text of its <text> elements and everything else
// between tags), entities decoded, so that tests look for what a reader sees.
inline std::string svg_visible_text(const std::string& svg) {
  std::string text;
  bool in_tag = false;
  for (size_t i = 0; i < svg.size(); ++i) {
    const char c = svg[i];
    if (c == '<') {
      in_tag = true;
      text += ' ';
    } else if (c == '>') {
      in_tag = false;
    } else if (!in_tag) {
      if (c == '&') {
        const size_t end = svg.find(';', i);
        const std::string entity = svg.substr(i + 1, end - i - 1);
        if (entity == "amp") text += '&';
        else if (entity == "lt") text += '<';
        else if (entity == "gt") text += '>';
        else if (entity == "quot") text += '"';
        else if (entity == "apos") text += '\'';
        else if (entity.size() > 2 && entity[0] == '#' && entity[1] == 'x') unicode::append_utf8(text, static_cast<char32_t>(std::stoul(entity.substr(2), nullptr, 16)));
        else text += "&" + entity + ";";
        i = end;
      } else {
        text += c;
      }
    }
  }
  return text;
}

// Well formed in the sense that matters here: starts like an SVG file, every start tag is
// closed in order, the root is <svg>, and nothing follows it.
inline ::testing::AssertionResult is_well_formed_svg(const std::string& svg) {
  if (!(svg.rfind("<?xml", 0) == 0 || svg.rfind("<svg", 0) == 0)) return ::testing::AssertionFailure() << "does not start with <?xml or <svg";
  if (svg.find("</svg>") == std::string::npos) return ::testing::AssertionFailure() << "no </svg>";
  std::vector<std::string> open;
  bool saw_root = false;
  for (size_t at = svg.find('<'); at != std::string::npos; at = svg.find('<', at + 1)) {
    if (svg.compare(at, 2, "<?") == 0 || svg.compare(at, 2, "<!") == 0) continue;
    const size_t end = svg.find('>', at);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unterminated tag at " << at;
    const std::string tag = svg.substr(at + 1, end - at - 1);
    if (tag.empty()) return ::testing::AssertionFailure() << "empty tag at " << at;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1, tag.find_first_of(" \t\n") - 1);
      if (open.empty() || open.back() != name) {
        return ::testing::AssertionFailure() << "</" << name << "> at " << at << " closes "
                                             << (open.empty() ? "nothing" : "<" + open.back() + ">");
      }
      open.pop_back();
      if (open.empty() && svg.find('<', end) != std::string::npos) return ::testing::AssertionFailure() << "content after the root";
      continue;
    }
    const std::string name = tag.substr(0, tag.find_first_of(" \t\n/"));
    if (open.empty()) {
      if (saw_root || name != "svg") return ::testing::AssertionFailure() << "root element is <" << name << ">";
      saw_root = true;
    }
    if (tag.back() != '/') open.push_back(name);
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> never closed";
  return ::testing::AssertionSuccess();
}

struct PngSize {
  uint32_t width = 0, height = 0;
};

// The size in the IHDR chunk of a PNG file; fails unless the signature and IHDR are there.
inline ::testing::AssertionResult png_size(const std::string& png, PngSize& size) {
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (png.size() < 33 || png.compare(0, 8, kSignature) != 0) return ::testing::AssertionFailure() << "no PNG signature";
  if (png.compare(12, 4, "IHDR") != 0) return ::testing::AssertionFailure() << "first chunk is not IHDR";
  auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(png[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(png[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(png[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(png[at + 3]));
  };
  size = {be32(16), be32(20)};
  if (size.width == 0 || size.height == 0) return ::testing::AssertionFailure() << "zero size";
  if (png.compare(png.size() - 8, 4, "IEND") != 0) return ::testing::AssertionFailure() << "no IEND chunk at the end";
  return ::testing::AssertionSuccess();
}

}  // namespace bertscope::test
