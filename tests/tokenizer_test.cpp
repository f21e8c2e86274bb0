// Tokenizer: the reference cases of HuggingFace BertTokenizer, vocabulary errors, and
// robustness on bytes that are not UTF-8.
#include <gtest/gtest.h>

#include "test_util.h"
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "tokenizer/basic_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode_text.h"
#include "tokenizer/vocab.h"

namespace fs = std::filesystem;
using bertscope::Encoding;
using bertscope::Tokenizer;
using bertscope::Vocab;
using bertscope::TokenizerOptions;
using bertscope::basic_tokenize;

namespace {

const std::string kData = BERTSCOPE_TEST_DATA;
const std::string kVocabPath = kData + "/reference/models/tiny-fp32/vocab.txt";

const Vocab& reference_vocab() {
  static const Vocab vocab = Vocab::load(kVocabPath);
  return vocab;
}

// Runs every case of one jsonl file; returns how many ran.
int check_reference_file(const std::string& name, bool do_lower_case) {
  const std::string path = kData + "/reference/tokenizer/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  const Tokenizer tokenizer(reference_vocab(), do_lower_case);
  int cases = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto c = nlohmann::json::parse(line);
    const std::string text = c.at("text").get<std::string>();
    SCOPED_TRACE(name + " case " + std::to_string(cases) + ": " + nlohmann::json(text).dump());
    EXPECT_EQ(c.at("do_lower_case").get<bool>(), do_lower_case);
    const Encoding got = tokenizer.tokenize(text);
    EXPECT_EQ(got.tokens, c.at("tokens").get<std::vector<std::string>>());
    EXPECT_EQ(got.ids, c.at("ids").get<std::vector<int>>());
    ++cases;
  }
  return cases;
}

// Every token has a valid id, and the token is that id's vocabulary entry.
void expect_consistent(const Encoding& e, const Vocab& vocab) {
  ASSERT_EQ(e.tokens.size(), e.ids.size());
  for (size_t i = 0; i < e.ids.size(); ++i) {
    ASSERT_GE(e.ids[i], 0);
    ASSERT_LT(e.ids[i], vocab.size());
    EXPECT_EQ(e.tokens[i], vocab.token(e.ids[i]));
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const bertscope::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected bertscope::Error";
  return "";
}

const std::string kSpecials = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";

}  // namespace

TEST(TokenizerReference, Uncased) {
  EXPECT_EQ(check_reference_file("bert-base-uncased.jsonl", true), 20);
}

TEST(TokenizerReference, CasedModeOnUncasedVocab) {
  EXPECT_EQ(check_reference_file("bert-base-uncased-vocab-cased-mode.jsonl", false), 20);
}

TEST(Tokenizer, EncodeAddsClsAndSep) {
  const Tokenizer tokenizer(reference_vocab(), true);
  const std::string text = "Pay no attention to that man [MASK] the curtain!";
  const Encoding pieces = tokenizer.tokenize(text);
  const Encoding e = tokenizer.encode(text);
  ASSERT_EQ(e.ids.size(), pieces.ids.size() + 2);
  EXPECT_EQ(e.ids.front(), 101);
  EXPECT_EQ(e.tokens.front(), "[CLS]");
  EXPECT_EQ(e.ids.back(), 102);
  EXPECT_EQ(e.tokens.back(), "[SEP]");
  EXPECT_EQ(std::vector<int>(e.ids.begin() + 1, e.ids.end() - 1), pieces.ids);

  const Encoding empty = tokenizer.encode("");
  EXPECT_EQ(empty.ids, (std::vector<int>{101, 102}));
}

TEST(Tokenizer, SpecialTokenGluedToText) {
  // Pieces around a special token are tokenized as if it were not there.
  const Tokenizer tokenizer(reference_vocab(), true);
  const Encoding glued = tokenizer.tokenize("the[MASK]curtain");
  const Encoding spaced = tokenizer.tokenize("the [MASK] curtain");
  EXPECT_EQ(glued.tokens, spaced.tokens);
  EXPECT_EQ(glued.ids, spaced.ids);
  // Matching is case-sensitive: "[mask]" is ordinary text.
  const Encoding lower = tokenizer.tokenize("[mask]");
  EXPECT_EQ(std::count(lower.ids.begin(), lower.ids.end(), reference_vocab().mask_id()), 0);
  EXPECT_GT(lower.ids.size(), 1u);
}

