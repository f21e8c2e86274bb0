#pragma once
// The pieces of Python's Unicode behaviour that HuggingFace's BertTokenizer relies on,
// on code points (std::u32string): UTF-8 decoding, the character classes of
// tokenization_bert.py, str.lower(), str.split() whitespace, and NFD accent stripping.
// Character properties come from utf8proc, so they follow its Unicode version.
#include <string>
#include <string_view>

namespace bertscope::unicode {

inline constexpr char32_t kReplacement = 0xFFFD;

// Never fails: each ill-formed sequence (bad lead byte, truncated sequence, overlong
// form, surrogate, value above U+10FFFF) becomes one U+FFFD per maximal subpart, as
// the Unicode standard recommends and Python's errors="replace" does.
std::u32string decode_utf8(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);

void append_utf8(std::string& out, char32_t cp);
std::string encode_utf8(std::u32string_view text);

// HF `_is_whitespace`: space, \t, \n, \r, or category Zs.
bool is_bert_whitespace(char32_t cp);
// HF `_is_control`: category C* except \t, \n, \r (which are whitespace there).
bool is_bert_control(char32_t cp);
// HF `_is_punctuation`: the ASCII non-alphanumeric symbols, or category P*.
bool is_bert_punctuation(char32_t cp);
// HF `_is_chinese_char`: the CJK Unified Ideographs blocks (not Hangul, kana, ...).
bool is_cjk_ideograph(char32_t cp);
// Python `str.isspace()`, which is what `str.split()` splits on.
bool is_python_space(char32_t cp);

// Lower case as BertTokenizerFast (the Rust `tokenizers` BertNormalizer, char::to_lowercase)
// does it: character by character, with the full mapping (U+0130 becomes "i" U+0307). So a
// final capital sigma becomes σ, where Python's str.lower() of the 2019 BertTokenizer gave ς.
std::u32string to_lower(std::u32string_view text);

// HF `_run_strip_accents`: NFD, then drop every nonspacing mark (category Mn).
std::u32string strip_accents(std::u32string_view text);

}  // namespace bertscope::unicode
