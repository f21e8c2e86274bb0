#pragma once
// tokenizer.json "model": the vocabulary and the algorithm that turns one pre-tokenized
// word into tokens: WordPiece (greedy longest match), BPE (ranked merges) or Unigram
// (Viterbi over piece scores), each as the Rust tokenizers library runs it.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/json_spec.h"

namespace bertscope {

// Token strings <-> ids of a model's own vocabulary (added tokens live elsewhere).
class TokenTable {
 public:
  // Throws via `spec` on a negative id or one taken twice.
  void add(const std::string& token, int64_t id, const JsonSpec& spec);
  std::optional<int> find(std::string_view token) const;
  // The token of `id`, or nullptr when the vocabulary has no such id.
  const std::string* token(int id) const;
  // One past the largest id.
  int end_id() const { return static_cast<int>(tokens_.size()); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> tokens_;
  std::vector<bool> present_;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> ids_;
};

// What a model makes of one word: ids, and the token strings the library reports
// (for Unigram an unknown piece keeps its own text, not "<unk>").
struct ModelOutput {
  std::vector<int> ids;
  std::vector<std::string> tokens;
};

class TokenModel {
 public:
  virtual ~TokenModel() = default;
  virtual void tokenize(std::string_view word, ModelOutput& out) const = 0;
  const TokenTable& table() const { return table_; }
  // The unknown token's id, or -1 when the model has none.
  virtual int unk_id() const = 0;

 protected:
  TokenTable table_;
};

// WordPiece, BPE or Unigram; Error naming the file for anything else or a bad field.
std::unique_ptr<TokenModel> make_token_model(const JsonSpec& spec);
std::unique_ptr<TokenModel> make_wordpiece_model(const JsonSpec& spec);
std::unique_ptr<TokenModel> make_bpe_model(const JsonSpec& spec);
std::unique_ptr<TokenModel> make_unigram_model(const JsonSpec& spec);

// Fills `table` from a {"token": id, ...} object (WordPiece and BPE vocabularies).
void read_vocab_object(const JsonSpec& spec, const char* key, TokenTable& table);

}  // namespace bertscope
