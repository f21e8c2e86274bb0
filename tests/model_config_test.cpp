// config.json parsing: the reference configs, defaults, and every way a field can be wrong.
#include "model/model_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

using namespace bertscope;
using namespace bertscope::test;

namespace {

// A valid config (the tiny-fp32 numbers) with `edit` applied; null values remove the key.
std::string config_with(const nlohmann::json& edit) {
  nlohmann::json j = {{"vocab_size", 30522},       {"hidden_size", 32},          {"num_hidden_layers", 2},
                      {"num_attention_heads", 4},  {"intermediate_size", 64},     {"max_position_embeddings", 64},
                      {"type_vocab_size", 2},      {"layer_norm_eps", 1e-12},     {"hidden_act", "gelu"}};
  j.merge_patch(edit);
  return j.dump();
}

void expect_config_error(const nlohmann::json& edit, std::initializer_list<std::string> pieces) {
  SCOPED_TRACE(edit.dump());
  expect_error([&] { ModelConfig::parse(config_with(edit), "some/config.json"); }, {"some/config.json: "});
  expect_error([&] { ModelConfig::parse(config_with(edit), "some/config.json"); }, pieces);
}

}  // namespace

TEST(ModelConfig, ReferenceConfigsParse) {
  struct Case {
    const char* name;
    int vocab, hidden, layers, heads, ffn;
  };
  const Case cases[] = {{"tiny-fp32", 30522, 32, 2, 4, 64},
                        {"tiny-legacy-f16", 30522, 48, 3, 3, 96},
                        {"small-bf16", 4000, 64, 4, 8, 256}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto config = ModelConfig::load(reference_dir() + "/models/" + c.name + "/config.json");
    EXPECT_EQ(config.vocab_size, c.vocab);
    EXPECT_EQ(config.hidden_size, c.hidden);
    EXPECT_EQ(config.num_hidden_layers, c.layers);
    EXPECT_EQ(config.num_attention_heads, c.heads);
    EXPECT_EQ(config.intermediate_size, c.ffn);
    EXPECT_EQ(config.head_dim(), c.hidden / c.heads);
    EXPECT_EQ(config.max_position_embeddings, 64);
    EXPECT_EQ(config.type_vocab_size, 2);
    EXPECT_EQ(config.layer_norm_eps, 1e-12f);
    EXPECT_EQ(config.hidden_act, "gelu");
  }
}

TEST(ModelConfig, OptionalFieldsDefault) {
  const auto c = ModelConfig::parse(
      config_with({{"type_vocab_size", nullptr}, {"layer_norm_eps", nullptr}, {"hidden_act", nullptr}}), "c.json");
  EXPECT_EQ(c.type_vocab_size, 2);
  EXPECT_EQ(c.layer_norm_eps, 1e-12f);
  EXPECT_EQ(c.hidden_act, "gelu");
  const auto d = ModelConfig::parse(config_with({{"type_vocab_size", 1}, {"layer_norm_eps", 1e-5}}), "c.json");
  EXPECT_EQ(d.type_vocab_size, 1);
  EXPECT_EQ(d.layer_norm_eps, 1e-5f);
}

TEST(ModelConfig, MissingRequiredField) {
  for (const char* field : {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                            "intermediate_size", "max_position_embeddings"})
    expect_config_error({{field, nullptr}}, {std::string("missing field '") + field + "'"});
}

TEST(ModelConfig, NonPositiveAndAbsurdValues) {
  expect_config_error({{"num_attention_heads", 0}}, {"field 'num_attention_heads' is 0, expected 1 to"});
  expect_config_error({{"hidden_size", -32}}, {"field 'hidden_size' is -32, expected 1 to 65536"});
  expect_config_error({{"num_hidden_layers", 1000000000}}, {"field 'num_hidden_layers' is 1000000000, expected 1 to 1000"});
  expect_config_error({{"vocab_size", 10000001}}, {"field 'vocab_size' is 10000001"});
  expect_config_error({{"max_position_embeddings", 1000001}}, {"field 'max_position_embeddings' is 1000001"});
  expect_config_error({{"intermediate_size", 1000001}}, {"field 'intermediate_size' is 1000001"});
  expect_config_error({{"hidden_size", 65537}}, {"field 'hidden_size' is 65537"});
  expect_config_error({{"vocab_size", 18446744073709551615ull}}, {"field 'vocab_size' is 18446744073709551615"});
  expect_config_error({{"layer_norm_eps", 0}}, {"field 'layer_norm_eps' is 0, expected a positive value below 1"});
  expect_config_error({{"layer_norm_eps", 1e-60}}, {"field 'layer_norm_eps'"});  // 0 in float32
}

