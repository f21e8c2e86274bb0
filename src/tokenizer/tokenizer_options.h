#pragma once
// The tokenizer_config.json settings that change tokenization, as booleans resolved from
// HuggingFace's defaults (weights/model_dir.h reads the file).

namespace bertscope {

// How text is normalised before WordPiece, as BertTokenizerFast's BertNormalizer does it.
struct TokenizerOptions {
  bool lower_case = true;     // do_lower_case
  bool strip_accents = true;  // strip_accents; HuggingFace's null means "as lower_case"
  bool split_cjk = true;      // tokenize_chinese_chars: each CJK ideograph a word of its own

  // do_lower_case alone: accents stripped when lower-casing, CJK split.
  static TokenizerOptions for_lower_case(bool lower_case) { return {lower_case, lower_case, true}; }
};

}  // namespace bertscope
