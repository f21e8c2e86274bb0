#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "common/vector_dispatch.h"

namespace bertscope {

namespace {

// Position of query row i of sequence b (AttentionShape::query_positions).
int query_position(const AttentionShape& shape, int b, int i) {
  if (!shape.query_positions) return i;
  return shape.query_positions[static_cast<size_t>(b) * static_cast<size_t>(shape.queries) + static_cast<size_t>(i)];
}

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
    const int position = query_position(shape, b, i);
    const float* qi = q + (row0 + static_cast<size_t>(position)) * stride + col0;
    // Padded keys (j >= length) are left out, not masked: their weight would be exp(-10000)
    // = 0 anyway, and leaving them out makes a real row's numbers independent of how much
    // padding its batch has (a trial gives the same bits alone or batched with longer prompts).
    float max_score = -INFINITY;
    for (int j = 0; j < length; ++j) {
      const float* kj = k + (row0 + j) * stride + col0;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)  // lets the 64-wide dot product use vector lanes
      for (int d = 0; d < dim; ++d) dot += qi[d] * kj[d];
      scores[j] = dot * scale;
      max_score = std::max(max_score, scores[j]);
    }
    float total = 0.0f;
    for (int j = 0; j < length; ++j) {
      scores[j] = std::exp(scores[j] - max_score);
      total += scores[j];
    }
    float* out = context + (query0 + i) * hidden + col0;
    std::fill(out, out + dim, 0.0f);
    for (int j = 0; j < length; ++j) {
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
    const int position = query_position(shape, b, i);
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
void mix_head(const float* pattern, const float* v, int length, const AttentionShape& shape, int b, int h,
              float* context) {
  const int dim = shape.head_dim;
  const size_t stride = static_cast<size_t>(shape.stride);
  const size_t hidden = static_cast<size_t>(shape.hidden());
  const size_t row0 = static_cast<size_t>(b) * static_cast<size_t>(shape.seq);
  const size_t query0 = static_cast<size_t>(b) * static_cast<size_t>(shape.queries);
  const size_t col0 = static_cast<size_t>(h) * static_cast<size_t>(dim);
  for (int i = 0; i < shape.queries; ++i) {
    const float* p = pattern + score_row(shape, b, h, i);
    float* out = context + (query0 + i) * hidden + col0;
    std::fill(out, out + dim, 0.0f);
    for (int j = 0; j < length; ++j) {  // padded keys have weight 0: left out, as in attend_head
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

void attention_softmax(float* scores, const int* lengths, const AttentionShape& shape) {
  const long long per_sequence = static_cast<long long>(shape.heads) * shape.queries;
  const long long rows = per_sequence * shape.batch;
#pragma omp parallel for schedule(static)
  for (long long r = 0; r < rows; ++r) {
    float* x = scores + static_cast<size_t>(r) * static_cast<size_t>(shape.seq);
    const int length = lengths[r / per_sequence];
    float max_score = -INFINITY;
    for (int j = 0; j < length; ++j) max_score = std::max(max_score, x[j]);
    float total = 0.0f;
    for (int j = 0; j < length; ++j) {
      x[j] = std::exp(x[j] - max_score);
      total += x[j];
    }
    for (int j = 0; j < length; ++j) x[j] /= total;
    std::fill(x + length, x + shape.seq, 0.0f);
  }
}

void attention_mix(const float* pattern, const float* v, const int* lengths, const AttentionShape& shape, float* context) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < shape.batch; ++b) {
    for (int h = 0; h < shape.heads; ++h) mix_head(pattern, v, lengths[b], shape, b, h, context);
  }
}

}  // namespace bertscope
