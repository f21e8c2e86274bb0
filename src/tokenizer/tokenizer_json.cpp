// Tokenizer::from_json: the tokenizer.json pipeline, and which of its tokens are the
// special ones (tokenizer_config.json, special_tokens_map.json, else the usual names).
#include <filesystem>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/read_file.h"
#include "tokenizer/json_pipeline.h"
#include "tokenizer/tokenizer.h"

namespace bertscope {

namespace {

constexpr std::uintmax_t kMaxConfigBytes = 16ull * 1024 * 1024;

// A JSON file of special-token names, or null when `path` is "" or does not exist.
nlohmann::json read_names_file(const std::string& path, bool must_exist) {
  if (path.empty()) return nullptr;
  std::error_code ec;
  if (!must_exist && !std::filesystem::exists(path, ec)) return nullptr;
  const std::string text = read_small_file(path, kMaxConfigBytes);
  try {
    nlohmann::json value = nlohmann::json::parse(text);
    if (!value.is_object()) throw Error(path + ": the top level is not a JSON object");
    return value;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
}

// "mask_token": "<mask>" or {"content": "<mask>", "lstrip": true, ...}.
std::string name_in(const nlohmann::json& file, const char* key) {
  if (!file.is_object() || !file.contains(key)) return "";
  const nlohmann::json& value = file[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  return "";
}

SpecialTokenNames resolve_names(const JsonPipeline& pipeline, const std::string& config_path) {
  namespace fs = std::filesystem;
  const nlohmann::json config = read_names_file(config_path, true);
  const fs::path dir = fs::path(config_path.empty() ? pipeline.path() : config_path).parent_path();
  const nlohmann::json map = read_names_file((dir / "special_tokens_map.json").string(), false);

  // The first added special token among `candidates`, for files that name nothing.
  auto guess = [&](std::initializer_list<const char*> candidates) -> std::string {
    for (const char* candidate : candidates) {
      for (const AddedToken& token : pipeline.added().tokens()) {
        if (token.special && token.content == candidate) return token.content;
      }
    }
    return "";
  };
  const bool named = config.is_object() || map.is_object();
  auto pick = [&](const char* key, std::initializer_list<const char*> candidates) {
    std::string name = name_in(config, key);
    if (name.empty()) name = name_in(map, key);
    if (name.empty() && !named) name = guess(candidates);
    return name;
  };
  SpecialTokenNames names;
  names.unk = pick("unk_token", {"[UNK]", "<unk>"});
  if (names.unk.empty() && pipeline.model().unk_id() >= 0) {
    if (const std::string* unk = pipeline.model().table().token(pipeline.model().unk_id())) names.unk = *unk;
  }
  names.cls = pick("cls_token", {"[CLS]", "<s>"});
  names.sep = pick("sep_token", {"[SEP]", "</s>"});
  names.pad = pick("pad_token", {"[PAD]", "<pad>"});
  names.mask = pick("mask_token", {"[MASK]", "<mask>"});
  names.bos = pick("bos_token", {"<s>"});
  names.eos = pick("eos_token", {"</s>"});
  return names;
}

}  // namespace

Tokenizer Tokenizer::from_json(const std::string& tokenizer_json_path, const std::string& tokenizer_config_path) {
  return from_pipeline(JsonPipeline::load(tokenizer_json_path), tokenizer_config_path);
}

Tokenizer Tokenizer::from_pipeline(std::shared_ptr<const JsonPipeline> pipeline, const std::string& config_path) {
  const std::string& tokenizer_json_path = pipeline->path();
  std::vector<std::string> tokens = pipeline->tokens_by_id();
  // Every id the post-processor adds must name a token: callers look ids up in vocab().
  for (int id : pipeline->encode("").ids) {
    if (id < 0 || static_cast<size_t>(id) >= tokens.size() || tokens[static_cast<size_t>(id)].empty()) {
      throw Error(tokenizer_json_path + ": post_processor adds id " + std::to_string(id) +
                  ", which is not in the vocabulary");
    }
  }
  Vocab vocab = Vocab::from_id_tokens(std::move(tokens), resolve_names(*pipeline, config_path),
                                      tokenizer_json_path);
  TokenizerOptions options;
  options.lower_case = pipeline->lower_cases();
  options.strip_accents = false;
  options.split_cjk = false;
  return Tokenizer(std::move(vocab), options, std::move(pipeline));
}

}  // namespace bertscope
