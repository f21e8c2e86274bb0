#pragma once
// tokenizer.json "decoder": tokens back to text, for display (Tokenizer::decode), as the
// Rust tokenizers library's decode_chain: ByteLevel, Metaspace, WordPiece, BPEDecoder,
// ByteFallback, Fuse, Strip, Replace and Sequence.
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/json_spec.h"

namespace bertscope {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the tokens in place; decode() joins what is left.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  std::string decode(std::vector<std::string> tokens) const;
};

std::unique_ptr<Decoder> make_decoder(const JsonSpec& spec);

}  // namespace bertscope
