#include "tokenizer/token_models.h"

#include <limits>

namespace bertscope {

void TokenTable::add(const std::string& token, int64_t id, const JsonSpec& spec) {
  // Real vocabularies stay under a million ids; a huge one is a broken file, not a reason
  // to allocate gigabytes.
  constexpr int64_t kMaxId = int64_t{1} << 22;
  if (id < 0 || id >= kMaxId) spec.fail("token \"" + token + "\" has id " + std::to_string(id) + ", out of range");
  const auto index = static_cast<size_t>(id);
  if (index >= tokens_.size()) {
    tokens_.resize(index + 1);
    present_.resize(index + 1, false);
  }
  if (present_[index]) {
    spec.fail("id " + std::to_string(id) + " is given to both \"" + tokens_[index] + "\" and \"" + token + "\"");
  }
  tokens_[index] = token;
  present_[index] = true;
  // A string listed twice keeps its first id, as a HashMap built by insertion would not;
  // no real vocabulary has duplicates, and the first is what the id order suggests.
  ids_.try_emplace(token, static_cast<int>(id));
}

std::optional<int> TokenTable::find(std::string_view token) const {
  const auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

const std::string* TokenTable::token(int id) const {
  if (id < 0 || id >= end_id() || !present_[static_cast<size_t>(id)]) return nullptr;
  return &tokens_[static_cast<size_t>(id)];
}

}  // namespace bertscope

namespace bertscope {

void read_vocab_object(const JsonSpec& spec, const char* key, TokenTable& table) {
  const nlohmann::json& vocab = spec.at(key);
  if (!vocab.is_object()) spec.fail(std::string("field \"") + key + "\" must be an object of token: id");
  // Ids run 0 .. size-1 in real files: one far beyond the count is a broken file, and
  // would make the table allocate for every id up to it.
  const auto limit = static_cast<int64_t>(2 * vocab.size() + 1024);
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer()) spec.fail("token \"" + token + "\" has a non-integer id");
    const auto value = id.get<int64_t>();
    if (value >= limit) {
      spec.fail("token \"" + token + "\" has id " + std::to_string(value) + ", far beyond the " +
                std::to_string(vocab.size()) + " entries");
    }
    table.add(token, value, spec);
  }
}

std::unique_ptr<TokenModel> make_token_model(const JsonSpec& untyped) {
  const std::string type = untyped.has("type") ? untyped.type() : "";
  if (type == "WordPiece") return make_wordpiece_model(untyped.typed(type));
  if (type == "BPE") return make_bpe_model(untyped.typed(type));
  if (type == "Unigram") return make_unigram_model(untyped.typed(type));
  if (type.empty()) untyped.fail("has no \"type\" (bertscope needs WordPiece, BPE or Unigram)");
  untyped.unknown_type(type);
}

}  // namespace bertscope
