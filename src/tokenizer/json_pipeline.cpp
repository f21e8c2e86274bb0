#include "tokenizer/json_pipeline.h"

#include <utility>

#include "common/error.h"
#include "common/read_file.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

// Real tokenizer.json files reach ~20 MB (250k-piece SentencePiece vocabularies).
constexpr std::uintmax_t kMaxJsonBytes = 512ull * 1024 * 1024;

}  // namespace

std::shared_ptr<const JsonPipeline> JsonPipeline::load(const std::string& path) {
  return parse(read_small_file(path, kMaxJsonBytes), path);
}

std::shared_ptr<const JsonPipeline> JsonPipeline::parse(std::string_view json_text, const std::string& path) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  return from_json(root, path);
}

std::shared_ptr<const JsonPipeline> JsonPipeline::from_json(const nlohmann::json& root, const std::string& path) {
  // Every field is read through JsonSpec, which checks types first; this is the net under
  // it, so that no JSON library exception ever escapes without the file's name.
  try {
    return build(root, path);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": unexpected JSON content: " + e.what());
  }
}

std::shared_ptr<const JsonPipeline> JsonPipeline::build(const nlohmann::json& root, const std::string& path) {
  if (!root.is_object()) throw Error(path + ": not a tokenizer.json (the top level is not an object)");
  auto pipeline = std::make_shared<JsonPipeline>();
  pipeline->path_ = path;
  const JsonSpec top(root, path, "tokenizer.json");
  auto part = [&](const char* key) { return JsonSpec(root.at(key), path, key); };
  if (top.has("normalizer")) pipeline->normalizer_ = make_normalizer(part("normalizer"));
  if (top.has("pre_tokenizer")) pipeline->pre_tokenizer_ = make_pre_tokenizer(part("pre_tokenizer"));
  if (!top.has("model")) throw Error(path + ": not a tokenizer.json (no \"model\")");
  pipeline->model_ = make_token_model(part("model"));
  if (top.has("post_processor")) pipeline->post_processor_ = make_post_processor(part("post_processor"));
  if (top.has("decoder")) pipeline->decoder_ = make_decoder(part("decoder"));
  if (top.has("added_tokens")) pipeline->added_ = AddedVocabulary(part("added_tokens"), pipeline->normalizer_.get());
  // Added tokens extend the model's ids by a few; an id far beyond would make every id up
  // to it a vocabulary entry (and tokens_by_id() allocate for all of them).
  const size_t room = static_cast<size_t>(pipeline->model_->table().end_id()) + 2 * pipeline->added_.tokens().size() + 1024;
  for (const AddedToken& token : pipeline->added_.tokens()) {
    if (static_cast<size_t>(token.id) >= room) {
      throw Error(path + ": added token \"" + token.content + "\" has id " + std::to_string(token.id) +
                  ", far beyond the model's " + std::to_string(pipeline->model_->table().end_id()) + " ids");
    }
  }
  return pipeline;
}

ModelOutput JsonPipeline::tokenize(std::string_view raw) const {
  // The library takes a Rust &str: make ill-formed bytes U+FFFD first, so that every
  // stage sees well-formed UTF-8.
  std::string repaired;
  std::string_view text = raw;
  if (!unicode::is_valid_utf8(raw)) {
    repaired = unicode::encode_utf8(unicode::decode_utf8(raw));
    text = repaired;
  }
  ModelOutput out;
  std::vector<PreToken> words;
  for (TextSegment& segment : added_.extract_and_normalize(text, normalizer_.get())) {
    if (segment.id >= 0) {
      out.ids.push_back(segment.id);
      out.tokens.push_back(std::move(segment.text));
      continue;
    }
    words.clear();
    PreToken whole{std::move(segment.text), segment.at_start};
    if (pre_tokenizer_) {
      pre_tokenizer_->split(whole, words);
    } else if (!whole.text.empty()) {
      words.push_back(std::move(whole));
    }
    for (const PreToken& word : words) model_->tokenize(word.text, out);
  }
  return out;
}

ModelOutput JsonPipeline::encode(std::string_view text) const {
  ModelOutput out = tokenize(text);
  if (post_processor_) post_processor_->add_special_tokens(out);
  return out;
}

std::string JsonPipeline::decode(const std::vector<int>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int id : ids) {
    if (const AddedToken* added = added_.find_id(id)) {
      if (skip_special_tokens && added->special) continue;
      tokens.push_back(added->content);
    } else if (const std::string* token = model_->table().token(id)) {
      tokens.push_back(*token);
    }
  }
  if (decoder_) return decoder_->decode(std::move(tokens));
  // No decoder: the library joins with spaces.
  std::string out;
  for (size_t k = 0; k < tokens.size(); ++k) out += (k ? " " : "") + tokens[k];
  return out;
}

std::vector<std::string> JsonPipeline::tokens_by_id() const {
  int end = model_->table().end_id();
  for (const AddedToken& token : added_.tokens()) end = std::max(end, token.id + 1);
  std::vector<std::string> tokens(static_cast<size_t>(end));
  for (int id = 0; id < model_->table().end_id(); ++id) {
    if (const std::string* token = model_->table().token(id)) tokens[static_cast<size_t>(id)] = *token;
  }
  for (const AddedToken& token : added_.tokens()) tokens[static_cast<size_t>(token.id)] = token.content;
  return tokens;
}

}  // namespace bertscope
