#pragma once
// HF BasicTokenizer / BertNormalizer + BertPreTokenizer: clean the text, space out CJK
// ideographs (options.split_cjk), split on whitespace, optionally strip accents and
// lower-case, then split off every punctuation character.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer_options.h"

namespace bertscope {

// `never_split` words (the special tokens) are kept whole and as written when a
// whitespace-separated word equals one, which text cleaning can bring about
// ("[MA\x07SK]" becomes "[MASK]").
std::vector<std::u32string> basic_tokenize(std::u32string_view text, const TokenizerOptions& options,
                                           std::span<const std::u32string_view> never_split);

}  // namespace bertscope
