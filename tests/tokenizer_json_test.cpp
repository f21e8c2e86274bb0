// Tokenizer::from_json against the real HuggingFace `tokenizers` library.
//
// Where the expectations come from:
// - tests/data/families/tokenizer/<case>.jsonl: ids/tokens with and without special tokens
//   and decode(ids_no_special, skip_special_tokens=False), all written by the Rust
//   tokenizers library (npm binding) from tests/data/families/models/<case>/tokenizer.json
//   (see tests/data/families/README.md and PROVENANCE.md).
// - tests/data/reference/tokenizer/*.jsonl: HuggingFace BertTokenizer on the real
//   bert-base-uncased vocabulary, which DistilBERT's tokenizer.json carries too.
// - special-token ids: the "added_tokens" and tokenizer_config.json of the fixture files.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/error.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"

using bertscope::Encoding;
using bertscope::Tokenizer;
using bertscope::test::expect_error;
using bertscope::test::TempDir;

namespace {

const std::string kFamilies = std::string(BERTSCOPE_TEST_DATA) + "/families";

std::string model_dir(const std::string& name) {
  return name == "gpt2-fullvocab" ? kFamilies + "/tokenizers/" + name : kFamilies + "/models/" + name;
}

const Tokenizer& family_tokenizer(const std::string& name) {
  static std::map<std::string, Tokenizer> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end()) {
    const std::string dir = model_dir(name);
    it = loaded.emplace(name, Tokenizer::from_json(dir + "/tokenizer.json", dir + "/tokenizer_config.json")).first;
  }
  return it->second;
}

std::vector<nlohmann::json> read_cases(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<nlohmann::json> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) cases.push_back(nlohmann::json::parse(line));
  }
  return cases;
}

class TokenizerJsonFamily : public testing::TestWithParam<std::string> {};

