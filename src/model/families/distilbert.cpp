// DistilBERT (DistilBertForMaskedLM): BERT's post-LayerNorm blocks under other names
// (q_lin, sa_layer_norm, lin1/lin2), no token types, LayerNorm eps fixed at 1e-12, the head
// vocab_transform -> activation -> vocab_layer_norm -> vocab_projector. Its attention
// scales the query before the product: the q site shows q_lin's output, unscaled, as HF's module does.
#include "model/families/common.h"

namespace bertscope::recipes {

namespace {

void read_config(const ConfigReader& r, ModelConfig& c) {
  c.vocab_size = r.integer("vocab_size", 1, 10'000'000);
  c.hidden_size = r.integer("dim", 1, 65'536);
  c.num_hidden_layers = r.integer("n_layers", 1, 1'000);
  c.num_attention_heads = r.integer("n_heads", 1, 65'536);
  c.intermediate_size = r.integer("hidden_dim", 1, 1'000'000);
  c.max_position_embeddings = r.integer("max_position_embeddings", 1, 1'000'000);
  c.pad_token_id = r.integer("pad_token_id", 0, 10'000'000, 0);
  c.type_vocab_size = 0;
  c.layer_norm_eps = 1e-12f;  // DistilBERT's LayerNorms hard-code it
  c.ffn_activation = r.activation("activation", "gelu", &c.hidden_act);
  c.head_activation = c.ffn_activation;  // vocab_transform is followed by get_activation(config.activation)
  c.sinusoidal_positions = r.boolean("sinusoidal_pos_embds").value_or(false);
}

TensorNames tensor_names(const ModelConfig&) {
  TensorNames n;
  n.word_embeddings = "distilbert.embeddings.word_embeddings.weight";
  n.position_embeddings = "distilbert.embeddings.position_embeddings.weight";
  n.embeddings_norm = "distilbert.embeddings.LayerNorm";
  n.block = "distilbert.transformer.layer.{L}.";
  n.query = "attention.q_lin";
  n.key = "attention.k_lin";
  n.value = "attention.v_lin";
  n.attention_output = "attention.out_lin";
  n.attention_norm = "sa_layer_norm";
  n.ffn_in = "ffn.lin1";
  n.ffn_out = "ffn.lin2";
  n.output_norm = "output_layer_norm";
  n.head_dense = "vocab_transform";
  n.head_norm = "vocab_layer_norm";
  n.decoder = "vocab_projector.weight";
  n.decoder_bias = "vocab_projector.bias";
  return n;
}

std::array<std::string, kSiteKinds> modules() {
  const std::string layer = "distilbert.transformer.layer[L]";
  return {"distilbert.embeddings",
          layer + ".attention.q_lin",
          layer + ".attention.k_lin",
          layer + ".attention.v_lin",
          layer + ".attention (scores, after masked_fill)",
          layer + ".attention (weights)",
          layer + ".attention (context by head)",
          layer + ".attention (context, the input of out_lin)",
          layer + ".attention.out_lin (per head)",
          layer + ".attention.out_lin",
          layer + ".sa_layer_norm",
          layer + ".ffn.lin1",
          layer + ".ffn.activation (lin1, activated)",
          layer + ".ffn.lin2",
          layer};
}

}  // namespace

const Family distilbert{"distilbert", "DistilBertForMaskedLM", "DistilBERT",
                        "no token types; own module names (q_lin, sa_layer_norm, lin1/lin2, vocab_projector); "
                        "sinusoidal positions where the config asks",
                        read_config, tensor_names, modules()};

}  // namespace bertscope::recipes
