#pragma once
// Prompts read from a file, for datasets of prompts: JSON Lines, CSV with a header, or
// plain text, one prompt per line. Every problem is an Error naming FILE:LINE.
//
//   JSON Lines (.jsonl, .ndjson): one object per line with the string keys text (required),
//     target, other_prompt and id; any other key, or a value that is not a string, is an error.
//   CSV (.csv): RFC 4180 (fields with commas, quotes or line breaks in double quotes, a quote
//     inside doubled); a header row naming the columns text (required), target, other_prompt,
//     id in any order. An empty cell is the same as no value.
//   Text (.txt): every non-blank line is a prompt's text, nothing else.
//   "-": standard input, named <stdin> in messages; JSON Lines when its first non-blank
//     character is "{", else CSV.
// Blank lines are skipped in every format. A prompt without an id gets its number in the
// file, counting from 1 (header and blank lines not counted). Ids must be unique.
#include <functional>
#include <string>
#include <vector>

#include "experiments/prompt_spec.h"

namespace bertscope {

enum class PromptFormat { JsonLines, Csv, Text };

// The keys of a JSON Lines row and the columns of a CSV header, in the order help texts list them.
inline constexpr const char* kPromptFileFields = "text, target, foil, other_prompt, id, positions";

// Reads the prompts of `path` ("-" for standard input) in the format its name says.
// Throws Error for an unknown extension, an unreadable or empty file, or a bad row.
std::vector<PromptSpec> read_prompt_file(const std::string& path);

// Parses `text` in `format`; `origin` names it in errors ("prompts.csv", "<stdin>").
std::vector<PromptSpec> parse_prompt_file(const std::string& text, PromptFormat format, const std::string& origin);

// Gives each prompt without an id its 1-based number in `prompts`, then checks that no two
// share an id. `where(i)` names prompt i in the error ("data.csv:7", "spec.toml: prompts[2]"),
// which names both prompts and says when one of the ids was a default.
void assign_prompt_ids(std::vector<PromptSpec>& prompts, const std::function<std::string(size_t)>& where);

}  // namespace bertscope
