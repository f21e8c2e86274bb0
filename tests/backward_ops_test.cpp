// The backward kernels of src/kernels/backward.h, op by op, against float64 references as
// ops_test.cpp checks the forward ones: each gradient against central finite differences of
// a float64 forward pass (step 1e-6: their own error is about 1e-10 of the values here), the
// matmuls against float64 products. Odd shapes: one row, prime widths, head widths 5 and 8,
// 1 to 23 tokens, every activation and attention mask.
#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "kernels/backward.h"

namespace bertscope {
namespace {

constexpr double kU = 0x1p-24;  // float32's unit roundoff
constexpr double kStep = 1e-6;  // of the finite differences

std::vector<float> uniform(size_t n, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

size_t sz(long long n) { return static_cast<size_t>(n); }

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

struct Outcome {
  std::vector<float> got;
  std::vector<double> want, tolerance;
  void add(float g, double w, double tol) {
    got.push_back(g);
    want.push_back(w);
    tolerance.push_back(tol);
  }
};

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

double activate(Activation a, double x) {
  switch (a) {
    case Activation::None: return x;
    case Activation::Gelu: return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2));
    case Activation::GeluTanh:
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
    case Activation::Relu: return x > 0 ? x : 0.0;
  }
  return NAN;
}

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

// ---- the table ---------------------------------------------------------------------------

struct Case {
  std::string name;
  std::function<Outcome(std::mt19937&)> run;
};

std::vector<Case> cases() {
  std::vector<Case> all;
  for (const auto& [m, k, n] : std::vector<std::array<int, 3>>{{1, 7, 33}, {3, 33, 300}, {12, 129, 7}, {5, 64, 517}}) {
    const std::string shape = std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
    all.push_back({"matmul_nn_" + shape, [=](std::mt19937& rng) { return run_matmul(m, k, n, false, rng); }});
    all.push_back({"matmul_nt_" + shape, [=](std::mt19937& rng) { return run_matmul(m, k, n, true, rng); }});
  }
  const char* names[] = {"none", "gelu", "gelu_tanh", "relu"};
  for (int a = 0; a < 4; ++a) {
    all.push_back({std::string("activation_") + names[a], [=](std::mt19937& rng) {
                     return run_activation(static_cast<Activation>(a), 301, rng);
                   }});
  }
  for (const auto& [rows, width] : std::vector<std::pair<int, int>>{{1, 7}, {3, 64}, {2, 257}}) {
    all.push_back({"layer_norm_" + std::to_string(rows) + "x" + std::to_string(width),
                   [=](std::mt19937& rng) { return run_layer_norm(rows, width, rng); }});
  }
  // {seq, heads, head_dim, causal, window_half}
  for (const auto& s : std::vector<std::array<int, 5>>{
           {1, 1, 5, 0, -1}, {7, 2, 5, 0, -1}, {9, 2, 8, 1, -1}, {11, 1, 8, 0, 2}, {23, 2, 5, 1, 3}}) {
    std::string name = "attention_seq" + std::to_string(s[0]) + "_heads" + std::to_string(s[1]) + "_dim" +
                       std::to_string(s[2]) + (s[3] ? "_causal" : "") + (s[4] >= 0 ? "_window" + std::to_string(s[4]) : "");
    all.push_back({name, [=](std::mt19937& rng) { return run_attention(s[0], s[1], s[2], s[3] != 0, s[4], rng); }});
  }
  return all;
}

class BackwardOps : public testing::TestWithParam<size_t> {};

TEST_P(BackwardOps, MatchFloat64FiniteDifferences) {
  const Case c = cases()[GetParam()];
  std::mt19937 rng(static_cast<unsigned>(2000 + GetParam()));
  const Outcome o = c.run(rng);
  ASSERT_FALSE(o.got.empty());
  double worst = 0.0;
  for (size_t i = 0; i < o.got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(o.got[i])) << c.name << " element " << i;
    const double error = std::fabs(static_cast<double>(o.got[i]) - o.want[i]);
    ASSERT_LE(error, o.tolerance[i]) << c.name << " element " << i << ": got " << o.got[i] << ", float64 " << o.want[i];
    worst = std::max(worst, error / o.tolerance[i]);
  }
  std::printf("%s: %zu values, largest error / tolerance %.3f\n", c.name.c_str(), o.got.size(), worst);
}

INSTANTIATE_TEST_SUITE_P(Table, BackwardOps, testing::Range<size_t>(0, cases().size()),
                         [](const testing::TestParamInfo<size_t>& p) { return cases()[p.param].name; });

// Every output is summed by one thread in a fixed order: the same bits on any thread count.
TEST(BackwardOpsBits, MatmulsAreTheSameOnOneThreadAndOnAll) {
  std::mt19937 rng(7);
  const int m = 12, k = 129, n = 1031;
  const auto a = uniform(sz(m) * sz(k), -1.0f, 1.0f, rng), b = uniform(sz(k) * sz(n), -1.0f, 1.0f, rng);
  std::vector<float> all(sz(m) * sz(n)), one(all.size()), all_t(all.size()), one_t(all.size());
  matmul_nn(a.data(), b.data(), m, k, n, all.data());
  matmul_nt(a.data(), b.data(), nullptr, m, k, n, all_t.data());
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  matmul_nn(a.data(), b.data(), m, k, n, one.data());
  matmul_nt(a.data(), b.data(), nullptr, m, k, n, one_t.data());
  omp_set_num_threads(threads);
  EXPECT_EQ(all, one);
  EXPECT_EQ(all_t, one_t);
}

}  // namespace
}  // namespace bertscope
