#include "kernels/layer_norm.h"

#include <cmath>
#include <cstddef>
#include <vector>

#include "common/vector_dispatch.h"

namespace bertscope {

namespace {

// One row: out = LayerNorm(x + residual). Its own function so that it can be cloned per ISA
// (common/vector_dispatch.h); `sum` is scratch of `width` floats.
BERTSCOPE_VECTOR_CLONES
void add_layer_norm_row(const float* xr, const float* rr, int width, const LayerNormParams& params, float* sum,
                        float* o) {
  // Double accumulation: the mean and variance of 1024 floats then agree with PyTorch's
  // float32 reductions to well under the 1e-4 we promise. `omp simd` lets the compiler split
  // the sums into vector lanes (it may not reorder them otherwise).
  double mean = 0.0;
#pragma omp simd reduction(+ : mean)
  for (int i = 0; i < width; ++i) {
    sum[i] = xr[i] + (rr ? rr[i] : 0.0f);
    mean += static_cast<double>(sum[i]);
  }
  mean /= width;
  double var = 0.0;
#pragma omp simd reduction(+ : var)
  for (int i = 0; i < width; ++i) {
    const double d = static_cast<double>(sum[i]) - mean;
    var += d * d;
  }
  var /= width;
  const float inv = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(params.eps)));
  const float m = static_cast<float>(mean);
  if (params.beta) {
#pragma omp simd
    for (int i = 0; i < width; ++i) o[i] = (sum[i] - m) * inv * params.gamma[i] + params.beta[i];
  } else {
#pragma omp simd
    for (int i = 0; i < width; ++i) o[i] = (sum[i] - m) * inv * params.gamma[i];
  }
}

}  // namespace

void add_layer_norm(const float* x, const float* residual, int rows, int width,
                    const LayerNormParams& params, float* out) {
#pragma omp parallel
  {
    std::vector<float> sum(static_cast<size_t>(width));
#pragma omp for schedule(static)
    for (int r = 0; r < rows; ++r) {
      const size_t base = static_cast<size_t>(r) * static_cast<size_t>(width);
      add_layer_norm_row(x + base, residual ? residual + base : nullptr, width, params, sum.data(), out + base);
    }
  }
}

}  // namespace bertscope
