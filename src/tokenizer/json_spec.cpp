#include "tokenizer/json_spec.h"

#include "common/error.h"
#include "common/json_preview.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

void JsonSpec::fail(const std::string& problem) const { throw Error(where() + ": " + problem); }

void JsonSpec::unknown_type(const std::string& type) const {
  fail("type \"" + type + "\" is not supported by bertscope");
}

JsonSpec JsonSpec::child(const nlohmann::json& value, const std::string& component) const {
  if (depth_ >= kMaxDepth) fail("nests components more than " + std::to_string(kMaxDepth) + " levels deep");
  return {value, file_, component, depth_ + 1};
}

std::string JsonSpec::type() const {
  if (!value_.is_object()) fail("must be a JSON object, not " + json_preview(value_));
  const auto it = value_.find("type");
  if (it == value_.end() || !it->is_string()) fail("has no \"type\" string");
  return it->get<std::string>();
}

bool JsonSpec::has(const char* key) const {
  if (!value_.is_object()) return false;
  const auto it = value_.find(key);
  return it != value_.end() && !it->is_null();
}

const nlohmann::json& JsonSpec::at(const char* key) const {
  if (!has(key)) fail(std::string("lacks the field \"") + key + "\"");
  return value_.at(key);
}

std::string JsonSpec::string(const char* key, std::optional<std::string> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = at(key);
  if (!v.is_string()) fail(std::string("field \"") + key + "\" must be a string, not " + json_preview(v));
  return v.get<std::string>();
}

bool JsonSpec::boolean(const char* key, std::optional<bool> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = at(key);
  if (!v.is_boolean()) fail(std::string("field \"") + key + "\" must be true or false, not " + json_preview(v));
  return v.get<bool>();
}

int64_t JsonSpec::integer(const char* key, std::optional<int64_t> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = at(key);
  if (!v.is_number_integer()) fail(std::string("field \"") + key + "\" must be an integer, not " + json_preview(v));
  return v.get<int64_t>();
}

char32_t JsonSpec::character(const char* key, std::optional<char32_t> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const std::string text = string(key);
  const std::u32string chars = unicode::decode_utf8(text);
  if (chars.size() != 1) fail(std::string("field \"") + key + "\" must be one character, not \"" + text + "\"");
  return chars[0];
}

JsonSpec::Pattern JsonSpec::pattern(const char* key) const {
  const nlohmann::json& v = at(key);
  if (v.is_object() && v.size() == 1) {
    if (v.contains("String") && v["String"].is_string()) return {v["String"].get<std::string>(), false};
    if (v.contains("Regex") && v["Regex"].is_string()) return {v["Regex"].get<std::string>(), true};
  }
  fail(std::string("field \"") + key + "\" must be {\"String\": ...} or {\"Regex\": ...}, not " + json_preview(v));
}

SplitBehavior JsonSpec::behavior(const char* key) const {
  const std::string name = string(key);
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  fail(std::string("field \"") + key + "\" is \"" + name +
       "\"; expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
}

}  // namespace bertscope
