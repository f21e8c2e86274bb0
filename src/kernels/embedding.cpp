#include "kernels/embedding.h"

#include <algorithm>
#include <cstddef>

namespace bertscope {

void gather_rows(std::span<const EmbeddingLookup> lookups, int rows, int width, float* out) {
  if (lookups.empty()) return;
  const auto w = static_cast<size_t>(width);
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    float* o = out + static_cast<size_t>(r) * w;
    const auto row_of = [&](const EmbeddingLookup& e) { return e.table + static_cast<size_t>(e.ids[r]) * w; };
    std::copy_n(row_of(lookups[0]), width, o);
    for (size_t t = 1; t < lookups.size(); ++t) {
      const float* x = row_of(lookups[t]);
#pragma omp simd
      for (int i = 0; i < width; ++i) o[i] += x[i];
    }
  }
}

}  // namespace bertscope
