// RoBERTa (RobertaForMaskedLM) and XLM-RoBERTa (XLMRobertaForMaskedLM): BERT's blocks
// under "roberta.", position ids that start after the padding index (HF's
// create_position_ids_from_input_ids), one token type, and the head lm_head (dense, erf
// GELU whatever hidden_act says, layer_norm, decoder). XLM-R differs only in its
// tokenizer (SentencePiece Unigram), which tokenizer.json describes.
#include "model/families/common.h"

namespace bertscope::recipes {

namespace {

void read_config(const ConfigReader& r, ModelConfig& c) {
  read_bert_like_sizes(r, c);
  c.type_vocab_size = r.integer("type_vocab_size", 1, 1'000, 1);
  c.pad_token_id = r.integer("pad_token_id", 0, 10'000'000, 1);
  c.layer_norm_eps = r.epsilon("layer_norm_eps", 1e-12f);
  c.ffn_activation = r.activation("hidden_act", "gelu", &c.hidden_act);
  c.head_activation = Activation::Gelu;  // RobertaLMHead calls gelu() itself
  c.position_ids = PositionIds::AfterPaddingIndex;
  r.only("position_embedding_type", {"absolute"});
}

TensorNames tensor_names(const ModelConfig&) {
  TensorNames n = bert_block_names("roberta.encoder.layer.{L}.");
  n.word_embeddings = "roberta.embeddings.word_embeddings.weight";
  n.position_embeddings = "roberta.embeddings.position_embeddings.weight";
  n.token_type_embeddings = "roberta.embeddings.token_type_embeddings.weight";
  n.embeddings_norm = "roberta.embeddings.LayerNorm";
  n.head_dense = "lm_head.dense";
  n.head_norm = "lm_head.layer_norm";
  n.decoder = "lm_head.decoder.weight";
  n.decoder_bias = "lm_head.bias";
  return n;
}

}  // namespace

const Family roberta{"roberta", "RobertaForMaskedLM", "RoBERTa",
                     "positions start at pad_token_id + 1; one token type; `<mask>`; byte-level BPE",
                     read_config, tensor_names, bert_modules("roberta.embeddings", "roberta.encoder.layer[L]")};

const Family xlm_roberta{"xlm-roberta", "XLMRobertaForMaskedLM", "XLM-RoBERTa",
                         "RoBERTa's blocks with a SentencePiece Unigram tokenizer (multilingual)",
                         read_config, tensor_names, bert_modules("roberta.embeddings", "roberta.encoder.layer[L]")};

}  // namespace bertscope::recipes
