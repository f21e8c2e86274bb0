// BPE as tokenizers' models/bpe: a word starts as its characters (unknown ones become
// byte-fallback tokens <0xAB>, or unk, fused when fuse_unk; with neither they are
// dropped), then the adjacent pair of lowest merge rank is merged, leftmost first, until
// no ranked pair is left.
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/json_preview.h"
#include "tokenizer/token_models.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

uint64_t pair_key(int left, int right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

class BpeModel final : public TokenModel {
 public:
  explicit BpeModel(const JsonSpec& spec)
      : prefix_(spec.string("continuing_subword_prefix", "")),
        suffix_(spec.string("end_of_word_suffix", "")),
        fuse_unk_(spec.boolean("fuse_unk", false)),
        byte_fallback_(spec.boolean("byte_fallback", false)),
        ignore_merges_(spec.boolean("ignore_merges", false)) {
    if (spec.has("dropout") && spec.at("dropout").is_number() && spec.at("dropout").get<double>() > 0.0) {
      spec.fail("dropout " + json_preview(spec.at("dropout")) +
                " makes tokenization random; bertscope needs deterministic tokens");
    }
    read_vocab_object(spec, "vocab", table_);
    if (spec.has("unk_token")) {
      const std::string unk = spec.string("unk_token");
      const auto id = table_.find(unk);
      if (!id) spec.fail("unk_token \"" + unk + "\" is not in the vocabulary");
      unk_id_ = *id;
    }
    read_merges(spec);
  }

  int unk_id() const override { return unk_id_; }

  void tokenize(std::string_view word, ModelOutput& out) const override {
    if (word.empty()) return;
    if (ignore_merges_) {
      if (const auto id = table_.find(word)) {
        out.ids.push_back(*id);
        out.tokens.emplace_back(word);
        return;
      }
    }
    std::vector<Symbol> symbols = initial_symbols(word);
    merge_all(symbols);
    for (const Symbol& s : symbols) {
      if (s.removed) continue;
      out.ids.push_back(s.id);
      out.tokens.push_back(*table_.token(s.id));
    }
  }

 private:
  struct Symbol {
    int id;
    int prev;
    int next;
    bool removed = false;
  };
  struct Merge {
    int rank;
    int new_id;
  };
  struct Candidate {
    int rank;
    int pos;
    int new_id;
    // std::priority_queue pops the largest: make that the lowest rank, then the leftmost.
    bool operator<(const Candidate& other) const {
      if (rank != other.rank) return rank > other.rank;
      return pos > other.pos;
    }
  };

  void read_merges(const JsonSpec& spec) {
    const nlohmann::json& merges = spec.at("merges");
    if (!merges.is_array()) spec.fail("field \"merges\" must be an array");
    int rank = 0;
    for (const nlohmann::json& merge : merges) {
      std::string left, right;
      if (merge.is_string()) {
        // The older "a b" form: exactly one space.
        const std::string text = merge.get<std::string>();
        const size_t space = text.find(' ');
        if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
          spec.fail("merge " + std::to_string(rank) + " \"" + text + "\" is not two tokens separated by one space");
        }
        left = text.substr(0, space);
        right = text.substr(space + 1);
      } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
        left = merge[0].get<std::string>();
        right = merge[1].get<std::string>();
      } else {
        spec.fail("merge " + std::to_string(rank) + " is " + json_preview(merge) +
                  "; expected \"a b\" or [\"a\", \"b\"]");
      }
      const auto left_id = table_.find(left);
      const auto right_id = table_.find(right);
      if (!left_id || !right_id) {
        spec.fail("merge " + std::to_string(rank) + " (\"" + left + "\", \"" + right + "\") names token \"" +
                  (left_id ? right : left) + "\", which is not in the vocabulary");
      }
      std::string_view tail = right;
      if (!prefix_.empty() && tail.starts_with(prefix_)) tail.remove_prefix(prefix_.size());
      const std::string merged = left + std::string(tail);
      const auto merged_id = table_.find(merged);
      if (!merged_id) {
        spec.fail("merge " + std::to_string(rank) + " (\"" + left + "\", \"" + right + "\") makes \"" + merged +
                  "\", which is not in the vocabulary");
      }
      // A pair listed twice keeps its later rank, as the library's map does.
      merges_.insert_or_assign(pair_key(*left_id, *right_id), Merge{rank, *merged_id});
      ++rank;
    }
  }

  std::vector<Symbol> initial_symbols(std::string_view word) const {
    std::vector<Symbol> symbols;
    auto push = [&](int id) {
      const int pos = static_cast<int>(symbols.size());
      symbols.push_back({id, pos - 1, pos + 1});
    };
    int pending_unk = -1;  // an unk waiting to be pushed (it may absorb more); -1: none
    std::string piece;
    size_t i = 0;
    while (i < word.size()) {
      const size_t start = i;
      unicode::next_code_point(word, i);
      piece.assign(start > 0 ? prefix_ : "");
      piece.append(word.substr(start, i - start));
      if (i == word.size()) piece += suffix_;
      if (const auto id = table_.find(piece)) {
        if (pending_unk >= 0) push(pending_unk);
        pending_unk = -1;
        push(*id);
        continue;
      }
      if (byte_fallback_ && push_bytes(piece, push)) continue;
      if (unk_id_ >= 0) {
        // fuse_unk: consecutive unknown characters share one unk.
        if (pending_unk >= 0 && !fuse_unk_) push(pending_unk);
        pending_unk = unk_id_;
      }
    }
    if (pending_unk >= 0) push(pending_unk);
    if (!symbols.empty()) symbols.back().next = -1;
    return symbols;
  }

  // <0xAB> for every byte of `piece` when the vocabulary has them all (else nothing).
  template <typename Push>
  bool push_bytes(const std::string& piece, Push& push) const {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::vector<int> ids;
    for (char c : piece) {
      const auto b = static_cast<unsigned char>(c);
      const std::string name = std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">";
      const auto id = table_.find(name);
      if (!id) return false;
      ids.push_back(*id);
    }
    for (int id : ids) push(id);
    return true;
  }

  void merge_all(std::vector<Symbol>& symbols) const {
    std::priority_queue<Candidate> queue;
    auto consider = [&](int pos) {
      const int next = symbols[static_cast<size_t>(pos)].next;
      if (next < 0) return;
      const auto it = merges_.find(pair_key(symbols[static_cast<size_t>(pos)].id, symbols[static_cast<size_t>(next)].id));
      if (it != merges_.end()) queue.push({it->second.rank, pos, it->second.new_id});
    };
    for (int pos = 0; pos + 1 < static_cast<int>(symbols.size()); ++pos) consider(pos);
    while (!queue.empty()) {
      const Candidate top = queue.top();
      queue.pop();
      Symbol& left = symbols[static_cast<size_t>(top.pos)];
      if (left.removed || left.next < 0) continue;
      Symbol& right = symbols[static_cast<size_t>(left.next)];
      // Stale entries (a side has merged since) no longer name this pair's result.
      const auto it = merges_.find(pair_key(left.id, right.id));
      if (it == merges_.end() || it->second.new_id != top.new_id) continue;
      left.id = top.new_id;
      right.removed = true;
      left.next = right.next;
      if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.pos;
      if (left.prev >= 0) consider(left.prev);
      consider(top.pos);
    }
  }

  std::string prefix_;
  std::string suffix_;
  bool fuse_unk_, byte_fallback_, ignore_merges_;
  int unk_id_ = -1;
  std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace

std::unique_ptr<TokenModel> make_bpe_model(const JsonSpec& spec) { return std::make_unique<BpeModel>(spec); }

}  // namespace bertscope
