// The kernels of src/kernels/, op by op, against float64 references on odd shapes, in the
// manner of llama.cpp's test-backend-ops: one row, prime and non-multiple-of-16 widths,
// head widths 5, 64 and 80, sequences of 1 to 131 tokens, every activation and mask.
//
// The table (op_table) is what a second backend would be run against: each Op (op_table.h) is
// a name, its stated tolerance, its shapes, and a function that runs the kernel on random
// inputs of one shape and returns the outputs beside the float64 reference and a tolerance per
// element. Adding an op is adding one entry; each (op, shape) is its own gtest case, named
// after both. The backward kernels' rows come from backward_ops_test.cpp.
#include <gtest/gtest.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/attention.h"
#include "kernels/embedding.h"
#include "kernels/layer_norm.h"
#include "kernels/linear.h"
#include "kernels/rotary.h"
#include "op_table.h"

namespace bertscope {
namespace {

using namespace test_ops;

// ---- Linear ------------------------------------------------------------------------------

Outcome run_linear(const Shape& s, std::mt19937& rng) {
  const int rows = s["rows"], in = s["in"], out = s["out"];
  const auto act = static_cast<Activation>(s["act"]);
  const bool bf16 = s["bf16"] != 0;
  // Weights scaled so that the pre-activations spread over about [-3, 3], where the
  // activations bend.
  const float w_scale = 3.0f / std::sqrt(static_cast<float>(in));
  const auto x = uniform(sz(rows) * sz(in), -1.0f, 1.0f, rng);
  const auto w = uniform(sz(out) * sz(in), -w_scale, w_scale, rng);
  const auto b = uniform(sz(out), -1.0f, 1.0f, rng);
  const Linear linear(w.data(), s["bias"] ? b.data() : nullptr, in, out, act,
                      bf16 ? MatmulPrecision::BF16 : MatmulPrecision::F32);
  std::vector<float> y(sz(rows) * sz(out), NAN);
  linear.forward(x.data(), rows, y.data());
  Outcome o;
  for (int r = 0; r < rows; ++r) {
    for (int n = 0; n < out; ++n) {
      double pre = s["bias"] ? b[sz(n)] : 0.0, magnitude = 0.0;
      for (int k = 0; k < in; ++k) {
        const double p = static_cast<double>(x[sz(r) * sz(in) + sz(k)]) * w[sz(n) * sz(in) + sz(k)];
        pre += p;
        magnitude += std::fabs(p);
      }
      // The matmul: float32 sums of `in` terms in oneDNN's (blocked) order, whose rounding
      // errors of random sign grow like sqrt(in); bf16 adds the rounding of x and W to 8
      // bits (2^-9 relative each, 2^-8 per product), bounded, not averaged.
      double pre_tol = (2 * std::sqrt(static_cast<double>(in)) + 2) * kU * (magnitude + std::fabs(pre));
      if (bf16) pre_tol += 0x1p-8 * magnitude;
      const double want = activate(act, pre);
      // The activation passes the error on times its slope (GELU's is at most 1.13) and adds
      // its own few roundings, of x and of 1 + erf (which cancels for negative x).
      const double tol = (act == Activation::None ? 1.0 : 1.13) * pre_tol +
                         (act == Activation::None ? 0.0 : 4 * kU * (std::fabs(pre) + std::fabs(want)));
      o.add(y[sz(r) * sz(out) + sz(n)], want, tol);
    }
  }
  return o;
}

std::vector<Shape> linear_shapes() {
  std::vector<Shape> shapes;
  const std::vector<std::vector<int>> sizes = {{1, 7, 33}, {3, 33, 65}, {17, 129, 7}, {2, 1024, 17}};
  for (int act = 0; act < 4; ++act) {
    for (int bias : {1, 0}) {
      for (int bf16 : {0, 1}) {
        for (const auto& size : sizes) {
          shapes.push_back({{{"rows", size[0]}, {"in", size[1]}, {"out", size[2]}, {"act", act}, {"bias", bias},
                             {"bf16", bf16}}});
        }
      }
    }
  }
  return shapes;
}

// ---- LayerNorm ---------------------------------------------------------------------------

Outcome run_layer_norm(const Shape& s, std::mt19937& rng) {
  const int rows = s["rows"], width = s["width"];
  const auto x = uniform(sz(rows) * sz(width), -3.0f, 5.0f, rng);  // off-centre: the mean matters
  const auto residual = uniform(sz(rows) * sz(width), -2.0f, 2.0f, rng);
  const auto gamma = uniform(sz(width), 0.5f, 1.5f, rng), beta = uniform(sz(width), -1.0f, 1.0f, rng);
  const float eps = s["bias"] ? 1e-12f : 1e-5f;  // BERT's and ModernBERT's
  const LayerNormParams params{gamma.data(), s["bias"] ? beta.data() : nullptr, eps};
  std::vector<float> out(x.size(), NAN);
  add_layer_norm(x.data(), s["residual"] ? residual.data() : nullptr, rows, width, params, out.data());
  Outcome o;
  for (int r = 0; r < rows; ++r) {
    std::vector<double> v(sz(width));
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < width; ++i) {
      const size_t at = sz(r) * sz(width) + sz(i);
      v[sz(i)] = static_cast<double>(x[at]) + (s["residual"] ? residual[at] : 0.0);
      mean += v[sz(i)];
    }
    mean /= width;
    for (double e : v) var += (e - mean) * (e - mean);
    var /= width;
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int i = 0; i < width; ++i) {
      const double g = gamma[sz(i)], want = (v[sz(i)] - mean) * inv * g + (s["bias"] ? beta[sz(i)] : 0.0);
      // Roundings of x + residual and of the mean to float (each u times its size, then
      // normalized), of the centred value, 1/sigma and the two products (u each, relative),
      // and of the bias' addition.
      const double tol =
          kU * inv * std::fabs(g) * (2 * std::fabs(v[sz(i)]) + std::fabs(mean) + 6 * std::fabs(v[sz(i)] - mean)) +
          2 * kU * std::fabs(want);
      o.add(out[sz(r) * sz(width) + sz(i)], want, tol);
    }
  }
  return o;
}

