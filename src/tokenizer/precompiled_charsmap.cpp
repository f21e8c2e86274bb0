#include "tokenizer/precompiled_charsmap.h"

#include <array>

#include "common/error.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

// Standard base64 (RFC 4648 alphabet, '=' padding), what serde writes for the charsmap.
std::string decode_base64(std::string_view text, const std::string& origin) {
  std::array<int, 256> value{};
  value.fill(-1);
  const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < alphabet.size(); ++i) value[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value[static_cast<unsigned char>(c)];
    if (v < 0) throw Error(origin + ": precompiled_charsmap is not valid base64");
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// The fields of one Darts double-array unit (SentencePiece's darts_clone layout).
bool has_leaf(uint32_t unit) { return ((unit >> 8) & 1) == 1; }
uint32_t value_of(uint32_t unit) { return unit & ((1u << 31) - 1); }
uint32_t label_of(uint32_t unit) { return unit & ((1u << 31) | 0xFF); }
uint32_t offset_of(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view base64, const std::string& origin) {
  const std::string blob = decode_base64(base64, origin);
  auto read_u32 = [&](size_t at) {
    return static_cast<uint32_t>(static_cast<unsigned char>(blob[at])) |
           static_cast<uint32_t>(static_cast<unsigned char>(blob[at + 1])) << 8 |
           static_cast<uint32_t>(static_cast<unsigned char>(blob[at + 2])) << 16 |
           static_cast<uint32_t>(static_cast<unsigned char>(blob[at + 3])) << 24;
  };
  if (blob.size() < 4) throw Error(origin + ": precompiled_charsmap is shorter than its 4-byte header");
  const uint32_t trie_bytes = read_u32(0);
  if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4 || trie_bytes == 0) {
    throw Error(origin + ": precompiled_charsmap declares a trie of " + std::to_string(trie_bytes) + " bytes in a blob of " +
                std::to_string(blob.size()));
  }
  units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < units_.size(); ++i) units_[i] = read_u32(4 + 4 * i);
  normalized_ = blob.substr(4 + trie_bytes);
  if (!unicode::is_valid_utf8(normalized_)) {
    throw Error(origin + ": precompiled_charsmap's replacement strings are not valid UTF-8");
  }
}

bool PrecompiledCharsmap::lookup(std::string_view key, std::string_view& replacement) const {
  // Darts common-prefix search, stopping at the first (shortest) prefix with a value:
  // the one HF's Precompiled::transform uses.
  size_t node = offset_of(units_[0]);
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) break;
    node ^= c;
    if (node >= units_.size()) return false;
    const uint32_t unit = units_[node];
    if (label_of(unit) != c) return false;
    node ^= offset_of(unit);
    if (node >= units_.size()) return false;
    if (has_leaf(unit)) {
      const size_t start = value_of(units_[node]);
      if (start > normalized_.size()) return false;
      const size_t end = normalized_.find('\0', start);
      replacement = std::string_view(normalized_).substr(start, (end == std::string::npos ? normalized_.size() : end) - start);
      // A value pointing inside a UTF-8 sequence would make the text ill-formed.
      return unicode::is_valid_utf8(replacement);
    }
  }
  return false;
}

void PrecompiledCharsmap::normalize(std::string& text) const {
  std::string out;
  out.reserve(text.size());
  const std::string_view view(text);
  const std::vector<size_t> starts = unicode::grapheme_starts(view);
  std::string_view replacement;
  for (size_t k = 0; k + 1 < starts.size(); ++k) {
    const std::string_view grapheme = view.substr(starts[k], starts[k + 1] - starts[k]);
    // SentencePiece's quirk, kept by HF: only clusters under 6 bytes are looked up whole.
    if (grapheme.size() < 6 && lookup(grapheme, replacement)) {
      out += replacement;
      continue;
    }
    size_t i = 0;
    while (i < grapheme.size()) {
      const size_t start = i;
      unicode::next_code_point(grapheme, i);
      const std::string_view character = grapheme.substr(start, i - start);
      if (lookup(character, replacement)) {
        out += replacement;
      } else {
        out += character;
      }
    }
  }
  text = std::move(out);
}

}  // namespace bertscope
