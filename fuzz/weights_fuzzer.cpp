// Fuzz target: model.safetensors bound to the parameters of a small fixed ModelConfig
// (EncoderWeights::load), as `bertscope predict` loads a model: names, shapes against the
// config, dtypes, legacy gamma/beta names, the tied decoder, and the finite-value check.
#include <cstdint>

#include "fuzz_support.h"
#include "model/encoder_weights.h"
#include "model/family.h"
#include "tiny_config.h"

using namespace bertscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz::scratch_path("model.safetensors");
  fuzz::write_input(path, data, size);
  try {
    static const ModelConfig config = fuzz::tiny_config();
    static const TensorNames names = family_of("bert", "fuzz").tensor_names(config);
    const auto weights = EncoderWeights::load(TensorStore::open_file(path), config, names);
    fuzz::expect(weights->blocks.size() == 1, "loaded a model with another number of blocks");
    fuzz::expect(weights->embeddings.word && weights->head.decoder.in_features() == 8, "incomplete weights");
  } catch (const Error& e) {
    fuzz::check_refusal(e, path);
  }
  return 0;
}
