#pragma once
// Exact re-implementation of HuggingFace BertTokenizer (slow, Python) on UTF-8 text:
// special tokens split out first, BasicTokenizer (clean, CJK spacing, lower case +
// accent stripping, punctuation split), then greedy longest-match WordPiece.
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace bertscope {

struct Encoding {
  std::vector<std::string> tokens;  // word pieces, in order
  std::vector<int> ids;             // their vocabulary ids
};

class Tokenizer {
 public:
  Tokenizer(Vocab vocab, bool do_lower_case);

  // Word pieces of `text`, without [CLS]/[SEP] (HF tokenizer.tokenize()).
  Encoding tokenize(std::string_view text) const;
  // [CLS] pieces [SEP] (HF tokenizer(text)["input_ids"]).
  Encoding encode(std::string_view text) const;

  const Vocab& vocab() const { return vocab_; }
  bool do_lower_case() const { return do_lower_case_; }

 private:
  Vocab vocab_;
  bool do_lower_case_;
};

}  // namespace bertscope
