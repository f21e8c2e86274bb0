#include "kernels/backward.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <omp.h>
#include <vector>

#include "common/vector_dispatch.h"

namespace bertscope {

namespace {

size_t at(long long row, long long width) { return static_cast<size_t>(row) * static_cast<size_t>(width); }

constexpr int kDepth = 64;  // rows of B per pass over a thread's tiles
constexpr int kTileRows = 4, kTileColumns = 16;  // a tile of C held in vector registers
constexpr int kPrefetchAhead = 64;  // floats: the line 4 lines further along B's row

// Adds rows [p0, p1) of the sum to a tile of C (rows i.., columns j..j+16), starting from C's
// partial sums or, with `first`, from zero. `at` is A transposed ([K, M]): the tile's values
// of A for one p are adjacent. Always inlined, so it is compiled for the vector ISA of the
// clone of matmul_nn_columns that calls it.
template <int Rows>
[[gnu::always_inline]] inline void add_tile(const float* at_, int m, const float* b, int n, int i, int j, int p0, int p1,
                                            bool first, bool prefetch, float* c) {
  float acc[Rows][kTileColumns];
  for (int r = 0; r < Rows; ++r) {
    for (int x = 0; x < kTileColumns; ++x) acc[r][x] = first ? 0.0f : c[at(i + r, n) + static_cast<size_t>(j + x)];
  }
  for (int p = p0; p < p1; ++p) {
    const float* brow = b + at(p, n) + static_cast<size_t>(j);
    if (prefetch) __builtin_prefetch(brow + kPrefetchAhead);
    const float* arow = at_ + at(p, m) + static_cast<size_t>(i);
    for (int r = 0; r < Rows; ++r) {
      const float s = arow[r];
#pragma omp simd
      for (int x = 0; x < kTileColumns; ++x) acc[r][x] += s * brow[x];
    }
  }
  for (int r = 0; r < Rows; ++r) {
    for (int x = 0; x < kTileColumns; ++x) c[at(i + r, n) + static_cast<size_t>(j + x)] = acc[r][x];
  }
}

// C[:, j0:j1] (+)= A B[:, j0:j1], with A given transposed. Each element's sum runs over k in
// order, in one thread, whatever the blocking: the same bits on any thread count (a partial
// sum stored to C and read back is the same float). The sum goes 64 rows of B at a time, in
// 4 x 16 tiles of C kept in vector registers, so B is read from memory once and from cache
// for the other tiles of its 64 rows. The matmul is bound by reading B, whose rows lie 4 or
// 16 KiB apart: the hardware prefetcher does not follow 64 such streams, so the first tile
// prefetches each row's line 4 lines ahead (bench/README.md "Gradients").
BERTSCOPE_VECTOR_CLONES
void matmul_nn_columns(const float* at_, const float* b, int m, int k, int n, int j0, int j1, float* c, bool accumulate) {
  if (k == 0 && !accumulate) {
    for (int i = 0; i < m; ++i) std::fill(c + at(i, n) + j0, c + at(i, n) + j1, 0.0f);
  }
  for (int p0 = 0; p0 < k; p0 += kDepth) {
    const int p1 = std::min(k, p0 + kDepth);
    const bool first = p0 == 0 && !accumulate;
    int j = j0;
    for (; j + kTileColumns <= j1; j += kTileColumns) {
      int i = 0;
      for (; i + kTileRows <= m; i += kTileRows) add_tile<kTileRows>(at_, m, b, n, i, j, p0, p1, first, i == 0, c);
      for (; i < m; ++i) add_tile<1>(at_, m, b, n, i, j, p0, p1, first, i == 0, c);
    }
    // The last columns, fewer than a tile: one element at a time.
    for (int i = 0; i < m; ++i) {
      for (int x = j; x < j1; ++x) {
        float sum = first ? 0.0f : c[at(i, n) + static_cast<size_t>(x)];
        for (int p = p0; p < p1; ++p) sum += at_[at(p, m) + static_cast<size_t>(i)] * b[at(p, n) + static_cast<size_t>(x)];
        c[at(i, n) + static_cast<size_t>(x)] = sum;
      }
    }
  }
}

BERTSCOPE_VECTOR_CLONES
float dot(const float* x, const float* y, int n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

// Two rows of A against four rows of B: eight sums, each over its own k in order, sharing
// the loads (6 loads per 8 multiply-adds instead of 2 per 1). The last row of an odd M uses
// dot(), whose vector reduction may group the sum differently; tiling depends on M and N
// only, so the bits do not depend on the thread count.
BERTSCOPE_VECTOR_CLONES
void dot_2x4(const float* a0, const float* a1, const float* b, int k, float (&sums)[2][4]) {
  const float* b0 = b;
  const float* b1 = b + k;
  const float* b2 = b + 2 * static_cast<size_t>(k);
  const float* b3 = b + 3 * static_cast<size_t>(k);
  float s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
#pragma omp simd reduction(+ : s00, s01, s02, s03, s10, s11, s12, s13)
  for (int p = 0; p < k; ++p) {
    s00 += a0[p] * b0[p];
    s01 += a0[p] * b1[p];
    s02 += a0[p] * b2[p];
    s03 += a0[p] * b3[p];
    s10 += a1[p] * b0[p];
    s11 += a1[p] * b1[p];
    s12 += a1[p] * b2[p];
    s13 += a1[p] * b3[p];
  }
  sums[0][0] = s00; sums[0][1] = s01; sums[0][2] = s02; sums[0][3] = s03;
  sums[1][0] = s10; sums[1][1] = s11; sums[1][2] = s12; sums[1][3] = s13;
}

double gelu_slope(double x) {
  return 0.5 * (1.0 + std::erf(x / std::numbers::sqrt2)) + x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
}

double gelu_tanh_slope(double x) {
  const double c = std::sqrt(2.0 / std::numbers::pi);
  const double t = std::tanh(c * (x + 0.044715 * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3.0 * 0.044715 * x * x);
}

double activate(Activation activation, double x) {
  switch (activation) {
    case Activation::None: return x;
    case Activation::Gelu: return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2));
    case Activation::GeluTanh:
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
    case Activation::Relu: return x > 0.0 ? x : 0.0;
  }
  return x;
}

}  // namespace

void apply_activation(Activation activation, const float* x, size_t n, float* y) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(activate(activation, x[i]));
}

