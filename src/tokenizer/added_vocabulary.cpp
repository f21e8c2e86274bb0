#include "tokenizer/added_vocabulary.h"

#include <algorithm>
#include <utility>

#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

// The last code point before `end` (text[..end] is well-formed UTF-8).
char32_t code_point_before(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return unicode::next_code_point(text, start);
}

}  // namespace

void AddedVocabulary::Matcher::add(std::string pattern, size_t token) {
  if (pattern.empty()) return;  // an empty token never matches (aho-corasick skips it too)
  by_first_byte[static_cast<unsigned char>(pattern[0])].push_back(patterns.size());
  patterns.push_back(std::move(pattern));
  token_index.push_back(token);
}

AddedVocabulary::AddedVocabulary(const JsonSpec& spec, const Normalizer* normalizer) {
  const nlohmann::json& list = spec.value();
  if (!list.is_array()) spec.fail("must be an array");
  for (const nlohmann::json& entry : list) {
    const JsonSpec token = spec.child(entry, "added_tokens entry " + std::to_string(tokens_.size()));
    AddedToken added;
    added.content = token.string("content");
    const int64_t id = token.integer("id");
    if (id < 0 || id >= (int64_t{1} << 22)) token.fail("id " + std::to_string(id) + " is out of range");
    added.id = static_cast<int>(id);
    added.single_word = token.boolean("single_word", false);
    added.lstrip = token.boolean("lstrip", false);
    added.rstrip = token.boolean("rstrip", false);
    added.special = token.boolean("special", false);
    added.normalized = token.boolean("normalized", !added.special);
    by_id_[added.id] = tokens_.size();
    tokens_.push_back(std::move(added));
  }
  // The library matches special tokens first, then the others, each in file order: with
  // leftmost-longest matching the order only breaks ties between identical patterns.
  std::vector<size_t> order(tokens_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_partition(order.begin(), order.end(), [&](size_t i) { return tokens_[i].special; });
  for (size_t i : order) {
    const AddedToken& token = tokens_[i];
    if (!token.normalized) {
      raw_.add(token.content, i);
    } else {
      std::string pattern = token.content;
      if (normalizer != nullptr) normalizer->normalize(pattern);
      normalized_.add(std::move(pattern), i);
    }
  }
}

const AddedToken* AddedVocabulary::find_id(int id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

void AddedVocabulary::split(const TextSegment& segment, const Matcher& matcher, std::vector<TextSegment>& out) const {
  const std::string_view text = segment.text;
  auto push_text = [&](size_t start, size_t end) {
    if (end > start) out.push_back({std::string(text.substr(start, end - start)), -1, segment.at_start && start == 0});
  };
  size_t emitted = 0;  // end of what is already in `out`
  size_t search = 0;   // where the next match may start
  while (search < text.size() && !matcher.patterns.empty()) {
    // Leftmost position with a match, longest pattern there.
    size_t start = text.size(), length = 0, pattern = 0;
    for (size_t i = search; i < text.size() && length == 0; ++i) {
      for (size_t p : matcher.by_first_byte[static_cast<unsigned char>(text[i])]) {
        const std::string& candidate = matcher.patterns[p];
        if (candidate.size() > length && text.substr(i, candidate.size()) == candidate) {
          start = i;
          length = candidate.size();
          pattern = p;
        }
      }
    }
    if (length == 0) break;
    size_t stop = start + length;
    search = stop;
    const AddedToken& token = tokens_[matcher.token_index[pattern]];
    if (token.single_word) {
      const bool word_before = start > 0 && unicode::is_word_char(code_point_before(text, start));
      size_t after = stop;
      const bool word_after = stop < text.size() && unicode::is_word_char(unicode::next_code_point(text, after));
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      size_t new_start = start;
      while (new_start > 0 && unicode::is_white_space(code_point_before(text, new_start))) {
        size_t back = new_start - 1;
        while (back > 0 && (static_cast<unsigned char>(text[back]) & 0xC0) == 0x80) --back;
        new_start = back;
      }
      // Whitespace a previous token already took stays with it.
      start = std::max(new_start, emitted);
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        size_t next = stop;
        if (!unicode::is_white_space(unicode::next_code_point(text, next))) break;
        stop = next;
      }
      search = std::max(search, stop);
    }
    push_text(emitted, start);
    out.push_back({std::string(text.substr(start, stop - start)), token.id, segment.at_start && start == 0});
    emitted = stop;
  }
  push_text(emitted, text.size());
}

std::vector<TextSegment> AddedVocabulary::extract_and_normalize(std::string_view text,
                                                                const Normalizer* normalizer) const {
  std::vector<TextSegment> raw;
  split(TextSegment{std::string(text), -1, true}, raw_, raw);
  std::vector<TextSegment> out;
  for (TextSegment& segment : raw) {
    if (segment.id >= 0) {
      out.push_back(std::move(segment));
      continue;
    }
    if (normalizer != nullptr) normalizer->normalize(segment.text);
    split(segment, normalized_, out);
  }
  return out;
}

}  // namespace bertscope
