#pragma once
// One prompt of an experiment as the user wrote it (inline in a spec or on the command
// line, or a row of a prompt file), before it is tokenized.
#include <cstddef>
#include <string>
#include <string_view>

namespace bertscope {

struct PromptSpec {
  // The "= {}" lets {text, target} (as code wrote it before ids) initialize the rest empty
  // without -Wmissing-field-initializers.
  std::string text = {};
  std::string target = {};        // empty: none (statistics and predict need none)
  std::string other_prompt = {};  // mix and patch interventions without an other_prompt of their own use this one
  std::string id = {};            // names the prompt in every result row; see assign_prompt_ids()
  // collect and neurons: this prompt's rows ("word:him", "3,5"; empty: the command's
  // positions). Sweeps edit the intervention's positions.
  std::string positions = {};
  std::string foil = {};  // a second word: logit(target) - logit(foil) in every run; empty: none
};

// What every text that reaches a result file must be, checked where it is read (a prompt
// file's row, a spec, the command line, Python) and before it is tokenized:
//   - well-formed UTF-8: result files are UTF-8 (JSON, CSV for pandas, HTML), so a text
//     that is not would fail only when written, after the whole run;
//   - at most kMaxPromptBytes: a BERT reads a few hundred tokens, and a 300 MB "prompt"
//     would be tokenized whole (minutes, gigabytes) before anything else is said;
//   - for ids, also no control characters: an id names a row in CSV files, and "a\rb",
//     "a\nb" and "a\0b" come back from CSV readers as one id.
inline constexpr std::size_t kMaxPromptBytes = std::size_t{1} << 20;

// Throws Error "<where>: the <field> is N bytes, over the limit ..." when `value` is over
// kMaxPromptBytes: for texts that are tokenized but reach no file (predict, tokenize).
void check_prompt_bytes(std::string_view value, const std::string& where, const std::string& field);
// Throws Error "<where>: the <field> ..." when `value` is not valid UTF-8 or is over kMaxPromptBytes.
void check_prompt_text(std::string_view value, const std::string& where, const std::string& field);
// Checks every field of `prompt` as above, the id also for control characters.
void check_prompt_fields(const PromptSpec& prompt, const std::string& where);

}  // namespace bertscope
