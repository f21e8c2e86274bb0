#include "interventions/vector_edits.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace bertscope {

void shuffle_vector(float* h, int n, const int* perm) {
  const std::vector<float> original(h, h + n);
  for (int i = 0; i < n; ++i) h[i] = original[static_cast<size_t>(perm[i])];
}

void add_noise(float* h, int n, const float* z, double scale) {
  const auto s = static_cast<float>(scale);
  for (int i = 0; i < n; ++i) h[i] += z[i] * s;
}

void scale_vector(float* h, int n, double factor) {
  const auto f = static_cast<float>(factor);
  for (int i = 0; i < n; ++i) h[i] *= f;
}

void zero_vector(float* h, int n) { std::fill(h, h + n, 0.0f); }

void mix_vector(float* h, int n, const float* other, double a) {
  const auto wa = static_cast<float>(a), wb = static_cast<float>(1.0 - a);
  for (int i = 0; i < n; ++i) h[i] = wa * h[i] + wb * other[i];
}

void patch_vector(float* h, int n, const float* other) { std::copy(other, other + n, h); }

void add_scaled(float* h, int n, const float* v, double factor) {
  for (int i = 0; i < n; ++i) h[i] = static_cast<float>(h[i] + factor * v[i]);
}

void project_out(float* h, int n, const float* u) {
  double hu = 0.0, uu = 0.0;
  for (int i = 0; i < n; ++i) {
    hu += static_cast<double>(h[i]) * u[i];
    uu += static_cast<double>(u[i]) * u[i];
  }
  if (uu == 0.0) return;
  const double c = hu / uu;
  for (int i = 0; i < n; ++i) h[i] = static_cast<float>(h[i] - c * u[i]);
}

void remove_components(float* h, int n, const float* basis, int k) {
  const float* mean = basis;
  std::vector<double> edited(h, h + n);
  for (int j = 0; j < k; ++j) {
    const float* u = basis + static_cast<size_t>(j + 1) * static_cast<size_t>(n);
    double c = 0.0;
    for (int i = 0; i < n; ++i) c += (static_cast<double>(h[i]) - mean[i]) * u[i];
    for (int i = 0; i < n; ++i) edited[static_cast<size_t>(i)] -= c * u[i];
  }
  for (int i = 0; i < n; ++i) h[i] = static_cast<float>(edited[static_cast<size_t>(i)]);
}

double unbiased_std(const float* values, long long n) {
  if (n < 2) return 0.0;
  double mean = 0.0;
  for (long long i = 0; i < n; ++i) mean += values[i];
  mean /= static_cast<double>(n);
  double ss = 0.0;
  for (long long i = 0; i < n; ++i) ss += (values[i] - mean) * (values[i] - mean);
  return std::sqrt(ss / static_cast<double>(n - 1));
}

}  // namespace bertscope
