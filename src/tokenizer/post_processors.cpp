#include "tokenizer/post_processors.h"

#include <string>
#include <utility>
#include <vector>

namespace bertscope {

namespace {

// What a template puts around the sequence: ids/tokens before and after it.
class Wrap final : public PostProcessor {
 public:
  Wrap(ModelOutput before, ModelOutput after) : before_(std::move(before)), after_(std::move(after)) {}
  void add_special_tokens(ModelOutput& encoding) const override {
    ModelOutput out;
    out.ids.reserve(encoding.ids.size() + before_.ids.size() + after_.ids.size());
    out.ids = before_.ids;
    out.tokens = before_.tokens;
    out.ids.insert(out.ids.end(), encoding.ids.begin(), encoding.ids.end());
    for (auto& token : encoding.tokens) out.tokens.push_back(std::move(token));
    out.ids.insert(out.ids.end(), after_.ids.begin(), after_.ids.end());
    out.tokens.insert(out.tokens.end(), after_.tokens.begin(), after_.tokens.end());
    encoding = std::move(out);
  }

 private:
  ModelOutput before_, after_;
};

class NoChange final : public PostProcessor {
 public:
  void add_special_tokens(ModelOutput&) const override {}
};

class Sequence final : public PostProcessor {
 public:
  explicit Sequence(const JsonSpec& spec) {
    const nlohmann::json& list = spec.at("processors");
    if (!list.is_array()) spec.fail("field \"processors\" must be an array");
    for (const nlohmann::json& member : list) members_.push_back(make_post_processor(spec.child(member, "post_processor")));
  }
  void add_special_tokens(ModelOutput& encoding) const override {
    for (const auto& member : members_) member->add_special_tokens(encoding);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> members_;
};

// ["[CLS]", 101] as BertProcessing and RobertaProcessing write cls and sep.
ModelOutput token_pair(const JsonSpec& spec, const char* key) {
  const nlohmann::json& pair = spec.at(key);
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_number_integer()) {
    spec.fail(std::string("field \"") + key + "\" must be [token, id]");
  }
  return ModelOutput{{pair[1].get<int>()}, {pair[0].get<std::string>()}};
}

std::unique_ptr<PostProcessor> template_processing(const JsonSpec& spec) {
  const nlohmann::json& single = spec.at("single");
  if (!single.is_array()) spec.fail("field \"single\" must be an array");
  const nlohmann::json specials = spec.has("special_tokens") ? spec.at("special_tokens") : nlohmann::json::object();
  ModelOutput before, after;
  bool seen_sequence = false;
  for (const nlohmann::json& piece : single) {
    if (piece.is_object() && piece.contains("Sequence")) {
      if (seen_sequence) spec.fail("\"single\" names the sequence twice");
      seen_sequence = true;
      continue;
    }
    if (!piece.is_object() || !piece.contains("SpecialToken") || !piece["SpecialToken"].contains("id") ||
        !piece["SpecialToken"]["id"].is_string()) {
      spec.fail("\"single\" holds a piece that is neither {\"Sequence\": ...} nor {\"SpecialToken\": {\"id\": ...}}");
    }
    const std::string name = piece["SpecialToken"]["id"].get<std::string>();
    if (!specials.is_object() || !specials.contains(name)) spec.fail("special token \"" + name + "\" is not in \"special_tokens\"");
    const nlohmann::json& entry = specials[name];
    if (!entry.contains("ids") || !entry.contains("tokens") || !entry["ids"].is_array() || !entry["tokens"].is_array() ||
        entry["ids"].size() != entry["tokens"].size()) {
      spec.fail("special token \"" + name + "\" needs \"ids\" and \"tokens\" arrays of one length");
    }
    ModelOutput& side = seen_sequence ? after : before;
    for (size_t k = 0; k < entry["ids"].size(); ++k) {
      if (!entry["ids"][k].is_number_integer() || !entry["tokens"][k].is_string()) {
        spec.fail("special token \"" + name + "\" has a bad id or token");
      }
      side.ids.push_back(entry["ids"][k].get<int>());
      side.tokens.push_back(entry["tokens"][k].get<std::string>());
    }
  }
  if (!seen_sequence) spec.fail("\"single\" never names the sequence ($A)");
  return std::make_unique<Wrap>(std::move(before), std::move(after));
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const JsonSpec& untyped) {
  const std::string type = untyped.type();
  const JsonSpec spec = untyped.typed(type);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    return std::make_unique<Wrap>(token_pair(spec, "cls"), token_pair(spec, "sep"));
  }
  if (type == "TemplateProcessing") return template_processing(spec);
  if (type == "ByteLevel") return std::make_unique<NoChange>();
  if (type == "Sequence") return std::make_unique<Sequence>(spec);
  untyped.unknown_type(type);
}

}  // namespace bertscope
