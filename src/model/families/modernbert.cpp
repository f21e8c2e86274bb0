// ModernBERT (ModernBertForMaskedLM; mmBERT loads as the same class): pre-LayerNorm blocks
// (block 0's attention norm an identity), no position table but rotary embeddings on q and k
// with a theta per layer type from the config, alternating attention (every
// global_attn_every_n_layers-th layer global, the others within local_attention / 2 tokens
// either side), a fused Wqkv, the GLU FFN (Wi's rows input | gate: Wo(act(input) * gate)),
// biases and norm biases only where the config asks, a final norm, and the head dense ->
// activation -> norm -> decoder tied to the embeddings. final_norm runs inside the head, so
// blocks.{last}.out is HF's last hidden_states entry (before final_norm).
#include "model/families/common.h"

namespace bertscope::recipes {

namespace {

void read_config(const ConfigReader& r, ModelConfig& c) {
  c.vocab_size = r.integer("vocab_size", 1, 10'000'000);
  c.hidden_size = r.integer("hidden_size", 1, 65'536);
  c.num_hidden_layers = r.integer("num_hidden_layers", 1, 1'000);
  c.num_attention_heads = r.integer("num_attention_heads", 1, 65'536);
  c.intermediate_size = r.integer("intermediate_size", 1, 1'000'000);
  c.max_position_embeddings = r.integer("max_position_embeddings", 1, 1'000'000);
  c.pad_token_id = r.integer("pad_token_id", 0, c.vocab_size - 1, 50'283);
  c.type_vocab_size = 0;
  c.learned_positions = false;
  c.layer_norm_eps = r.epsilon("norm_eps", 1e-5f);
  c.ffn_activation = r.activation("hidden_activation", "gelu", &c.hidden_act);
  c.head_activation = r.activation("classifier_activation", "gelu");  // ModernBertPredictionHead
  c.block_layout = BlockLayout::PreNorm;
  c.glu_ffn = true;
  c.final_norm = true;
  // HF's defaults (ModernBertConfig) where a field is absent.
  c.norm_bias = r.boolean("norm_bias").value_or(false);
  c.attention_bias = r.boolean("attention_bias").value_or(false);
  c.mlp_bias = r.boolean("mlp_bias").value_or(false);
  c.head_bias = r.boolean("classifier_bias").value_or(false);
  c.decoder_bias = r.boolean("decoder_bias").value_or(true);
  // The thetas are read, never assumed: real checkpoints differ (ModernBERT 160000/10000,
  // mmBERT other values). HF uses the global theta for local layers when local_rope_theta is null.
  c.global_rope_theta = r.positive_number("global_rope_theta");
  c.local_rope_theta = r.has("local_rope_theta") ? r.positive_number("local_rope_theta") : c.global_rope_theta;
  c.global_attn_every_n_layers = r.integer("global_attn_every_n_layers", 1, 1'000);
  c.local_window_half = r.integer("local_attention", 0, 1'000'000) / 2;
  if (c.hidden_size / c.num_attention_heads % 2 != 0) r.fail("rotary embeddings need an even head dimension");
}

TensorNames tensor_names(const ModelConfig&) {
  TensorNames n;
  n.word_embeddings = "model.embeddings.tok_embeddings.weight";
  n.embeddings_norm = "model.embeddings.norm";
  n.block = "model.layers.{L}.";
  n.first_attention_norm_identity = true;
  n.query = "attn.Wqkv";
  n.attention_output = "attn.Wo";
  n.attention_norm = "attn_norm";
  n.ffn_in = "mlp.Wi";
  n.ffn_out = "mlp.Wo";
  n.output_norm = "mlp_norm";
  n.final_norm = "model.final_norm";
  n.head_dense = "head.dense";
  n.head_norm = "head.norm";
  n.decoder = "decoder.weight";
  n.decoder_bias = "decoder.bias";
  return n;
}

std::array<std::string, kSiteKinds> modules() {
  const std::string layer = "model.layers[L]";
  return {"model.embeddings (norm of tok_embeddings, hidden_states[0])",
          layer + ".attn.Wqkv (query third, after rotary)",
          layer + ".attn.Wqkv (key third, after rotary)",
          layer + ".attn.Wqkv (value third)",
          layer + ".attn (attn_weights before softmax, window mask applied in local layers)",
          layer + ".attn (attn_weights, output_attentions)",
          layer + ".attn (attn_output by head)",
          layer + ".attn (merged heads, the input of Wo)",
          layer + ".attn.Wo (per head)",
          layer + ".attn (Wo's output, before the residual)",
          layer + ": residual + attention (resid_mid, the input of mlp_norm)",
          layer + ".mlp.Wi (input half, the activation's input)",
          layer + ".mlp (act(input) * gate, the input of Wo)",
          layer + ".mlp (Wo's output, before the residual)",
          layer + " (the residual stream; the last block's before final_norm)"};
}

}  // namespace

const Family modernbert{"modernbert", "ModernBertForMaskedLM", "ModernBERT (and mmBERT)",
                        "pre-LayerNorm; rotary positions; alternating global/local attention; GLU FFN; final norm",
                        read_config, tensor_names, modules()};

}  // namespace bertscope::recipes
