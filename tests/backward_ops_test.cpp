// The backward kernels of src/kernels/backward.h: their rows of the op table (op_table.h),
// which Table/Ops in ops_test.cpp runs beside the forward kernels' rows. Each gradient is
// checked against central finite differences of a float64 forward pass (step 1e-6: their own
// error is about 1e-10 of the values here), the matmuls against float64 products. Odd shapes:
// one row, prime widths, head widths 5 and 8, 1 to 23 tokens, every activation and mask.
#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/backward.h"
#include "op_table.h"

namespace bertscope {
namespace {

using namespace test_ops;

constexpr double kStep = 1e-6;  // of the finite differences

// d f / d x_i at `x` (float64), by central differences.
double derivative(const std::function<double(const std::vector<double>&)>& f, std::vector<double> x, size_t i) {
  const double keep = x[i];
  x[i] = keep + kStep;
  const double up = f(x);
  x[i] = keep - kStep;
  const double down = f(x);
  return (up - down) / (2 * kStep);
}

std::vector<double> wide(const std::vector<float>& v) { return {v.begin(), v.end()}; }

double largest(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// ---- matmuls -----------------------------------------------------------------------------

Outcome run_matmul(int m, int k, int n, bool transposed, std::mt19937& rng) {
  const auto a = uniform(sz(m) * sz(k), -1.0f, 1.0f, rng);
  const auto b = uniform(sz(k) * sz(n), -1.0f, 1.0f, rng);  // [k, n], or [n, k] when transposed
  const auto bias = uniform(sz(n), -1.0f, 1.0f, rng);
  std::vector<float> c(sz(m) * sz(n), NAN);
  if (transposed) {
    matmul_nt(a.data(), b.data(), bias.data(), m, k, n, c.data());
  } else {
    c.assign(c.size(), 0.5f);  // accumulate onto 0.5
    matmul_nn(a.data(), b.data(), m, k, n, c.data(), true);
  }
  Outcome o;
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double want = transposed ? bias[sz(j)] : 0.5, magnitude = std::fabs(want);
      for (int p = 0; p < k; ++p) {
        const double x = static_cast<double>(a[sz(i) * sz(k) + sz(p)]) *
                         (transposed ? b[sz(j) * sz(k) + sz(p)] : b[sz(p) * sz(n) + sz(j)]);
        want += x;
        magnitude += std::fabs(x);
      }
      o.add(c[sz(i) * sz(n) + sz(j)], want, (2 * std::sqrt(static_cast<double>(k)) + 2) * kU * magnitude);
    }
  }
  return o;
}

// ---- activations -------------------------------------------------------------------------

Outcome run_activation(Activation act, int n, std::mt19937& rng) {
  auto x = uniform(sz(n), -4.0f, 4.0f, rng);
  for (float& v : x) {
    if (std::fabs(v) < 1e-3f) v = 0.5f;  // off ReLU's kink, where the difference quotient is not its slope
  }
  const auto dy = uniform(sz(n), -1.0f, 1.0f, rng);
  std::vector<float> dx(sz(n), NAN), y(sz(n), NAN);
  activation_backward(act, x.data(), dy.data(), sz(n), dx.data());
  apply_activation(act, x.data(), sz(n), y.data());
  Outcome o;
  for (size_t i = 0; i < sz(n); ++i) {
    const double slope = (activate(act, x[i] + kStep) - activate(act, x[i] - kStep)) / (2 * kStep);
    o.add(dx[i], dy[i] * slope, 4 * kU * std::fabs(dy[i] * slope) + 1e-9);
    const double value = activate(act, x[i]);
    o.add(y[i], value, 2 * kU * std::fabs(value));
  }
  return o;
}

// ---- LayerNorm ---------------------------------------------------------------------------

Outcome run_layer_norm(int rows, int width, std::mt19937& rng) {
  const auto u = uniform(sz(rows) * sz(width), -2.0f, 3.0f, rng);
  const auto dy = uniform(sz(rows) * sz(width), -1.0f, 1.0f, rng);
  const auto gamma = uniform(sz(width), 0.5f, 1.5f, rng);
  const LayerNormParams params{gamma.data(), nullptr, 1e-5f};
  std::vector<float> du(u.size(), NAN);
  layer_norm_backward(u.data(), dy.data(), rows, width, params, du.data());
  Outcome o;
  for (int r = 0; r < rows; ++r) {
    const auto row = [&](const std::vector<float>& v) {
      return std::vector<double>(v.begin() + r * width, v.begin() + (r + 1) * width);
    };
    const std::vector<double> g = row(dy);
    const auto f = [&](const std::vector<double>& x) {  // sum(dy * LayerNorm(x))
      double mean = 0.0, var = 0.0;
      for (double v : x) mean += v;
      mean /= width;
      for (double v : x) var += (v - mean) * (v - mean);
      var /= width;
      double total = 0.0;
      for (int i = 0; i < width; ++i) total += g[sz(i)] * (x[sz(i)] - mean) / std::sqrt(var + 1e-5) * gamma[sz(i)];
      return total;
    };
    std::vector<double> want(sz(width));
    for (int i = 0; i < width; ++i) want[sz(i)] = derivative(f, row(u), sz(i));
    const double scale = largest(want);
    for (int i = 0; i < width; ++i) o.add(du[sz(r * width + i)], want[sz(i)], 4 * kU * std::fabs(want[sz(i)]) + 1e-7 * scale);
  }
  return o;
}

// ---- attention ---------------------------------------------------------------------------

// sum(dc * attention(q, k, v)) in float64, one sequence of `seq` real tokens, q/k/v [seq, hidden].
double attention_objective(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
                           const std::vector<double>& dc, const AttentionShape& shape) {
  const int S = shape.seq, d = shape.head_dim, H = shape.hidden();
  double total = 0.0;
  for (int h = 0; h < shape.heads; ++h) {
    for (int i = 0; i < S; ++i) {
      const KeyRange keys = visible_keys(shape, i, S);
      std::vector<double> w(sz(S), 0.0);
      double top = -1e300, sum = 0.0;
      for (int j = keys.begin; j < keys.end; ++j) {
        double s = 0.0;
        for (int x = 0; x < d; ++x) s += q[sz(i * H + h * d + x)] * k[sz(j * H + h * d + x)];
        w[sz(j)] = s / std::sqrt(static_cast<double>(d));
        top = std::max(top, w[sz(j)]);
      }
      for (int j = keys.begin; j < keys.end; ++j) sum += (w[sz(j)] = std::exp(w[sz(j)] - top));
      for (int j = keys.begin; j < keys.end; ++j) {
        for (int x = 0; x < d; ++x) total += dc[sz(i * H + h * d + x)] * w[sz(j)] / sum * v[sz(j * H + h * d + x)];
      }
    }
  }
  return total;
}

Outcome run_attention(int seq, int heads, int head_dim, bool causal, int window_half, std::mt19937& rng) {
  AttentionShape shape{1, seq, seq, heads, head_dim, heads * head_dim, nullptr};
  shape.causal = causal;
  shape.window_half = window_half;
  const size_t n = sz(seq) * sz(shape.hidden());
  const auto q = uniform(n, -1.5f, 1.5f, rng), k = uniform(n, -1.5f, 1.5f, rng), v = uniform(n, -1.0f, 1.0f, rng);
  const auto dc = uniform(n, -1.0f, 1.0f, rng);
  const int lengths[1] = {seq};
  // The pattern as the forward computes it.
  std::vector<float> pattern(sz(heads) * sz(seq) * sz(seq));
  attention_scores(q.data(), k.data(), lengths, shape, pattern.data());
  attention_softmax(pattern.data(), lengths, shape);
  std::vector<float> dq(n, NAN), dk(n, NAN), dv(n, NAN), dpattern(pattern.size(), NAN), dscores(pattern.size(), NAN);
  attention_backward(q.data(), k.data(), v.data(), pattern.data(), dc.data(), lengths, shape, dq.data(), dk.data(),
                     dv.data(), dpattern.data(), dscores.data());
  const std::vector<double> Q = wide(q), K = wide(k), V = wide(v), DC = wide(dc);
  Outcome o;
  const auto check = [&](const std::vector<float>& got, int which) {
    std::vector<double> want(n);
    for (size_t i = 0; i < n; ++i) {
      want[i] = derivative(
          [&](const std::vector<double>& x) {
            return attention_objective(which == 0 ? x : Q, which == 1 ? x : K, which == 2 ? x : V, DC, shape);
          },
          which == 0 ? Q : which == 1 ? K : V, i);
    }
    const double scale = largest(want);
    for (size_t i = 0; i < n; ++i) o.add(got[i], want[i], 1e-5 * scale + 1e-9);
  };
  check(dq, 0);
  check(dk, 1);
  check(dv, 2);
  // d pattern: d context . v_j at every key (autograd's, masked keys included); d scores:
  // the softmax's backward of it, 0 at the keys the masks hide.
  const int H = shape.hidden();
  std::vector<double> want_dp(pattern.size()), want_ds(pattern.size(), 0.0);
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < seq; ++i) {
      const size_t row = (sz(h) * sz(seq) + sz(i)) * sz(seq);
      double weighted = 0.0;
      for (int j = 0; j < seq; ++j) {
        double s = 0.0;
        for (int x = 0; x < head_dim; ++x) s += DC[sz(i * H + h * head_dim + x)] * V[sz(j * H + h * head_dim + x)];
        want_dp[row + sz(j)] = s;
        weighted += pattern[row + sz(j)] * s;
      }
      for (int j = 0; j < seq; ++j) want_ds[row + sz(j)] = pattern[row + sz(j)] * (want_dp[row + sz(j)] - weighted);
    }
  }
  const double dp_scale = largest(want_dp), ds_scale = largest(want_ds);
  for (size_t i = 0; i < pattern.size(); ++i) {
    o.add(dpattern[i], want_dp[i], 4 * kU * dp_scale);
    o.add(dscores[i], want_ds[i], 1e-6 * ds_scale + 1e-12);
  }
  return o;
}

