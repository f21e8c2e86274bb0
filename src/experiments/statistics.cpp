#include "experiments/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace bertscope {

namespace {

template <typename T>
Moments moments_of(std::span<const T> values) {
  Moments m;
  m.count = static_cast<int64_t>(values.size());
  if (values.empty()) return m;
  // Two passes in double: stable for the 10^5-10^7 activations of a layer.
  double sum = 0.0;
  m.min = m.max = static_cast<double>(values[0]);
  for (T v : values) {
    sum += static_cast<double>(v);
    m.min = std::min(m.min, static_cast<double>(v));
    m.max = std::max(m.max, static_cast<double>(v));
  }
  // A sample holding an infinity or NaN has no moments: every one is NaN (written empty),
  // never a mean of inf or a skewness of 0.
  if (!std::isfinite(sum) || !std::isfinite(m.min) || !std::isfinite(m.max)) {
    m.mean = m.std = m.skewness = m.excess_kurtosis = std::numeric_limits<double>::quiet_NaN();
    return m;
  }
  m.mean = sum / static_cast<double>(m.count);
  double m2 = 0.0, m3 = 0.0, m4 = 0.0;
  for (T v : values) {
    const double d = static_cast<double>(v) - m.mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const auto n = static_cast<double>(m.count);
  m.std = m.count > 1 ? std::sqrt(m2 / (n - 1.0)) : 0.0;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  if (m2 > 0.0) {
    m.skewness = m3 / std::pow(m2, 1.5);
    m.excess_kurtosis = m4 / (m2 * m2) - 3.0;
  }
  return m;
}

}  // namespace

Moments moments(std::span<const float> values) { return moments_of(values); }
Moments moments(std::span<const double> values) { return moments_of(values); }

double student_t_975(int64_t dof) {
  // Exact table for small samples, then the Cornish-Fisher expansion (error < 1e-6 for dof > 30).
  static constexpr double table[] = {0.0,      12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912,
                                     2.364624, 2.306004,  2.262157, 2.228139, 2.200985, 2.178813, 2.160369,
                                     2.144787, 2.131450,  2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
                                     2.079614, 2.073873,  2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
                                     2.048407, 2.045230,  2.042272};
  if (dof <= 0) return 0.0;
  if (dof <= 30) return table[dof];
  const double z = 1.959963984540054, n = static_cast<double>(dof);
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

MeanInterval mean_interval(std::span<const double> values) {
  const Moments m = moments(values);
  constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
  MeanInterval r{m.count, m.mean, kUndefined, kUndefined, kUndefined};
  if (m.count > 1) {
    r.std = m.std;
    const double half = student_t_975(m.count - 1) * m.std / std::sqrt(static_cast<double>(m.count));
    r.ci_low = m.mean - half;
    r.ci_high = m.mean + half;
  }
  return r;
}

int64_t Histogram::total() const {
  return std::accumulate(counts.begin(), counts.end(), int64_t{0}) + below + above;
}

std::vector<double> Histogram::density() const {
  std::vector<double> d(counts.size(), 0.0);
  const auto n = static_cast<double>(total());
  if (n == 0.0) return d;
  for (size_t i = 0; i < counts.size(); ++i) d[i] = static_cast<double>(counts[i]) / (n * bin_width());
  return d;
}

Histogram histogram(std::span<const float> values, double low, double high, int bins) {
  Histogram h{low, high, std::vector<int64_t>(static_cast<size_t>(std::max(bins, 1)), 0), 0, 0};
  const double scale = static_cast<double>(h.counts.size()) / (high - low);
  for (float v : values) {
    const double x = v;
    if (x < low) {
      ++h.below;
    } else if (x >= high || std::isnan(x)) {
      ++h.above;
    } else {
      const auto bin = std::min(static_cast<size_t>((x - low) * scale), h.counts.size() - 1);
      ++h.counts[bin];
    }
  }
  return h;
}

Tails tails(std::span<const float> values, const Moments& m) {
  Tails t;
  if (values.empty() || m.std <= 0.0) return t;
  int64_t beyond3 = 0, beyond5 = 0;
  double max_dev = 0.0;
  for (float v : values) {
    const double dev = std::fabs(static_cast<double>(v) - m.mean);
    beyond3 += dev > 3.0 * m.std;
    beyond5 += dev > 5.0 * m.std;
    max_dev = std::max(max_dev, dev);
  }
  const auto n = static_cast<double>(values.size());
  t.beyond_3std = static_cast<double>(beyond3) / n;
  t.beyond_5std = static_cast<double>(beyond5) / n;
  t.max_abs_over_std = max_dev / m.std;
  return t;
}

double gaussian_share_beyond(double k) { return std::erfc(k / std::sqrt(2.0)); }

}  // namespace bertscope
