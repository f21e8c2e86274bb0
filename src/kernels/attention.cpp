#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "common/vector_dispatch.h"
#include "kernels/fast_exp.h"

// How the work is laid out. Per (sequence, head), the head's keys are copied into thread-local
// scratch transposed, in panels of kKeys keys (transpose_keys), and its values packed row
// after row: the scores of a query row against kKeys keys are then kKeys-wide vector FMAs
// over d, no horizontal sums, and kRows query rows share each pass over the keys and over
// the values, their sums held in registers.
//
// Bits. A query row's numbers must depend only on its own sequence's q, k, v and length (a
// trial gives the same bits alone or in a padded batch), and the fused path (self_attention)
// and the split one (scores -> softmax -> mix, for hooks) must give the same bits. So:
// - each score is one chain of multiply-adds over d in order, whatever the key's lane or
//   the row's place in its block; a block short of kRows rows repeats its last row (results
//   dropped), so every row goes through the same code;
// - the softmax of a row is one function (softmax_row) used by both paths, whose sum runs
//   in a fixed lane layout that depends on the row's length only;
// - P V sums each output over the real keys in order, by the same function in both paths.
// Padded keys (j >= length) are left out of the softmax and of P V, not masked: their weight
// would be exp(-10000) = 0 anyway.

namespace bertscope {

namespace {

constexpr int kRows = 4;    // query rows per block
constexpr int kKeys = 64;   // keys per score block (four AVX-512 vectors)
constexpr int kDims = 64;   // output columns per P V block
constexpr int kLanes = 16;  // partial results of the softmax's max and total

int round_up(int n, int to) { return (n + to - 1) / to * to; }

// Position of query row i of sequence b (AttentionShape::query_positions).
int query_position(const AttentionShape& shape, int b, int i) {
  if (!shape.query_positions) return i;
  return shape.query_positions[static_cast<size_t>(b) * static_cast<size_t>(shape.queries) + static_cast<size_t>(i)];
}

// Where one (sequence, head) lives in q, k, v and context.
struct HeadView {
  const float* q;  // row 0 of the sequence, column 0 of the head
  const float* k;
  const float* v;
  size_t stride;   // floats between rows of q, k, v
  float* context;  // query row 0 of the sequence in context, column 0 of the head
  size_t hidden;   // floats between rows of context
  int dim;
};

HeadView head_view(const float* q, const float* k, const float* v, float* context, const AttentionShape& shape, int b,
                   int h) {
  const size_t stride = static_cast<size_t>(shape.stride), hidden = static_cast<size_t>(shape.hidden());
  const size_t row0 = static_cast<size_t>(b) * static_cast<size_t>(shape.seq) * stride;
  const size_t col0 = static_cast<size_t>(h) * static_cast<size_t>(shape.head_dim);
  const size_t query0 = static_cast<size_t>(b) * static_cast<size_t>(shape.queries) * hidden;
  return {q + row0 + col0, k + row0 + col0, v + row0 + col0, stride, context ? context + query0 + col0 : nullptr,
          hidden, shape.head_dim};
}

// The head's first `keys` rows of k (or v), packed: packed[j * dim + d] = k[j][d]. The rows
// of q, k, v are 3 x hidden floats apart, each in its own 4 KiB page, which the hardware
// prefetcher does not cross: whole-row copies keep many of those loads in flight at once.
void pack_rows(const float* rows, size_t stride, int keys, int dim, float* packed) {
  for (int j = 0; j < keys; ++j) {
    std::copy_n(rows + static_cast<size_t>(j) * stride, dim, packed + static_cast<size_t>(j) * static_cast<size_t>(dim));
  }
}

// The first `keys` keys transposed into panels of kKeys keys: key j0 + jj's component d at
// kt[(j0 / kKeys) * dim * kKeys + d * kKeys + jj], zeros past `keys` up to a whole panel.
// score_rows then reads each panel straight through. The keys go through `packed`
// (pack_rows) first.
BERTSCOPE_VECTOR_CLONES
void transpose_keys(const HeadView& head, int keys, float* packed, float* kt) {
  const int dim = head.dim;
  pack_rows(head.k, head.stride, keys, dim, packed);
  for (int j0 = 0; j0 < keys; j0 += kKeys) {
    float* panel = kt + static_cast<size_t>(j0) * static_cast<size_t>(dim);
    const int width = std::min(kKeys, keys - j0);
    for (int d = 0; d < dim; ++d) {
      float* row = panel + static_cast<size_t>(d) * kKeys;
      for (int jj = 0; jj < width; ++jj) row[jj] = packed[static_cast<size_t>(j0 + jj) * static_cast<size_t>(dim) + static_cast<size_t>(d)];
      std::fill(row + width, row + kKeys, 0.0f);
    }
  }
}

// out[r][j] = (q[r] . k[j]) * scale for j < keys, kRows rows at once; kt as transpose_keys
// wrote it.
BERTSCOPE_VECTOR_KERNEL
void score_rows(const float* const* q, const float* kt, int keys, int dim, float scale, float* const* out) {
  for (int j0 = 0; j0 < keys; j0 += kKeys) {
    const float* panel = kt + static_cast<size_t>(j0) * static_cast<size_t>(dim);
    float acc[kRows][kKeys] = {};
    for (int d = 0; d < dim; ++d) {
      const float* kd = panel + static_cast<size_t>(d) * kKeys;
#pragma GCC unroll 4
      for (int r = 0; r < kRows; ++r) {
        const float qd = q[r][d];
#pragma omp simd
        for (int j = 0; j < kKeys; ++j) acc[r][j] += qd * kd[j];
      }
    }
    const int width = std::min(kKeys, keys - j0);
    for (int r = 0; r < kRows; ++r) {
      for (int j = 0; j < width; ++j) out[r][j0 + j] = acc[r][j] * scale;
    }
  }
}

// context rows out[r][d] = sum over j < length of p[r][j] v[j][d], kRows rows at once; vc
// as pack_rows wrote it.
BERTSCOPE_VECTOR_KERNEL
void mix_rows(const float* const* p, const float* vc, int dim, int length, float* const* out) {
  for (int d0 = 0; d0 < dim; d0 += kDims) {
    const int width = std::min(kDims, dim - d0);
    float acc[kRows][kDims] = {};
    if (width == kDims) {
      for (int j = 0; j < length; ++j) {
        const float* vj = vc + static_cast<size_t>(j) * static_cast<size_t>(dim) + static_cast<size_t>(d0);
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) {
          const float pj = p[r][j];
#pragma omp simd
          for (int d = 0; d < kDims; ++d) acc[r][d] += pj * vj[d];
        }
      }
    } else {
      for (int j = 0; j < length; ++j) {
        const float* vj = vc + static_cast<size_t>(j) * static_cast<size_t>(dim) + static_cast<size_t>(d0);
        for (int r = 0; r < kRows; ++r) {
          const float pj = p[r][j];
          for (int d = 0; d < width; ++d) acc[r][d] += pj * vj[d];
        }
      }
    }
    for (int r = 0; r < kRows; ++r) std::copy_n(acc[r], width, out[r] + d0);
  }
}

// op folded over map(x[j]) for j < length as kLanes partial results, x[j] into lane
// j % kLanes, then the lanes in a fixed tree: the same order for any vector width, a
// function of `length` only. map may also rewrite x[j].
template <typename Op, typename Map>
BERTSCOPE_ALWAYS_INLINE float fold_in_lanes(float* x, int length, float init, Op op, Map map) {
  float lanes[kLanes];
  std::fill_n(lanes, kLanes, init);
  int j0 = 0;
  for (; j0 + kLanes <= length; j0 += kLanes) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) lanes[l] = op(lanes[l], map(x[j0 + l]));
  }
  for (int l = 0; j0 + l < length; ++l) lanes[l] = op(lanes[l], map(x[j0 + l]));
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int l = 0; l < width; ++l) lanes[l] = op(lanes[l], lanes[l + width]);
  }
  return lanes[0];
}

