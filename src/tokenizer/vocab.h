#pragma once
// A tokenizer's vocabulary: token <-> id, and which ids are the special tokens. From a
// WordPiece vocab.txt (one token a line, id = line number, as HuggingFace's load_vocab),
// or from a tokenizer.json (model vocabulary plus added tokens), where any special token
// may be absent (GPT-2 has no mask, pad, cls or sep): its id is then -1.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bertscope {

// The special tokens' strings, as tokenizer_config.json / special_tokens_map.json name
// them; "" when the tokenizer has none.
struct SpecialTokenNames {
  std::string unk, cls, sep, pad, mask, bos, eos;
};

class Vocab {
 public:
  // Throws Error naming the file when it is missing, empty, has duplicate tokens,
  // or lacks one of the special tokens [PAD] [UNK] [CLS] [SEP] [MASK].
  static Vocab load(const std::string& path);
  static Vocab from_tokens(std::vector<std::string> tokens, const std::string& origin);
  // tokens[id] for every id ("" for an id nothing uses, named "[id N]"); no special token is required, and
  // a name in `specials` missing from `tokens` gives -1. A string under two ids is found as
  // the first. Throws Error naming `origin` when empty or too large.
  static Vocab from_id_tokens(std::vector<std::string> tokens, const SpecialTokenNames& specials,
                              const std::string& origin);

  // Names ids size() .. rows - 1 "[id N]": embedding rows a checkpoint has beyond its
  // vocabulary. A prediction can land on one, and results name every predicted id. find()
  // never returns them, and no text tokenizes to them (a word never holds a space).
  void name_extra_rows(int rows);

  std::optional<int> find(std::string_view token) const;
  const std::string& token(int id) const { return tokens_.at(static_cast<size_t>(id)); }
  int size() const { return static_cast<int>(tokens_.size()); }

  int unk_id() const { return unk_; }
  int cls_id() const { return cls_; }
  int sep_id() const { return sep_; }
  int pad_id() const { return pad_; }
  int mask_id() const { return mask_; }
  int bos_id() const { return bos_; }
  int eos_id() const { return eos_; }

 private:
  // Transparent, so that find(string_view) looks up without building a std::string:
  // WordPiece probes the vocabulary for every candidate substring.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> ids_;
  int unk_ = -1, cls_ = -1, sep_ = -1, pad_ = -1, mask_ = -1, bos_ = -1, eos_ = -1;
};

}  // namespace bertscope
