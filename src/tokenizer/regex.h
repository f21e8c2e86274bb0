#pragma once
// A compiled PCRE2 pattern in UTF + UCP mode (\p{L}, \s, \w on all of Unicode), the
// engine for tokenizer.json's Regex patterns (Split pre-tokenizer, Replace normalizer and
// decoder, GPT-2's ByteLevel pattern). HuggingFace runs them with Oniguruma; PCRE2 reads
// the same syntax for every pattern the HF converters write.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bertscope {

class Regex {
 public:
  // Throws Error "<origin>: invalid regex "<pattern>": <reason> at offset N".
  Regex(const std::string& pattern, const std::string& origin);

  // Non-overlapping matches, left to right, as [start, end) byte offsets into well-formed
  // UTF-8. After an empty match the search resumes one character further on.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
};

}  // namespace bertscope