std::vector<Shape> layer_norm_shapes() {
  std::vector<Shape> shapes;
  for (int width : {7, 33, 65, 129, 1024}) {
    for (int residual : {1, 0}) {
      for (int bias : {1, 0}) {
        shapes.push_back({{{"rows", width == 1024 ? 3 : 1}, {"width", width}, {"residual", residual}, {"bias", bias}}});
      }
    }
  }
  return shapes;
}

// ---- Attention ---------------------------------------------------------------------------

// q | k | v interleaved in rows of 3 x hidden, as the model passes them; two sequences, the
// second shorter (padded); all query rows (queries 0) or a few, padded ones among them.
Outcome run_attention(const Shape& s, std::mt19937& rng, bool split) {
  AttentionShape shape;
  shape.batch = 2;
  shape.seq = s["seq"];
  shape.heads = s["heads"];
  shape.head_dim = s["head_dim"];
  shape.stride = 3 * shape.hidden();
  shape.causal = s["causal"] != 0;
  shape.window_half = s["window_half"];
  const int H = shape.hidden(), seq = shape.seq;
  const std::vector<int> lengths = {seq, std::max(1, seq * 2 / 3)};
  std::vector<int> positions;
  shape.queries = s["queries"] ? s["queries"] : seq;
  if (s["queries"]) {
    for (int i = 0; i < 2 * shape.queries; ++i) positions.push_back(static_cast<int>(rng() % static_cast<unsigned>(seq)));
    shape.query_positions = positions.data();
  }
  const float v_max = 2.0f;
  const auto qkv = uniform(sz(2) * sz(seq) * sz(shape.stride), -v_max, v_max, rng);
  std::vector<float> context(sz(2) * sz(shape.queries) * sz(H), NAN);
  if (split) {
    std::vector<float> scores(sz(2) * sz(shape.heads) * sz(shape.queries) * sz(seq), NAN);
    attention_scores(qkv.data(), qkv.data() + H, lengths.data(), shape, scores.data());
    attention_softmax(scores.data(), lengths.data(), shape);
    attention_mix(scores.data(), qkv.data() + 2 * H, lengths.data(), shape, context.data());
  } else {
    self_attention(qkv.data(), qkv.data() + H, qkv.data() + 2 * H, lengths.data(), shape, context.data());
  }
  const auto at = [&](int part, int b, int row, int h, int d) {
    return static_cast<double>(qkv[(sz(b) * sz(seq) + sz(row)) * sz(shape.stride) + sz(part * H + h * shape.head_dim + d)]);
  };
  const double scale = 1.0 / std::sqrt(static_cast<double>(shape.head_dim));
  Outcome o;
  for (int b = 0; b < 2; ++b) {
    for (int i = 0; i < shape.queries; ++i) {
      const int row = positions.empty() ? i : positions[sz(b * shape.queries + i)];
      for (int h = 0; h < shape.heads; ++h) {
        // Visible keys by the definitions (HF BERT's padding, GPT-2's causal mask,
        // ModernBERT's |i - j| <= local_attention / 2).
        std::vector<int> keys;
        for (int j = 0; j < lengths[sz(b)]; ++j) {
          if ((!shape.causal || j <= row) && (shape.window_half < 0 || std::abs(row - j) <= shape.window_half)) keys.push_back(j);
        }
        std::vector<double> score;
        double max_score = -INFINITY, magnitude = 0.0;
        for (int j : keys) {
          double dot = 0.0, m = 0.0;
          for (int d = 0; d < shape.head_dim; ++d) {
            dot += at(0, b, row, h, d) * at(1, b, j, h, d);
            m += std::fabs(at(0, b, row, h, d) * at(1, b, j, h, d));
          }
          score.push_back(dot * scale);
          max_score = std::max(max_score, dot * scale);
          magnitude = std::max(magnitude, m * scale);
        }
        double total = 0.0;
        for (double& e : score) total += (e = std::exp(e - max_score));
        // A score's float32 error (a dot product of head_dim terms) becomes a relative error
        // of its weight, twice over with the max and total, and the weights' errors move
        // the context by at most max|v| times theirs; plus the float32 sum of the weighted
        // values over the keys, whose error grows like sqrt(keys).
        const double weight_tol = 2 * (2 * std::sqrt(static_cast<double>(shape.head_dim)) + 1) * kU * magnitude + 8 * kU;
        const double tol = v_max * (weight_tol + 1e-6 * std::sqrt(static_cast<double>(keys.size()) + 1));
        for (int d = 0; d < shape.head_dim; ++d) {
          double want = 0.0;  // no visible key (a padded row beyond its window's reach): 0
          for (size_t n = 0; n < keys.size(); ++n) want += score[n] / total * at(2, b, keys[n], h, d);
          o.add(context[(sz(b) * sz(shape.queries) + sz(i)) * sz(H) + sz(h * shape.head_dim + d)], want, tol);
        }
      }
    }
  }
  return o;
}

