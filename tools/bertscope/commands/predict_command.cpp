// bertscope predict: top-k tokens with probabilities at every [MASK] of a text.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "common/error.h"
#include "common/json_text.h"
#include "common/printable.h"
#include "model/bert_model.h"
#include "model/predictions.h"
#include "strict_numbers.h"

namespace bertscope::cli {

namespace {

struct PredictOptions {
  ModelOptions model;
  int top = 5;
  bool json = false;
  std::string text;
};

void run_predict(const PredictOptions& options) {
  const BertModel bert = load_model(options.model);
  const Tokenizer& tokenizer = bert.tokenizer();
  const Encoding encoding = tokenizer.encode(options.text);
  std::vector<int> masks;
  for (size_t i = 0; i < encoding.ids.size(); ++i) {
    if (encoding.ids[i] == tokenizer.vocab().mask_id()) masks.push_back(static_cast<int>(i));
  }
  if (masks.empty()) throw Error("the text has no [MASK] token: nothing to predict (write [MASK] where a word should go)");

  const HiddenState last = bert.forward(TokenBatch::single(encoding.ids));
  nlohmann::json out{{"text", options.text}, {"tokens", encoding.tokens}, {"masks", nlohmann::json::array()}};
  for (int position : masks) {
    const std::vector<float> log_probs = log_softmax(bert.mlm_logits(last, 0, position));
    nlohmann::json top = nlohmann::json::array();
    if (!options.json) std::printf("[MASK] at token %d:\n", position);
    int rank = 1;
    for (const TokenScore& t : top_k(log_probs, options.top)) {
      const std::string& token = tokenizer.vocab().token(t.id);
      const double prob = std::exp(static_cast<double>(t.log_prob));
      top.push_back({{"token", token}, {"id", t.id}, {"prob", prob}, {"log_prob", t.log_prob}});
      if (!options.json) std::printf("  %2d  %-20s %.4f\n", rank++, printable(token).c_str(), prob);
    }
    out["masks"].push_back({{"position", position}, {"top", top}});
  }
  if (options.json) std::printf("%s\n", json_text(out, 2).c_str());
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* command = app.add_subcommand("predict", "Top-k predictions at every [MASK] of TEXT");
  add_model_options(*command, options->model);
  command->add_option("--top", options->top, "How many tokens to show per [MASK]")->check(whole_number(1, 1000000));
  command->add_flag("--json", options->json, "Print JSON: {text, tokens, masks: [{position, top: [{token, id, prob, log_prob}]}]}");
  command->add_option("text", options->text, "Text with one or more [MASK] tokens")->required();
  command->footer("Example:\n  bertscope predict --model models/bert-mini-uncased-demo --top 5 "
                  "\"Pay no attention to that man [MASK] the curtain!\"");
  command->callback([options] { run_predict(*options); });
}

}  // namespace bertscope::cli
