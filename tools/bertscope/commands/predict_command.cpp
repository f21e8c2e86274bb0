// bertscope predict: top-k tokens with probabilities at every [MASK] of a text (a causal
// model's: the next token after the text).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "experiments/defaults.h"
#include "experiments/prompt.h"
#include "common/error.h"
#include "common/json_text.h"
#include "common/printable.h"
#include "model/encoder.h"
#include "model/predictions.h"
#include "strict_numbers.h"

namespace bertscope::cli {

namespace {

struct PredictOptions {
  ModelOptions model;
  int top = defaults::kTopK;
  bool json = false;
  std::string text;
  std::string prompts;  // a prompt file: every text is predicted, shown with its id
};

// {text, tokens, masks: [{position, top}]} for one text.
nlohmann::json predict_one(const Encoder& encoder, const std::string& text, const PredictOptions& options) {
  const Tokenizer& tokenizer = encoder.tokenizer();
  check_prompt_bytes(text, "TEXT", "text");  // its bytes before its tokens
  const Encoding encoding = tokenizer.encode(text);
  const std::vector<int> masks = mask_positions(encoder, encoding.ids, "predict");

  const HiddenState last = encoder.forward(TokenBatch::single(encoding.ids));
  nlohmann::json out{{"text", text}, {"tokens", encoding.tokens}, {"masks", nlohmann::json::array()}};
  for (int position : masks) {
    const std::vector<float> log_probs = log_softmax(encoder.mlm_logits(last, 0, position));
    nlohmann::json top = nlohmann::json::array();
    for (const TokenScore& t : top_k(log_probs, options.top)) {
      const std::string& token = tokenizer.vocab().token(t.id);
      const double prob = std::exp(static_cast<double>(t.log_prob));
      top.push_back({{"token", token}, {"id", t.id}, {"prob", prob}, {"log_prob", t.log_prob}});
    }
    out["masks"].push_back({{"position", position}, {"top", top}});
  }
  return out;
}

// `causal`: the model predicts the token after the prompt's last (GPT-2), not at a [MASK].
void print_table(const nlohmann::json& prediction, bool causal) {
  for (const auto& mask : prediction["masks"]) {
    std::printf(causal ? "next token after token %d:\n" : "[MASK] at token %d:\n", mask["position"].get<int>());
    int rank = 1;
    for (const auto& t : mask["top"]) {
      std::printf("  %2d  %-20s %.4f\n", rank++, printable(t["token"].get<std::string>()).c_str(), t["prob"].get<double>());
    }
  }
}

void run_predict(const PredictOptions& options) {
  const std::vector<PromptSpec> prompts = prompts_from(options.text, options.prompts, "a TEXT");
  const Encoder encoder = load_model(options.model);
  if (options.prompts.empty()) {
    const nlohmann::json out = predict_one(encoder, options.text, options);
    if (options.json) std::printf("%s\n", json_text(out, 2).c_str());
    else print_table(out, encoder.config().causal);
    return;
  }
  // A prompt file: one block per prompt, headed by its id; with --json an array of the
  // single-text objects, each with its "id". All are computed before anything is printed,
  // so that a bad prompt leaves stdout empty.
  nlohmann::json all = nlohmann::json::array();
  for (size_t p = 0; p < prompts.size(); ++p) {
    nlohmann::json one;
    try {
      one = predict_one(encoder, prompts[p].text, options);
    } catch (const Error& e) {
      throw Error("prompt \"" + prompts[p].id + "\": " + e.what());
    }
    one["id"] = prompts[p].id;
    all.push_back(std::move(one));
  }
  if (options.json) return void(std::printf("%s\n", json_text(all, 2).c_str()));
  for (size_t p = 0; p < prompts.size(); ++p) {
    std::printf("%sprompt %s: %s\n", p ? "\n" : "", printable(prompts[p].id).c_str(), printable(prompts[p].text).c_str());
    print_table(all[p], encoder.config().causal);
  }
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* command = app.add_subcommand("predict", "Top-k predictions at every [MASK] of TEXT");
  add_model_options(*command, options->model);
  command->add_option("--top", options->top, "How many tokens to show per [MASK]")
      ->check(whole_number(1, 1000000))
      ->capture_default_str();
  command->add_flag("--json", options->json,
                    "Print JSON: {text, tokens, masks: [{position, top: [{token, id, prob, log_prob}]}]}; with --prompts "
                    "an array of those, each with the prompt's \"id\"");
  add_prompts_option(*command, options->prompts, "Instead of TEXT: each text is predicted and shown with its id");
  command->add_option("text", options->text, "Text with one or more [MASK] tokens (or --prompts)");
  command->footer("Example:\n  bertscope predict --model models/bert-mini-uncased-demo --top 5 "
                  "\"Pay no attention to that man [MASK] the curtain!\"");
  command->callback([options] { run_predict(*options); });
}

}  // namespace bertscope::cli
