#pragma once
// The architecture of a model as the engine runs it, from config.json: one struct for every
// family. Each family's recipe (model/families/) reads its own field names into it (BERT's
// "hidden_size" is DistilBERT's "dim"); a bad or absurd value is an Error naming the file
// and the field, and an option a recipe does not implement is refused, never ignored.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kernels/linear.h"

namespace bertscope {

// How position ids are formed (HuggingFace's create_position_ids_*).
enum class PositionIds {
  FromZero,          // 0, 1, 2, ... (BERT, DistilBERT, ALBERT, ELECTRA)
  AfterPaddingIndex  // RoBERTa: padding_idx + 1 + the count of non-padding tokens before
};

// Where each block's LayerNorms sit.
enum class BlockLayout {
  PostNorm,  // x = LN(x + attn(x)); x = LN(x + mlp(x)) (BERT and its kin)
  PreNorm    // x = x + attn(LN1(x)); x = x + mlp(LN2(x)) (GPT-2, ModernBERT): blocks.L.out is the residual stream
};

struct ModelConfig {
  std::string family = "bert";                // model_type of config.json ("bert", "roberta", ...)
  std::string architecture = "BertForMaskedLM";  // the HuggingFace class this runs as
  int vocab_size = 0;
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;
  int type_vocab_size = 2;   // 0: the family has no token-type embeddings (DistilBERT)
  int embedding_size = 0;    // width of the embedding tables; = hidden_size unless factorized (ALBERT, ELECTRA)
  int head_size = 0;         // width inside the prediction head (dense -> LayerNorm -> decoder)
  float layer_norm_eps = 1e-12f;
  std::string hidden_act = "gelu";  // the FFN's activation, by HuggingFace's name
  Activation ffn_activation = Activation::Gelu;
  Activation head_activation = Activation::Gelu;
  PositionIds position_ids = PositionIds::FromZero;
  int pad_token_id = 0;
  int num_hidden_groups = 1;  // ALBERT: layers share the weights of their group
  bool sinusoidal_positions = false;  // DistilBERT: fixed sinusoidal position embeddings when the file lacks them

  // Pre-LayerNorm and causal families (GPT-2, ModernBERT); the defaults are BERT's.
  BlockLayout block_layout = BlockLayout::PostNorm;
  bool causal = false;             // GPT-2: key j visible from query i only if j <= i; predicts the next token
  bool learned_positions = true;   // false: no position table (ModernBERT: rotary in attention instead)
  bool embeddings_norm = true;     // false: hidden_states[0] = word + position embeddings (GPT-2)
  bool glu_ffn = false;            // ffn_in is [2 x ffn, hidden], rows input | gate: act(input) * gate (ModernBERT)
  bool head_transform = true;      // false: the head is final norm + decoder only (GPT-2)
  bool final_norm = false;         // a LayerNorm after the last block, applied in the head (ln_f, final_norm)
  bool attention_bias = true;      // biases of the attention's matmuls (ModernBERT: attention_bias)
  bool mlp_bias = true;            // biases of the FFN's matmuls (ModernBERT: mlp_bias)
  bool norm_bias = true;           // LayerNorm biases (ModernBERT: norm_bias)
  bool head_bias = true;           // the head's dense bias (ModernBERT: classifier_bias)
  bool decoder_bias = true;        // the decoder's bias (GPT-2's tied lm_head has none)
  // Rotary position embeddings (ModernBERT): theta of the global and of the local layers.
  float global_rope_theta = 0.0f;  // 0: no rotary
  float local_rope_theta = 0.0f;
  // Alternating attention: layer L is global when L % global_attn_every_n_layers == 0,
  // else local: key j visible from query i only if |i - j| <= local_window_half.
  int global_attn_every_n_layers = 1;
  int local_window_half = -1;

  bool rotary() const { return global_rope_theta > 0.0f; }
  bool is_global_layer(int layer) const { return layer % global_attn_every_n_layers == 0; }
  // -1 (no window) for a global layer.
  int window_half(int layer) const { return is_global_layer(layer) ? -1 : local_window_half; }
  float rope_theta(int layer) const { return is_global_layer(layer) ? global_rope_theta : local_rope_theta; }

  int head_dim() const { return hidden_size / num_attention_heads; }
  // The most tokens a prompt may have, [CLS]/<s> and [SEP]/</s> included.
  int max_tokens() const {
    return position_ids == PositionIds::AfterPaddingIndex ? max_position_embeddings - pad_token_id - 1
                                                          : max_position_embeddings;
  }

  // config.json of any supported family: model_type picks the recipe (absent: BERT, as in
  // the original BERT releases); an unknown model_type is an Error listing the families.
  static ModelConfig load(const std::string& config_json_path);
  static ModelConfig parse(const std::string& json_text, const std::string& origin);
};

// Reads config.json's fields with the checks every family shares: an error names the file
// and the field, and bounds refuse values that would overflow the sizes computed from them.
class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& j, std::string origin) : j_(j), origin_(std::move(origin)) {}

  const std::string& origin() const { return origin_; }
  bool has(const char* field) const;
  // An integer in [lo, hi]; absent or null: `fallback`, else an Error.
  int integer(const char* field, int lo, int hi, std::optional<int> fallback = std::nullopt) const;
  // A finite number > 0 (a rotary theta); absent: an Error naming the field.
  float positive_number(const char* field) const;
  // A number in (0, 1) that stays positive in float32 (layer_norm_eps); absent: `fallback`.
  float epsilon(const char* field, float fallback) const;
  std::optional<std::string> string(const char* field) const;
  std::optional<bool> boolean(const char* field) const;
  // An activation by HuggingFace's name (gelu, gelu_new, gelu_pytorch_tanh, relu); absent: `fallback`.
  Activation activation(const char* field, const std::string& fallback, std::string* name = nullptr) const;
  // Refuses a field whose value is present and not one of `allowed` (a string option the
  // recipe does not implement, such as position_embedding_type "relative_key").
  void only(const char* field, const std::vector<std::string>& allowed) const;
  [[noreturn]] void fail(const std::string& message) const;

 private:
  const nlohmann::json& j_;
  std::string origin_;
};

// Checks shared by every family once its fields are read: heads divide hidden, and so on.
void check_model_config(const ModelConfig& c, const ConfigReader& reader);

}  // namespace bertscope