// ---- the rows ----------------------------------------------------------------------------

Outcome run_matmul_nn(const Shape& s, std::mt19937& rng) { return run_matmul(s["m"], s["k"], s["n"], false, rng); }
Outcome run_matmul_nt(const Shape& s, std::mt19937& rng) { return run_matmul(s["m"], s["k"], s["n"], true, rng); }
Outcome run_activation_backward(const Shape& s, std::mt19937& rng) {
  return run_activation(static_cast<Activation>(s["act"]), s["n"], rng);
}
Outcome run_layer_norm_backward(const Shape& s, std::mt19937& rng) { return run_layer_norm(s["rows"], s["width"], rng); }
Outcome run_attention_backward(const Shape& s, std::mt19937& rng) {
  return run_attention(s["seq"], s["heads"], s["head_dim"], s["causal"] != 0, s["window_half"], rng);
}

std::vector<Shape> matmul_shapes() {
  std::vector<Shape> shapes;
  for (const auto& [m, k, n] : std::vector<std::array<int, 3>>{{1, 7, 33}, {3, 33, 300}, {12, 129, 7}, {5, 64, 517}}) {
    shapes.push_back({{{"m", m}, {"k", k}, {"n", n}}});
  }
  return shapes;
}

std::vector<Shape> activation_shapes() {
  std::vector<Shape> shapes;
  for (int act = 0; act < 4; ++act) shapes.push_back({{{"act", act}, {"n", 301}}});
  return shapes;
}

