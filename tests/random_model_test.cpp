// make-random-model writes folders the engine loads in every naming and dtype variant,
// and a model of any shape runs end to end through the CLI.
#include <gtest/gtest.h>

#include "model/encoder.h"
#include "test_support.h"

namespace bertscope {
namespace {

TEST(RandomModel, EveryVariantLoadsAndPredicts) {
  const std::vector<std::vector<std::string>> variants = {
      {"--dtype", "F32"}, {"--dtype", "F16", "--legacy-names"}, {"--dtype", "BF16", "--untied"}};
  for (const auto& variant : variants) {
    test::TempDir dir;
    std::vector<std::string> args = {"--out", dir.file("m"), "--layers", "2", "--hidden", "64", "--heads", "4",
                                     "--ffn", "128", "--vocab-size", "1200", "--positions", "32", "--seed", "7"};
    args.insert(args.end(), variant.begin(), variant.end());
    const auto made = test::run_command(BERTSCOPE_MAKE_RANDOM_MODEL, args);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    const Encoder bert = Encoder::load(dir.file("m"));
    EXPECT_EQ(bert.layers(), 2);
    EXPECT_EQ(bert.config().intermediate_size, 128);
    const auto r = test::run_cli({"predict", "--model", dir.file("m"), "--json", "a b [MASK] c"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["masks"][0]["top"].size(), 5u);
  }
}

// A random GPT-2 given a WordPiece vocabulary tokenizes English words as gpt2 does: one
// space-prefixed piece each, built by its merges (the bench's GPT-2 prompts and targets).
TEST(RandomModel, Gpt2WithAWordListTokenizesWordsAsOnePieceEach) {
  test::TempDir dir;
  const auto made = test::run_command(BERTSCOPE_MAKE_RANDOM_MODEL,
                                      {"--out", dir.file("g"), "--family", "gpt2", "--layers", "1", "--hidden", "32",
                                       "--heads", "2", "--ffn", "64", "--vocab-size", "50257", "--positions", "32",
                                       "--vocab-file", test::data_path("../../models/bert-mini-uncased-demo/vocab.txt")});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const Encoder gpt2 = Encoder::load(dir.file("g"));
  const Encoding e = gpt2.tokenizer().encode("no attention to the");
  std::vector<std::string> pieces;
  for (int id : e.ids) pieces.push_back(gpt2.tokenizer().vocab().token(id));
  EXPECT_EQ(pieces, (std::vector<std::string>{"n", "o", "\u0120attention", "\u0120to", "\u0120the"}));
  EXPECT_EQ(gpt2.config().vocab_size, 50257);
}

// --legacy-names writes GPT-2 as the hub's original gpt2 file (no "transformer." prefix, the
// attn.bias buffers): it loads and gives the numbers of the prefixed file of the same seed.
// Families without a legacy naming refuse the flag.
TEST(RandomModel, Gpt2LegacyNamesAreTheOriginalFilesAndLoadTheSame) {
  test::TempDir dir;
  auto make = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--out", dir.file(name), "--layers", "2", "--hidden", "32", "--heads", "2",
                                     "--ffn", "64", "--vocab-size", "400", "--positions", "16", "--seed", "3"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_command(BERTSCOPE_MAKE_RANDOM_MODEL, args);
  };
  ASSERT_EQ(make("prefixed", {"--family", "gpt2"}).exit_code, 0);
  ASSERT_EQ(make("original", {"--family", "gpt2", "--legacy-names"}).exit_code, 0);
  const std::string header = test::read_bytes(dir.file("original/model.safetensors")).substr(0, 4096);
  EXPECT_NE(header.find("\"h.1.attn.bias\""), std::string::npos);
  EXPECT_EQ(header.find("transformer."), std::string::npos);
  const Encoder a = Encoder::load(dir.file("prefixed")), b = Encoder::load(dir.file("original"));
  const std::vector<int> ids = {5, 17, 99, 3};
  const HiddenState ha = a.forward(TokenBatch::single(ids)), hb = b.forward(TokenBatch::single(ids));
  EXPECT_EQ(a.mlm_logits(ha, 0, 3), b.mlm_logits(hb, 0, 3));
  const auto refused = make("m", {"--family", "modernbert", "--legacy-names"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("--legacy-names: only BERT"), std::string::npos) << refused.err;
}

TEST(RandomModel, SameSeedSameWeightsOtherSeedOther) {
  test::TempDir dir;
  auto make = [&](const std::string& name, const std::string& seed) {
    const auto r = test::run_command(BERTSCOPE_MAKE_RANDOM_MODEL,
                                     {"--out", dir.file(name), "--layers", "1", "--hidden", "32", "--heads", "2",
                                      "--ffn", "64", "--vocab-size", "1000", "--positions", "16", "--seed", seed});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  make("a", "1");
  make("b", "1");
  make("c", "2");
  auto bytes = [&](const std::string& name) {
    std::ifstream in(dir.file(name + "/model.safetensors"), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes("a"), bytes("b"));
  EXPECT_NE(bytes("a"), bytes("c"));
}

}  // namespace
}  // namespace bertscope
