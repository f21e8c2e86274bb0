#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
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
//
// Masks. Every query row sees one contiguous range of keys (visible_keys): padding, causal
// and window masks are all bounds on j. A block of kRows rows computes scores only for the
// key panels that meet the union of its rows' ranges, and P V only over that union, each row
// weighting the keys outside its own range by 0: a causal pass does about half the work of a
// bidirectional one, a windowed one what its window implies. The bits stay a row's own: a
// score does not depend on which panels are computed beside it, the softmax runs over the
// row's own range, and a weight of 0 adds an exact 0 to the P V sums (their running sums
// start at +0 and can never become -0, and the values of real keys are finite).

namespace bertscope {

namespace {

constexpr int kRows = 4;    // query rows per block (score_rows lists them)
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

// acc[r][jj] = q[r] . k[j0 + c + jj] for jj < Width: `Width` keys of a panel from its key c,
// each score one chain of multiply-adds over d in order, whatever Width and c.
template <int Width>
BERTSCOPE_ALWAYS_INLINE void score_keys(const float* const* q, const float* panel, int c, int dim,
                                        float (&acc)[kRows][Width]) {
  for (int d = 0; d < dim; ++d) {
    const float* kd = panel + static_cast<size_t>(d) * kKeys + static_cast<size_t>(c);
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const float qd = q[r][d];
#pragma omp simd
      for (int j = 0; j < Width; ++j) acc[r][j] += qd * kd[j];
    }
  }
}

// out[r][j] = (q[r] . k[j]) * scale for first <= j < last, kRows rows at once; kt as
// transpose_keys wrote it (at least `last` keys). Whole panels where [first, last) covers
// them, else only its chunks of kChunk keys (the edges of a causal or windowed block).
BERTSCOPE_VECTOR_KERNEL
void score_rows(const float* const* q, const float* kt, int first, int last, int dim, float scale, float* const* out) {
  static_assert(kRows == 4);
  constexpr int kChunk = 16;
  for (int j0 = first / kKeys * kKeys; j0 < last; j0 += kKeys) {
    const float* panel = kt + static_cast<size_t>(j0) * static_cast<size_t>(dim);
    const int from = std::max(first, j0) - j0, to = std::min(kKeys, last - j0);
    const auto store = [&](const float* const* acc_rows, int c, int width) {
      for (int r = 0; r < kRows; ++r) {
        for (int j = std::max(from, c); j < std::min(to, c + width); ++j) out[r][j0 + j] = acc_rows[r][j - c] * scale;
      }
    };
    if (from < kChunk && to > kKeys - kChunk) {
      float acc[kRows][kKeys] = {};
      score_keys(q, panel, 0, dim, acc);
      const float* rows[kRows] = {acc[0], acc[1], acc[2], acc[3]};
      store(rows, 0, kKeys);
    } else {
      for (int c = from / kChunk * kChunk; c < to; c += kChunk) {
        float acc[kRows][kChunk] = {};
        score_keys(q, panel, c, dim, acc);
        const float* rows[kRows] = {acc[0], acc[1], acc[2], acc[3]};
        store(rows, c, kChunk);
      }
    }
  }
}

// The keys of a block of kRows rows: each row's own range, and their union [lo, hi) (over
// the non-empty ones; empty when all are).
struct BlockKeys {
  int begin[kRows], end[kRows];
  int lo = 0, hi = 0;
};

// Adds p[r][j] v[j][d0 + d] over j in [from, to) to acc, in order of j; with `Select`, rows
// weight the keys outside their own range by 0 (an exact no-op on the sums, see the top).
template <bool Select, int Width>
BERTSCOPE_ALWAYS_INLINE void mix_keys(const float* const* p, const BlockKeys& keys, const float* vc, int dim, int d0,
                                      int width, int from, int to, float (&acc)[kRows][kDims]) {
  for (int j = from; j < to; ++j) {
    const float* vj = vc + static_cast<size_t>(j) * static_cast<size_t>(dim) + static_cast<size_t>(d0);
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const float pj = !Select || (j >= keys.begin[r] && j < keys.end[r]) ? p[r][j] : 0.0f;
      if constexpr (Width == kDims) {
#pragma omp simd
        for (int d = 0; d < kDims; ++d) acc[r][d] += pj * vj[d];
      } else {
        for (int d = 0; d < width; ++d) acc[r][d] += pj * vj[d];
      }
    }
  }
}

