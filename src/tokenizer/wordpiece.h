#pragma once
// HF WordpieceTokenizer: greedy longest-match-first over one word, "##" marking
// pieces that continue a word.
#include <cstddef>
#include <string_view>

#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace bertscope {

// HF's max_input_chars_per_word: longer words become [UNK] without being searched.
inline constexpr size_t kMaxWordChars = 100;

// Appends the pieces of `word` to `out`, or a single [UNK] when the word is too long
// or some remainder of it matches no vocabulary entry.
void wordpiece(const Vocab& vocab, std::u32string_view word, Encoding& out);

}  // namespace bertscope
