#include "model/families/common.h"

namespace bertscope::recipes {

void read_bert_like_sizes(const ConfigReader& r, ModelConfig& c) {
  // The upper bounds are far above any real model and only refuse values that would
  // overflow sizes computed from them (a corrupt or hostile file).
  c.vocab_size = r.integer("vocab_size", 1, 10'000'000);
  c.hidden_size = r.integer("hidden_size", 1, 65'536);
  c.num_hidden_layers = r.integer("num_hidden_layers", 1, 1'000);
  c.num_attention_heads = r.integer("num_attention_heads", 1, 65'536);
  c.intermediate_size = r.integer("intermediate_size", 1, 1'000'000);
  c.max_position_embeddings = r.integer("max_position_embeddings", 1, 1'000'000);
  c.type_vocab_size = r.integer("type_vocab_size", 1, 1'000, 2);
  c.embedding_size = r.integer("embedding_size", 1, 65'536, c.hidden_size);
  c.pad_token_id = r.integer("pad_token_id", 0, 10'000'000, 0);
}

TensorNames bert_block_names(const std::string& block) {
  TensorNames n;
  n.block = block;
  n.query = "attention.self.query";
  n.key = "attention.self.key";
  n.value = "attention.self.value";
  n.attention_output = "attention.output.dense";
  n.attention_norm = "attention.output.LayerNorm";
  n.ffn_in = "intermediate.dense";
  n.ffn_out = "output.dense";
  n.output_norm = "output.LayerNorm";
  return n;
}

std::array<std::string, kSiteKinds> bert_modules(const std::string& embeddings, const std::string& layer) {
  return {embeddings,
          layer + ".attention.self.query",
          layer + ".attention.self.key",
          layer + ".attention.self.value",
          layer + ".attention.self (attention_scores)",
          layer + ".attention.self (attention_probs)",
          layer + ".attention.self (context_layer by head)",
          layer + ".attention.self",
          layer + ".attention.output.dense (per head)",
          layer + ".attention.output.dense",
          layer + ".attention.output",
          layer + ".intermediate.dense",
          layer + ".intermediate",
          layer + ".output.dense",
          layer};
}

}  // namespace bertscope::recipes
