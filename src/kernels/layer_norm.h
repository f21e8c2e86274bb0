#pragma once
// out = LayerNorm(x + residual) over the last dimension, TF style as BERT's BertLayerNorm:
// (v - mean) / sqrt(var + eps) * gamma + beta, with the biased variance.

namespace bertscope {

struct LayerNormParams {
  const float* gamma = nullptr;  // [width], required
  const float* beta = nullptr;   // [width], or null: no bias (ModernBERT's norm_bias = false)
  float eps = 1e-12f;
};

// `residual` may be null (plain LayerNorm). `out` may alias `x`. Parallel over rows.
void add_layer_norm(const float* x, const float* residual, int rows, int width,
                    const LayerNormParams& params, float* out);

}  // namespace bertscope
