#include "common/json_preview.h"

#include <iterator>
#include <vector>

namespace bertscope {

namespace {

using json = nlohmann::json;

// A container being printed and the index of its next child.
struct Frame {
  const json* node;
  size_t next;
};

// Compact JSON of a scalar; invalid UTF-8 in a string becomes U+FFFD instead of throwing.
std::string dump(const json& scalar) { return scalar.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string json_preview(const json& value, size_t max_chars) {
  std::string out;
  std::vector<Frame> stack;
  // Scalars print themselves; a container prints its bracket and is continued by the loop.
  auto open = [&](const json& v) {
    if (v.is_array() || v.is_object()) {
      out += v.is_array() ? '[' : '{';
      stack.push_back({&v, 0});
    } else if (v.is_string() && v.get_ref<const std::string&>().size() > max_chars) {
      out += dump(json(v.get_ref<const std::string&>().substr(0, max_chars + 1)));  // cut below anyway
    } else {
      out += dump(v);
    }
  };
  open(value);
  while (!stack.empty() && out.size() <= max_chars) {
    const json& node = *stack.back().node;
    const size_t index = stack.back().next++;
    if (index == node.size()) {
      out += node.is_array() ? ']' : '}';
      stack.pop_back();
      continue;
    }
    if (index > 0) out += ',';
    if (node.is_array()) {
      open(node[index]);
    } else {
      // Linear in the index, but the loop ends after max_chars characters anyway.
      const auto it = std::next(node.begin(), static_cast<std::ptrdiff_t>(index));
      out += dump(json(it.key())) + ':';
      open(*it);
    }
  }
  return text_preview(out, max_chars);
}

std::string text_preview(std::string_view text, size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  size_t cut = max_chars >= 3 ? max_chars - 3 : 0;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not mid-sequence
  return std::string(text.substr(0, cut)) + "...";
}

}  // namespace bertscope
