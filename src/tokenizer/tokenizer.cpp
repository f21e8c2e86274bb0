#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <utility>

#include "tokenizer/basic_tokenizer.h"
#include "tokenizer/json_pipeline.h"
#include "tokenizer/unicode_text.h"
#include "tokenizer/wordpiece.h"

namespace bertscope {

namespace {

// BertTokenizer's all_special_tokens. None is a prefix of another, so scanning
// left to right finds the same matches as HF's added-token trie.
constexpr std::array<std::u32string_view, 5> kSpecialTokens = {U"[UNK]", U"[SEP]", U"[PAD]", U"[CLS]",
                                                              U"[MASK]"};

void append_word(const Vocab& vocab, std::u32string_view word, Encoding& out) {
  for (std::u32string_view special : kSpecialTokens) {
    if (word == special) {
      std::string token = unicode::encode_utf8(word);
      out.ids.push_back(*vocab.find(token));
      out.tokens.push_back(std::move(token));
      return;
    }
  }
  wordpiece(vocab, word, out);
}

void append_segment(const Vocab& vocab, const TokenizerOptions& options, std::u32string_view segment, Encoding& out) {
  for (const std::u32string& word : basic_tokenize(segment, options, kSpecialTokens)) {
    append_word(vocab, word, out);
  }
}

}  // namespace

Tokenizer::Tokenizer(Vocab vocab, TokenizerOptions options) : vocab_(std::move(vocab)), options_(options) {}

Tokenizer::Tokenizer(Vocab vocab, TokenizerOptions options, std::shared_ptr<const JsonPipeline> pipeline)
    : vocab_(std::move(vocab)), options_(options), pipeline_(std::move(pipeline)) {}

Encoding Tokenizer::tokenize(std::string_view text) const {
  if (pipeline_) {
    ModelOutput pieces = pipeline_->tokenize(text);
    return Encoding{std::move(pieces.tokens), std::move(pieces.ids)};
  }
  const std::u32string chars = unicode::decode_utf8(text);
  const std::u32string_view view(chars);
  Encoding out;
  // Special tokens are cut out of the raw text first (case-sensitive, anywhere, even
  // inside a word), so they are never lower-cased or split; the text between them
  // is tokenized on its own.
  size_t segment_start = 0;
  size_t i = 0;
  while (i < view.size()) {
    std::u32string_view matched;
    if (view[i] == U'[') {
      for (std::u32string_view special : kSpecialTokens) {
        if (view.substr(i).starts_with(special)) {
          matched = special;
          break;
        }
      }
    }
    if (matched.empty()) {
      ++i;
      continue;
    }
    append_segment(vocab_, options_, view.substr(segment_start, i - segment_start), out);
    append_word(vocab_, matched, out);
    i += matched.size();
    segment_start = i;
  }
  append_segment(vocab_, options_, view.substr(segment_start), out);
  return out;
}

Encoding Tokenizer::encode(std::string_view text) const {
  if (pipeline_) {
    ModelOutput pieces = pipeline_->encode(text);
    return Encoding{std::move(pieces.tokens), std::move(pieces.ids)};
  }
  Encoding pieces = tokenize(text);
  Encoding out;
  out.tokens.reserve(pieces.tokens.size() + 2);
  out.ids.reserve(pieces.ids.size() + 2);
  out.tokens.push_back(vocab_.token(vocab_.cls_id()));
  out.ids.push_back(vocab_.cls_id());
  for (size_t k = 0; k < pieces.tokens.size(); ++k) {
    out.tokens.push_back(std::move(pieces.tokens[k]));
    out.ids.push_back(pieces.ids[k]);
  }
  out.tokens.push_back(vocab_.token(vocab_.sep_id()));
  out.ids.push_back(vocab_.sep_id());
  return out;
}

Encoding Tokenizer::word_pieces(std::string_view word) const {
  if (!pipeline_ || word.empty()) return tokenize(word);
  // The word after a one-letter word and a space, minus that word's own pieces: whatever the
  // pipeline does with spaces (Ġ, ▁, a Prepend normalizer, dropping them), this is the
  // word as it sits mid-sentence.
  const Encoding context = tokenize("a");
  Encoding both = tokenize("a " + std::string(word));
  const auto prefix = static_cast<std::ptrdiff_t>(context.ids.size());
  if (both.ids.size() > context.ids.size() && std::equal(context.ids.begin(), context.ids.end(), both.ids.begin())) {
    both.ids.erase(both.ids.begin(), both.ids.begin() + prefix);
    both.tokens.erase(both.tokens.begin(), both.tokens.begin() + prefix);
    return both;
  }
  // A merge across the space (no real vocabulary has one): the pieces of " word".
  return tokenize(" " + std::string(word));
}

std::string Tokenizer::mask_token() const {
  return vocab_.mask_id() < 0 ? std::string() : vocab_.token(vocab_.mask_id());
}

std::string Tokenizer::decode(const std::vector<int>& ids, bool skip_special_tokens) const {
  if (pipeline_) return pipeline_->decode(ids, skip_special_tokens);
  // BertTokenizerFast: the WordPiece decoder ("##" joins, cleanup of spaces before
  // punctuation), with [PAD] [UNK] [CLS] [SEP] [MASK] as the special tokens.
  static const nlohmann::json kSpec = {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}};
  static const std::unique_ptr<Decoder> kDecoder = make_decoder(JsonSpec(kSpec, "vocab.txt", "decoder"));
  const int specials[] = {vocab_.pad_id(), vocab_.unk_id(), vocab_.cls_id(), vocab_.sep_id(), vocab_.mask_id()};
  std::vector<std::string> tokens;
  for (int id : ids) {
    if (id < 0 || id >= vocab_.size()) continue;
    if (skip_special_tokens && std::find(std::begin(specials), std::end(specials), id) != std::end(specials)) continue;
    tokens.push_back(vocab_.token(id));
  }
  return kDecoder->decode(std::move(tokens));
}

}  // namespace bertscope
