#include "tokenizer/pre_tokenizers.h"

#include <array>
#include <optional>
#include <unordered_map>
#include <utility>

#include "tokenizer/regex.h"
#include "tokenizer/text_split.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

// GPT-2's pre-tokenization pattern, as HF's ByteLevel compiles it.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

bool is_punctuation(char32_t cp) { return unicode::is_bert_punctuation(cp); }

void emit(const PreToken& parent, std::vector<TextPiece> pieces, std::vector<PreToken>& out) {
  for (TextPiece& piece : pieces) {
    out.push_back({std::move(piece.text), parent.at_start && piece.start == 0});
  }
}

class BertPreTokenizer final : public PreTokenizer {
 public:
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    std::vector<PreToken> words;
    emit(piece, split_runs(piece.text, char_runs(piece.text, unicode::is_white_space), SplitBehavior::Removed), words);
    for (const PreToken& word : words) {
      emit(word, split_runs(word.text, char_runs(word.text, is_punctuation), SplitBehavior::Isolated), out);
    }
  }
};

class WhitespaceSplit final : public PreTokenizer {
 public:
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    emit(piece, split_runs(piece.text, char_runs(piece.text, unicode::is_white_space), SplitBehavior::Removed), out);
  }
};

class Whitespace final : public PreTokenizer {
 public:
  explicit Whitespace(const JsonSpec& spec) : regex_(R"(\w+|[^\w\s]+)", spec.where()) {}
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    emit(piece, split_runs(piece.text, regex_runs(regex_, piece.text), SplitBehavior::Removed, /*invert=*/true), out);
  }

 private:
  Regex regex_;
};

class CharDelimiterSplit final : public PreTokenizer {
 public:
  explicit CharDelimiterSplit(const JsonSpec& spec) : delimiter_(spec.character("delimiter")) {}
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    const char32_t delimiter = delimiter_;
    emit(piece,
         split_runs(piece.text, char_runs(piece.text, [delimiter](char32_t cp) { return cp == delimiter; }),
                    SplitBehavior::Removed),
         out);
  }

 private:
  char32_t delimiter_;
};

class Punctuation final : public PreTokenizer {
 public:
  explicit Punctuation(const JsonSpec& spec)
      : behavior_(spec.has("behavior") ? spec.behavior("behavior") : SplitBehavior::Isolated) {}
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    emit(piece, split_runs(piece.text, char_runs(piece.text, is_punctuation), behavior_), out);
  }

 private:
  SplitBehavior behavior_;
};

class Digits final : public PreTokenizer {
 public:
  explicit Digits(const JsonSpec& spec) : individual_(spec.boolean("individual_digits", false)) {}
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    // Rust char::is_numeric: every N* character, not only ASCII digits.
    const auto runs = char_runs(piece.text, unicode::is_numeric);
    emit(piece, split_runs(piece.text, runs, individual_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous), out);
  }

 private:
  bool individual_;
};

class Split final : public PreTokenizer {
 public:
  explicit Split(const JsonSpec& spec)
      : behavior_(spec.behavior("behavior")), invert_(spec.boolean("invert", false)) {
    const JsonSpec::Pattern pattern = spec.pattern("pattern");
    if (pattern.is_regex) {
      regex_.emplace(pattern.text, spec.where());
    } else {
      literal_ = pattern.text;
    }
  }
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    auto runs = regex_ ? regex_runs(*regex_, piece.text) : string_runs(literal_, piece.text);
    emit(piece, split_runs(piece.text, std::move(runs), behavior_, invert_), out);
  }

 private:
  SplitBehavior behavior_;
  bool invert_;
  std::string literal_;
  std::optional<Regex> regex_;
};

class ByteLevel final : public PreTokenizer {
 public:
  explicit ByteLevel(const JsonSpec& spec)
      : add_prefix_space_(spec.boolean("add_prefix_space", true)), use_regex_(spec.boolean("use_regex", true)) {
    if (use_regex_) regex_.emplace(kGpt2Pattern, spec.where());
  }
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    PreToken prefixed = piece;
    if (add_prefix_space_ && !prefixed.text.starts_with(' ')) prefixed.text.insert(0, " ");
    std::vector<PreToken> words;
    if (regex_) {
      emit(prefixed, split_runs(prefixed.text, regex_runs(*regex_, prefixed.text), SplitBehavior::Isolated), words);
    } else if (!prefixed.text.empty()) {
      words.push_back(std::move(prefixed));
    }
    for (PreToken& word : words) {
      std::string mapped;
      mapped.reserve(word.text.size() * 2);
      for (char c : word.text) mapped += byte_level_char(static_cast<unsigned char>(c));
      out.push_back({std::move(mapped), word.at_start});
    }
  }

 private:
  bool add_prefix_space_, use_regex_;
  std::optional<Regex> regex_;
};

