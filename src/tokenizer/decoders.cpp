#include "tokenizer/decoders.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "tokenizer/pre_tokenizers.h"
#include "tokenizer/regex.h"
#include "tokenizer/text_split.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t start = 0;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, start)) {
    out.append(text, start, at - start);
    out += to;
    start = at + from.size();
  }
  out.append(text, start);
  text = std::move(out);
}

class ByteLevel final : public Decoder {
 public:
  // All tokens become one string: their characters mapped back to bytes, then read as
  // UTF-8 with U+FFFD for broken sequences (a token with a character outside the byte
  // table contributes its own UTF-8 bytes).
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      std::string mapped;
      bool all_bytes = true;
      size_t i = 0;
      while (i < token.size()) {
        const int b = byte_level_byte(unicode::next_code_point(token, i));
        if (b < 0) {
          all_bytes = false;
          break;
        }
        mapped.push_back(static_cast<char>(b));
      }
      bytes += all_bytes ? mapped : token;
    }
    tokens.assign(1, unicode::encode_utf8(unicode::decode_utf8(bytes)));
  }
};

class Metaspace final : public Decoder {
 public:
  explicit Metaspace(const JsonSpec& spec) {
    unicode::append_utf8(replacement_, spec.character("replacement", U'\u2581'));
    if (spec.has("prepend_scheme")) {
      strip_first_ = spec.string("prepend_scheme") != "never";
    } else {
      strip_first_ = spec.boolean("add_prefix_space", true);
    }
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      // The first token loses its replacement characters: the space that prepending added.
      replace_all(tokens[i], replacement_, i == 0 && strip_first_ ? "" : " ");
    }
  }

 private:
  std::string replacement_;
  bool strip_first_ = true;
};

class WordPiece final : public Decoder {
 public:
  explicit WordPiece(const JsonSpec& spec) : prefix_(spec.string("prefix", "##")), cleanup_(spec.boolean("cleanup", true)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      if (i != 0) {
        if (token.starts_with(prefix_)) {
          token.erase(0, prefix_.size());
        } else {
          token = " " + token;
        }
      }
      if (cleanup_) cleanup(token);
    }
  }

 private:
  // tokenizers' decoders::wordpiece::cleanup: the spaces BERT put before punctuation
  // and English contractions.
  static void cleanup(std::string& text) {
    static const std::pair<const char*, const char*> kRules[] = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
        {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto& [from, to] : kRules) replace_all(text, from, to);
  }
  std::string prefix_;
  bool cleanup_;
};

class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(const JsonSpec& spec) : suffix_(spec.string("suffix", "</w>")) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

class ByteFallback final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;  // bytes of consecutive <0xAB> tokens
    size_t pending_count = 0;
    auto flush = [&]() {
      if (pending_count == 0) return;
      if (unicode::is_valid_utf8(pending)) {
        out.push_back(pending);
      } else {
        for (size_t k = 0; k < pending_count; ++k) out.emplace_back("\xEF\xBF\xBD");  // U+FFFD per byte
      }
      pending.clear();
      pending_count = 0;
    };
    for (std::string& token : tokens) {
      const int byte = parse_byte(token);
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static int parse_byte(const std::string& token) {
    if (token.size() != 6 || !token.starts_with("<0x") || token[5] != '>') return -1;
    int value = 0;
    for (size_t k = 3; k < 5; ++k) {
      const char c = token[k];
      int digit = -1;
      if (c >= '0' && c <= '9') digit = c - '0';
      if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    return value;
  }
};

class Fuse final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const std::string& token : tokens) joined += token;
    tokens.assign(1, std::move(joined));
  }
};

class Strip final : public Decoder {
 public:
  explicit Strip(const JsonSpec& spec)
      : content_(spec.character("content")),
        start_(static_cast<size_t>(std::max<int64_t>(0, spec.integer("start", 0)))),
        stop_(static_cast<size_t>(std::max<int64_t>(0, spec.integer("stop", 0)))) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      const std::u32string chars = unicode::decode_utf8(token);
      size_t begin = 0;
      while (begin < start_ && begin < chars.size() && chars[begin] == content_) ++begin;
      size_t end = chars.size();
      for (size_t k = 0; k < stop_ && end > begin && chars[end - 1] == content_; ++k) --end;
      token = unicode::encode_utf8(std::u32string_view(chars).substr(begin, end - begin));
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class Replace final : public Decoder {
 public:
  explicit Replace(const JsonSpec& spec) : content_(spec.string("content")) {
    const JsonSpec::Pattern pattern = spec.pattern("pattern");
    if (pattern.is_regex) {
      regex_.emplace(pattern.text, spec.where());
    } else {
      literal_ = pattern.text;
    }
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      const auto runs = regex_ ? regex_runs(*regex_, token) : string_runs(literal_, token);
      std::string out;
      for (const TextRun& run : runs) {
        if (run.matched) {
          out += content_;
        } else {
          out.append(token, run.start, run.end - run.start);
        }
      }
      token = std::move(out);
    }
  }

 private:
  std::string content_;
  std::string literal_;
  std::optional<Regex> regex_;
};

class Sequence final : public Decoder {
 public:
  explicit Sequence(const JsonSpec& spec) {
    const nlohmann::json& list = spec.at("decoders");
    if (!list.is_array()) spec.fail("field \"decoders\" must be an array");
    for (const nlohmann::json& member : list) members_.push_back(make_decoder(spec.child(member, "decoder")));
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& member : members_) member->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> members_;
};

}  // namespace

std::string Decoder::decode(std::vector<std::string> tokens) const {
  decode_chain(tokens);
  std::string out;
  for (const std::string& token : tokens) out += token;
  return out;
}

std::unique_ptr<Decoder> make_decoder(const JsonSpec& untyped) {
  const std::string type = untyped.type();
  const JsonSpec spec = untyped.typed(type);
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "Metaspace") return std::make_unique<Metaspace>(spec);
  if (type == "WordPiece") return std::make_unique<WordPiece>(spec);
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(spec);
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip") return std::make_unique<Strip>(spec);
  if (type == "Replace") return std::make_unique<Replace>(spec);
  if (type == "Sequence") return std::make_unique<Sequence>(spec);
  untyped.unknown_type(type);
}

}  // namespace bertscope