TEST_P(TokenizerJsonFamily, MatchesHuggingFaceOnEveryCase) {
  const std::string name = GetParam();
  const Tokenizer& tokenizer = family_tokenizer(name);
  const auto cases = read_cases(kFamilies + "/tokenizer/" + name + ".jsonl");
  ASSERT_GE(cases.size(), 30u);
  for (size_t k = 0; k < cases.size(); ++k) {
    const nlohmann::json& c = cases[k];
    const std::string text = c.at("text").get<std::string>();
    SCOPED_TRACE(name + " case " + std::to_string(k) + ": " + nlohmann::json(text).dump());
    const Encoding with = tokenizer.encode(text);
    EXPECT_EQ(with.tokens, c.at("tokens").get<std::vector<std::string>>());
    EXPECT_EQ(with.ids, c.at("ids").get<std::vector<int>>());
    const Encoding without = tokenizer.tokenize(text);
    EXPECT_EQ(without.tokens, c.at("tokens_no_special").get<std::vector<std::string>>());
    EXPECT_EQ(without.ids, c.at("ids_no_special").get<std::vector<int>>());
    EXPECT_EQ(tokenizer.decode(c.at("ids_no_special").get<std::vector<int>>(), false),
              c.at("decoded_no_special").get<std::string>());
    // Every id names its own token in the vocabulary (id_tokens: convert_ids_to_tokens).
    const auto id_tokens = c.at("id_tokens").get<std::vector<std::string>>();
    ASSERT_EQ(id_tokens.size(), with.ids.size());
    for (size_t i = 0; i < with.ids.size(); ++i) EXPECT_EQ(tokenizer.vocab().token(with.ids[i]), id_tokens[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(Families, TokenizerJsonFamily,
                         testing::Values("roberta-tiny", "xlm-roberta-tiny", "albert-tiny", "distilbert-tiny-f16",
                                         "electra-generator-untied", "modernbert-tiny-bf16", "gpt2-tiny",
                                         "gpt2-fullvocab"),
                         [](const testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// vocab.json + merges.txt (no tokenizer.json) build the same tokenizer as HF's converter:
// the same fixtures, made by the library from the converter's tokenizer.json, must hold.
class TokenizerBpeFiles : public testing::TestWithParam<std::string> {};

TEST_P(TokenizerBpeFiles, MatchesHuggingFaceOnEveryCase) {
  const std::string name = GetParam();
  const std::string dir = model_dir(name);
  const Tokenizer tokenizer =
      Tokenizer::from_bpe_files(dir + "/vocab.json", dir + "/merges.txt", dir + "/tokenizer_config.json");
  const auto cases = read_cases(kFamilies + "/tokenizer/" + name + ".jsonl");
  ASSERT_GE(cases.size(), 30u);
  for (size_t k = 0; k < cases.size(); ++k) {
    const nlohmann::json& c = cases[k];
    const std::string text = c.at("text").get<std::string>();
    SCOPED_TRACE(name + " case " + std::to_string(k) + ": " + nlohmann::json(text).dump());
    EXPECT_EQ(tokenizer.encode(text).tokens, c.at("tokens").get<std::vector<std::string>>());
    EXPECT_EQ(tokenizer.encode(text).ids, c.at("ids").get<std::vector<int>>());
    EXPECT_EQ(tokenizer.tokenize(text).ids, c.at("ids_no_special").get<std::vector<int>>());
    EXPECT_EQ(tokenizer.decode(c.at("ids_no_special").get<std::vector<int>>(), false),
              c.at("decoded_no_special").get<std::string>());
  }
  EXPECT_EQ(tokenizer.mask_id(), family_tokenizer(name).mask_id());
  EXPECT_EQ(tokenizer.vocab().size(), family_tokenizer(name).vocab().size());
}

INSTANTIATE_TEST_SUITE_P(Families, TokenizerBpeFiles, testing::Values("roberta-tiny", "gpt2-tiny", "gpt2-fullvocab"),
                         [](const testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// The mask/pad/cls/sep ids: as the fixtures' added_tokens and tokenizer_config.json say.
TEST(TokenizerJson, SpecialTokensOfEachFamily) {
  const Tokenizer& roberta = family_tokenizer("roberta-tiny");
  EXPECT_EQ(roberta.mask_token(), "<mask>");
  EXPECT_EQ(roberta.mask_id(), 5260);
  EXPECT_EQ(roberta.vocab().cls_id(), 0);
  EXPECT_EQ(roberta.vocab().pad_id(), 1);
  EXPECT_EQ(roberta.vocab().sep_id(), 2);
  EXPECT_EQ(roberta.vocab().unk_id(), 3);
  EXPECT_EQ(roberta.vocab().size(), 5261);  // config.json vocab_size

  const Tokenizer& albert = family_tokenizer("albert-tiny");
  EXPECT_EQ(albert.mask_token(), "[MASK]");
  EXPECT_EQ(albert.mask_id(), 4);
  EXPECT_EQ(albert.vocab().pad_id(), 0);
  EXPECT_TRUE(albert.do_lower_case());

  const Tokenizer& modernbert = family_tokenizer("modernbert-tiny-bf16");
  EXPECT_EQ(modernbert.mask_id(), 4261);
  EXPECT_EQ(modernbert.vocab().cls_id(), 4258);
  EXPECT_FALSE(modernbert.do_lower_case());

  const Tokenizer& gpt2 = family_tokenizer("gpt2-tiny");
  EXPECT_EQ(gpt2.mask_token(), "");
  EXPECT_EQ(gpt2.mask_id(), -1);
  EXPECT_EQ(gpt2.vocab().cls_id(), -1);
  EXPECT_EQ(gpt2.vocab().sep_id(), -1);
  EXPECT_EQ(gpt2.vocab().pad_id(), -1);
  EXPECT_EQ(gpt2.vocab().eos_id(), 8256);
  EXPECT_EQ(gpt2.vocab().size(), 8257);

  const Tokenizer& xlmr = family_tokenizer("xlm-roberta-tiny");
  EXPECT_EQ(xlmr.mask_id(), 6001);
  EXPECT_EQ(xlmr.vocab().size(), 6002);
}

// Without tokenizer_config.json or special_tokens_map.json, the specials are the added
// special tokens of the usual names (ids from the fixture's added_tokens).
TEST(TokenizerJson, SpecialTokensGuessedWithoutConfigFiles) {
  TempDir tmp;
  const std::string copy = tmp.write(
      "tokenizer.json", bertscope::test::read_bytes(kFamilies + "/models/xlm-roberta-tiny/tokenizer.json"));
  const Tokenizer t = Tokenizer::from_json(copy);
  EXPECT_EQ(t.mask_token(), "<mask>");
  EXPECT_EQ(t.mask_id(), 6001);
  EXPECT_EQ(t.vocab().cls_id(), 0);
  EXPECT_EQ(t.vocab().pad_id(), 1);
  EXPECT_EQ(t.vocab().sep_id(), 2);
  EXPECT_EQ(t.vocab().unk_id(), 3);
}

// A word's pieces mid-sentence are the pieces HF gave it inside "The capital of France is
// <mask>." (first case of each tokenizer file, tokens without specials).
TEST(TokenizerJson, WordPiecesAreTheMidSentencePieces) {
  struct Expect {
    const char* family;
    std::vector<std::string> capital;
  };
  const Expect cases[] = {{"roberta-tiny", {"Ġcapital"}},
                          {"xlm-roberta-tiny", {"▁ca", "pi", "tal"}},
                          {"albert-tiny", {"▁capital"}},
                          {"distilbert-tiny-f16", {"capital"}},
                          {"modernbert-tiny-bf16", {"Ġcapital"}},
                          {"gpt2-tiny", {"Ġcapital"}}};
  for (const Expect& e : cases) {
    SCOPED_TRACE(e.family);
    const Tokenizer& tokenizer = family_tokenizer(e.family);
    EXPECT_EQ(tokenizer.word_pieces("capital").tokens, e.capital);
    // The same pieces as in the sentence HF tokenized.
    const Encoding sentence = tokenizer.tokenize("The capital of France is");
    const auto& t = sentence.tokens;
    EXPECT_NE(std::search(t.begin(), t.end(), e.capital.begin(), e.capital.end()), t.end());
  }
}

// A BERT tokenizer.json (DistilBERT's: BertNormalizer, BertPreTokenizer, WordPiece with the
// real bert-base-uncased vocabulary) gives what HF BertTokenizer gave on the reference cases,
// and so what the vocab.txt path gives.
TEST(TokenizerJson, BertJsonMatchesTheVocabTxtReference) {
  const std::string dir = kFamilies + "/models/distilbert-tiny-f16";
  nlohmann::json spec = nlohmann::json::parse(bertscope::test::read_bytes(dir + "/tokenizer.json"));
  TempDir tmp;
  const std::string uncased = dir + "/tokenizer.json";
  spec["normalizer"]["lowercase"] = false;
  spec["normalizer"]["strip_accents"] = false;
  const std::string cased = tmp.write("tokenizer.json", spec.dump());
  const Tokenizer from_vocab_txt(bertscope::Vocab::load(dir + "/vocab.txt"), true);
  const Tokenizer from_vocab_txt_cased(bertscope::Vocab::load(dir + "/vocab.txt"), false);
  int checked = 0;
  for (const auto& [file, path, txt] :
       {std::tuple{"bert-base-uncased.jsonl", uncased, &from_vocab_txt},
        std::tuple{"bert-base-uncased-vocab-cased-mode.jsonl", cased, &from_vocab_txt_cased}}) {
    const Tokenizer json = Tokenizer::from_json(path);
    for (const nlohmann::json& c : read_cases(std::string(BERTSCOPE_TEST_DATA) + "/reference/tokenizer/" + file)) {
      const std::string text = c.at("text").get<std::string>();
      SCOPED_TRACE(std::string(file) + ": " + nlohmann::json(text).dump());
      const Encoding got = json.tokenize(text);
      EXPECT_EQ(got.tokens, c.at("tokens").get<std::vector<std::string>>());
      EXPECT_EQ(got.ids, c.at("ids").get<std::vector<int>>());
      EXPECT_EQ(got.ids, txt->tokenize(text).ids);
      EXPECT_EQ(json.encode(text).ids, txt->encode(text).ids);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 40);
}

// The vocab.txt path decodes as BertTokenizerFast: the same WordPiece decoder, so it
// agrees with the JSON tokenizer's decode on the fixtures (checked there against HF).
TEST(TokenizerJson, VocabTxtDecodeAgreesWithJson) {
  const std::string dir = kFamilies + "/models/distilbert-tiny-f16";
  const Tokenizer txt(bertscope::Vocab::load(dir + "/vocab.txt"), true);
  const Tokenizer& json = family_tokenizer("distilbert-tiny-f16");
  for (const nlohmann::json& c : read_cases(kFamilies + "/tokenizer/distilbert-tiny-f16.jsonl")) {
    const auto ids = c.at("ids").get<std::vector<int>>();
    EXPECT_EQ(txt.decode(ids, false), json.decode(ids, false));
    EXPECT_EQ(txt.decode(ids), json.decode(ids));
  }
}

TEST(TokenizerJson, BadFilesNameTheFileAndTheProblem) {
  TempDir tmp;
  const std::string missing = tmp.file("absent.json");
  expect_error([&] { Tokenizer::from_json(missing); }, {missing});

  const std::string broken = tmp.write("broken.json", "{\"model\": ");
  expect_error([&] { Tokenizer::from_json(broken); }, {broken, "not valid JSON"});

  const std::string unknown = tmp.write(
      "unknown.json",
      R"({"normalizer": {"type": "Cyrillic"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}})");
  expect_error([&] { Tokenizer::from_json(unknown); }, {unknown, "normalizer", "\"Cyrillic\"", "not supported"});

  const std::string model = tmp.write("model.json", R"({"model": {"type": "WordLevel", "vocab": {}}})");
  expect_error([&] { Tokenizer::from_json(model); }, {model, "\"WordLevel\""});

  const std::string merge = tmp.write(
      "merge.json", R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "a c"]}})");
  expect_error([&] { Tokenizer::from_json(merge); }, {merge, "merge 1", "\"c\"", "not in the vocabulary"});

  const std::string regex = tmp.write(
      "regex.json",
      R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(["}, "behavior": "Isolated"},
          "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}})");
  expect_error([&] { Tokenizer::from_json(regex); }, {regex, "pre_tokenizer Split", "invalid regex"});

  const std::string charsmap = tmp.write(
      "charsmap.json",
      R"({"normalizer": {"type": "Precompiled", "precompiled_charsmap": "!!"}, "model": {"type": "Unigram", "vocab": [["a", 0.0]]}})");
  expect_error([&] { Tokenizer::from_json(charsmap); }, {charsmap, "base64"});

  const std::string field = tmp.write(
      "field.json", R"({"pre_tokenizer": {"type": "Metaspace", "replacement": "ab"}, "model": {"type": "Unigram", "vocab": []}})");
  expect_error([&] { Tokenizer::from_json(field); }, {field, "replacement", "one character"});
}

// Components the fixtures do not use, on small hand-made tokenizers whose expected output
// follows from the library's documented behaviour of each component.
TEST(TokenizerJson, SplitDigitsPunctuationAndByteFallback) {
  TempDir tmp;
  // Unigram with byte_fallback: "ü" is not a piece, so it becomes its UTF-8 bytes.
  const std::string path = tmp.write("t.json", R"({
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": true},
      {"type": "Punctuation", "behavior": "Isolated"}]},
    "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": true,
              "vocab": [["<unk>", 0.0], ["a", -1.0], ["b", -1.0], ["ab", -1.5], ["1", -1.0], ["2", -1.0], [",", -1.0],
                        ["<0xC3>", -5.0], ["<0xBC>", -5.0]]},
    "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}})");
  const Tokenizer t = Tokenizer::from_json(path);
  const Encoding e = t.tokenize("ab,12 \xC3\xBC");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"ab", ",", "1", "2", "<0xC3>", "<0xBC>"}));
  EXPECT_EQ(t.decode(e.ids), "ab,12\xC3\xBC");
}

// The five Split behaviours on HF's own example (the SplitDelimiterBehavior docs of
// tokenizers: "the-final--countdown" split on "-").
TEST(TokenizerJson, SplitBehavioursAsDocumentedByHuggingFace) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"Removed", {"the", "final", "countdown"}},
      {"Isolated", {"the", "-", "final", "-", "-", "countdown"}},
      {"MergedWithPrevious", {"the-", "final-", "-", "countdown"}},
      {"MergedWithNext", {"the", "-final", "-", "-countdown"}},
      {"Contiguous", {"the", "-", "final", "--", "countdown"}}};
  TempDir tmp;
  for (const auto& [behavior, pieces] : cases) {
    SCOPED_TRACE(behavior);
    nlohmann::json vocab = {{"[UNK]", 0}};
    for (const char* piece : {"the", "final", "countdown", "-", "the-", "final-", "-final", "-countdown", "--"}) {
      vocab[piece] = vocab.size();
    }
    const nlohmann::json spec = {
        {"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", false}}},
        {"model", {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"vocab", vocab}}}};
    const Tokenizer t = Tokenizer::from_json(tmp.write(behavior + ".json", spec.dump()));
    EXPECT_EQ(t.tokenize("the-final--countdown").tokens, pieces);
  }
}

