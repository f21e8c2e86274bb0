#pragma once
// A short rendering of a JSON value for error messages ("array [-1,2]", "string \"32\"").
// nlohmann's dump() recurses once per nesting level and renders everything, so dumping a
// value from a hostile file ("shape": [[[[...a million levels...]]]]) overflows the stack,
// and a huge one costs its full size; this walks the value iteratively and stops early.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bertscope {

// The value as compact JSON, cut to at most `max_chars` characters (ending "..." when cut,
// never inside a UTF-8 sequence).
std::string json_preview(const nlohmann::json& value, size_t max_chars = 40);

// `text` itself when it has at most `max_chars` bytes, else its start and "...": for names
// and strings taken from a file, which may be megabytes long.
std::string text_preview(std::string_view text, size_t max_chars = 200);

}  // namespace bertscope
