#include "experiments/toml_nesting.h"

#include "common/error.h"

namespace bertscope {

namespace {

// Index just past the string starting at text[i] (a quote), or text.size() when unterminated.
size_t skip_string(std::string_view text, size_t i, size_t& line) {
  const char quote = text[i];
  const bool multi = text.substr(i, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''");
  i += multi ? 3 : 1;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      if (!multi) return i;  // an unterminated single-line string: the parser reports it
      ++line;
    }
    if (c == '\\' && quote == '"') {
      i += 2;
      continue;
    }
    if (c == quote && (!multi || text.substr(i, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''"))) {
      return i + (multi ? 3 : 1);
    }
    ++i;
  }
  return i;
}

}  // namespace

void check_toml_nesting(std::string_view text, const std::string& origin, int max_depth) {
  size_t line = 1;
  std::string open;       // the [ and { around this point (arrays, inline tables, table headers)
  int key_dots = 0;       // dots in the key being read
  bool in_key = true;     // reading a key or a table header, not a value
  bool in_header = false; // inside [table] or [[table]] at the start of a line
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      i = skip_string(text, i, line) - 1;
      continue;
    }
    if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    switch (c) {
      case '\n':
        ++line;
        if (open.empty()) in_key = true, key_dots = 0;
        break;
      case '[':
        // A table header opens at the start of a line, outside any value.
        if (open.empty() && in_key && key_dots == 0) in_header = true;
        open += c;
        break;
      case '{':
        open += c;
        in_key = true, key_dots = 0;
        break;
      case ']':
      case '}':
        if (!open.empty()) open.pop_back();
        if (open.empty()) in_header = false;
        break;
      case '=':
        in_key = false, key_dots = 0;
        break;
      case ',':
        key_dots = 0;
        in_key = !open.empty() && open.back() == '{';
        break;
      case '.':
        if (in_key || in_header) ++key_dots;
        break;
      default:
        break;
    }
    if (static_cast<int>(open.size()) + key_dots > max_depth) {
      throw Error(origin + ":" + std::to_string(line) + ": nesting deeper than " + std::to_string(max_depth) +
                  " levels (dotted keys, tables, arrays); an experiment spec needs 3");
    }
  }
}

}  // namespace bertscope
