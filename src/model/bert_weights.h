#pragma once
// The parameters of HF BertForMaskedLM, bound by name from a TensorStore and checked
// against config.json. Matmul weights are copied once into their kernels' layout (in
// float32 or bfloat16), and their file pages released, so a loaded model holds about one
// copy of its weights. Embeddings and LayerNorm parameters are used in place from the
// memory map when they are aligned F32, else converted to float32 once.
#include <deque>
#include <memory>
#include <vector>

#include "kernels/layer_norm.h"
#include "kernels/linear.h"
#include "weights/bert_config.h"
#include "weights/tensor_store.h"

namespace bertscope {

struct BlockWeights {
  Linear qkv;  // query, key and value stacked: one matmul, output rows [q | k | v]
  Linear attn_out;
  LayerNormParams ln1;
  Linear ffn_in;  // with the GELU fused
  Linear ffn_out;
  LayerNormParams ln2;
};

struct EmbeddingWeights {
  const float* word = nullptr;        // [vocab, hidden]
  const float* position = nullptr;    // [max_positions, hidden]
  const float* token_type = nullptr;  // [type_vocab, hidden]
  LayerNormParams ln;
};

struct MlmHeadWeights {
  Linear transform;  // dense + GELU
  LayerNormParams ln;
  Linear decoder;    // tied to the word embeddings unless stored; bias cls.predictions.bias
};

class BertWeights {
 public:
  // Throws Error naming the file and tensor when a needed tensor is missing or its shape
  // disagrees with `config`. Tensors that masked-LM does not use (pooler, NSP) are ignored.
  static std::shared_ptr<const BertWeights> load(TensorStore store, const BertConfig& config,
                                                 MatmulPrecision precision = MatmulPrecision::F32);

  EmbeddingWeights embeddings;
  std::vector<BlockWeights> blocks;
  MlmHeadWeights head;

 private:
  // Borrowed from the map when aligned F32, else converted into `storage`; Error when absent,
  // of another shape, or not finite.
  const float* checked(const std::string& name, const std::vector<int64_t>& shape, std::vector<float>& storage) const;
  const float* tensor(const std::string& name, const std::vector<int64_t>& shape);
  Linear linear(const std::string& weight_name, const std::string& bias_name, int64_t in, int64_t out,
                Activation activation, MatmulPrecision precision);
  // Several [out, in] layers on the same input as one [parts x out, in] layer.
  Linear stacked_linear(const std::vector<std::string>& prefixes, int64_t in, int64_t out, MatmulPrecision precision);
  LayerNormParams layer_norm(const std::string& prefix, int64_t width, float eps);

  TensorStore store_;                      // keeps the memory maps alive
  std::deque<std::vector<float>> owned_;   // converted F16/BF16 or unaligned tensors
};

}  // namespace bertscope