class Metaspace final : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  explicit Metaspace(const JsonSpec& spec) : split_(spec.boolean("split", true)) {
    const char32_t replacement = spec.character("replacement", U'\u2581');
    unicode::append_utf8(replacement_, replacement);
    if (spec.has("prepend_scheme")) {
      const std::string scheme = spec.string("prepend_scheme");
      if (scheme == "always") {
        prepend_ = Prepend::Always;
      } else if (scheme == "first") {
        prepend_ = Prepend::First;
      } else if (scheme == "never") {
        prepend_ = Prepend::Never;
      } else {
        spec.fail("field \"prepend_scheme\" is \"" + scheme + "\"; expected always, first or never");
      }
    } else {
      // Files written before prepend_scheme existed say add_prefix_space instead.
      prepend_ = spec.boolean("add_prefix_space", true) ? Prepend::Always : Prepend::Never;
    }
  }
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    PreToken replaced{"", piece.at_start};
    replaced.text.reserve(piece.text.size() + replacement_.size());
    for (char c : piece.text) {
      if (c == ' ') {
        replaced.text += replacement_;
      } else {
        replaced.text.push_back(c);
      }
    }
    const bool prepend = prepend_ == Prepend::Always || (prepend_ == Prepend::First && piece.at_start);
    if (prepend && !replaced.text.starts_with(replacement_)) replaced.text.insert(0, replacement_);
    if (!split_) {
      if (!replaced.text.empty()) out.push_back(std::move(replaced));
      return;
    }
    emit(replaced,
         split_runs(replaced.text, string_runs(replacement_, replaced.text), SplitBehavior::MergedWithNext), out);
  }

 private:
  std::string replacement_;
  Prepend prepend_ = Prepend::Always;
  bool split_;
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(const JsonSpec& spec) {
    const nlohmann::json& list = spec.at("pretokenizers");
    if (!list.is_array()) spec.fail("field \"pretokenizers\" must be an array");
    for (const nlohmann::json& member : list) {
      members_.push_back(make_pre_tokenizer(spec.child(member, "pre_tokenizer")));
    }
  }
  void split(const PreToken& piece, std::vector<PreToken>& out) const override {
    std::vector<PreToken> current{piece};
    std::vector<PreToken> next;
    for (const auto& member : members_) {
      next.clear();
      for (const PreToken& p : current) member->split(p, next);
      std::swap(current, next);
    }
    for (PreToken& p : current) out.push_back(std::move(p));
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> members_;
};

struct ByteTable {
  std::array<std::string, 256> chars;
  std::unordered_map<char32_t, int> bytes;
  ByteTable() {
    // bytes_to_unicode(): printable Latin-1 bytes stand for themselves; the rest take the
    // code points from U+0100 on, in byte order.
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      const char32_t cp = printable ? static_cast<char32_t>(b) : next++;
      unicode::append_utf8(chars[static_cast<size_t>(b)], cp);
      bytes[cp] = b;
    }
  }
};

const ByteTable& byte_table() {
  static const ByteTable table;
  return table;
}

}  // namespace

const std::string& byte_level_char(unsigned char byte) { return byte_table().chars[byte]; }

int byte_level_byte(char32_t cp) {
  const auto& bytes = byte_table().bytes;
  const auto it = bytes.find(cp);
  return it == bytes.end() ? -1 : it->second;
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonSpec& untyped) {
  const std::string type = untyped.type();
  const JsonSpec spec = untyped.typed(type);
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(spec);
  if (type == "Metaspace") return std::make_unique<Metaspace>(spec);
  if (type == "Whitespace") return std::make_unique<Whitespace>(spec);
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "Split") return std::make_unique<Split>(spec);
  if (type == "Punctuation") return std::make_unique<Punctuation>(spec);
  if (type == "Digits") return std::make_unique<Digits>(spec);
  if (type == "CharDelimiterSplit") return std::make_unique<CharDelimiterSplit>(spec);
  if (type == "Sequence") return std::make_unique<Sequence>(spec);
  untyped.unknown_type(type);
}

}  // namespace bertscope
