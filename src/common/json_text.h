#pragma once
// JSON text of a value that holds strings from the command line and files (prompts, paths,
// the command itself). Those are bytes, not always valid UTF-8 ("caf\xFF [MASK]"), and
// nlohmann::json::dump() throws on invalid UTF-8: an input could end a run in "internal
// error". Here each invalid byte becomes U+FFFD, as the tokenizer reads it.
#include <nlohmann/json.hpp>
#include <string>

namespace bertscope {

// dump(indent) with invalid UTF-8 replaced; -1 for the compact form.
std::string json_text(const nlohmann::json& value, int indent = -1);

}  // namespace bertscope