TEST(ModelConfig, HeadsMustDivideHidden) {
  expect_config_error({{"hidden_size", 30}}, {"hidden_size 30 is not divisible by num_attention_heads 4"});
  expect_config_error({{"hidden_size", 2}}, {"num_attention_heads 4 exceeds hidden_size 2"});
}

TEST(ModelConfig, WrongTypes) {
  expect_config_error({{"hidden_size", "32"}}, {"field 'hidden_size' must be an integer, got string \"32\""});
  expect_config_error({{"num_hidden_layers", 2.5}}, {"field 'num_hidden_layers' must be an integer, got number 2.5"});
  expect_config_error({{"vocab_size", true}}, {"field 'vocab_size' must be an integer, got boolean true"});
  expect_config_error({{"layer_norm_eps", "1e-12"}}, {"field 'layer_norm_eps' must be a number"});
  expect_config_error({{"hidden_act", 3}}, {"field 'hidden_act' must be a string"});
  expect_error([] { ModelConfig::parse("[1, 2]", "x/config.json"); }, {"x/config.json: expected a JSON object"});
}

TEST(ModelConfig, UnsupportedActivationAndPositions) {
  // HuggingFace's ACT2FN names that the kernels implement are accepted; any other is refused.
  expect_config_error({{"hidden_act", "swish"}},
                      {"hidden_act 'swish' is not supported (supported: 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu')"});
  expect_config_error({{"hidden_act", "gelu_fast"}}, {"hidden_act 'gelu_fast'"});
  EXPECT_EQ(ModelConfig::parse(config_with({{"hidden_act", "gelu_new"}}), "c.json").ffn_activation, Activation::GeluTanh);
  EXPECT_EQ(ModelConfig::parse(config_with({{"hidden_act", "relu"}}), "c.json").ffn_activation, Activation::Relu);
  expect_config_error({{"position_embedding_type", "relative_key"}},
                      {"position_embedding_type \"relative_key\" is not supported"});
  EXPECT_NO_THROW(ModelConfig::parse(config_with({{"position_embedding_type", "absolute"}}), "c.json"));
}

TEST(ModelConfig, MalformedJsonAndMissingFile) {
  expect_error([] { ModelConfig::parse("{\"vocab_size\": 30522,", "dir/config.json"); },
               {"dir/config.json: not valid JSON"});
  TempDir dir;
  write_bytes(dir.file("config.json"), "{ hidden_size: 32 }");
  expect_error([&] { ModelConfig::load(dir.file("config.json")); }, {dir.file("config.json") + ": not valid JSON"});
  expect_error([&] { ModelConfig::load(dir.file("absent.json")); }, {dir.file("absent.json") + ": cannot read"});
}

TEST(ModelConfig, DeeplyNestedOrHugeValuesAreDescribedBriefly) {
  // Regression: the message used to print the whole value with a recursive dump(), which
  // overflowed the stack (a crash, not an error) on a few hundred thousand nested arrays.
  const std::string deep = std::string(300000, '[') + std::string(300000, ']');
  for (const char* field : {"hidden_size", "layer_norm_eps", "hidden_act", "position_embedding_type"}) {
    SCOPED_TRACE(field);
    std::string text = config_with({{field, "placeholder"}});
    text.replace(text.find("\"placeholder\""), 13, deep);
    expect_error([&] { ModelConfig::parse(text, "c.json"); }, {"c.json: ", "[[[[[[[[", "..."});
  }
  const std::string huge(1 << 20, 'x');
  try {
    ModelConfig::parse(config_with({{"hidden_act", huge}}), "c.json");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_LT(std::string(e.what()).size(), 200u);
  }
}