std::vector<Shape> layer_norm_backward_shapes() {
  return {{{{"rows", 1}, {"width", 7}}}, {{{"rows", 3}, {"width", 64}}}, {{{"rows", 2}, {"width", 257}}}};
}

std::vector<Shape> attention_backward_shapes() {
  std::vector<Shape> shapes;
  for (const auto& s : std::vector<std::array<int, 5>>{
           {1, 1, 5, 0, -1}, {7, 2, 5, 0, -1}, {9, 2, 8, 1, -1}, {11, 1, 8, 0, 2}, {23, 2, 5, 1, 3}}) {
    shapes.push_back({{{"seq", s[0]}, {"heads", s[1]}, {"head_dim", s[2]}, {"causal", s[3]}, {"window_half", s[4]}}});
  }
  return shapes;
}

// Every output is summed by one thread in a fixed order: the same bits on any thread count
// (matmul_nn gives each thread its own range of columns, so 3 and 5 threads cut them elsewhere).
TEST(BackwardOpsBits, MatmulsAreTheSameOnAnyThreadCount) {
  std::mt19937 rng(7);
  const int threads = omp_get_max_threads();
  for (const auto& [m, k, n] : std::vector<std::array<int, 3>>{{12, 129, 1031}, {5, 70, 40}}) {
    const auto a = uniform(sz(m) * sz(k), -1.0f, 1.0f, rng), b = uniform(sz(k) * sz(n), -1.0f, 1.0f, rng);
    std::vector<float> all(sz(m) * sz(n)), all_t(all.size());
    matmul_nn(a.data(), b.data(), m, k, n, all.data());
    matmul_nt(a.data(), b.data(), nullptr, m, k, n, all_t.data());
    for (int count : {1, 3, 5}) {
      std::vector<float> c(all.size()), c_t(all.size());
      omp_set_num_threads(count);
      matmul_nn(a.data(), b.data(), m, k, n, c.data());
      matmul_nt(a.data(), b.data(), nullptr, m, k, n, c_t.data());
      omp_set_num_threads(threads);
      EXPECT_EQ(all, c) << count << " threads, n " << n;
      EXPECT_EQ(all_t, c_t) << count << " threads, n " << n;
    }
  }
}

}  // namespace

std::vector<test_ops::Op> test_ops::backward_ops() {
  return {
      {"matmul_nn", "(2 sqrt(k) + 2) u sum|a b|", matmul_shapes(), run_matmul_nn},
      {"matmul_nt", "(2 sqrt(k) + 2) u sum|a b|", matmul_shapes(), run_matmul_nt},
      {"activation_backward", "dx: 4 u |dy slope| + 1e-9, slope by finite differences; y: 2 u |y|", activation_shapes(),
       run_activation_backward},
      {"layer_norm_backward", "4 u |du| + 1e-7 max|du|", layer_norm_backward_shapes(), run_layer_norm_backward},
      {"attention_backward", "dq, dk, dv: 1e-5 max|d| + 1e-9; dpattern: 4 u max|dpattern|; dscores: 1e-6 max|dscores|",
       attention_backward_shapes(), run_attention_backward},
  };
}

}  // namespace bertscope
