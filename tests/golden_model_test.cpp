// The engine against HuggingFace: every golden hidden state and logit of the three
// reference models (F32 with stored decoder, legacy gamma/beta F16 tied, BF16 tied with
// a 4000-word vocabulary), and the clean top-5 and target log-softmax at the mask.
#include <gtest/gtest.h>

#include "model/encoder.h"
#include "model/predictions.h"
#include "test_support.h"

namespace bertscope {
namespace {

using test::all_close;

class GoldenModel : public ::testing::TestWithParam<std::string> {
 protected:
  static const Encoder& model(const std::string& name) {
    static std::map<std::string, std::unique_ptr<Encoder>> cache;
    auto& slot = cache[name];
    if (!slot) slot = std::make_unique<Encoder>(Encoder::load(test::reference_model(name)));
    return *slot;
  }
};

TEST_P(GoldenModel, HiddenStatesLogitsAndTopFiveMatchHuggingFace) {
  const std::string name = GetParam();
  const Encoder& bert = model(name);
  const auto readable = test::read_json(test::data_path("reference/golden/" + name + ".json"));
  const test::GoldenTensors golden(name);
  ASSERT_EQ(bert.layers(), readable["case"]["L"].get<int>());

  for (size_t p = 0; p < readable["prompts"].size(); ++p) {
    const auto& prompt = readable["prompts"][p];
    const std::string key = "p" + std::to_string(p);
    SCOPED_TRACE(name + " " + key + ": " + prompt["text"].get<std::string>());

    const Encoding encoding = bert.tokenizer().encode(prompt["text"].get<std::string>());
    const std::vector<int64_t> golden_ids = golden.i64(key + ".input_ids");
    ASSERT_EQ(std::vector<int64_t>(encoding.ids.begin(), encoding.ids.end()), golden_ids);
    EXPECT_EQ(encoding.tokens, prompt["tokens"].get<std::vector<std::string>>());

    std::vector<HiddenState> hidden;
    const HiddenState last = bert.forward(TokenBatch::single(encoding.ids), nullptr, &hidden);
    ASSERT_EQ(hidden.size(), static_cast<size_t>(bert.layers() + 1));
    for (int l = 0; l <= bert.layers(); ++l) {
      SCOPED_TRACE("hidden." + std::to_string(l));
      EXPECT_TRUE(all_close(hidden[static_cast<size_t>(l)].values, golden.f32(key + ".hidden." + std::to_string(l))));
    }

    const int mask = prompt["mask_index"].get<int>();
    const std::vector<float> expected_logits = golden.f32(key + ".logits");
    const int vocab = bert.config().vocab_size;
    std::vector<float> mask_logits = bert.mlm_logits(last, 0, mask);
    if (golden.shape(key + ".logits")[0] == 1) {
      EXPECT_TRUE(all_close(mask_logits, expected_logits));
    } else {  // logits at every position
      std::vector<float> all(expected_logits.size());
      bert.mlm_logits(last.values.data(), last.rows(), all.data());
      EXPECT_TRUE(all_close(all, expected_logits));
      EXPECT_EQ(all.size(), static_cast<size_t>(last.rows()) * static_cast<size_t>(vocab));
    }

    const std::vector<float> log_probs = log_softmax(mask_logits);
    std::vector<std::string> top5;
    for (const TokenScore& t : top_k(log_probs, 5)) top5.push_back(bert.tokenizer().vocab().token(t.id));
    EXPECT_EQ(top5, prompt["clean"]["top5"].get<std::vector<std::string>>());
    const int target = prompt["target_id"].get<int>();
    EXPECT_NEAR(log_probs[static_cast<size_t>(target)], prompt["clean"]["target_logsoftmax"].get<double>(), 1e-4);
  }
}

TEST_P(GoldenModel, BatchedPaddedForwardEqualsOneByOne) {
  // Sequences of different lengths in one padded batch must give each sequence's own
  // states at its real positions: the attention mask keeps padding out.
  const Encoder& bert = model(GetParam());
  const auto readable = test::read_json(test::data_path("reference/golden/" + GetParam() + ".json"));
  std::vector<std::vector<int>> sequences;
  for (const auto& prompt : readable["prompts"]) sequences.push_back(prompt["ids"].get<std::vector<int>>());
  const HiddenState batched = bert.forward(TokenBatch::padded(sequences, bert.tokenizer().vocab().pad_id()));
  for (size_t b = 0; b < sequences.size(); ++b) {
    const HiddenState alone = bert.forward(TokenBatch::single(sequences[b]));
    const int n = static_cast<int>(sequences[b].size());
    EXPECT_TRUE(all_close(batched.row(static_cast<int>(b), 0), alone.values.data(),
                          static_cast<size_t>(n) * static_cast<size_t>(alone.width), 1e-5, 1e-5))
        << "sequence " << b;
  }
}

INSTANTIATE_TEST_SUITE_P(ReferenceCases, GoldenModel,
                         ::testing::ValuesIn(test::reference_cases()), test::case_name);

}  // namespace
}  // namespace bertscope