void matmul_nn(const float* a, const float* b, int m, int k, int n, float* c, bool accumulate) {
  std::vector<float> transposed(at(k, m));
  for (int i = 0; i < m; ++i) {
    for (int p = 0; p < k; ++p) transposed[at(p, m) + static_cast<size_t>(i)] = a[at(i, k) + static_cast<size_t>(p)];
  }
  // Each thread one contiguous range of whole tiles (the last takes the columns left over).
  const int tiles = n / kTileColumns;
#pragma omp parallel
  {
    const int threads = omp_get_num_threads(), t = omp_get_thread_num();
    const int j0 = tiles * t / threads * kTileColumns;
    const int j1 = t + 1 == threads ? n : tiles * (t + 1) / threads * kTileColumns;
    if (j1 > j0) matmul_nn_columns(transposed.data(), b, m, k, n, j0, j1, c, accumulate);
  }
}

void matmul_nt(const float* a, const float* b, const float* bias, int m, int k, int n, float* c) {
  const int quads = n / 4;
#pragma omp parallel for schedule(static)
  for (int q = 0; q < quads; ++q) {
    const int j = 4 * q;
    for (int i = 0; i < m; i += 2) {
      float sums[2][4];
      if (i + 1 < m) {
        dot_2x4(a + at(i, k), a + at(i + 1, k), b + at(j, k), k, sums);
      } else {
        for (int x = 0; x < 4; ++x) sums[0][x] = dot(a + at(i, k), b + at(j + x, k), k);
      }
      for (int r = 0; r < std::min(2, m - i); ++r) {
        for (int x = 0; x < 4; ++x) c[at(i + r, n) + static_cast<size_t>(j + x)] = sums[r][x] + (bias ? bias[j + x] : 0.0f);
      }
    }
  }
  for (int j = 4 * quads; j < n; ++j) {
    for (int i = 0; i < m; ++i) c[at(i, n) + static_cast<size_t>(j)] = dot(a + at(i, k), b + at(j, k), k) + (bias ? bias[j] : 0.0f);
  }
}

void activation_backward(Activation activation, const float* pre, const float* dy, size_t n, float* dx) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) {
    const double x = pre[i];
    double slope = 1.0;
    switch (activation) {
      case Activation::None: break;
      case Activation::Gelu: slope = gelu_slope(x); break;
      case Activation::GeluTanh: slope = gelu_tanh_slope(x); break;
      case Activation::Relu: slope = x > 0.0 ? 1.0 : 0.0; break;
    }
    dx[i] = static_cast<float>(static_cast<double>(dy[i]) * slope);
  }
}

