#pragma once
// Exact re-implementation of HuggingFace's BERT tokenizer as AutoTokenizer gives it today
// (BertTokenizerFast) on UTF-8 text: special tokens split out first, then BertNormalizer
// (clean, CJK spacing, accent stripping, lower case, each as tokenizer_config.json says),
// the punctuation split, and greedy longest-match WordPiece. It differs from the 2019
// Python BertTokenizer only in lower-casing character by character (a final capital sigma
// becomes σ, not ς).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer_options.h"
#include "tokenizer/vocab.h"

namespace bertscope {

struct Encoding {
  std::vector<std::string> tokens;  // word pieces, in order
  std::vector<int> ids;             // their vocabulary ids
};

class Tokenizer {
 public:
  Tokenizer(Vocab vocab, TokenizerOptions options);
  Tokenizer(Vocab vocab, bool do_lower_case) : Tokenizer(std::move(vocab), TokenizerOptions::for_lower_case(do_lower_case)) {}

  // Word pieces of `text`, without [CLS]/[SEP] (HF tokenizer.tokenize()).
  Encoding tokenize(std::string_view text) const;
  // [CLS] pieces [SEP] (HF tokenizer(text)["input_ids"]).
  Encoding encode(std::string_view text) const;

  const Vocab& vocab() const { return vocab_; }
  bool do_lower_case() const { return options_.lower_case; }
  const TokenizerOptions& options() const { return options_; }

 private:
  Vocab vocab_;
  TokenizerOptions options_;
};

}  // namespace bertscope