Outcome run_attention_fused(const Shape& s, std::mt19937& rng) { return run_attention(s, rng, false); }
Outcome run_attention_split(const Shape& s, std::mt19937& rng) { return run_attention(s, rng, true); }

std::vector<Shape> attention_shapes() {
  std::vector<Shape> shapes;
  // {seq, heads, head_dim, queries}
  const std::vector<std::vector<int>> sizes = {{1, 1, 64, 0}, {2, 2, 5, 0}, {17, 2, 80, 0}, {131, 2, 64, 0},
                                               {131, 1, 80, 3}, {65, 3, 5, 0}};
  // {causal, window_half}: none, GPT-2, ModernBERT local (64 = 128 / 2), narrow, both.
  const std::vector<std::pair<int, int>> masks = {{0, -1}, {1, -1}, {0, 64}, {0, 3}, {1, 8}};
  for (const auto& size : sizes) {
    for (const auto& [causal, window_half] : masks) {
      shapes.push_back({{{"seq", size[0]}, {"heads", size[1]}, {"head_dim", size[2]}, {"queries", size[3]},
                         {"causal", causal}, {"window_half", window_half}}});
    }
  }
  return shapes;
}

// ---- Rotary ------------------------------------------------------------------------------

// Rows of 2 heads at positions spread up to s["max_position"], rotated by apply_rotary.
struct RotaryRun {
  std::vector<float> before, after;
  std::vector<int> positions;
  int rows, heads, head_dim, stride;
  float theta;
};

