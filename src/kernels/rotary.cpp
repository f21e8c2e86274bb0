#include "kernels/rotary.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace bertscope {

void apply_rotary(float* qk_rows, int rows, int stride, int heads, int head_dim, const int* positions, float theta) {
#if defined(__clang__)
#pragma clang fp contract(off)  // clang contracts a * b + c within an expression by default; GCC in ISO mode does not
#endif
  const int half = head_dim / 2;
  // HF: inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)), all float32.
  std::vector<float> inv_freq(static_cast<size_t>(half));
  for (int i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    inv_freq[static_cast<size_t>(i)] = 1.0f / std::pow(theta, exponent);
  }
#pragma omp parallel
  {
    std::vector<float> cos_row(static_cast<size_t>(half)), sin_row(static_cast<size_t>(half));
#pragma omp for schedule(static)
    for (int r = 0; r < rows; ++r) {
      // The angles of one position, shared by its heads: freqs = position.float() * inv_freq
      // (one float32 product, as HF's outer product), then cos and sin in float32.
      const float position = static_cast<float>(positions[r]);
      for (int i = 0; i < half; ++i) {
        const float angle = position * inv_freq[static_cast<size_t>(i)];
        cos_row[static_cast<size_t>(i)] = std::cos(angle);
        sin_row[static_cast<size_t>(i)] = std::sin(angle);
      }
      float* row = qk_rows + static_cast<size_t>(r) * static_cast<size_t>(stride);
      for (int h = 0; h < heads; ++h) {
        float* x = row + static_cast<size_t>(h) * static_cast<size_t>(head_dim);
        for (int i = 0; i < half; ++i) {
          // q * cos + rotate_half(q) * sin, rotate_half(q) = cat(-q2, q1): each product and
          // the sum rounded on its own as torch does (bertscope builds without
          // -ffp-contract=fast, so no FMA fuses them).
          const float c = cos_row[static_cast<size_t>(i)], s = sin_row[static_cast<size_t>(i)];
          const float x1 = x[i], x2 = x[i + half];
          x[i] = x1 * c + (-x2) * s;
          x[i + half] = x2 * c + x1 * s;
        }
      }
    }
  }
}

}  // namespace bertscope
