#pragma once
// The backward pass of each forward kernel, for gradients of a scalar with respect to
// activations (model/gradients.h): no parameter gradients, float32 values, double where a
// row is reduced to a statistic. Deterministic on any thread count: every output is summed
// by one thread, in a fixed order, and threads only split the outputs between them.
// Each op is checked against a float64 finite-difference reference in tests/ops_test.cpp.
#include "kernels/attention.h"
#include "kernels/layer_norm.h"
#include "kernels/linear.h"

namespace bertscope {

// C[M, N] = A[M, K] B[K, N] (+ C when `accumulate`): the input gradient of a linear layer,
// dx = dy W, with W the layer's [out, in] weight as PyTorch stores it.
void matmul_nn(const float* a, const float* b, int m, int k, int n, float* c, bool accumulate = false);
// C[M, N] = A[M, K] B[N, K]^T + bias (bias [N] or null): a linear layer's forward on its
// plain [out, in] weight, for the values a backward pass needs and the forward did not keep
// (the pre-activations of the FFN and of the head).
void matmul_nt(const float* a, const float* b, const float* bias, int m, int k, int n, float* c);

// y = act(x) elementwise (the matmul kernels fuse it; the backward pass needs it alone).
void apply_activation(Activation activation, const float* x, size_t n, float* y);
// dx = dy * act'(pre), elementwise over n values; `pre` is the activation's input.
void activation_backward(Activation activation, const float* pre, const float* dy, size_t n, float* dx);

// y = LayerNorm(u) over rows of `width` (add_layer_norm with u = x + residual): du from dy.
// The gradient reaches x and the residual alike.
void layer_norm_backward(const float* u, const float* dy, int rows, int width, const LayerNormParams& params,
                         float* du);

// The backward of self_attention for every query row (shape.queries == shape.seq, no
// query_positions): from the pattern the forward computed ([batch, heads, seq, seq]; its
// masked keys 0) and d context ([batch * seq, hidden]), the gradients of q, k and v
// ([batch * seq, hidden] each, contiguous) and, where not null, of the pattern and of the
// scores before softmax ([batch, heads, seq, seq]). q, k, v are read with shape.stride.
// The pattern's gradient is d context . v_j at every real key j, those the causal or window
// mask hides included, as autograd gives it for HuggingFace's P V over all keys.
void attention_backward(const float* q, const float* k, const float* v, const float* pattern, const float* dcontext,
                        const int* lengths, const AttentionShape& shape, float* dq, float* dk, float* dv,
                        float* dpattern, float* dscores);

}  // namespace bertscope
