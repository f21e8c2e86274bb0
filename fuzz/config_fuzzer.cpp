// Fuzz target: config.json as ModelConfig::parse reads it. An accepted config must satisfy
// what the forward pass and the weight shapes rely on.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "model/model_config.h"

using namespace bertscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string origin = "fuzz/config.json";
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const ModelConfig c = ModelConfig::parse(text, origin);
    fuzz::expect(c.vocab_size > 0 && c.hidden_size > 0 && c.num_hidden_layers > 0 && c.num_attention_heads > 0 &&
                     c.intermediate_size > 0 && c.max_position_embeddings > 0 && c.type_vocab_size > 0,
                 "accepted a non-positive size");
    fuzz::expect(c.hidden_size % c.num_attention_heads == 0 && c.head_dim() > 0, "accepted heads that do not divide hidden");
    fuzz::expect(c.layer_norm_eps > 0.0f && c.layer_norm_eps < 1.0f, "accepted layer_norm_eps outside (0, 1)");
    fuzz::expect(c.hidden_act == "gelu" || c.hidden_act == "gelu_new" || c.hidden_act == "gelu_pytorch_tanh" || c.hidden_act == "relu",
                 "accepted hidden_act '" + c.hidden_act + "'");
    // Sizes derived from the config must not overflow int64 (shapes are int64 products).
    const __int128 word = static_cast<__int128>(c.vocab_size) * c.hidden_size;
    const __int128 ffn = static_cast<__int128>(c.intermediate_size) * c.hidden_size;
    fuzz::expect(word < (static_cast<__int128>(1) << 62) && ffn < (static_cast<__int128>(1) << 62), "shape product overflows");
  } catch (const Error& e) {
    fuzz::check_refusal(e, origin);
  }
  return 0;
}