RotaryRun rotary_run(const Shape& s, std::mt19937& rng) {
  RotaryRun t;
  t.rows = s["rows"];
  t.heads = s["heads"];
  t.head_dim = s["head_dim"];
  t.stride = t.heads * t.head_dim + 3;  // rows further apart than their heads: the stride is honoured
  t.theta = static_cast<float>(s["theta"]);
  t.before = uniform(sz(t.rows) * sz(t.stride), -2.0f, 2.0f, rng);
  for (int r = 0; r < t.rows; ++r) {
    t.positions.push_back(r == 0 ? 0 : static_cast<int>(rng() % static_cast<unsigned>(s["max_position"] + 1)));
  }
  t.after = t.before;
  apply_rotary(t.after.data(), t.rows, t.stride, t.heads, t.head_dim, t.positions.data(), t.theta);
  return t;
}

// Against the exact rotation. The float32 angle is HF's: the exponent 2i/d, theta^-e, and
// position x inv_freq each rounded (the exponent's rounding grows by ln(theta) e through
// the power): an error of (ln(theta) e + 3) u of the angle, 5e-4 radians at position 8192.
// That, times |x1| + |x2|, plus 4 u of them for cos, sin, the products and the sum.
Outcome run_rotary(const Shape& s, std::mt19937& rng) {
  const RotaryRun t = rotary_run(s, rng);
  const int half = t.head_dim / 2;
  Outcome o;
  for (int r = 0; r < t.rows; ++r) {
    for (int h = 0; h < t.heads; ++h) {
      const size_t base = sz(r) * sz(t.stride) + sz(h * t.head_dim);
      for (int i = 0; i < half; ++i) {
        const double e = 2.0 * i / t.head_dim;
        const double angle = t.positions[sz(r)] * std::pow(static_cast<double>(t.theta), -e);
        const double x1 = t.before[base + sz(i)], x2 = t.before[base + sz(i + half)];
        const double tol = (std::fabs(angle) * (std::log(static_cast<double>(t.theta)) * e + 3) * kU + 4 * kU) *
                           (std::fabs(x1) + std::fabs(x2));
        o.add(t.after[base + sz(i)], x1 * std::cos(angle) - x2 * std::sin(angle), tol);
        o.add(t.after[base + sz(i + half)], x2 * std::cos(angle) + x1 * std::sin(angle), tol);
      }
    }
  }
  // Between the rows: untouched.
  for (int r = 0; r < t.rows; ++r) {
    for (int c = t.heads * t.head_dim; c < t.stride; ++c) {
      o.add(t.after[sz(r) * sz(t.stride) + sz(c)], t.before[sz(r) * sz(t.stride) + sz(c)], 0.0);
    }
  }
  return o;
}