// context rows out[r][d] = sum over j in row r's key range of p[r][j] v[j][d], kRows rows at
// once, the keys in order; vc as pack_rows wrote it (at least keys.hi rows). The keys all
// rows see go without the per-key test.
BERTSCOPE_VECTOR_KERNEL
void mix_rows(const float* const* p, const BlockKeys& keys, const float* vc, int dim, float* const* out) {
  int common_begin = keys.lo, common_end = keys.hi;
  for (int r = 0; r < kRows; ++r) {
    common_begin = std::max(common_begin, keys.begin[r]);
    common_end = std::min(common_end, keys.end[r]);
  }
  if (common_begin >= common_end) common_begin = common_end = keys.hi;  // no key common to all rows
  for (int d0 = 0; d0 < dim; d0 += kDims) {
    const int width = std::min(kDims, dim - d0);
    float acc[kRows][kDims] = {};
    if (width == kDims) {
      mix_keys<true, kDims>(p, keys, vc, dim, d0, width, keys.lo, common_begin, acc);
      mix_keys<false, kDims>(p, keys, vc, dim, d0, width, common_begin, common_end, acc);
      mix_keys<true, kDims>(p, keys, vc, dim, d0, width, common_end, keys.hi, acc);
    } else {
      mix_keys<true, 0>(p, keys, vc, dim, d0, width, keys.lo, common_begin, acc);
      mix_keys<false, 0>(p, keys, vc, dim, d0, width, common_begin, common_end, acc);
      mix_keys<true, 0>(p, keys, vc, dim, d0, width, common_end, keys.hi, acc);
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

// The keys the causal and window masks let the query at `position` see, padding aside:
// never empty (the position itself is in it).
KeyRange mask_range(const AttentionShape& shape, int position) {
  KeyRange r{0, shape.seq};
  if (shape.window_half >= 0) {
    r.begin = std::max(0, position - shape.window_half);
    r.end = static_cast<int>(std::min<long long>(shape.seq, static_cast<long long>(position) + shape.window_half + 1));
  }
  if (shape.causal) r.end = std::min(r.end, position + 1);
  return r;
}

// A block's rows' visible keys and their union.
BlockKeys block_keys(const AttentionShape& shape, int b, int length, int i0) {
  BlockKeys keys;
  bool any = false;
  block_rows(i0, shape.queries, [&](int r, int i, bool) {
    const KeyRange range = visible_keys(shape, query_position(shape, b, i), length);
    keys.begin[r] = range.begin;
    keys.end[r] = range.end;
    if (range.begin == range.end) return;
    keys.lo = any ? std::min(keys.lo, range.begin) : range.begin;
    keys.hi = any ? std::max(keys.hi, range.end) : range.end;
    any = true;
  });
  return keys;
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
void mix_head(const HeadView& head, int length, const AttentionShape& shape, int b, Scratch& scratch,
              PatternRow&& pattern_row) {
  pack_rows(head.v, head.stride, length, head.dim, scratch.vc.data());
  for (int i0 = 0; i0 < shape.queries; i0 += kRows) {
    const float* p[kRows];
    float* out[kRows];
    block_rows(i0, shape.queries, [&](int r, int i, bool real) {
      p[r] = pattern_row(i);
      out[r] = real ? head.context + static_cast<size_t>(i) * head.hidden : scratch.spare.data();
    });
    mix_rows(p, block_keys(shape, b, length, i0), scratch.vc.data(), head.dim, out);
  }
}

// One head of one sequence: softmax(q k^T * scale) v over each query row's visible keys.
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
    const BlockKeys keys = block_keys(shape, b, length, i0);
    score_rows(q, scratch.kt.data(), keys.lo, keys.hi, head.dim, scale, scores);
    for (int r = 0; r < kRows; ++r) {
      const int n = keys.end[r] - keys.begin[r];
      softmax_row(n > 0 ? scores[r] + keys.begin[r] : scores[r], n);  // an empty range may begin past the scratch
    }
    mix_rows(scores, keys, scratch.vc.data(), head.dim, out);
  }
}

size_t score_row(const AttentionShape& shape, int b, int h, int i) {
  return ((static_cast<size_t>(b) * static_cast<size_t>(shape.heads) + static_cast<size_t>(h)) *
              static_cast<size_t>(shape.queries) + static_cast<size_t>(i)) * static_cast<size_t>(shape.seq);
}

// Scores of one head against the keys its masks let through, padded ones with HF BERT's
// -10000 added; the lowest float for the keys the masks exclude.
void score_head(const HeadView& head, int length, const AttentionShape& shape, int b, int h, Scratch& scratch,
                float* scores) {
  const int seq = shape.seq;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head.dim));
  transpose_keys(head, seq, scratch.vc.data(), scratch.kt.data());
  for (int i0 = 0; i0 < shape.queries; i0 += kRows) {
    const float* q[kRows];
    float* out[kRows];
    KeyRange masks[kRows];
    int lo = seq, hi = 0;
    block_rows(i0, shape.queries, [&](int r, int i, bool) {
      q[r] = head.q + static_cast<size_t>(query_position(shape, b, i)) * head.stride;
      out[r] = scores + score_row(shape, b, h, i);  // a repeated row writes its own bits again
      masks[r] = mask_range(shape, query_position(shape, b, i));
      lo = std::min(lo, masks[r].begin);
      hi = std::max(hi, masks[r].end);
    });
    score_rows(q, scratch.kt.data(), lo, hi, head.dim, scale, out);
    for (int r = 0; r < kRows && i0 + r < shape.queries; ++r) {
      float* row = out[r];
      std::fill(row, row + masks[r].begin, std::numeric_limits<float>::lowest());
      for (int j = std::max(length, masks[r].begin); j < masks[r].end; ++j) row[j] += -10000.0f;
      std::fill(row + masks[r].end, row + seq, std::numeric_limits<float>::lowest());
    }
  }
}

}  // namespace

KeyRange visible_keys(const AttentionShape& shape, int position, int length) {
  const KeyRange mask = mask_range(shape, position);
  return {mask.begin, std::max(mask.begin, std::min(mask.end, length))};
}

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
    const int b = static_cast<int>(r / per_sequence), i = static_cast<int>(r % shape.queries);
    const KeyRange keys = visible_keys(shape, query_position(shape, b, i), lengths[b]);
    softmax_row(x + keys.begin, keys.end - keys.begin);
    std::fill(x, x + keys.begin, 0.0f);
    std::fill(x + keys.end, x + shape.seq, 0.0f);
  }
}

void attention_mix(const float* pattern, const float* v, const int* lengths, const AttentionShape& shape, float* context) {
#pragma omp parallel
  {
    Scratch scratch(shape);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < shape.batch; ++b) {
      for (int h = 0; h < shape.heads; ++h) {
        mix_head(head_view(v, v, v, context, shape, b, h), lengths[b], shape, b, scratch,
                 [&](int i) { return pattern + score_row(shape, b, h, i); });
      }
    }
  }
}

}  // namespace bertscope
