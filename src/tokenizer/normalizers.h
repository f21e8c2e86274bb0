#pragma once
// tokenizer.json "normalizer": the text rewrites applied (after added tokens are cut out)
// to each remaining stretch of the input, exactly as the Rust tokenizers library does.
// Offsets are not tracked: bertscope needs the ids and tokens only.
#include <memory>
#include <string>

#include "tokenizer/json_spec.h"

namespace bertscope {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // `text` is well-formed UTF-8, and stays so.
  virtual void normalize(std::string& text) const = 0;
  // Whether the text comes out lower-cased (Lowercase, BertNormalizer lowercase), for
  // Tokenizer::do_lower_case().
  virtual bool lower_cases() const { return false; }
};

// BertNormalizer, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend,
// Precompiled and Sequence. Throws Error naming the file for any other type or a bad field.
std::unique_ptr<Normalizer> make_normalizer(const JsonSpec& spec);

}  // namespace bertscope
