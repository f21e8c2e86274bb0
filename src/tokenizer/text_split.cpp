#include "tokenizer/text_split.h"

#include <algorithm>
#include <utility>

#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

// Fills the gaps between matches with unmatched runs, so that the runs cover the text.
std::vector<TextRun> cover(std::string_view text, const std::vector<std::pair<size_t, size_t>>& matches) {
  std::vector<TextRun> runs;
  if (text.empty()) return {TextRun{0, 0, false}};
  size_t previous = 0;
  for (const auto& [start, end] : matches) {
    if (previous != start) runs.push_back({previous, start, false});
    runs.push_back({start, end, true});
    previous = end;
  }
  if (previous != text.size()) runs.push_back({previous, text.size(), false});
  return runs;
}

}  // namespace

std::vector<TextRun> regex_runs(const Regex& regex, std::string_view text) {
  return cover(text, regex.find_all(text));
}

std::vector<TextRun> string_runs(std::string_view pattern, std::string_view text) {
  std::vector<std::pair<size_t, size_t>> matches;
  if (!pattern.empty()) {
    for (size_t at = text.find(pattern); at != std::string_view::npos; at = text.find(pattern, at + pattern.size())) {
      matches.emplace_back(at, at + pattern.size());
    }
  }
  return cover(text, matches);
}

std::vector<TextRun> char_runs(std::string_view text, const std::function<bool(char32_t)>& matches) {
  std::vector<std::pair<size_t, size_t>> found;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    const char32_t cp = unicode::next_code_point(text, i);
    if (matches(cp)) found.emplace_back(start, i);
  }
  return cover(text, found);
}

std::vector<TextPiece> split_runs(std::string_view text, std::vector<TextRun> runs, SplitBehavior behavior,
                                  bool invert) {
  if (invert) {
    for (TextRun& run : runs) run.matched = !run.matched;
  }
  // Each kept span, with `remove` telling whether it is dropped.
  struct Span {
    size_t start, end;
    bool remove;
  };
  std::vector<Span> spans;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const TextRun& run : runs) spans.push_back({run.start, run.end, false});
      break;
    case SplitBehavior::Removed:
      for (const TextRun& run : runs) spans.push_back({run.start, run.end, run.matched});
      break;
    case SplitBehavior::Contiguous: {
      bool previous_matched = false;
      for (const TextRun& run : runs) {
        if (run.matched == previous_matched && !spans.empty()) {
          spans.back().end = run.end;
        } else {
          spans.push_back({run.start, run.end, false});
        }
        previous_matched = run.matched;
      }
      break;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool previous_matched = false;
      for (const TextRun& run : runs) {
        if (run.matched && !previous_matched && !spans.empty()) {
          spans.back().end = run.end;
        } else {
          spans.push_back({run.start, run.end, false});
        }
        previous_matched = run.matched;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      // Right to left: a match joins the run after it, unless that run is a match too.
      bool next_matched = false;
      for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
        if (it->matched && !next_matched && !spans.empty()) {
          spans.back().start = it->start;
        } else {
          spans.push_back({it->start, it->end, false});
        }
        next_matched = it->matched;
      }
      std::reverse(spans.begin(), spans.end());
      break;
    }
  }
  std::vector<TextPiece> pieces;
  for (const Span& span : spans) {
    if (span.remove || span.end == span.start) continue;
    pieces.push_back({std::string(text.substr(span.start, span.end - span.start)), span.start});
  }
  return pieces;
}

}  // namespace bertscope
