#pragma once
// tokenizer.json "pre_tokenizer": how each normalized stretch of text is cut into the
// words that the model then tokenizes one by one, as the Rust tokenizers library does it.
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/json_spec.h"

namespace bertscope {

// One word in the making. `at_start` marks the piece that begins the input text (what
// Metaspace's prepend_scheme "first" looks at).
struct PreToken {
  std::string text;
  bool at_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Appends the pieces `piece` becomes to `out` (empty pieces are dropped).
  virtual void split(const PreToken& piece, std::vector<PreToken>& out) const = 0;
};

// BertPreTokenizer, ByteLevel, Metaspace, Whitespace, WhitespaceSplit, Split, Punctuation,
// Digits, CharDelimiterSplit and Sequence; Error naming the file for anything else.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonSpec& spec);

// GPT-2's byte <-> printable character table (bytes_to_unicode), shared with the decoder.
const std::string& byte_level_char(unsigned char byte);
// The byte a ByteLevel character stands for, or -1 when `cp` is not one of them.
int byte_level_byte(char32_t cp);

}  // namespace bertscope