// Against HF's float32 recipe: inv_freq = 1 / theta ** (arange(0, d, 2).float() / d),
// freqs = position.float() * inv_freq, emb = cat(freqs, freqs), then x * emb.cos() +
// rotate_half(x) * emb.sin(), every step rounded to float32 (cos and sin here correctly
// rounded, as torch's are to within an ulp). The kernel's cos and sin are float32 library
// ones: within an ulp or two, hence 4 u of |x1| + |x2|; the angle itself must be HF's to the
// bit, which the exact-rotation test above cannot tell at large positions.
Outcome run_rotary_hf_float32(const Shape& s, std::mt19937& rng) {
  const RotaryRun t = rotary_run(s, rng);
  const int half = t.head_dim / 2;
  const auto to_float = [](double x) { return static_cast<double>(static_cast<float>(x)); };
  Outcome o;
  for (int r = 0; r < t.rows; ++r) {
    for (int i = 0; i < half; ++i) {
      const float inv_freq = 1.0f / std::pow(t.theta, static_cast<float>(2 * i) / static_cast<float>(t.head_dim));
      const double angle = static_cast<float>(static_cast<float>(t.positions[sz(r)]) * inv_freq);
      const double c = to_float(std::cos(angle)), sn = to_float(std::sin(angle));
      for (int h = 0; h < t.heads; ++h) {
        const size_t base = sz(r) * sz(t.stride) + sz(h * t.head_dim);
        const double x1 = t.before[base + sz(i)], x2 = t.before[base + sz(i + half)];
        const double tol = 4 * kU * (std::fabs(x1) + std::fabs(x2));
        o.add(t.after[base + sz(i)], to_float(to_float(x1 * c) + to_float(-x2 * sn)), tol);
        o.add(t.after[base + sz(i + half)], to_float(to_float(x2 * c) + to_float(x1 * sn)), tol);
      }
    }
  }
  return o;
}

std::vector<Shape> rotary_shapes() {
  std::vector<Shape> shapes;
  // ModernBERT: head_dim 64, theta 160000 (global layers) and 10000 (local); 80 and 6: other
  // even widths; positions to 8192 (ModernBERT's context).
  for (const auto& [head_dim, theta] : std::vector<std::pair<int, int>>{{64, 160000}, {64, 10000}, {80, 10000}, {6, 10000}}) {
    for (const auto& [rows, max_position] : std::vector<std::pair<int, int>>{{1, 0}, {33, 130}, {17, 8191}}) {
      shapes.push_back({{{"rows", rows}, {"heads", 2}, {"head_dim", head_dim}, {"theta", theta},
                         {"max_position", max_position}}});
    }
  }
  return shapes;
}

// ---- Embedding gather --------------------------------------------------------------------

// word (+ token type) (+ position) rows, as BERT and GPT-2 sum them: two float32 additions,
// each rounded, at most 2 u of the sum of magnitudes.
Outcome run_gather(const Shape& s, std::mt19937& rng) {
  const int rows = s["rows"], width = s["width"], tables = s["tables"];
  const std::vector<int> table_rows = {50, 2, 131};
  std::vector<std::vector<float>> data;
  std::vector<std::vector<int>> ids;
  std::vector<EmbeddingLookup> lookups;
  for (int t = 0; t < tables; ++t) {
    data.push_back(uniform(sz(table_rows[sz(t)]) * sz(width), -1.0f, 1.0f, rng));
    ids.emplace_back();
    for (int r = 0; r < rows; ++r) ids.back().push_back(static_cast<int>(rng() % static_cast<unsigned>(table_rows[sz(t)])));
  }
  for (int t = 0; t < tables; ++t) lookups.push_back({data[sz(t)].data(), ids[sz(t)].data()});
  std::vector<float> out(sz(rows) * sz(width), NAN);
  gather_rows(lookups, rows, width, out.data());
  Outcome o;
  for (int r = 0; r < rows; ++r) {
    for (int i = 0; i < width; ++i) {
      double want = 0.0, magnitude = 0.0;
      for (int t = 0; t < tables; ++t) {
        const double x = data[sz(t)][sz(ids[sz(t)][sz(r)]) * sz(width) + sz(i)];
        want += x;
        magnitude += std::fabs(x);
      }
      o.add(out[sz(r) * sz(width) + sz(i)], want, 2 * kU * magnitude);
    }
  }
  return o;
}

