// ELECTRA's generator (ElectraForMaskedLM): BERT's blocks under "electra.", embeddings of
// width embedding_size projected to hidden_size by embeddings_project when they differ, and
// the generator head dense H -> E, GELU, LayerNorm, generator_lm_head E -> V (tied to the
// word embeddings unless the file stores it).
#include "model/families/common.h"

namespace bertscope::recipes {

namespace {

void read_config(const ConfigReader& r, ModelConfig& c) {
  read_bert_like_sizes(r, c);
  c.embedding_size = r.integer("embedding_size", 1, 65'536, 128);
  c.head_size = c.embedding_size;
  c.layer_norm_eps = r.epsilon("layer_norm_eps", 1e-12f);
  c.ffn_activation = r.activation("hidden_act", "gelu", &c.hidden_act);
  c.head_activation = Activation::Gelu;  // ElectraGeneratorPredictions: get_activation("gelu")
  r.only("position_embedding_type", {"absolute"});
}

TensorNames tensor_names(const ModelConfig& c) {
  TensorNames n = bert_block_names("electra.encoder.layer.{L}.");
  n.word_embeddings = "electra.embeddings.word_embeddings.weight";
  n.position_embeddings = "electra.embeddings.position_embeddings.weight";
  n.token_type_embeddings = "electra.embeddings.token_type_embeddings.weight";
  n.embeddings_norm = "electra.embeddings.LayerNorm";
  if (c.embedding_size != c.hidden_size) n.embeddings_project = "electra.embeddings_project";
  n.head_dense = "generator_predictions.dense";
  n.head_norm = "generator_predictions.LayerNorm";
  n.decoder = "generator_lm_head.weight";
  n.decoder_bias = "generator_lm_head.bias";
  return n;
}

}  // namespace

const Family electra{"electra", "ElectraForMaskedLM", "ELECTRA (generator)",
                     "embeddings of width E projected to H; the generator head H -> E -> V",
                     read_config, tensor_names,
                     bert_modules("electra.embeddings (+ electra.embeddings_project)", "electra.encoder.layer[L]")};

}  // namespace bertscope::recipes
