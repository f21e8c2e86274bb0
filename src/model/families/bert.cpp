// BERT (BertForMaskedLM), the reference family: post-LayerNorm blocks, learned absolute
// positions, token types, the MLM head dense -> activation -> LayerNorm -> decoder.
// Multilingual BERT is this family with a cased vocabulary (tokenizer_config.json says so).
#include "model/families/common.h"

namespace bertscope::recipes {

namespace {

void read_config(const ConfigReader& r, ModelConfig& c) {
  read_bert_like_sizes(r, c);
  c.layer_norm_eps = r.epsilon("layer_norm_eps", 1e-12f);
  c.ffn_activation = r.activation("hidden_act", "gelu", &c.hidden_act);
  c.head_activation = c.ffn_activation;  // BertPredictionHeadTransform: ACT2FN[hidden_act]
  // Relative position schemes add tensors and change attention; refuse rather than ignore.
  r.only("position_embedding_type", {"absolute"});
}

TensorNames tensor_names(const ModelConfig&) {
  TensorNames n = bert_block_names("bert.encoder.layer.{L}.");
  n.word_embeddings = "bert.embeddings.word_embeddings.weight";
  n.position_embeddings = "bert.embeddings.position_embeddings.weight";
  n.token_type_embeddings = "bert.embeddings.token_type_embeddings.weight";
  n.embeddings_norm = "bert.embeddings.LayerNorm";
  n.head_dense = "cls.predictions.transform.dense";
  n.head_norm = "cls.predictions.transform.LayerNorm";
  n.decoder = "cls.predictions.decoder.weight";
  n.decoder_bias = "cls.predictions.bias";
  return n;
}

}  // namespace

const Family bert{"bert", "BertForMaskedLM", "BERT (and multilingual BERT)",
                  "the reference: post-LayerNorm blocks, absolute positions, token types",
                  read_config, tensor_names, bert_modules("bert.embeddings", "bert.encoder.layer[L]")};

}  // namespace bertscope::recipes
