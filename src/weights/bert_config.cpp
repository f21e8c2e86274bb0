#include "weights/bert_config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/error.h"
#include "common/json_preview.h"
#include "common/read_file.h"

namespace bertscope {

using json = nlohmann::json;

namespace {

// "string \"32\"" and the like, for wrong-type messages.
std::string describe(const json& v) { return std::string(v.type_name()) + " " + json_preview(v); }

// An integer field within [lo, hi]. The upper bounds are far above any real BERT and
// only refuse values that would overflow sizes computed from them (a corrupt or hostile file).
int int_field(const json& j, const std::string& origin, const char* field, int lo, int hi,
              std::optional<int> fallback = std::nullopt) {
  const auto it = j.find(field);
  if (it == j.end()) {
    if (fallback) return *fallback;
    throw Error(origin + ": missing field '" + field + "'");
  }
  if (!it->is_number_integer())
    throw Error(origin + ": field '" + field + "' must be an integer, got " + describe(*it));
  const bool negative = !it->is_number_unsigned();
  const auto value = negative ? it->get<int64_t>() : static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX));
  if (value < lo || value > hi)
    throw Error(origin + ": field '" + field + "' is " + it->dump() + ", expected " + std::to_string(lo) + " to " +
                std::to_string(hi));
  return static_cast<int>(value);
}

}  // namespace

BertConfig BertConfig::load(const std::string& config_json_path) {
  // A BERT config.json is under 1 KB; 16 MB leaves room for any label map a config may carry.
  return parse(read_small_file(config_json_path, 16u << 20), config_json_path);
}

BertConfig BertConfig::parse(const std::string& json_text, const std::string& origin) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw Error(origin + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw Error(origin + ": expected a JSON object, got " + describe(j));

  BertConfig c;
  c.vocab_size = int_field(j, origin, "vocab_size", 1, 10'000'000);
  c.hidden_size = int_field(j, origin, "hidden_size", 1, 65'536);
  c.num_hidden_layers = int_field(j, origin, "num_hidden_layers", 1, 1'000);
  c.num_attention_heads = int_field(j, origin, "num_attention_heads", 1, 65'536);
  c.intermediate_size = int_field(j, origin, "intermediate_size", 1, 1'000'000);
  c.max_position_embeddings = int_field(j, origin, "max_position_embeddings", 1, 1'000'000);
  c.type_vocab_size = int_field(j, origin, "type_vocab_size", 1, 1'000, 2);

  if (c.num_attention_heads > c.hidden_size)
    throw Error(origin + ": num_attention_heads " + std::to_string(c.num_attention_heads) + " exceeds hidden_size " +
                std::to_string(c.hidden_size));
  if (c.hidden_size % c.num_attention_heads != 0)
    throw Error(origin + ": hidden_size " + std::to_string(c.hidden_size) + " is not divisible by num_attention_heads " +
                std::to_string(c.num_attention_heads));

  if (const auto it = j.find("layer_norm_eps"); it != j.end()) {
    if (!it->is_number()) throw Error(origin + ": field 'layer_norm_eps' must be a number, got " + describe(*it));
    const double eps = it->get<double>();
    // Must stay a positive float32: 0 or a huge epsilon would silently change every LayerNorm.
    if (!(eps > 0.0 && eps < 1.0) || static_cast<float>(eps) == 0.0f)
      throw Error(origin + ": field 'layer_norm_eps' is " + it->dump() + ", expected a positive value below 1");
    c.layer_norm_eps = static_cast<float>(eps);
  }

  if (const auto it = j.find("hidden_act"); it != j.end()) {
    if (!it->is_string()) throw Error(origin + ": field 'hidden_act' must be a string, got " + describe(*it));
    c.hidden_act = it->get<std::string>();
    // Only exact (erf) GELU is implemented; running "gelu_new" or "relu" weights through it
    // would give plausible-looking but wrong outputs.
    if (c.hidden_act != "gelu")
      throw Error(origin + ": hidden_act '" + text_preview(c.hidden_act, 40) + "' is not supported (only 'gelu')");
  }

  // Relative position schemes add tensors and change attention; refuse rather than ignore.
  if (const auto it = j.find("position_embedding_type"); it != j.end() && !it->is_null()) {
    if (!it->is_string() || it->get<std::string>() != "absolute")
      throw Error(origin + ": position_embedding_type " + json_preview(*it) + " is not supported (only \"absolute\")");
  }
  return c;
}

}  // namespace bertscope
