#include "model/model_config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/error.h"
#include "common/json_preview.h"
#include "common/read_file.h"
#include "model/family.h"

namespace bertscope {

using json = nlohmann::json;

namespace {

// "string \"32\"" and the like, for wrong-type messages.
std::string describe(const json& v) { return std::string(v.type_name()) + " " + json_preview(v); }

}  // namespace

void ConfigReader::fail(const std::string& message) const { throw Error(origin_ + ": " + message); }

bool ConfigReader::has(const char* field) const {
  const auto it = j_.find(field);
  return it != j_.end() && !it->is_null();
}

int ConfigReader::integer(const char* field, int lo, int hi, std::optional<int> fallback) const {
  const auto it = j_.find(field);
  if (it == j_.end() || it->is_null()) {
    if (fallback) return *fallback;
    fail(std::string("missing field '") + field + "'");
  }
  if (!it->is_number_integer()) fail(std::string("field '") + field + "' must be an integer, got " + describe(*it));
  const bool negative = !it->is_number_unsigned();
  const auto value = negative ? it->get<int64_t>() : static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX));
  if (value < lo || value > hi) {
    fail(std::string("field '") + field + "' is " + it->dump() + ", expected " + std::to_string(lo) + " to " +
         std::to_string(hi));
  }
  return static_cast<int>(value);
}

float ConfigReader::epsilon(const char* field, float fallback) const {
  const auto it = j_.find(field);
  if (it == j_.end() || it->is_null()) return fallback;
  if (!it->is_number()) fail(std::string("field '") + field + "' must be a number, got " + describe(*it));
  const double eps = it->get<double>();
  // Must stay a positive float32: 0 or a huge epsilon would silently change every LayerNorm.
  if (!(eps > 0.0 && eps < 1.0) || static_cast<float>(eps) == 0.0f) {
    fail(std::string("field '") + field + "' is " + it->dump() + ", expected a positive value below 1");
  }
  return static_cast<float>(eps);
}

float ConfigReader::positive_number(const char* field) const {
  const auto it = j_.find(field);
  if (it == j_.end() || it->is_null()) fail(std::string("missing field '") + field + "'");
  if (!it->is_number()) fail(std::string("field '") + field + "' must be a number, got " + describe(*it));
  const double value = it->get<double>();
  if (!(value > 0.0 && value < 1e30)) fail(std::string("field '") + field + "' is " + it->dump() + ", expected a positive number");
  return static_cast<float>(value);
}

std::optional<std::string> ConfigReader::string(const char* field) const {
  const auto it = j_.find(field);
  if (it == j_.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) fail(std::string("field '") + field + "' must be a string, got " + describe(*it));
  return it->get<std::string>();
}

std::optional<bool> ConfigReader::boolean(const char* field) const {
  const auto it = j_.find(field);
  if (it == j_.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) fail(std::string("field '") + field + "' must be true or false, got " + describe(*it));
  return it->get<bool>();
}

Activation ConfigReader::activation(const char* field, const std::string& fallback, std::string* name) const {
  const std::string act = string(field).value_or(fallback);
  if (name) *name = act;
  // HuggingFace's ACT2FN names. Anything else would run plausible-looking but wrong math.
  if (act == "gelu") return Activation::Gelu;
  if (act == "gelu_new" || act == "gelu_pytorch_tanh") return Activation::GeluTanh;
  if (act == "relu") return Activation::Relu;
  fail(std::string(field) + " '" + text_preview(act, 40) +
       "' is not supported (supported: 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu')");
}

void ConfigReader::only(const char* field, const std::vector<std::string>& allowed) const {
  const auto it = j_.find(field);
  if (it == j_.end() || it->is_null()) return;
  if (it->is_string() && std::find(allowed.begin(), allowed.end(), it->get<std::string>()) != allowed.end()) return;
  std::string listed;
  for (const std::string& a : allowed) listed += (listed.empty() ? "\"" : ", \"") + a + "\"";
  fail(std::string(field) + " " + json_preview(*it) + " is not supported (only " + listed + ")");
}

void check_model_config(const ModelConfig& c, const ConfigReader& reader) {
  if (c.num_attention_heads > c.hidden_size) {
    reader.fail("num_attention_heads " + std::to_string(c.num_attention_heads) + " exceeds hidden_size " +
                std::to_string(c.hidden_size));
  }
  if (c.hidden_size % c.num_attention_heads != 0) {
    reader.fail("hidden_size " + std::to_string(c.hidden_size) + " is not divisible by num_attention_heads " +
                std::to_string(c.num_attention_heads));
  }
  if (c.max_tokens() < 1) {
    reader.fail("max_position_embeddings " + std::to_string(c.max_position_embeddings) +
                " leaves no position after pad_token_id " + std::to_string(c.pad_token_id));
  }
  if (c.num_hidden_layers % c.num_hidden_groups != 0) {
    reader.fail("num_hidden_layers " + std::to_string(c.num_hidden_layers) + " is not a multiple of num_hidden_groups " +
                std::to_string(c.num_hidden_groups));
  }
}

ModelConfig ModelConfig::load(const std::string& config_json_path) {
  // A config.json is under a few KB; 16 MB leaves room for any label map a config may carry.
  return parse(read_small_file(config_json_path, 16u << 20), config_json_path);
}

ModelConfig ModelConfig::parse(const std::string& json_text, const std::string& origin) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw Error(origin + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw Error(origin + ": expected a JSON object, got " + describe(j));
  const ConfigReader reader(j, origin);
  const Family& family = family_of(reader.string("model_type").value_or("bert"), origin);
  ModelConfig c;
  c.family = family.model_type;
  c.architecture = family.architecture;
  family.read_config(reader, c);
  if (c.embedding_size == 0) c.embedding_size = c.hidden_size;
  if (c.head_size == 0) c.head_size = c.hidden_size;
  check_model_config(c, reader);
  return c;
}

}  // namespace bertscope
