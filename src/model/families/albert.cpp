// ALBERT (AlbertForMaskedLM): factorized embeddings (width embedding_size, projected to
// hidden_size by embedding_hidden_mapping_in), one set of layer weights per group shared
// across depth (block L runs group L / (layers / groups); a hook at blocks.7 edits depth 7
// only), and the head dense H -> E, activation, LayerNorm, decoder E -> V.
#include "model/families/common.h"

namespace bertscope::recipes {

namespace {

void read_config(const ConfigReader& r, ModelConfig& c) {
  read_bert_like_sizes(r, c);
  c.embedding_size = r.integer("embedding_size", 1, 65'536, 128);
  c.head_size = c.embedding_size;
  c.layer_norm_eps = r.epsilon("layer_norm_eps", 1e-12f);
  c.ffn_activation = r.activation("hidden_act", "gelu_new", &c.hidden_act);
  c.head_activation = c.ffn_activation;  // AlbertMLMHead: ACT2FN[hidden_act]
  c.num_hidden_groups = r.integer("num_hidden_groups", 1, 1'000, 1);
  // inner_group_num > 1 would make one depth several layers: a block site would be ambiguous.
  if (r.integer("inner_group_num", 1, 1'000, 1) != 1) r.fail("inner_group_num other than 1 is not supported");
  r.only("position_embedding_type", {"absolute"});
}

TensorNames tensor_names(const ModelConfig&) {
  TensorNames n;
  n.word_embeddings = "albert.embeddings.word_embeddings.weight";
  n.position_embeddings = "albert.embeddings.position_embeddings.weight";
  n.token_type_embeddings = "albert.embeddings.token_type_embeddings.weight";
  n.embeddings_norm = "albert.embeddings.LayerNorm";
  n.embeddings_project = "albert.encoder.embedding_hidden_mapping_in";
  n.block = "albert.encoder.albert_layer_groups.{G}.albert_layers.0.";
  n.query = "attention.query";
  n.key = "attention.key";
  n.value = "attention.value";
  n.attention_output = "attention.dense";
  n.attention_norm = "attention.LayerNorm";
  n.ffn_in = "ffn";
  n.ffn_out = "ffn_output";
  n.output_norm = "full_layer_layer_norm";
  n.head_dense = "predictions.dense";
  n.head_norm = "predictions.LayerNorm";
  n.decoder = "predictions.decoder.weight";
  n.decoder_bias = "predictions.bias";
  return n;
}

std::array<std::string, kSiteKinds> modules() {
  const std::string layer = "albert.encoder.albert_layer_groups[G].albert_layers[0] at depth L";
  return {"albert.encoder.embedding_hidden_mapping_in (embeddings projected to hidden)",
          layer + ": attention.query",
          layer + ": attention.key",
          layer + ": attention.value",
          layer + ": attention (attention_scores)",
          layer + ": attention (attention_probs)",
          layer + ": attention (context_layer by head)",
          layer + ": attention (context_layer)",
          layer + ": attention.dense (per head)",
          layer + ": attention.dense",
          layer + ": attention.LayerNorm",
          layer + ": ffn",
          layer + ": ffn, activated",
          layer + ": ffn_output",
          layer};
}

}  // namespace

const Family albert{"albert", "AlbertForMaskedLM", "ALBERT",
                    "factorized embeddings (E -> H); layer weights shared across depth; head H -> E -> V",
                    read_config, tensor_names, modules()};

}  // namespace bertscope::recipes
