#pragma once
// The small fixed ModelConfig that weights_fuzzer binds its input to, and that make_seeds
// writes its seed models in.
#include "model/model_config.h"

namespace bertscope::fuzz {

inline ModelConfig tiny_config() {
  ModelConfig c;
  c.vocab_size = 16;
  c.hidden_size = 8;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.intermediate_size = 16;
  c.max_position_embeddings = 8;
  c.type_vocab_size = 2;
  return c;
}

}  // namespace bertscope::fuzz
