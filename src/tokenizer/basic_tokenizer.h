#pragma once
// HF BasicTokenizer: clean the text, space out CJK ideographs, split on whitespace,
// optionally lower-case and strip accents, then split off every punctuation character.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bertscope {

// `never_split` words (the special tokens) are kept whole and as written when a
// whitespace-separated word equals one, which text cleaning can bring about
// ("[MA\x07SK]" becomes "[MASK]").
std::vector<std::u32string> basic_tokenize(std::u32string_view text, bool do_lower_case,
                                           std::span<const std::u32string_view> never_split);

}  // namespace bertscope
