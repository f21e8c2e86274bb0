#pragma once
// The matmul weights of a model as PyTorch stores them ([out, in] row-major, float32), for
// the backward pass (model/gradients.h): the forward's weights are packed in oneDNN's layout
// for x W^T, which cannot be read as W. Loaded only when gradients are asked for, from the
// same files and by the same family tensor names as EncoderWeights: aligned F32 tensors are
// used in place from the memory map, others converted (and GPT-2's Conv1D transposed) once.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "model/family.h"
#include "model/model_config.h"
#include "weights/tensor_store.h"

namespace bertscope {

// y = x W^T + b with W [out, in]; bias null where the model has none.
struct PlainLinear {
  const float* weight = nullptr;
  const float* bias = nullptr;
  int in = 0, out = 0;
};

struct PlainBlock {
  PlainLinear query, key, value;  // fused files (GPT-2, ModernBERT): row blocks of one matrix
  PlainLinear attn_out;
  PlainLinear ffn_in, ffn_gate;   // ffn_gate: GLU FFNs only
  PlainLinear ffn_out;
};

class PlainWeights {
 public:
  // `dir`: the resolved model directory the encoder was loaded from (Encoder::dir()).
  static std::shared_ptr<const PlainWeights> load(const std::string& dir, const ModelConfig& config,
                                                  const TensorNames& names);

  PlainLinear project;            // embeddings -> hidden (ALBERT, ELECTRA); in == 0 otherwise
  std::vector<PlainBlock> blocks;  // one per layer, or one per group of shared layers (ALBERT)
  PlainLinear head_dense;          // in == 0 where the head has no transform (GPT-2)
  PlainLinear decoder;

  const PlainBlock& block(int layer) const {
    return blocks[static_cast<size_t>(layer) * blocks.size() / static_cast<size_t>(layers_)];
  }

 private:
  explicit PlainWeights(TensorStore store) : store_(std::move(store)) {}
  // The name as the file spells it: with the family's optional prefix (GPT-2's
  // "transformer."), or without it.
  std::string named(const std::string& name) const;
  // PREFIX.weight as [out, in] (transposed once when the family stores [in, out]), and
  // PREFIX.bias when `with_bias`.
  PlainLinear linear(const std::string& prefix, int in, int out, bool with_bias);
  const float* floats(const std::string& name, const std::vector<int64_t>& shape);

  TensorStore store_;
  TensorNames names_;
  std::deque<std::vector<float>> owned_;  // converted or transposed tensors
  int layers_ = 1;
};

}  // namespace bertscope
