// WordPiece as tokenizers' models/wordpiece: greedy longest-match-first, pieces after the
// first carry continuing_subword_prefix, and a word that cannot be covered (or is longer
// than max_input_chars_per_word characters) becomes the single unk token.
#include <string>

#include "tokenizer/token_models.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

class WordPieceModel final : public TokenModel {
 public:
  explicit WordPieceModel(const JsonSpec& spec)
      : unk_token_(spec.string("unk_token", "[UNK]")),
        prefix_(spec.string("continuing_subword_prefix", "##")),
        max_chars_(spec.integer("max_input_chars_per_word", 100)) {
    read_vocab_object(spec, "vocab", table_);
    const auto unk = table_.find(unk_token_);
    if (!unk) spec.fail("unk_token \"" + unk_token_ + "\" is not in the vocabulary");
    unk_id_ = *unk;
  }

  int unk_id() const override { return unk_id_; }

  void tokenize(std::string_view word, ModelOutput& out) const override {
    if (word.empty()) return;
    // Character boundaries: candidates shrink one character at a time from the right.
    std::vector<size_t> bounds;
    for (size_t i = 0; i < word.size();) {
      bounds.push_back(i);
      unicode::next_code_point(word, i);
    }
    bounds.push_back(word.size());
    const size_t chars = bounds.size() - 1;
    const size_t first = out.ids.size();
    if (static_cast<int64_t>(chars) > max_chars_) {
      push_unk(out, first);
      return;
    }
    std::string candidate;
    size_t start = 0;  // index into bounds
    while (start < chars) {
      size_t end = chars;
      int id = -1;
      for (; end > start; --end) {
        candidate.assign(start > 0 ? prefix_ : "");
        candidate.append(word.substr(bounds[start], bounds[end] - bounds[start]));
        if (const auto found = table_.find(candidate)) {
          id = *found;
          break;
        }
      }
      if (id < 0) {
        push_unk(out, first);
        return;
      }
      out.ids.push_back(id);
      out.tokens.push_back(candidate);
      start = end;
    }
  }

 private:
  void push_unk(ModelOutput& out, size_t first) const {
    out.ids.resize(first);
    out.tokens.resize(first);
    out.ids.push_back(unk_id_);
    out.tokens.push_back(unk_token_);
  }

  std::string unk_token_;
  std::string prefix_;
  int64_t max_chars_;
  int unk_id_ = -1;
};

}  // namespace

std::unique_ptr<TokenModel> make_wordpiece_model(const JsonSpec& spec) { return std::make_unique<WordPieceModel>(spec); }

}  // namespace bertscope