std::vector<Shape> gather_shapes() {
  std::vector<Shape> shapes;
  for (int tables : {1, 2, 3}) {
    for (const auto& [rows, width] : std::vector<std::pair<int, int>>{{1, 7}, {19, 33}, {5, 768}}) {
      shapes.push_back({{{"rows", rows}, {"width", width}, {"tables", tables}}});
    }
  }
  return shapes;
}

// ---- The table ---------------------------------------------------------------------------

const std::vector<Op>& op_table() {
  static const std::vector<Op> table = [] {
    std::vector<Op> forward = {
      {"linear", "f32: (2 sqrt(in) + 2) u sum|x w|; bf16: + 2^-8 sum|x w|; activations: x1.13 + 4 u (|pre| + |y|)",
       linear_shapes(), run_linear},
      {"layer_norm", "u/sigma |gamma| (2|v| + |mean| + 6|v - mean|) + 2 u |y|", layer_norm_shapes(), run_layer_norm},
      {"attention_fused", "max|v| (weight error + 1e-6 sqrt(keys))", attention_shapes(), run_attention_fused},
      {"attention_split", "max|v| (weight error + 1e-6 sqrt(keys))", attention_shapes(), run_attention_split},
      {"rotary", "(|angle| (ln(theta) 2i/d + 3) u + 4 u)(|x1| + |x2|)", rotary_shapes(), run_rotary},
      {"rotary_hf_float32", "4 u (|x1| + |x2|)", rotary_shapes(), run_rotary_hf_float32},
      {"gather_rows", "2 u sum|rows|", gather_shapes(), run_gather},
    };
    for (Op& op : backward_ops()) forward.push_back(std::move(op));
    return forward;
  }();
  return table;
}

struct OpCase {
  size_t op;
  size_t shape;
};

std::vector<OpCase> all_cases() {
  std::vector<OpCase> cases;
  for (size_t op = 0; op < op_table().size(); ++op) {
    for (size_t shape = 0; shape < op_table()[op].shapes.size(); ++shape) cases.push_back({op, shape});
  }
  return cases;
}

class Ops : public testing::TestWithParam<OpCase> {};

TEST_P(Ops, MatchTheFloat64Reference) {
  const Op& op = op_table()[GetParam().op];
  const Shape& shape = op.shapes[GetParam().shape];
  const bool wants_bf16 = std::any_of(shape.values.begin(), shape.values.end(),
                                      [](const auto& v) { return v.first == "bf16" && v.second != 0; });
  if (wants_bf16 && !bf16_matmuls_supported()) GTEST_SKIP() << "this CPU runs no bf16 matmuls (Bf16Matmuls tests the error)";
  std::mt19937 rng(static_cast<unsigned>(1000 + GetParam().op * 100 + GetParam().shape));
  const Outcome o = op.run(shape, rng);
  ASSERT_FALSE(o.got.empty());
  ASSERT_EQ(o.got.size(), o.want.size());
  double worst = 0.0;
  for (size_t n = 0; n < o.got.size(); ++n) {
    const double error = std::fabs(static_cast<double>(o.got[n]) - o.want[n]);
    ASSERT_TRUE(std::isfinite(o.got[n])) << op.name << " " << shape.text() << " element " << n;
    ASSERT_LE(error, o.tolerance[n]) << op.name << " " << shape.text() << " element " << n << ": got " << o.got[n]
                                     << ", float64 " << o.want[n] << " (tolerance " << op.tolerance << ")";
    if (o.tolerance[n] > 0) worst = std::max(worst, error / o.tolerance[n]);
  }
  std::printf("%s %s: %zu values, largest error / tolerance %.3f\n", op.name.c_str(), shape.text().c_str(), o.got.size(),
              worst);
}

std::string case_name(const testing::TestParamInfo<OpCase>& param) {
  const Op& op = op_table()[param.param.op];
  return op.name + "_" + op.shapes[param.param.shape].text();
}

