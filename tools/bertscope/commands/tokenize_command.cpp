// bertscope tokenize: the word pieces and ids of a text, as the model's HuggingFace tokenizer gives them.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "common/json_text.h"
#include "common/printable.h"
#include "model/encoder.h"
#include "tokenizer/tokenizer.h"
#include "weights/model_dir.h"

namespace bertscope::cli {

namespace {

struct TokenizeOptions {
  ModelOptions model;
  bool json = false;
  std::string text;
};

void run_tokenize(const TokenizeOptions& options) {
  // Only the vocabulary and tokenizer settings are read: no weights are loaded.
  const ModelFiles files = resolve_model_dir(model_path(options.model));
  const Tokenizer tokenizer = load_tokenizer(files);
  check_prompt_bytes(options.text, "TEXT", "text");  // its bytes before its tokens
  const Encoding encoding = tokenizer.tokenize(options.text);
  if (options.json) {
    std::printf("%s\n", json_text(nlohmann::json{{"tokens", encoding.tokens}, {"ids", encoding.ids}}).c_str());
    return;
  }
  for (size_t i = 0; i < encoding.ids.size(); ++i) std::printf("%6d  %s\n", encoding.ids[i], printable(encoding.tokens[i]).c_str());
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* command = app.add_subcommand("tokenize", "Word pieces and ids of TEXT (without [CLS]/[SEP])");
  add_model_options(*command, options->model);
  command->add_flag("--json", options->json, "Print {\"tokens\": [...], \"ids\": [...]}");
  command->add_option("text", options->text, "Text to tokenize")->required();
  command->footer("Example:\n  bertscope tokenize --model models/bert-mini-uncased-demo --json \"Crème brûlée [MASK].\"");
  command->callback([options] { run_tokenize(*options); });
}

}  // namespace bertscope::cli
