// Unigram as tokenizers' models/unigram (encode_optimized): the best segmentation by
// the sum of piece log-probabilities, found left to right over character positions. A
// character no piece covers alone is an unk node scoring min_score - 10; consecutive unk
// nodes fuse into one token whose text is the original characters. With byte_fallback an
// unknown piece becomes its <0xAB> byte tokens when the vocabulary has them all.
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/json_preview.h"
#include "tokenizer/token_models.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

constexpr double kUnkPenalty = 10.0;

// A byte trie over the pieces, for "every piece that starts here" in one walk.
class PieceTrie {
 public:
  PieceTrie() : nodes_(1) { root_.fill(-1); }
  void insert(std::string_view key, int id) {
    size_t node = 0;
    for (char c : key) {
      const auto byte = static_cast<unsigned char>(c);
      int child = find_child(node, byte);
      if (child < 0) {
        child = static_cast<int>(nodes_.size());
        nodes_[node].children.emplace_back(byte, child);
        if (node == 0) root_[byte] = child;
        nodes_.emplace_back();
      }
      node = static_cast<size_t>(child);
    }
    nodes_[node].id = id;
  }
  // Calls visit(length, id) for each piece that is a prefix of `text`, shortest first.
  template <typename Visit>
  void prefixes(std::string_view text, Visit visit) const {
    size_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const int child = find_child(node, static_cast<unsigned char>(text[i]));
      if (child < 0) return;
      node = static_cast<size_t>(child);
      if (nodes_[node].id >= 0) visit(i + 1, nodes_[node].id);
    }
  }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int>> children;
    int id = -1;
  };
  int find_child(size_t node, unsigned char byte) const {
    // The root has a child for nearly every first byte: a table, not a scan.
    if (node == 0) return root_[byte];
    for (const auto& [b, child] : nodes_[node].children) {
      if (b == byte) return child;
    }
    return -1;
  }
  std::vector<Node> nodes_;
  std::array<int, 256> root_;
};

class UnigramModel final : public TokenModel {
 public:
  explicit UnigramModel(const JsonSpec& spec)
      : origin_(spec.where()), byte_fallback_(spec.boolean("byte_fallback", false)) {
    const nlohmann::json& vocab = spec.at("vocab");
    if (!vocab.is_array()) spec.fail("field \"vocab\" must be an array of [piece, score]");
    scores_.reserve(vocab.size());
    min_score_ = std::numeric_limits<double>::infinity();
    for (const nlohmann::json& entry : vocab) {
      if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number()) {
        spec.fail("vocabulary entry " + std::to_string(scores_.size()) + " is " + json_preview(entry) +
                  "; expected [piece, score]");
      }
      const std::string piece = entry[0].get<std::string>();
      const auto id = static_cast<int>(scores_.size());
      table_.add(piece, id, spec);
      scores_.push_back(entry[1].get<double>());
      trie_.insert(piece, id);
      min_score_ = std::min(min_score_, scores_.back());
    }
    if (spec.has("unk_id")) {
      const int64_t unk = spec.integer("unk_id");
      if (unk < 0 || unk >= static_cast<int64_t>(scores_.size())) {
        spec.fail("unk_id " + std::to_string(unk) + " is outside the vocabulary of " + std::to_string(scores_.size()));
      }
      unk_id_ = static_cast<int>(unk);
    }
  }

  int unk_id() const override { return unk_id_; }

  void tokenize(std::string_view text, ModelOutput& out) const override {
    if (text.empty()) return;
    for (const auto& piece : best_pieces(text)) {
      if (const auto id = table_.find(piece)) {
        out.ids.push_back(*id);
        out.tokens.push_back(piece);
        continue;
      }
      if (byte_fallback_ && push_bytes(piece, out)) continue;
      if (unk_id_ < 0) throw_missing_unk(piece);
      out.ids.push_back(unk_id_);
      out.tokens.push_back(piece);
    }
  }

 private:
  struct Best {
    double score = 0.0;
    int id = -1;
    int64_t starts_at = -1;  // -1: no path reaches this position yet
  };

  // The Viterbi segmentation, as piece strings (fused unknown runs included).
  std::vector<std::string> best_pieces(std::string_view text) const {
    const double unk_score = min_score_ - kUnkPenalty;
    std::vector<Best> best(text.size() + 1);
    best[0].starts_at = 0;
    size_t start = 0;
    while (start < text.size()) {
      const double here = best[start].score;
      size_t char_end = start;
      unicode::next_code_point(text, char_end);
      const size_t char_len = char_end - start;
      bool has_single = false;
      trie_.prefixes(text.substr(start), [&](size_t length, int id) {
        Best& target = best[start + length];
        const double candidate = here + scores_[static_cast<size_t>(id)];
        if (target.starts_at < 0 || candidate > target.score) {
          target = {candidate, id, static_cast<int64_t>(start)};
        }
        if (length == char_len) has_single = true;
      });
      if (!has_single) {
        Best& target = best[char_end];
        const double candidate = here + unk_score;
        if (target.starts_at < 0 || candidate > target.score) target = {candidate, unk_id_, static_cast<int64_t>(start)};
      }
      start = char_end;
    }
    // Back from the end; unk nodes next to each other become one piece.
    std::vector<std::string> pieces;
    std::vector<std::string_view> run;  // the current unk run, last piece first
    auto flush = [&]() {
      if (run.empty()) return;
      std::string joined;
      for (auto it = run.rbegin(); it != run.rend(); ++it) joined += *it;
      pieces.push_back(std::move(joined));
      run.clear();
    };
    size_t end = text.size();
    while (end > 0) {
      const Best& node = best[end];
      const auto from = static_cast<size_t>(node.starts_at);
      const std::string_view piece = text.substr(from, end - from);
      if (unk_id_ >= 0 && node.id == unk_id_) {
        run.push_back(piece);
      } else {
        flush();
        pieces.emplace_back(piece);
      }
      end = from;
    }
    flush();
    return {pieces.rbegin(), pieces.rend()};
  }

  bool push_bytes(const std::string& piece, ModelOutput& out) const {
    static constexpr char kHex[] = "0123456789ABCDEF";
    ModelOutput bytes;
    for (char c : piece) {
      const auto b = static_cast<unsigned char>(c);
      std::string name = std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">";
      const auto id = table_.find(name);
      if (!id) return false;
      bytes.ids.push_back(*id);
      bytes.tokens.push_back(std::move(name));
    }
    out.ids.insert(out.ids.end(), bytes.ids.begin(), bytes.ids.end());
    out.tokens.insert(out.tokens.end(), bytes.tokens.begin(), bytes.tokens.end());
    return true;
  }

  [[noreturn]] void throw_missing_unk(const std::string& piece) const {
    throw Error(origin_ + ": has no unk_id, and the text \"" + piece + "\" is in no piece");
  }

  std::string origin_;
  std::vector<double> scores_;
  PieceTrie trie_;
  double min_score_ = 0.0;
  int unk_id_ = -1;
  bool byte_fallback_;
};

}  // namespace

std::unique_ptr<TokenModel> make_unigram_model(const JsonSpec& spec) { return std::make_unique<UnigramModel>(spec); }

}  // namespace bertscope