void layer_norm_backward(const float* u, const float* dy, int rows, int width, const LayerNormParams& params,
                         float* du) {
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* ur = u + at(r, width);
    const float* gr = dy + at(r, width);
    double mean = 0.0;
    for (int i = 0; i < width; ++i) mean += ur[i];
    mean /= width;
    double var = 0.0;
    for (int i = 0; i < width; ++i) var += (ur[i] - mean) * (ur[i] - mean);
    var /= width;
    const double rstd = 1.0 / std::sqrt(var + static_cast<double>(params.eps));
    // du = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma, xhat the normalized input.
    double g_mean = 0.0, gx_mean = 0.0;
    for (int i = 0; i < width; ++i) {
      const double g = static_cast<double>(gr[i]) * params.gamma[i];
      g_mean += g;
      gx_mean += g * (ur[i] - mean) * rstd;
    }
    g_mean /= width;
    gx_mean /= width;
    for (int i = 0; i < width; ++i) {
      const double g = static_cast<double>(gr[i]) * params.gamma[i];
      du[at(r, width) + static_cast<size_t>(i)] = static_cast<float>(rstd * (g - g_mean - (ur[i] - mean) * rstd * gx_mean));
    }
  }
}

void attention_backward(const float* q, const float* k, const float* v, const float* pattern, const float* dcontext,
                        const int* lengths, const AttentionShape& shape, float* dq, float* dk, float* dv,
                        float* dpattern, float* dscores) {
  const int S = shape.seq, H = shape.hidden(), d = shape.head_dim, heads = shape.heads;
  const size_t stride = static_cast<size_t>(shape.stride);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const size_t rows = at(shape.batch, S);
  std::fill(dq, dq + rows * static_cast<size_t>(H), 0.0f);
  std::fill(dk, dk + rows * static_cast<size_t>(H), 0.0f);
  std::fill(dv, dv + rows * static_cast<size_t>(H), 0.0f);
  // One (sequence, head) per task: it alone writes its columns of dq, dk, dv.
#pragma omp parallel for schedule(static)
  for (int task = 0; task < shape.batch * heads; ++task) {
    const int b = task / heads, h = task % heads;
    const size_t col = static_cast<size_t>(h) * static_cast<size_t>(d);
    auto row_of = [&](const float* m, int s) { return m + (at(b, S) + static_cast<size_t>(s)) * stride + col; };
    auto out_row = [&](float* m, int s) { return m + (at(b, S) + static_cast<size_t>(s)) * static_cast<size_t>(H) + col; };
    std::vector<double> dp(static_cast<size_t>(S));
    for (int i = 0; i < S; ++i) {
      const KeyRange keys = visible_keys(shape, i, lengths[b]);
      const float* p = pattern + (at(at(b, heads) + static_cast<size_t>(h), S) + static_cast<size_t>(i)) * static_cast<size_t>(S);
      const float* dc = dcontext + (at(b, S) + static_cast<size_t>(i)) * static_cast<size_t>(H) + col;
      // dP[j] = dc . v_j; dS[j] = P[j] (dP[j] - sum_j' P[j'] dP[j']). dP is given for every
      // real key, as autograd gives it for P V over all keys, though the keys the causal or
      // window mask hides have P = 0 and the mix never reads them.
      double weighted = 0.0;
      for (int j = 0; j < lengths[b]; ++j) {
        const float* vj = row_of(v, j);
        double s = 0.0;
        for (int x = 0; x < d; ++x) s += static_cast<double>(dc[x]) * vj[x];
        dp[static_cast<size_t>(j)] = s;
        if (j >= keys.begin && j < keys.end) weighted += p[j] * s;
      }
      const size_t grid_row = (at(at(b, heads) + static_cast<size_t>(h), S) + static_cast<size_t>(i)) * static_cast<size_t>(S);
      if (dpattern) {
        std::fill(dpattern + grid_row, dpattern + grid_row + static_cast<size_t>(S), 0.0f);
        for (int j = 0; j < lengths[b]; ++j) dpattern[grid_row + static_cast<size_t>(j)] = static_cast<float>(dp[static_cast<size_t>(j)]);
      }
      if (dscores) std::fill(dscores + grid_row, dscores + grid_row + static_cast<size_t>(S), 0.0f);
      float* dqi = out_row(dq, i);
      const float* qi = row_of(q, i);
      for (int j = keys.begin; j < keys.end; ++j) {
        const double ds = p[j] * (dp[static_cast<size_t>(j)] - weighted);
        if (dscores) dscores[grid_row + static_cast<size_t>(j)] = static_cast<float>(ds);
        const float* kj = row_of(k, j);
        float* dkj = out_row(dk, j);
        float* dvj = out_row(dv, j);
        const auto g = static_cast<float>(ds * scale);
        for (int x = 0; x < d; ++x) {
          dqi[x] += g * kj[x];
          dkj[x] += g * qi[x];
          dvj[x] += p[j] * dc[x];
        }
      }
    }
  }
}

}  // namespace bertscope
