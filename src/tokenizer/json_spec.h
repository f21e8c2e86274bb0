#pragma once
// Typed reading of tokenizer.json components, with errors that name the file, the
// component and the field ("tokenizer.json: pre_tokenizer Split: field "behavior" must be
// a string"), never a crash or an exception from the JSON library.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "tokenizer/text_split.h"

namespace bertscope {

class JsonSpec {
 public:
  JsonSpec(const nlohmann::json& value, std::string file, std::string component, int depth = 0)
      : value_(value), file_(std::move(file)), component_(std::move(component)), depth_(depth) {}

  // The "type" field; throws when it is missing or not a string.
  std::string type() const;
  // The same spec, named as its type in messages ("normalizer Sequence").
  JsonSpec typed(const std::string& type) const { return {value_, file_, component_ + " " + type, depth_}; }
  // A nested component (a Sequence's member). Throws past kMaxDepth levels: real files nest
  // two or three, and a hostile one must not exhaust the stack.
  JsonSpec child(const nlohmann::json& value, const std::string& component) const;
  static constexpr int kMaxDepth = 32;

  bool has(const char* key) const;  // present and not null
  const nlohmann::json& at(const char* key) const;  // throws when missing
  std::string string(const char* key, std::optional<std::string> fallback = std::nullopt) const;
  bool boolean(const char* key, std::optional<bool> fallback = std::nullopt) const;
  int64_t integer(const char* key, std::optional<int64_t> fallback = std::nullopt) const;
  // A field holding exactly one character (Metaspace's replacement, Strip's content).
  char32_t character(const char* key, std::optional<char32_t> fallback = std::nullopt) const;
  // {"String": "..."} or {"Regex": "..."}, as Split and Replace take it.
  struct Pattern {
    std::string text;
    bool is_regex = false;
  };
  Pattern pattern(const char* key) const;
  SplitBehavior behavior(const char* key) const;

  [[noreturn]] void fail(const std::string& problem) const;
  [[noreturn]] void unknown_type(const std::string& type) const;
  const std::string& file() const { return file_; }
  const nlohmann::json& value() const { return value_; }
  std::string where() const { return file_ + ": " + component_; }

 private:
  const nlohmann::json& value_;
  std::string file_;
  std::string component_;
  int depth_;
};

}  // namespace bertscope
