#pragma once
// The parameters of a post-LayerNorm encoder (BERT and the families built like it), bound by
// the family's tensor names (model/family.h) from a TensorStore and checked against the
// config. Matmul weights are copied once into their kernels' layout (in float32 or
// bfloat16), and their file pages released, so a loaded model holds about one copy of its
// weights. Embeddings and LayerNorm parameters are used in place from the memory map when
// they are aligned F32, else converted to float32 once. With packed weights (the weights
// cache, model/weights_cache.h) the matmul weights are used where they lie in its mapping.
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kernels/layer_norm.h"
#include "kernels/linear.h"
#include "model/family.h"
#include "model/model_config.h"
#include "weights/packed_weights.h"
#include "weights/tensor_store.h"

namespace bertscope {

// Post-LayerNorm blocks: ln1 after attention, ln2 after the FFN. Pre-LayerNorm blocks: ln1
// before attention (gamma null: an identity, ModernBERT's block 0), ln2 before the FFN.
struct BlockWeights {
  Linear qkv;  // query, key and value stacked: one matmul, output rows [q | k | v]
  Linear attn_out;
  LayerNormParams ln1;
  Linear ffn_in;  // with the activation fused
  Linear ffn_gate;  // GLU FFNs only (ModernBERT): ffn = act(ffn_in x) * ffn_gate x
  Linear ffn_out;
  LayerNormParams ln2;
};

struct EmbeddingWeights {
  const float* word = nullptr;        // [vocab, embedding_size]
  const float* position = nullptr;    // [max_positions, embedding_size], null without learned positions (ModernBERT)
  const float* token_type = nullptr;  // [type_vocab, embedding_size], null when the family has none
  LayerNormParams ln;                 // gamma null: no norm (GPT-2)
  Linear project;                     // embedding_size -> hidden_size (ALBERT, ELECTRA); unset otherwise
  bool projected = false;
};

struct MlmHeadWeights {
  LayerNormParams final_norm;  // after the last block (GPT-2's ln_f, ModernBERT's final_norm); gamma null: none
  Linear transform;  // dense + activation, hidden -> head_size; unset (0 outputs) in GPT-2: decoder only
  LayerNormParams ln;
  Linear decoder;    // head_size -> vocab; tied to the word embeddings unless stored
};

class EncoderWeights {
 public:
  // Throws Error naming the file and tensor when a needed tensor is missing or its shape
  // disagrees with `config`. Tensors that masked-LM does not use (pooler, NSP) are ignored.
  // `packed`: the matmul weights prepared before, for this model and precision (the weights
  // cache); every matmul is then taken from it, and BadPackedWeights thrown when one is
  // missing or damaged. Empty: every matmul is prepared from the store.
  static std::shared_ptr<const EncoderWeights> load(TensorStore store, const ModelConfig& config, const TensorNames& names,
                                                    MatmulPrecision precision = MatmulPrecision::F32,
                                                    const PackedWeights& packed = {});

  // The matmul weights this load prepared itself (none when all came from `packed`), each
  // under its key, for a writer of the weights cache. Valid while these weights live.
  void add_packed_to(PackedWeightsWriter& writer) const;

  EmbeddingWeights embeddings;
  std::vector<BlockWeights> blocks;  // one per layer, or one per group when layers share them
  MlmHeadWeights head;

  // The weights block `layer` runs (ALBERT: its group's).
  const BlockWeights& block(int layer) const {
    return blocks[static_cast<size_t>(layer) * blocks.size() / static_cast<size_t>(layers_)];
  }

 private:
  // Borrowed from the map when aligned F32, else converted into `storage`; Error when absent,
  // of another shape, or not finite.
  const float* checked(const std::string& name, const std::vector<int64_t>& shape, std::vector<float>& storage) const;
  const float* tensor(const std::string& name, const std::vector<int64_t>& shape);
  // Every matmul goes through here, so that every one is cached: taken from packed_ under
  // `key` (distinct per matmul) when there are packed weights, else prepared from the
  // [out, in] weight that `read_weight` returns (it may fill the vector it is given) and
  // recorded under `key` for the cache.
  Linear packed_linear(const std::string& key, int64_t in, int64_t out, const float* bias, Activation activation,
                       MatmulPrecision precision, const std::function<const float*(std::vector<float>&)>& read_weight);
  Linear linear(const std::string& prefix, int64_t in, int64_t out, Activation activation, MatmulPrecision precision);
  // Several [out, in] layers on the same input as one [parts x out, in] layer.
  Linear stacked_linear(const std::vector<std::string>& prefixes, int64_t in, int64_t out, MatmulPrecision precision);
  LayerNormParams layer_norm(const std::string& prefix, int64_t width, float eps);
  // DistilBERT's fixed sinusoidal table, as HF's create_sinusoidal_embeddings makes it.
  const float* sinusoidal(int64_t positions, int64_t width);

  // GPT-2 and ModernBERT (pre_norm_weights.cpp): the block layout and tensor conventions of
  // ModelConfig's pre-LayerNorm fields.
  static std::shared_ptr<const EncoderWeights> load_pre_norm(TensorStore store, const ModelConfig& config,
                                                             const TensorNames& names, MatmulPrecision precision,
                                                             const PackedWeights& packed);

  TensorStore store_;                      // keeps the memory maps alive
  PackedWeights packed_;                   // keeps the cache's mapping alive, or empty
  std::vector<std::pair<std::string, std::span<const std::byte>>> prepared_here_;  // for add_packed_to
  std::deque<std::vector<float>> owned_;   // converted F16/BF16 or unaligned tensors
  int layers_ = 1;
};

}  // namespace bertscope
