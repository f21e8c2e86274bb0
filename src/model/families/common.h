#pragma once
// What the BERT-like families share: the size fields of ModelConfig, the tensor names of
// BertLayer, and the module paths of its hook sites.
#include <string>

#include "model/family.h"

namespace bertscope::recipes {

// vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,
// max_position_embeddings, type_vocab_size (default 2), embedding_size (default hidden).
void read_bert_like_sizes(const ConfigReader& r, ModelConfig& c);
// BertLayer's parameter names under `block` ("roberta.encoder.layer.{L}.").
TensorNames bert_block_names(const std::string& block);
// The module path of every site for a Encoder under `base` ("roberta") whose layer L is `layer`.
std::array<std::string, kSiteKinds> bert_modules(const std::string& embeddings, const std::string& layer);

extern const Family bert, roberta, xlm_roberta, distilbert, albert, electra, modernbert, gpt2;

}  // namespace bertscope::recipes