TEST(Tokenizer, InvalidUtf8DoesNotCrash) {
  const Tokenizer tokenizer(reference_vocab(), true);
  const std::vector<std::string> inputs = {
      "\xff", "\xc3", "abc\xe2\x82", "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 too big",
      "\xc0\xaf overlong", "caf\xc3\xa9\xff[MASK]\x80", std::string("nul\0byte", 8), "\xf0\x9f\x98",
  };
  for (const std::string& input : inputs) {
    SCOPED_TRACE(nlohmann::json(input).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    expect_consistent(tokenizer.tokenize(input), reference_vocab());
    expect_consistent(tokenizer.encode(input), reference_vocab());
  }
  // The replacement character that stands for bad bytes is dropped like HF drops U+FFFD.
  EXPECT_EQ(tokenizer.tokenize("curt\xff" "ain").ids, tokenizer.tokenize("curtain").ids);
  EXPECT_EQ(tokenizer.tokenize("curt\xe2\x82" "ain").ids, tokenizer.tokenize("curtain").ids);
}

TEST(Tokenizer, RandomBytesGiveValidIds) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  for (bool lower : {true, false}) {
    const Tokenizer tokenizer(reference_vocab(), lower);
    std::string text(200000, '\0');
    for (char& c : text) c = static_cast<char>(byte(rng));
    const Encoding e = tokenizer.tokenize(text);
    EXPECT_FALSE(e.ids.empty());
    expect_consistent(e, reference_vocab());
  }
}

TEST(Utf8, DecodeReplacesEachMaximalSubpart) {
  using bertscope::unicode::decode_utf8;
  EXPECT_EQ(decode_utf8("a\xc3\xa9z"), U"a\u00e9z");
  EXPECT_EQ(decode_utf8("\xf0\x9f\x98\x80"), U"\U0001F600");
  EXPECT_EQ(decode_utf8("\xe2\x82z"), U"\ufffdz");         // truncated 3-byte sequence
  EXPECT_EQ(decode_utf8("\xf0\x80\x80"), U"\ufffd\ufffd\ufffd");  // overlong lead, stray continuations
  EXPECT_EQ(decode_utf8("\xed\xa0\x80"), U"\ufffd\ufffd\ufffd");  // surrogate
  EXPECT_EQ(decode_utf8("\xf4\x90\x80\x80"), U"\ufffd\ufffd\ufffd\ufffd");  // above U+10FFFF
  EXPECT_EQ(decode_utf8("\xff\xfe"), U"\ufffd\ufffd");
  for (char32_t cp : {char32_t{0x7F}, char32_t{0x80}, char32_t{0x7FF}, char32_t{0x800}, char32_t{0xFFFF},
                      char32_t{0x10000}, char32_t{0x10FFFF}}) {
    EXPECT_EQ(decode_utf8(bertscope::unicode::encode_utf8(std::u32string(1, cp))), std::u32string(1, cp));
  }
}

TEST(Unicode, LowerCaseCharacterByCharacterAsBertTokenizerFast) {
  using bertscope::unicode::to_lower;
  // Values as Rust's char::to_lowercase gives them, which today's BertTokenizerFast uses.
  EXPECT_EQ(to_lower(U"\u0130"), U"i\u0307");
  // A final capital sigma becomes σ, not ς: there is no Final_Sigma context rule (Python's
  // str.lower(), which the 2019 BertTokenizer used, gave "οδος").
  EXPECT_EQ(to_lower(U"\u039f\u0394\u039f\u03a3"), U"\u03bf\u03b4\u03bf\u03c3");
  EXPECT_EQ(to_lower(U"\u03a3\u0391"), U"\u03c3\u03b1");
  EXPECT_EQ(to_lower(U"\u0391\u03a3."), U"\u03b1\u03c3.");
  EXPECT_EQ(to_lower(U"\u01c5"), U"\u01c6");
}

// tokenizer_config.json's strip_accents and tokenize_chinese_chars, as BertNormalizer applies
// them: accents stripped (strip_accents, or do_lower_case when it is null), then lower case;
// CJK ideographs split into words of their own only with tokenize_chinese_chars.
TEST(BasicTokenizer, HonoursStripAccentsAndTokenizeChineseChars) {
  const std::u32string text = U"Cr\u00e8me \u039f\u0394\u039f\u03a3 \u4e2d\u6587";
  const auto words = [&](TokenizerOptions options) { return basic_tokenize(text, options, {}); };
  using Words = std::vector<std::u32string>;
  EXPECT_EQ(words({true, true, true}), (Words{U"creme", U"\u03bf\u03b4\u03bf\u03c3", U"\u4e2d", U"\u6587"}));
  EXPECT_EQ(words({true, false, true}), (Words{U"cr\u00e8me", U"\u03bf\u03b4\u03bf\u03c3", U"\u4e2d", U"\u6587"}));
  EXPECT_EQ(words({false, true, true}), (Words{U"Creme", U"\u039f\u0394\u039f\u03a3", U"\u4e2d", U"\u6587"}));
  EXPECT_EQ(words({false, false, false}), (Words{U"Cr\u00e8me", U"\u039f\u0394\u039f\u03a3", U"\u4e2d\u6587"}));
  EXPECT_EQ(words(TokenizerOptions::for_lower_case(true)), words({true, true, true}));
  EXPECT_EQ(words(TokenizerOptions::for_lower_case(false)), words({false, false, true}));
}