// Softmax over x[0..length) in place. Its own (not inlined) function so that the fused and
// the split path run the very same code.
BERTSCOPE_VECTOR_KERNEL
void softmax_row(float* x, int length) {
  const float max_score = fold_in_lanes(x, length, -INFINITY, [](float a, float b) { return b > a ? b : a; },
                                         [](float& xj) { return xj; });
  const float total = fold_in_lanes(x, length, 0.0f, [](float a, float b) { return a + b; },
                                    [max_score](float& xj) { return xj = fast_exp(xj - max_score); });
  // Times the reciprocal (within an ulp of dividing, and much cheaper in a vector).
  const float inverse = 1.0f / total;
#pragma omp simd
  for (int j = 0; j < length; ++j) x[j] *= inverse;
}

// The query rows [i0, i0 + kRows) of a head, the last real one repeated past `queries`.
template <typename Row>
void block_rows(int i0, int queries, Row&& row) {
  for (int r = 0; r < kRows; ++r) row(r, std::min(i0 + r, queries - 1), i0 + r < queries);
}

// Scratch of one thread: the transposed keys, the packed values, kRows rows of scores, and a
// row for the output of repeated rows.
struct Scratch {
  std::vector<float> kt, vc, scores, spare;
  explicit Scratch(const AttentionShape& shape) {
    const auto ld = static_cast<size_t>(round_up(std::max(shape.seq, 1), kKeys));
    const auto dim = static_cast<size_t>(shape.head_dim);
    kt.resize(dim * ld);
    vc.resize(dim * static_cast<size_t>(shape.seq));
    scores.resize(kRows * ld);
    spare.resize(dim);
  }
};

