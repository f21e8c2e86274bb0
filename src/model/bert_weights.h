#pragma once
// The parameters of HF BertForMaskedLM, bound by name from a TensorStore and checked
// against config.json. F32 tensors are used in place from the memory map; F16/BF16
// tensors are converted to float32 once at load.
#include <deque>
#include <memory>
#include <vector>

#include "kernels/layer_norm.h"
#include "kernels/linear.h"
#include "weights/bert_config.h"
#include "weights/tensor_store.h"

namespace bertscope {

struct BlockWeights {
  Linear query, key, value;
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
  static std::shared_ptr<const BertWeights> load(TensorStore store, const BertConfig& config);

  EmbeddingWeights embeddings;
  std::vector<BlockWeights> blocks;
  MlmHeadWeights head;

 private:
  const float* tensor(const std::string& name, const std::vector<int64_t>& shape);
  LayerNormParams layer_norm(const std::string& prefix, int64_t width, float eps);

  TensorStore store_;                      // keeps the memory maps alive
  std::deque<std::vector<float>> owned_;   // converted F16/BF16 or unaligned tensors
};

}  // namespace bertscope