INSTANTIATE_TEST_SUITE_P(Table, Ops, testing::ValuesIn(all_cases()), case_name);

// The claims beside the tolerances, to the bit.

// gather_rows adds in the order given: HF BERT's (word + token_type) + position.
TEST(OpsBits, GatherRowsAddsInTheOrderGiven) {
  std::mt19937 rng(5);
  const int width = 33, rows = 7;
  const auto word = uniform(sz(10) * width, -1.0f, 1.0f, rng), type = uniform(sz(2) * width, -1e-3f, 1e-3f, rng),
             position = uniform(sz(rows) * width, -1.0f, 1.0f, rng);
  const std::vector<int> word_ids = {3, 1, 4, 1, 5, 9, 2}, type_ids = {0, 1, 0, 1, 1, 0, 0}, position_ids = {0, 1, 2, 3, 4, 5, 6};
  const std::vector<EmbeddingLookup> lookups = {{word.data(), word_ids.data()}, {type.data(), type_ids.data()},
                                                {position.data(), position_ids.data()}};
  std::vector<float> out(sz(rows) * width);
  gather_rows(lookups, rows, width, out.data());
  int differs_from_other_order = 0;
  for (int r = 0; r < rows; ++r) {
    for (int i = 0; i < width; ++i) {
      const float w = word[sz(word_ids[sz(r)]) * width + sz(i)], t = type[sz(type_ids[sz(r)]) * width + sz(i)],
                  p = position[sz(position_ids[sz(r)]) * width + sz(i)];
      const float sum = (w + t) + p;
      ASSERT_EQ(out[sz(r) * width + sz(i)], sum) << r << " " << i;
      differs_from_other_order += (w + p) + t != sum;
    }
  }
  // The order is visible in the bits of these inputs (or this test would not tell).
  EXPECT_GT(differs_from_other_order, 0);
}

// --dtype auto: bf16 exactly where the ISA oneDNN runs includes AMX (its cpu_isa values are
// bit sets; avx512_core_amx's bits are those of every ISA it extends plus the AMX ones).
TEST(AutoPrecision, IsBf16ExactlyWhereOneDnnRunsAmx) {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  const bool amx = isa == dnnl::cpu_isa::avx512_core_amx;  // the only ISA of oneDNN 2.6 with AMX
  EXPECT_EQ(auto_precision(), amx ? MatmulPrecision::BF16 : MatmulPrecision::F32)
      << "oneDNN's effective ISA: 0x" << std::hex << static_cast<unsigned>(isa);
  EXPECT_STREQ(precision_name(auto_precision()), amx ? "bf16" : "f32");
  EXPECT_STREQ(precision_name(MatmulPrecision::F32), "f32");
  EXPECT_STREQ(precision_name(MatmulPrecision::BF16), "bf16");
}

// A null bias is a bias of zeros (ModernBERT's norm_bias = false).
TEST(OpsBits, LayerNormWithoutBiasIsLayerNormWithZeroBias) {
  std::mt19937 rng(6);
  const int rows = 3, width = 65;
  const auto x = uniform(sz(rows) * width, -2.0f, 2.0f, rng), gamma = uniform(sz(width), 0.5f, 1.5f, rng);
  const std::vector<float> zeros(sz(width), 0.0f);
  std::vector<float> with_zeros(x.size()), without(x.size());
  add_layer_norm(x.data(), nullptr, rows, width, {gamma.data(), zeros.data(), 1e-5f}, with_zeros.data());
  add_layer_norm(x.data(), nullptr, rows, width, {gamma.data(), nullptr, 1e-5f}, without.data());
  for (size_t n = 0; n < x.size(); ++n) {
    // Equal as numbers; a zero bias may turn -0 into +0.
    ASSERT_EQ(with_zeros[n], without[n]) << n;
  }
}

}  // namespace
}  // namespace bertscope