// P V for the query rows of one head, kRows at a time; pattern row i at pattern_row(i).
template <typename PatternRow>
void mix_head(const HeadView& head, int length, int queries, Scratch& scratch, PatternRow&& pattern_row) {
  pack_rows(head.v, head.stride, length, head.dim, scratch.vc.data());
  for (int i0 = 0; i0 < queries; i0 += kRows) {
    const float* p[kRows];
    float* out[kRows];
    block_rows(i0, queries, [&](int r, int i, bool real) {
      p[r] = pattern_row(i);
      out[r] = real ? head.context + static_cast<size_t>(i) * head.hidden : scratch.spare.data();
    });
    mix_rows(p, scratch.vc.data(), head.dim, length, out);
  }
}

// One head of one sequence: softmax(q k^T * scale) v over its real keys for its query rows.
void attend_head(const HeadView& head, int length, const AttentionShape& shape, int b, Scratch& scratch) {
  const int ld = round_up(length, kKeys);
  const float scale = 1.0f / std::sqrt(static_cast<float>(head.dim));
  transpose_keys(head, length, scratch.vc.data(), scratch.kt.data());
  pack_rows(head.v, head.stride, length, head.dim, scratch.vc.data());
  for (int i0 = 0; i0 < shape.queries; i0 += kRows) {
    const float* q[kRows];
    float* scores[kRows];
    float* out[kRows];
    block_rows(i0, shape.queries, [&](int r, int i, bool real) {
      q[r] = head.q + static_cast<size_t>(query_position(shape, b, i)) * head.stride;
      scores[r] = scratch.scores.data() + static_cast<size_t>(r) * static_cast<size_t>(ld);
      out[r] = real ? head.context + static_cast<size_t>(i) * head.hidden : scratch.spare.data();
    });
    score_rows(q, scratch.kt.data(), length, head.dim, scale, scores);
    for (int r = 0; r < kRows; ++r) softmax_row(scores[r], length);
    mix_rows(scores, scratch.vc.data(), head.dim, length, out);
  }
}

size_t score_row(const AttentionShape& shape, int b, int h, int i) {
  return ((static_cast<size_t>(b) * static_cast<size_t>(shape.heads) + static_cast<size_t>(h)) *
              static_cast<size_t>(shape.queries) + static_cast<size_t>(i)) * static_cast<size_t>(shape.seq);
}

// Scores of one head against all `seq` keys, padded ones with HF's -10000 mask added.
void score_head(const HeadView& head, int length, const AttentionShape& shape, int b, int h, Scratch& scratch,
                float* scores) {
  const int seq = shape.seq;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head.dim));
  transpose_keys(head, seq, scratch.vc.data(), scratch.kt.data());
  for (int i0 = 0; i0 < shape.queries; i0 += kRows) {
    const float* q[kRows];
    float* out[kRows];
    block_rows(i0, shape.queries, [&](int r, int i, bool) {
      q[r] = head.q + static_cast<size_t>(query_position(shape, b, i)) * head.stride;
      out[r] = scores + score_row(shape, b, h, i);  // a repeated row writes its own bits again
    });
    score_rows(q, scratch.kt.data(), seq, head.dim, scale, out);
    for (int r = 0; r < kRows && i0 + r < shape.queries; ++r) {
      for (int j = length; j < seq; ++j) out[r][j] += -10000.0f;
    }
  }
}

}  // namespace

void self_attention(const float* q, const float* k, const float* v, const int* lengths,
                    const AttentionShape& shape, float* context) {
#pragma omp parallel
  {
    Scratch scratch(shape);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < shape.batch; ++b) {
      for (int h = 0; h < shape.heads; ++h) {
        attend_head(head_view(q, k, v, context, shape, b, h), lengths[b], shape, b, scratch);
      }
    }
  }
}

void attention_scores(const float* q, const float* k, const int* lengths, const AttentionShape& shape, float* scores) {
#pragma omp parallel
  {
    Scratch scratch(shape);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < shape.batch; ++b) {
      for (int h = 0; h < shape.heads; ++h) {
        score_head(head_view(q, k, k, nullptr, shape, b, h), lengths[b], shape, b, h, scratch, scores);
      }
    }
  }
}

void attention_softmax(float* scores, const int* lengths, const AttentionShape& shape) {
  const long long per_sequence = static_cast<long long>(shape.heads) * shape.queries;
  const long long rows = per_sequence * shape.batch;
#pragma omp parallel for schedule(static)
  for (long long r = 0; r < rows; ++r) {
    float* x = scores + static_cast<size_t>(r) * static_cast<size_t>(shape.seq);
    const int length = lengths[r / per_sequence];
    softmax_row(x, length);
    std::fill(x + length, x + shape.seq, 0.0f);
  }
}

void attention_mix(const float* pattern, const float* v, const int* lengths, const AttentionShape& shape, float* context) {
#pragma omp parallel
  {
    Scratch scratch(shape);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < shape.batch; ++b) {
      for (int h = 0; h < shape.heads; ++h) {
        mix_head(head_view(v, v, v, context, shape, b, h), lengths[b], shape.queries, scratch,
                 [&](int i) { return pattern + score_row(shape, b, h, i); });
      }
    }
  }
}

}  // namespace bertscope
