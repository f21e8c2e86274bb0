// Tokenizer::from_bpe_files: a byte-level BPE checkpoint that ships vocab.json + merges.txt
// but no tokenizer.json (older GPT-2 / RoBERTa uploads). It builds the tokenizer.json that
// HF's GPT2Converter / RobertaConverter (convert_slow_tokenizer.py) would write and runs it.
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/read_file.h"
#include "tokenizer/json_pipeline.h"
#include "tokenizer/tokenizer.h"

namespace bertscope {

namespace {

constexpr std::uintmax_t kMaxFileBytes = 256ull * 1024 * 1024;

nlohmann::json read_json(const std::string& path) {
  try {
    return nlohmann::json::parse(read_small_file(path, kMaxFileBytes));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
}

// merges.txt: an optional "#version" line, then one "left right" merge a line.
nlohmann::json read_merges(const std::string& path) {
  const std::string text = read_small_file(path, kMaxFileBytes);
  nlohmann::json merges = nlohmann::json::array();
  size_t start = 0;
  size_t number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (number == 1 && line.starts_with("#version"))) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
      throw Error(path + ": line " + std::to_string(number) + " is not two tokens separated by one space");
    }
    merges.push_back(nlohmann::json::array({line.substr(0, space), line.substr(space + 1)}));
  }
  return merges;
}

// "<s>" or {"content": "<s>", ...} in tokenizer_config.json; "" when absent or null.
std::string token_name(const nlohmann::json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return "";
  const nlohmann::json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return "";
}

// The tokenizer.json the converters would write for these files.
nlohmann::json converter_output(const std::string& vocab_json_path, const std::string& merges_txt_path,
                                const std::string& tokenizer_config_path) {
  const nlohmann::json vocab = read_json(vocab_json_path);
  if (!vocab.is_object()) throw Error(vocab_json_path + ": not a {\"token\": id} object");
  const nlohmann::json config = tokenizer_config_path.empty() ? nlohmann::json::object() : read_json(tokenizer_config_path);
  if (!config.is_object()) throw Error(tokenizer_config_path + ": the top level is not a JSON object");

  auto id_of = [&](const std::string& token) -> int {
    const auto it = vocab.find(token);
    if (it == vocab.end() || !it->is_number_integer()) {
      throw Error(vocab_json_path + ": special token \"" + token + "\" (named by " + tokenizer_config_path +
                  ") is not in the vocabulary");
    }
    return it->get<int>();
  };

  nlohmann::json added = nlohmann::json::array();
  if (config.contains("added_tokens_decoder") && config["added_tokens_decoder"].is_object()) {
    // Newer configs list every added token with its flags, keyed by id.
    for (const auto& [id, token] : config["added_tokens_decoder"].items()) {
      if (!token.is_object()) throw Error(tokenizer_config_path + ": added_tokens_decoder entry \"" + id + "\" is not an object");
      nlohmann::json entry = token;
      try {
        entry["id"] = std::stoi(id);
      } catch (const std::exception&) {
        throw Error(tokenizer_config_path + ": added_tokens_decoder key \"" + id + "\" is not an id");
      }
      added.push_back(std::move(entry));
    }
  } else {
    // Older ones only name the special tokens: special, not normalized; the mask takes the
    // space before it (RobertaTokenizer's lstrip=True).
    for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "cls_token", "pad_token", "mask_token"}) {
      const std::string name = token_name(config, key);
      if (name.empty()) continue;
      bool listed = false;
      for (const nlohmann::json& entry : added) listed = listed || entry["content"] == name;
      if (listed) continue;
      added.push_back({{"id", id_of(name)}, {"content", name}, {"single_word", false},
                       {"lstrip", std::string(key) == "mask_token"}, {"rstrip", false}, {"normalized", false},
                       {"special", true}});
    }
  }

  const bool prefix_space = config.contains("add_prefix_space") && config["add_prefix_space"].is_boolean() &&
                            config["add_prefix_space"].get<bool>();
  nlohmann::json root = {
      {"added_tokens", added},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", prefix_space}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model",
       {{"type", "BPE"}, {"vocab", vocab}, {"merges", read_merges(merges_txt_path)}, {"unk_token", nullptr}}}};
  const std::string cls = token_name(config, "cls_token");
  const std::string sep = token_name(config, "sep_token");
  const std::string bos = token_name(config, "bos_token");
  if (!cls.empty() && !sep.empty()) {
    // RoBERTa, BART, Longformer: <s> text </s>.
    root["post_processor"] = {{"type", "RobertaProcessing"},
                              {"cls", nlohmann::json::array({cls, id_of(cls)})},
                              {"sep", nlohmann::json::array({sep, id_of(sep)})}};
  } else if (config.contains("add_bos_token") && config["add_bos_token"] == true && !bos.empty()) {
    // GPT-2 style with add_bos_token: <|endoftext|> text.
    nlohmann::json special = {{"id", bos}, {"ids", nlohmann::json::array({id_of(bos)})},
                              {"tokens", nlohmann::json::array({bos})}};
    nlohmann::json single = nlohmann::json::array();
    single.push_back({{"SpecialToken", {{"id", bos}, {"type_id", 0}}}});
    single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
    root["post_processor"] = {{"type", "TemplateProcessing"}, {"single", single}, {"special_tokens", {{bos, special}}}};
  }
  return root;
}

}  // namespace

Tokenizer Tokenizer::from_bpe_files(const std::string& vocab_json_path, const std::string& merges_txt_path,
                                    const std::string& tokenizer_config_path) {
  nlohmann::json root;
  try {
    root = converter_output(vocab_json_path, merges_txt_path, tokenizer_config_path);
  } catch (const nlohmann::json::exception& e) {
    throw Error(tokenizer_config_path + ": unexpected JSON content: " + e.what());
  }
  return from_pipeline(JsonPipeline::from_json(root, vocab_json_path), tokenizer_config_path);
}

}  // namespace bertscope
