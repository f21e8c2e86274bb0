// kernels/attention.h against a slow float64 reference on random inputs laid out as the model
// passes them (q, k, v interleaved in rows of 3 x hidden), for padded batches of many lengths,
// head widths 64 and 5, all query rows or a few chosen ones, bidirectional, causal and
// windowed; and the bit-for-bit promises: the fused and the split path agree, and a row does
// not see the padding of its batch nor the other rows computed beside it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/attention.h"

namespace bertscope {
namespace {

// The masks beside padding (AttentionShape::causal, window_half).
struct Mask {
  bool causal = false;
  int window_half = -1;
  std::string name() const {
    std::string n = causal ? "causal" : "bidirectional";
    if (window_half >= 0) n += " window_half " + std::to_string(window_half);
    return n;
  }
};

// One batch: rows of 3 x hidden floats (q | k | v), lengths, optional query positions.
struct Batch {
  AttentionShape shape;
  std::vector<float> qkv;
  std::vector<int> lengths, positions;
  const float* q() const { return qkv.data(); }
  const float* k() const { return qkv.data() + shape.hidden(); }
  const float* v() const { return qkv.data() + 2 * shape.hidden(); }
  float at(int part, int b, int row, int h, int d) const {
    const size_t r = static_cast<size_t>(b) * static_cast<size_t>(shape.seq) + static_cast<size_t>(row);
    return qkv[r * static_cast<size_t>(shape.stride) + static_cast<size_t>(part * shape.hidden() + h * shape.head_dim + d)];
  }
  int position(int b, int i) const { return positions.empty() ? i : positions[static_cast<size_t>(b * shape.queries + i)]; }
};

// `lengths` padded to `seq`; `queries` > 0 picks that many positions per sequence, among its
// real tokens; the padded rows hold random numbers too (the kernel must ignore them).
Batch random_batch(const std::vector<int>& lengths, int seq, int heads, int head_dim, int queries, unsigned seed,
                   Mask mask = {}) {
  Batch t;
  t.shape.causal = mask.causal;
  t.shape.window_half = mask.window_half;
  t.shape.batch = static_cast<int>(lengths.size());
  t.shape.seq = seq;
  t.shape.heads = heads;
  t.shape.head_dim = head_dim;
  t.shape.stride = 3 * heads * head_dim;
  t.lengths = lengths;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  t.qkv.resize(static_cast<size_t>(t.shape.batch) * static_cast<size_t>(seq) * static_cast<size_t>(t.shape.stride));
  for (float& x : t.qkv) x = uniform(rng);
  t.shape.queries = queries > 0 ? queries : seq;
  if (queries > 0) {
    for (int length : lengths) {
      for (int i = 0; i < queries; ++i) t.positions.push_back(static_cast<int>(rng() % static_cast<unsigned>(length)));
    }
    t.shape.query_positions = t.positions.data();
  }
  return t;
}

// The float64 reference of one query row of one head: scores, softmax over the real keys, P V.
struct Reference {
  std::vector<double> scores, pattern, context;
  double score_magnitude;  // the largest scale * sum_d |q_d k_d| of the row: what a score's rounding scales with
};

// The masks by their definitions: key j is visible from the query at position i unless
// causal and j > i, or windowed and |i - j| > window_half (HF GPT-2, ModernBERT); padding aside.
bool mask_allows(const AttentionShape& s, int i, int j) {
  if (s.causal && j > i) return false;
  return s.window_half < 0 || std::abs(i - j) <= s.window_half;
}

Reference reference(const Batch& t, int b, int h, int i) {
  const AttentionShape& s = t.shape;
  const int length = t.lengths[static_cast<size_t>(b)], row = t.position(b, i);
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.head_dim));
  Reference r{std::vector<double>(static_cast<size_t>(s.seq)), std::vector<double>(static_cast<size_t>(s.seq), 0.0),
              std::vector<double>(static_cast<size_t>(s.head_dim), 0.0), 0.0};
  double max_score = -INFINITY;
  const auto visible = [&](int j) { return j < length && mask_allows(s, row, j); };
  for (int j = 0; j < s.seq; ++j) {
    if (!mask_allows(s, row, j)) {
      r.scores[static_cast<size_t>(j)] = std::numeric_limits<float>::lowest();
      continue;
    }
    double dot = 0.0, magnitude = 0.0;
    for (int d = 0; d < s.head_dim; ++d) {
      const double product = static_cast<double>(t.at(0, b, row, h, d)) * t.at(1, b, j, h, d);
      dot += product;
      magnitude += std::fabs(product);
    }
    r.scores[static_cast<size_t>(j)] = dot * scale - (j < length ? 0.0 : 10000.0);
    r.score_magnitude = std::max(r.score_magnitude, magnitude * scale);
    if (visible(j)) max_score = std::max(max_score, dot * scale);
  }
  // A padded row whose window meets no real key: weights and context 0.
  double total = 0.0;
  for (int j = 0; j < s.seq; ++j) {
    if (visible(j)) total += std::exp(r.scores[static_cast<size_t>(j)] - max_score);
  }
  for (int j = 0; j < s.seq; ++j) {
    if (!visible(j)) continue;
    const double p = std::exp(r.scores[static_cast<size_t>(j)] - max_score) / total;
    r.pattern[static_cast<size_t>(j)] = p;
    for (int d = 0; d < s.head_dim; ++d) r.context[static_cast<size_t>(d)] += p * t.at(2, b, j, h, d);
  }
  return r;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

size_t grid_row(const AttentionShape& s, int b, int h, int i) {
  return ((static_cast<size_t>(b) * static_cast<size_t>(s.heads) + static_cast<size_t>(h)) * static_cast<size_t>(s.queries) +
          static_cast<size_t>(i)) * static_cast<size_t>(s.seq);
}

size_t context_at(const AttentionShape& s, int b, int i, int h) {
  return (static_cast<size_t>(b) * static_cast<size_t>(s.queries) + static_cast<size_t>(i)) * static_cast<size_t>(s.hidden()) +
         static_cast<size_t>(h * s.head_dim);
}

std::vector<float> fused(const Batch& t) {
  std::vector<float> context(static_cast<size_t>(t.shape.batch * t.shape.queries * t.shape.hidden()), NAN);
  self_attention(t.q(), t.k(), t.v(), t.lengths.data(), t.shape, context.data());
  return context;
}

struct Split {
  std::vector<float> scores, pattern, context;
};

Split split(const Batch& t) {
  const AttentionShape& s = t.shape;
  Split r;
  r.scores.assign(static_cast<size_t>(s.batch * s.heads * s.queries * s.seq), NAN);
  attention_scores(t.q(), t.k(), t.lengths.data(), s, r.scores.data());
  r.pattern = r.scores;
  attention_softmax(r.pattern.data(), t.lengths.data(), s);
  r.context.assign(static_cast<size_t>(s.batch * s.queries * s.hidden()), NAN);
  attention_mix(r.pattern.data(), t.v(), t.lengths.data(), s, r.context.data());
  return r;
}

// Tolerances, all against the float64 result, about 4-10x the largest errors seen (the test
// prints the largest error / tolerance of each case):
// - a score is a float32 dot product of head_dim terms, then scaled; its rounding errors,
//   of random sign, grow like sqrt(head_dim): (2 sqrt(head_dim) + 1) u sum_d |q_d k_d| scale
//   (u = 2^-24) for the real keys; padded ones add the -10000 mask, rounded at 10000's float
//   spacing 2^-10;
// - a weight of the pattern: relatively, twice a score's error (exp turns an absolute error
//   of a score into a relative one of its weight, the softmax's max and total add another)
//   plus 8 u for exp, the total and the division;
// - the context: a weighted mean of values (|v| <= 2) summed over `length` keys in float32,
//   whose rounding errors grow like sqrt(length): 1e-6 sqrt(length) max|v|, as for the
//   model's other float32 reductions.
constexpr double kU = 0x1p-24;

void expect_close_to_reference(const Batch& t, const std::vector<float>& context, const Split* steps,
                               const std::string& what) {
  const AttentionShape& s = t.shape;
  int checked = 0;
  double worst_context = 0.0, worst_score = 0.0, worst_pattern = 0.0;  // error / tolerance
  for (int b = 0; b < s.batch; ++b) {
    const int length = t.lengths[static_cast<size_t>(b)];
    for (int h = 0; h < s.heads; ++h) {
      for (int i = 0; i < s.queries; ++i) {
        const Reference r = reference(t, b, h, i);
        const double score_tol = (2 * std::sqrt(static_cast<double>(s.head_dim)) + 1) * kU * r.score_magnitude;
        const double weight_tol = 2 * score_tol + 8 * kU;  // relative, per weight
        const double context_tol = 2.0 * 1e-6 * std::sqrt(static_cast<double>(length));
        const std::string where = what + " b=" + std::to_string(b) + " h=" + std::to_string(h) + " i=" +
                                  std::to_string(i) + " length=" + std::to_string(length);
        for (int d = 0; d < s.head_dim; ++d) {
          worst_context = std::max(worst_context, std::fabs(context[context_at(s, b, i, h) + static_cast<size_t>(d)] -
                                                            r.context[static_cast<size_t>(d)]) / context_tol);
          ASSERT_NEAR(context[context_at(s, b, i, h) + static_cast<size_t>(d)], r.context[static_cast<size_t>(d)],
                      context_tol) << where << " d=" << d;
        }
        if (steps) {
          for (int j = 0; j < s.seq; ++j) {
            const size_t at = grid_row(s, b, h, i) + static_cast<size_t>(j);
            // Keys the causal or window mask excludes: exactly the lowest float.
            if (!mask_allows(s, t.position(b, i), j)) {
              ASSERT_EQ(steps->scores[at], std::numeric_limits<float>::lowest()) << where << " j=" << j;
              ASSERT_EQ(steps->pattern[at], 0.0f) << where << " j=" << j;
              continue;
            }
            // Padded keys: the score with HF's -10000 mask, rounded at 10000's float spacing.
            const double tol = j < length ? score_tol : score_tol + 0x1p-10;
            worst_score = std::max(worst_score, std::fabs(steps->scores[at] - r.scores[static_cast<size_t>(j)]) / tol);
            const double pattern_tol = weight_tol * r.pattern[static_cast<size_t>(j)] + 1e-38;
            worst_pattern = std::max(worst_pattern, std::fabs(steps->pattern[at] - r.pattern[static_cast<size_t>(j)]) / pattern_tol);
            ASSERT_NEAR(steps->scores[at], r.scores[static_cast<size_t>(j)], tol) << where << " j=" << j;
            ASSERT_NEAR(steps->pattern[at], r.pattern[static_cast<size_t>(j)], pattern_tol) << where << " j=" << j;
            if (j >= length) {
              ASSERT_EQ(steps->pattern[at], 0.0f) << where << " j=" << j;
            }
          }
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, s.batch * s.heads * s.queries);
  std::printf("%s: largest error / tolerance: context %.3f, scores %.3f, pattern %.3f\n", what.c_str(), worst_context,
              worst_score, worst_pattern);
}

const std::vector<int> kLengths = {1, 2, 7, 16, 17, 33, 128};
// Causal, windows narrower than a key panel, of one, and wider than the longest sequence,
// and both at once. A window_half of 3 leaves the padded rows of short sequences with no
// key at all.
const std::vector<Mask> kMasks = {{true, -1}, {false, 3}, {false, 0}, {false, 40}, {false, 200}, {true, 20}};

TEST(AttentionKernel, FusedAndSplitMatchAFloat64ReferenceForEveryLength) {
  for (int head_dim : {64, 5}) {
    for (int queries : {0, 3}) {
      const Batch t = random_batch(kLengths, 131, 2, head_dim, queries, 7u + static_cast<unsigned>(head_dim + queries));
      const std::string what = "head_dim " + std::to_string(head_dim) + (queries ? " 3 queries" : " all queries");
      expect_close_to_reference(t, fused(t), nullptr, "fused " + what);
      const Split steps = split(t);
      expect_close_to_reference(t, steps.context, &steps, "split " + what);
    }
  }
}

TEST(AttentionKernel, TheSplitPathGivesTheFusedPathsBits) {
  for (int head_dim : {64, 5}) {
    for (int queries : {0, 5}) {
      const Batch t = random_batch(kLengths, 130, 3, head_dim, queries, 11u);
      const std::vector<float> one = fused(t), other = split(t).context;
      EXPECT_TRUE(same_bits(one, other))
          << "head_dim " << head_dim << " queries " << queries;
    }
  }
}

TEST(AttentionKernel, FusedAndSplitMatchAFloat64ReferenceWithEveryMask) {
  for (const Mask& mask : kMasks) {
    for (int head_dim : {64, 5}) {
      for (int queries : {0, 3}) {
        const Batch t = random_batch(kLengths, 131, 2, head_dim, queries, 5u + static_cast<unsigned>(head_dim + queries), mask);
        const std::string what =
            mask.name() + " head_dim " + std::to_string(head_dim) + (queries ? " 3 queries" : " all queries");
        const std::vector<float> context = fused(t);
        for (float x : context) ASSERT_TRUE(std::isfinite(x)) << what;  // padded rows too
        expect_close_to_reference(t, context, nullptr, "fused " + what);
        const Split steps = split(t);
        expect_close_to_reference(t, steps.context, &steps, "split " + what);
      }
    }
  }
}

TEST(AttentionKernel, TheSplitPathGivesTheFusedPathsBitsWithEveryMask) {
  for (const Mask& mask : kMasks) {
    for (int head_dim : {64, 5}) {
      for (int queries : {0, 5}) {
        const Batch t = random_batch(kLengths, 130, 3, head_dim, queries, 13u, mask);
        EXPECT_TRUE(same_bits(fused(t), split(t).context)) << mask.name() << " head_dim " << head_dim << " queries " << queries;
      }
    }
  }
}

// Rows of one block of kRows see different keys under a mask; each must still give the bits
// it gives computed alone.
TEST(AttentionKernel, AMaskedRowGivesTheSameBitsAloneOrAmongOthers) {
  const int heads = 2, dim = 64, hidden = heads * dim;
  for (const Mask& mask : kMasks) {
    const Batch all = random_batch({150, 97}, 150, heads, dim, 0, 17u, mask);
    const std::vector<float> together = fused(all);
    for (int position : {0, 5, 64, 96, 130}) {  // 130: a padded row of sequence 1
      Batch one = all;
      one.positions = {position, position};
      one.shape.queries = 1;
      one.shape.query_positions = one.positions.data();
      for (const std::vector<float>& alone : {fused(one), split(one).context}) {
        for (int b : {0, 1}) {
          EXPECT_EQ(std::memcmp(alone.data() + static_cast<size_t>(b * hidden),
                                together.data() + context_at(all.shape, b, position, 0), hidden * sizeof(float)),
                    0)
              << mask.name() << " b=" << b << " position " << position;
        }
      }
    }
  }
}

TEST(AttentionKernel, ARowGivesTheSameBitsAloneOrBesideLongerPaddedSequences) {
  // The sequence of length 17 alone (no padding), then second in a batch padded to 150.
  const int heads = 2, dim = 64, hidden = heads * dim;
  const Batch alone = random_batch({17}, 17, heads, dim, 0, 3u);
  Batch batched = random_batch({100, 17, 150, 5}, 150, heads, dim, 0, 4u);
  const size_t row = static_cast<size_t>(3 * hidden);
  std::copy(alone.qkv.begin(), alone.qkv.end(), batched.qkv.begin() + static_cast<std::ptrdiff_t>(150 * row));
  const auto rows_of_17 = [&](const std::vector<float>& context, int b, int queries) {
    const auto first = context.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(b * queries) * hidden);
    return std::vector<float>(first, first + 17 * hidden);
  };
  EXPECT_TRUE(same_bits(rows_of_17(fused(alone), 0, 17), rows_of_17(fused(batched), 1, 150)));
  EXPECT_TRUE(same_bits(rows_of_17(split(alone).context, 0, 17), rows_of_17(split(batched).context, 1, 150)));
  // And the first row alone, as a one-query batch, gives the same bits as among 17.
  Batch one_query = alone;
  one_query.positions = {0};
  one_query.shape.queries = 1;
  one_query.shape.query_positions = one_query.positions.data();
  const std::vector<float> first = fused(one_query), all = fused(alone);
  EXPECT_EQ(std::memcmp(first.data(), all.data(), static_cast<size_t>(hidden) * sizeof(float)), 0);
}

}  // namespace
}  // namespace bertscope
