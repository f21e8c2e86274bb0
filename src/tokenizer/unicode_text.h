#pragma once
// The pieces of Python's Unicode behaviour that HuggingFace's BertTokenizer relies on,
// on code points (std::u32string): UTF-8 decoding, the character classes of
// tokenization_bert.py, str.lower(), str.split() whitespace, and NFD accent stripping.
// Character properties come from utf8proc, so they follow its Unicode version.
#include <string>
#include <string_view>
#include <vector>

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

// The character classes of the Rust `tokenizers` library (tokenizer.json pipelines).
// Rust `char::is_whitespace`: the Unicode White_Space property.
bool is_white_space(char32_t cp);
// Rust `char::is_numeric`: categories Nd, Nl, No.
bool is_numeric(char32_t cp);
// Regex `\w` as the Rust regex crate has it: letters, marks, Nd, Nl, Pc, joiners.
bool is_word_char(char32_t cp);
// General category M* (Mn, Mc, Me): what the StripAccents normalizer removes.
bool is_mark(char32_t cp);
// General category Mn: what BertNormalizer's strip_accents removes after NFD.
bool is_nonspacing_mark(char32_t cp);

enum class NormalForm { NFC, NFD, NFKC, NFKD };
// The Unicode normal form of well-formed UTF-8 (utf8proc's tables).
std::string normalize(std::string_view utf8, NormalForm form);

// Byte offsets where the extended grapheme clusters of well-formed UTF-8 start, plus
// utf8.size() at the end (so cluster k is [starts[k], starts[k+1])).
std::vector<size_t> grapheme_starts(std::string_view utf8);

// The code point at bytes[i], advancing i past it (U+FFFD and one maximal subpart for an
// ill-formed sequence, as decode_utf8).
char32_t next_code_point(std::string_view bytes, size_t& i);

// Length in bytes of the UTF-8 sequence that starts with `lead` (1 for a stray byte).
size_t utf8_length(unsigned char lead);

}  // namespace bertscope::unicode
