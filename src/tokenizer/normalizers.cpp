#include "tokenizer/normalizers.h"

#include <optional>
#include <utility>
#include <vector>

#include "tokenizer/precompiled_charsmap.h"
#include "tokenizer/regex.h"
#include "tokenizer/text_split.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

// tokenizers' BertNormalizer is_chinese_char: Python BERT's blocks, except that the fifth
// starts at U+2B920 (Python: U+2B820), so U+2B820..U+2B91F stay inside words.
bool is_bert_chinese_char(char32_t cp) {
  return unicode::is_cjk_ideograph(cp) && !(cp >= 0x2B820 && cp < 0x2B920);
}

// Applies `map` to each code point; it appends what the code point becomes.
template <typename Map>
void map_chars(std::string& text, Map map) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) map(unicode::next_code_point(text, i), out);
  text = std::move(out);
}

class BertNormalizer final : public Normalizer {
 public:
  explicit BertNormalizer(const JsonSpec& spec)
      : clean_text_(spec.boolean("clean_text", true)),
        handle_chinese_chars_(spec.boolean("handle_chinese_chars", true)),
        lowercase_(spec.boolean("lowercase", true)),
        // null means "as lowercase", as in BertTokenizer.
        strip_accents_(spec.has("strip_accents") ? spec.boolean("strip_accents") : lowercase_) {}

  void normalize(std::string& text) const override {
    if (clean_text_) {
      map_chars(text, [](char32_t cp, std::string& out) {
        if (cp == 0 || cp == unicode::kReplacement || unicode::is_bert_control(cp)) return;
        const bool space = cp == U'\t' || cp == U'\n' || cp == U'\r' || unicode::is_white_space(cp);
        unicode::append_utf8(out, space ? U' ' : cp);
      });
    }
    if (handle_chinese_chars_) {
      map_chars(text, [](char32_t cp, std::string& out) {
        const bool cjk = is_bert_chinese_char(cp);
        if (cjk) out.push_back(' ');
        unicode::append_utf8(out, cp);
        if (cjk) out.push_back(' ');
      });
    }
    if (strip_accents_ || lowercase_) {
      std::u32string chars = unicode::decode_utf8(text);
      if (strip_accents_) chars = unicode::strip_accents(chars);
      if (lowercase_) chars = unicode::to_lower(chars);
      text = unicode::encode_utf8(chars);
    }
  }
  bool lower_cases() const override { return lowercase_; }

 private:
  bool clean_text_, handle_chinese_chars_, lowercase_, strip_accents_;
};

class UnicodeForm final : public Normalizer {
 public:
  explicit UnicodeForm(unicode::NormalForm form) : form_(form) {}
  void normalize(std::string& text) const override { text = unicode::normalize(text, form_); }

 private:
  unicode::NormalForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    text = unicode::encode_utf8(unicode::to_lower(unicode::decode_utf8(text)));
  }
  bool lower_cases() const override { return true; }
};

class StripAccents final : public Normalizer {
 public:
  // Unlike BertNormalizer's, this one removes every mark (M*), without decomposing first.
  void normalize(std::string& text) const override {
    map_chars(text, [](char32_t cp, std::string& out) {
      if (!unicode::is_mark(cp)) unicode::append_utf8(out, cp);
    });
  }
};

class Strip final : public Normalizer {
 public:
  explicit Strip(const JsonSpec& spec)
      : left_(spec.boolean("strip_left", true)), right_(spec.boolean("strip_right", true)) {}
  void normalize(std::string& text) const override {
    const std::u32string chars = unicode::decode_utf8(text);
    size_t begin = 0, end = chars.size();
    if (left_) {
      while (begin < end && unicode::is_white_space(chars[begin])) ++begin;
    }
    if (right_) {
      while (end > begin && unicode::is_white_space(chars[end - 1])) --end;
    }
    if (begin != 0 || end != chars.size()) text = unicode::encode_utf8(std::u32string_view(chars).substr(begin, end - begin));
  }

 private:
  bool left_, right_;
};

class Replace final : public Normalizer {
 public:
  explicit Replace(const JsonSpec& spec) : content_(spec.string("content")) {
    const JsonSpec::Pattern pattern = spec.pattern("pattern");
    if (pattern.is_regex) {
      regex_.emplace(pattern.text, spec.where());
    } else {
      literal_ = pattern.text;
    }
  }
  void normalize(std::string& text) const override {
    const std::vector<TextRun> runs = regex_ ? regex_runs(*regex_, text) : string_runs(literal_, text);
    std::string out;
    out.reserve(text.size());
    for (const TextRun& run : runs) {
      if (run.matched) {
        out += content_;
      } else {
        out.append(text, run.start, run.end - run.start);
      }
    }
    text = std::move(out);
  }

 private:
  std::string content_;
  std::string literal_;
  std::optional<Regex> regex_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(const JsonSpec& spec) : prefix_(spec.string("prepend")) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class Precompiled final : public Normalizer {
 public:
  explicit Precompiled(const JsonSpec& spec) : charsmap_(init(spec)) {}
  void normalize(std::string& text) const override {
    if (charsmap_) charsmap_->normalize(text);
  }

 private:
  // An empty charsmap (SentencePiece models trained with the "identity" rule) is a no-op.
  static std::optional<PrecompiledCharsmap> init(const JsonSpec& spec) {
    const std::string base64 = spec.string("precompiled_charsmap", "");
    if (base64.empty()) return std::nullopt;
    return PrecompiledCharsmap(base64, spec.where());
  }
  std::optional<PrecompiledCharsmap> charsmap_;
};

class Sequence final : public Normalizer {
 public:
  explicit Sequence(const JsonSpec& spec) {
    const nlohmann::json& list = spec.at("normalizers");
    if (!list.is_array()) spec.fail("field \"normalizers\" must be an array");
    for (const nlohmann::json& member : list) {
      members_.push_back(make_normalizer(spec.child(member, "normalizer")));
    }
  }
  void normalize(std::string& text) const override {
    for (const auto& member : members_) member->normalize(text);
  }
  bool lower_cases() const override {
    for (const auto& member : members_) {
      if (member->lower_cases()) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> members_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const JsonSpec& untyped) {
  const std::string type = untyped.type();
  const JsonSpec spec = untyped.typed(type);
  if (type == "BertNormalizer") return std::make_unique<BertNormalizer>(spec);
  if (type == "NFC") return std::make_unique<UnicodeForm>(unicode::NormalForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeForm>(unicode::NormalForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeForm>(unicode::NormalForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeForm>(unicode::NormalForm::NFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Strip") return std::make_unique<Strip>(spec);
  if (type == "Replace") return std::make_unique<Replace>(spec);
  if (type == "Prepend") return std::make_unique<Prepend>(spec);
  if (type == "Precompiled") return std::make_unique<Precompiled>(spec);
  if (type == "Sequence") return std::make_unique<Sequence>(spec);
  untyped.unknown_type(type);
}

}  // namespace bertscope
