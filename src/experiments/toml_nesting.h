#pragma once
// toml++ recurses once per level of a dotted key (a.b.c = 1), so a spec of 100 KB of dotted
// keys overflowed the stack (exit 139) before a single key was checked. This bounds the
// nesting with a scan that does not recurse, before the parser sees the text.
#include <string>
#include <string_view>

namespace bertscope {

// The deepest an experiment spec may nest (dotted key parts, plus table headers, arrays and
// inline tables around them). Real specs nest 3 deep.
constexpr int kMaxTomlNesting = 32;

// Throws Error "origin:LINE: ..." at the first place `text` nests deeper than `max_depth`.
// Strings and comments are skipped; what is not valid TOML is left for the parser.
void check_toml_nesting(std::string_view text, const std::string& origin, int max_depth = kMaxTomlNesting);

}  // namespace bertscope
