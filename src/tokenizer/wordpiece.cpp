#include "tokenizer/wordpiece.h"

#include <string>
#include <vector>

#include "tokenizer/unicode_text.h"

namespace bertscope {

void wordpiece(const Vocab& vocab, std::u32string_view word, Encoding& out) {
  if (word.empty()) return;
  if (word.size() > kMaxWordChars) {
    out.tokens.push_back(vocab.token(vocab.unk_id()));
    out.ids.push_back(vocab.unk_id());
    return;
  }
  // Matching is on code points but lookup is on UTF-8: record where each code point starts.
  std::string utf8;
  std::vector<size_t> offset;
  offset.reserve(word.size() + 1);
  for (char32_t cp : word) {
    offset.push_back(utf8.size());
    unicode::append_utf8(utf8, cp);
  }
  offset.push_back(utf8.size());

  const size_t first_piece = out.tokens.size();
  std::string candidate;
  size_t start = 0;
  while (start < word.size()) {
    size_t end = word.size();
    int id = -1;
    for (; end > start; --end) {
      candidate.assign(start > 0 ? "##" : "");
      candidate.append(utf8, offset[start], offset[end] - offset[start]);
      if (const auto found = vocab.find(candidate)) {
        id = *found;
        break;
      }
    }
    if (id < 0) {
      // One unmatched remainder makes the whole word unknown, including pieces found so far.
      out.tokens.resize(first_piece);
      out.ids.resize(first_piece);
      out.tokens.push_back(vocab.token(vocab.unk_id()));
      out.ids.push_back(vocab.unk_id());
      return;
    }
    out.tokens.push_back(candidate);
    out.ids.push_back(id);
    start = end;
  }
}

}  // namespace bertscope
