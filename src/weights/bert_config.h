#pragma once
// The fields of a HuggingFace BertConfig (config.json) that the forward pass needs,
// validated: a bad or absurd value is an Error naming the file and the field.
#include <string>

namespace bertscope {

struct BertConfig {
  int vocab_size = 0;
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;
  int type_vocab_size = 0;
  float layer_norm_eps = 1e-12f;
  std::string hidden_act = "gelu";  // only exact erf "gelu" is supported

  int head_dim() const { return hidden_size / num_attention_heads; }
  static BertConfig load(const std::string& config_json_path);
  static BertConfig parse(const std::string& json_text, const std::string& origin);
};

}  // namespace bertscope