// Metaspace prepend_scheme "first" with split=false: HF's own test (metaspace.rs,
// non_legacy_meta_space), where "<s>" is cut out first; only the piece at the start of the
// text gets the prepended "▁".
TEST(TokenizerJson, MetaspacePrependFirstAsHuggingFaceTestsIt) {
  nlohmann::json vocab = {{"[UNK]", 0}, {"<s>", 1}};
  for (const char* piece : {"▁Hey▁my▁friend▁", "how▁are▁you", "▁Hey▁", "how▁", "are▁", "▁you"}) {
    vocab[piece] = vocab.size();
  }
  const nlohmann::json spec = {
      {"added_tokens", {{{"id", 1}, {"content", "<s>"}, {"special", true}, {"normalized", false}}}},
      {"pre_tokenizer", {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "first"}, {"split", false}}},
      {"model", {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"vocab", vocab}}}};
  TempDir tmp;
  const Tokenizer t = Tokenizer::from_json(tmp.write("first.json", spec.dump()));
  EXPECT_EQ(t.tokenize("Hey my friend <s>how\u2581are you").tokens,
            (std::vector<std::string>{"▁Hey▁my▁friend▁", "<s>", "how▁are▁you"}));
  EXPECT_EQ(t.tokenize(" Hey <s>how <s>are <s> you").tokens,
            (std::vector<std::string>{"▁Hey▁", "<s>", "how▁", "<s>", "are▁", "<s>", "▁you"}));
}

TEST(TokenizerJson, IllFormedUtf8AndLongInputDoNotCrash) {
  for (const char* family : {"roberta-tiny", "xlm-roberta-tiny", "albert-tiny", "distilbert-tiny-f16"}) {
    const Tokenizer& t = family_tokenizer(family);
    const std::string text = std::string("ab\xFF\xC3 cd\xE2\x82") + std::string(5000, 'x') + " <mask> [MASK]";
    const Encoding e = t.encode(text);
    ASSERT_EQ(e.ids.size(), e.tokens.size());
    for (int id : e.ids) {
      EXPECT_GE(id, 0);
      EXPECT_LT(id, t.vocab().size());
    }
  }
}

}  // namespace
