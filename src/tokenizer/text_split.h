#pragma once
// Splitting a string by a pattern, as the Rust tokenizers library's
// NormalizedString::split does for its pre-tokenizers: the pattern cuts the text into
// alternating matched / unmatched runs, and a SplitBehavior says what becomes of the
// matches (dropped, kept alone, glued to a neighbour, runs of them fused).
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/regex.h"

namespace bertscope {

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// One run of the text: [start, end) bytes, and whether the pattern matched it.
struct TextRun {
  size_t start = 0;
  size_t end = 0;
  bool matched = false;
};

// Runs covering all of `text` (an empty text is one unmatched empty run).
std::vector<TextRun> regex_runs(const Regex& regex, std::string_view text);
// Every occurrence of `pattern` (non-overlapping, left to right); an empty pattern matches nothing.
std::vector<TextRun> string_runs(std::string_view pattern, std::string_view text);
// Each character for which `matches` holds is a matched run of its own.
std::vector<TextRun> char_runs(std::string_view text, const std::function<bool(char32_t)>& matches);

// A piece of a split: its text and where it starts in the string that was split.
struct TextPiece {
  std::string text;
  size_t start = 0;
};

// The pieces `behavior` makes of `runs` (with `invert`, matched and unmatched swap
// roles first). Empty pieces are dropped, as the library drops them.
std::vector<TextPiece> split_runs(std::string_view text, std::vector<TextRun> runs, SplitBehavior behavior,
                                  bool invert = false);

}  // namespace bertscope
