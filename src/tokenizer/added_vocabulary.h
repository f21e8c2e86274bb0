#pragma once
// tokenizer.json "added_tokens", matched as tokenizers' AddedVocabulary does: tokens with
// normalized=false are found in the raw text first; the rest of the text is normalized
// piece by piece and tokens with normalized=true are then found in it (their own content
// normalized the same way). Matching is leftmost-longest; single_word requires no word
// character on either side; lstrip/rstrip take the whitespace on that side into the token
// (so RoBERTa's "a <mask>" yields the token " <mask>").
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/json_spec.h"
#include "tokenizer/normalizers.h"

namespace bertscope {

struct AddedToken {
  std::string content;
  int id = -1;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

// A stretch of the input after added tokens are cut out: an added token (id >= 0, text as
// matched, stripped whitespace included) or normalized text for the pre-tokenizer.
struct TextSegment {
  std::string text;
  int id = -1;
  bool at_start = false;  // begins at the start of the input
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `spec` is tokenizer.json's "added_tokens" array.
  AddedVocabulary(const JsonSpec& spec, const Normalizer* normalizer);

  std::vector<TextSegment> extract_and_normalize(std::string_view text, const Normalizer* normalizer) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedToken* find_id(int id) const;

 private:
  // Patterns of one matching pass, bucketed by first byte.
  struct Matcher {
    std::vector<std::string> patterns;
    std::vector<size_t> token_index;  // into tokens_
    std::vector<std::vector<size_t>> by_first_byte = std::vector<std::vector<size_t>>(256);
    void add(std::string pattern, size_t token);
  };
  void split(const TextSegment& segment, const Matcher& matcher, std::vector<TextSegment>& out) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int, size_t> by_id_;
  Matcher raw_;
  Matcher normalized_;
};

}  // namespace bertscope
