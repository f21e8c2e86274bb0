#pragma once
// The op table of ops_test.cpp, in the manner of llama.cpp's test-backend-ops: each Op is a
// name, its stated tolerance, its shapes, and a function that runs the kernel on random inputs
// of one shape and returns the outputs beside a float64 reference and a tolerance per element.
// The forward kernels' rows are in ops_test.cpp, the backward kernels' (against float64
// finite differences) in backward_ops_test.cpp; Table/Ops runs them all.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/linear.h"

namespace bertscope::test_ops {

constexpr double kU = 0x1p-24;  // float32's unit roundoff

// One shape of an op: named integer parameters ("rows", "in", ...).
struct Shape {
  std::vector<std::pair<std::string, int>> values;
  int operator[](const std::string& name) const {
    for (const auto& [key, value] : values) {
      if (key == name) return value;
    }
    ADD_FAILURE() << "shape has no parameter " << name;
    return 0;
  }
  std::string text() const {
    std::string t;
    for (const auto& [key, value] : values) t += (t.empty() ? "" : "_") + key + (value < 0 ? "m" : "") + std::to_string(std::abs(value));
    return t;
  }
};

// What one run gives: the kernel's outputs, the reference, and how far apart each may be.
struct Outcome {
  std::vector<float> got;
  std::vector<double> want, tolerance;
  void add(float g, double w, double tol) {
    got.push_back(g);
    want.push_back(w);
    tolerance.push_back(tol);
  }
};

struct Op {
  std::string name;
  std::string tolerance;  // the rule, stated
  std::vector<Shape> shapes;
  Outcome (*run)(const Shape&, std::mt19937&);
};

inline std::vector<float> uniform(size_t n, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

inline size_t sz(long long n) { return static_cast<size_t>(n); }

// The activations in float64, as HF defines them.
inline double activate(Activation a, double x) {
  switch (a) {
    case Activation::None: return x;
    case Activation::Gelu: return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2));  // HF "gelu"
    case Activation::GeluTanh:  // HF "gelu_new" / "gelu_pytorch_tanh"
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
    case Activation::Relu: return x > 0 ? x : 0.0;
  }
  return NAN;
}

// The backward kernels' rows (backward_ops_test.cpp).
std::vector<Op> backward_ops();

}  // namespace bertscope::test_ops
