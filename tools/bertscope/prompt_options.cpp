#include "commands/commands.h"
#include "common/error.h"
#include "experiments/prompt_file.h"

namespace bertscope::cli {

std::vector<PromptSpec> prompts_from(const std::string& text, const std::string& file, const std::string& text_option) {
  if (!file.empty() && !text.empty()) throw Error("give " + text_option + " or --prompts FILE, not both");
  if (!file.empty()) return read_prompt_file(file);
  if (text.empty()) throw Error("give " + text_option + " or --prompts FILE");
  PromptSpec prompt{text, "", "", "1"};
  check_prompt_fields(prompt, text_option);
  return {prompt};
}

void add_prompts_option(CLI::App& command, std::string& into, const std::string& use) {
  command.add_option("--prompts", into,
                     std::string("A prompt file: JSON Lines (.jsonl, .ndjson: an object a line with the keys ") + kPromptFileFields +
                         "; text alone is required), CSV with a header naming those columns (.csv), one text a line "
                         "(.txt), or - for stdin (JSON Lines when it starts with {, else CSV). " + use);
}

std::vector<std::string> read_prompt_texts(const std::string& path) {
  std::vector<std::string> texts;
  for (const PromptSpec& p : read_prompt_file(path)) texts.push_back(p.text);
  return texts;
}

}  // namespace bertscope::cli
