#pragma once
// SentencePiece's precompiled_charsmap, as the "Precompiled" normalizer of tokenizer.json
// carries it (base64): a little-endian u32 byte size of a Darts double-array trie, the trie's
// u32 units, then NUL-terminated replacement strings that the trie's values point into.
// Semantics of HF tokenizers' normalizers/precompiled.rs + the spm_precompiled crate: each
// grapheme cluster under 6 bytes is replaced whole when the trie knows a prefix of it;
// otherwise each of its characters is looked up alone.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertscope {

class PrecompiledCharsmap {
 public:
  // Throws Error naming `origin` when the base64 or the layout is invalid.
  PrecompiledCharsmap(std::string_view base64, const std::string& origin);

  void normalize(std::string& text) const;

 private:
  // The replacement for the shortest prefix of `key` that the trie holds (false when none).
  bool lookup(std::string_view key, std::string_view& replacement) const;

  std::vector<uint32_t> units_;
  std::string normalized_;
};

}  // namespace bertscope
