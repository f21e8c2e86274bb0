#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "common/vector_dispatch.h"

namespace bertscope {

namespace {

// One head of one sequence: softmax(q k^T * scale + mask) v for its query rows. Its own
// function so that it can be cloned per ISA (common/vector_dispatch.h); `scores` is
// scratch of `seq` floats.
BERTSCOPE_VECTOR_CLONES
void attend_head(const float* q, const float* k, const float* v, int length, const AttentionShape& shape, int b, int h,
                 float* scores, float* context) {
  const int seq = shape.seq, queries = shape.queries, dim = shape.head_dim;
  const size_t stride = static_cast<size_t>(shape.stride);
  const size_t hidden = static_cast<size_t>(shape.hidden());
  const float scale = 1.0f / std::sqrt(static_cast<float>(dim));
  const size_t row0 = static_cast<size_t>(b) * static_cast<size_t>(seq);
  const size_t query0 = static_cast<size_t>(b) * static_cast<size_t>(queries);
  const size_t col0 = static_cast<size_t>(h) * static_cast<size_t>(dim);
  for (int i = 0; i < queries; ++i) {
    const int position = shape.query_positions ? shape.query_positions[i] : i;
    const float* qi = q + (row0 + static_cast<size_t>(position)) * stride + col0;
    float max_score = -INFINITY;
    for (int j = 0; j < seq; ++j) {
      const float* kj = k + (row0 + j) * stride + col0;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)  // lets the 64-wide dot product use vector lanes
      for (int d = 0; d < dim; ++d) dot += qi[d] * kj[d];
      scores[j] = dot * scale + (j < length ? 0.0f : -10000.0f);
      max_score = std::max(max_score, scores[j]);
    }
    float total = 0.0f;
    for (int j = 0; j < seq; ++j) {
      scores[j] = std::exp(scores[j] - max_score);
      total += scores[j];
    }
    float* out = context + (query0 + i) * hidden + col0;
    std::fill(out, out + dim, 0.0f);
    for (int j = 0; j < seq; ++j) {
      const float p = scores[j] / total;
      const float* vj = v + (row0 + j) * stride + col0;
      for (int d = 0; d < dim; ++d) out[d] += p * vj[d];
    }
  }
}

}  // namespace

void self_attention(const float* q, const float* k, const float* v, const int* lengths,
                    const AttentionShape& shape, float* context) {
#pragma omp parallel
  {
    std::vector<float> scores(static_cast<size_t>(shape.seq));
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < shape.batch; ++b) {
      for (int h = 0; h < shape.heads; ++h) attend_head(q, k, v, lengths[b], shape, b, h, scores.data(), context);
    }
  }
}

namespace {

size_t score_row(const AttentionShape& shape, int b, int h, int i) {
  return ((static_cast<size_t>(b) * static_cast<size_t>(shape.heads) + static_cast<size_t>(h)) *
              static_cast<size_t>(shape.queries) + static_cast<size_t>(i)) * static_cast<size_t>(shape.seq);
}

BERTSCOPE_VECTOR_CLONES
void score_head(const float* q, const float* k, int length, const AttentionShape& shape, int b, int h, float* scores) {
  const int seq = shape.seq, dim = shape.head_dim;
  const size_t stride = static_cast<size_t>(shape.stride);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dim));
  const size_t row0 = static_cast<size_t>(b) * static_cast<size_t>(seq);
  const size_t col0 = static_cast<size_t>(h) * static_cast<size_t>(dim);
  for (int i = 0; i < shape.queries; ++i) {
    const int position = shape.query_positions ? shape.query_positions[i] : i;
    const float* qi = q + (row0 + static_cast<size_t>(position)) * stride + col0;
    float* out = scores + score_row(shape, b, h, i);
    for (int j = 0; j < seq; ++j) {
      const float* kj = k + (row0 + j) * stride + col0;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int d = 0; d < dim; ++d) dot += qi[d] * kj[d];
      out[j] = dot * scale + (j < length ? 0.0f : -10000.0f);
    }
  }
}

BERTSCOPE_VECTOR_CLONES
void mix_head(const float* pattern, const float* v, const AttentionShape& shape, int b, int h, float* context) {
  const int seq = shape.seq, dim = shape.head_dim;
  const size_t stride = static_cast<size_t>(shape.stride);
  const size_t hidden = static_cast<size_t>(shape.hidden());
  const size_t row0 = static_cast<size_t>(b) * static_cast<size_t>(seq);
  const size_t query0 = static_cast<size_t>(b) * static_cast<size_t>(shape.queries);
  const size_t col0 = static_cast<size_t>(h) * static_cast<size_t>(dim);
  for (int i = 0; i < shape.queries; ++i) {
    const float* p = pattern + score_row(shape, b, h, i);
    float* out = context + (query0 + i) * hidden + col0;
    std::fill(out, out + dim, 0.0f);
    for (int j = 0; j < seq; ++j) {
      const float* vj = v + (row0 + j) * stride + col0;
      for (int d = 0; d < dim; ++d) out[d] += p[j] * vj[d];
    }
  }
}

}  // namespace

void attention_scores(const float* q, const float* k, const int* lengths, const AttentionShape& shape, float* scores) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < shape.batch; ++b) {
    for (int h = 0; h < shape.heads; ++h) score_head(q, k, lengths[b], shape, b, h, scores);
  }
}

void softmax_rows(float* rows_data, long long rows, int seq) {
#pragma omp parallel for schedule(static)
  for (long long r = 0; r < rows; ++r) {
    float* x = rows_data + static_cast<size_t>(r) * static_cast<size_t>(seq);
    float max_score = -INFINITY;
    for (int j = 0; j < seq; ++j) max_score = std::max(max_score, x[j]);
    float total = 0.0f;
    for (int j = 0; j < seq; ++j) {
      x[j] = std::exp(x[j] - max_score);
      total += x[j];
    }
    for (int j = 0; j < seq; ++j) x[j] /= total;
  }
}

void attention_mix(const float* pattern, const float* v, const AttentionShape& shape, float* context) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < shape.batch; ++b) {
    for (int h = 0; h < shape.heads; ++h) mix_head(pattern, v, shape, b, h, context);
  }
}

}  // namespace bertscope
