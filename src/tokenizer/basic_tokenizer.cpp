#include "tokenizer/basic_tokenizer.h"

#include <algorithm>

#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

// HF `_clean_text` and `_tokenize_chinese_chars`, in one pass.
std::u32string clean_and_space_cjk(std::u32string_view text, bool split_cjk) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t cp : text) {
    if (cp == 0 || cp == unicode::kReplacement || unicode::is_bert_control(cp)) continue;
    if (unicode::is_bert_whitespace(cp)) {
      out.push_back(U' ');
    } else if (split_cjk && unicode::is_cjk_ideograph(cp)) {
      out.push_back(U' ');
      out.push_back(cp);
      out.push_back(U' ');
    } else {
      out.push_back(cp);
    }
  }
  return out;
}

// Python `str.split()`: cleaning has turned most whitespace into spaces, but it keeps
// U+2028/U+2029 (category Zl/Zp, neither "whitespace" nor "control" to HF), on which
// str.split() still splits.
std::vector<std::u32string_view> split_whitespace(std::u32string_view text) {
  std::vector<std::u32string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && unicode::is_python_space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !unicode::is_python_space(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

// HF `_run_split_on_punc`: each punctuation character is a word of its own.
void split_on_punctuation(std::u32string_view word, std::vector<std::u32string>& out) {
  size_t start = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    if (!unicode::is_bert_punctuation(word[i])) continue;
    if (i > start) out.emplace_back(word.substr(start, i - start));
    out.emplace_back(word.substr(i, 1));
    start = i + 1;
  }
  if (start < word.size()) out.emplace_back(word.substr(start));
}

}  // namespace

std::vector<std::u32string> basic_tokenize(std::u32string_view text, const TokenizerOptions& options,
                                           std::span<const std::u32string_view> never_split) {
  const std::u32string cleaned = clean_and_space_cjk(text, options.split_cjk);
  std::vector<std::u32string> out;
  for (std::u32string_view word : split_whitespace(cleaned)) {
    if (std::find(never_split.begin(), never_split.end(), word) != never_split.end()) {
      out.emplace_back(word);
      continue;
    }
    // BertNormalizer's order: accents stripped, then lower case (character by character).
    // Stripping may leave nothing (a lone combining mark); that word vanishes.
    std::u32string folded(word);
    if (options.strip_accents) folded = unicode::strip_accents(folded);
    if (options.lower_case) folded = unicode::to_lower(folded);
    split_on_punctuation(folded, out);
  }
  return out;
}

}  // namespace bertscope