TEST(Vocab, LoadsReferenceVocabulary) {
  const Vocab& v = reference_vocab();
  EXPECT_EQ(v.size(), 30522);
  EXPECT_EQ(v.pad_id(), 0);
  EXPECT_EQ(v.unk_id(), 100);
  EXPECT_EQ(v.cls_id(), 101);
  EXPECT_EQ(v.sep_id(), 102);
  EXPECT_EQ(v.mask_id(), 103);
  EXPECT_EQ(v.token(103), "[MASK]");
  EXPECT_FALSE(v.find("not-a-token-here").has_value());
}

TEST(Vocab, LineEndingsAsPythonReadlines) {
  // "\r\n" and a lone "\r" end lines too; other whitespace stays in the token.
  bertscope::test::TempDir dir;
  const std::string path = dir.write("vocab.txt", "[PAD]\r\n[UNK]\r[CLS]\n[SEP]\n[MASK]\n a\t\nlast");
  const Vocab v = Vocab::load(path);
  EXPECT_EQ(v.size(), 7);
  EXPECT_EQ(v.unk_id(), 1);
  EXPECT_EQ(v.mask_id(), 4);
  EXPECT_EQ(v.find(" a\t"), 5);
  EXPECT_EQ(v.find("last"), 6);
}

TEST(Vocab, MissingFile) {
  bertscope::test::TempDir dir;
  const std::string path = dir.file("nope.txt");
  const std::string msg = error_of([&] { Vocab::load(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
}

TEST(Vocab, EmptyFile) {
  bertscope::test::TempDir dir;
  const std::string path = dir.write("empty.txt", "");
  const std::string msg = error_of([&] { Vocab::load(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
}

TEST(Vocab, DuplicateLine) {
  bertscope::test::TempDir dir;
  const std::string path = dir.write("dup.txt", kSpecials + "hello\nworld\nhello\n");
  const std::string msg = error_of([&] { Vocab::load(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("duplicate"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"hello\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 6"), std::string::npos) << msg;
}

TEST(Vocab, MissingMask) {
  bertscope::test::TempDir dir;
  const std::string path = dir.write("nomask.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");
  const std::string msg = error_of([&] { Vocab::load(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("[MASK]"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("[PAD]"), std::string::npos) << msg;
}

TEST(Vocab, AbsurdLineAndBadUtf8) {
  bertscope::test::TempDir dir;
  const std::string long_path = dir.write("long.txt", kSpecials + std::string(5000, 'x') + "\n");
  std::string msg = error_of([&] { Vocab::load(long_path); });
  EXPECT_NE(msg.find(long_path), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 6"), std::string::npos) << msg;

  const std::string bad_path = dir.write("bad.txt", kSpecials + "ok\nbad\xff\n");
  msg = error_of([&] { Vocab::load(bad_path); });
  EXPECT_NE(msg.find(bad_path), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 7"), std::string::npos) << msg;
  EXPECT_NE(msg.find("UTF-8"), std::string::npos) << msg;
}

TEST(Vocab, DirectoryIsNotAFile) {
  bertscope::test::TempDir dir;
  fs::create_directories(dir.file("sub"));
  const std::string msg = error_of([&] { Vocab::load(dir.file("sub")); });
  EXPECT_NE(msg.find(dir.file("sub")), std::string::npos) << msg;
}

TEST(Vocab, ExtraEmbeddingRowsGetNamesThatNoTextTokenizesTo) {
  Vocab v = Vocab::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "id", "5"}, "v.txt");
  v.name_extra_rows(10);
  ASSERT_EQ(v.size(), 10);
  EXPECT_EQ(v.token(6), "5");
  EXPECT_EQ(v.token(7), "[id 7]");
  EXPECT_EQ(v.token(9), "[id 9]");
  EXPECT_EQ(v.find("[id 7]"), std::nullopt);
  v.name_extra_rows(8);  // fewer rows than it has: nothing changes
  EXPECT_EQ(v.size(), 10);
  const Tokenizer tokenizer(std::move(v), true);
  EXPECT_EQ(tokenizer.tokenize("[id 7]").tokens, (std::vector<std::string>{"[UNK]", "id", "[UNK]", "[UNK]"}));
}
