#pragma once
// Descriptive statistics for trials and activations: moments, confidence intervals,
// histograms and tail shares, each against what a Gaussian would give.
#include <cstdint>
#include <span>
#include <vector>

namespace bertscope {

struct Moments {
  int64_t count = 0;
  double mean = 0.0;
  double std = 0.0;              // unbiased (n - 1), as torch.std
  double skewness = 0.0;         // m3 / m2^1.5 (population moments, scipy's default)
  double excess_kurtosis = 0.0;  // m4 / m2^2 - 3: 0 for a Gaussian
  double min = 0.0;
  double max = 0.0;
};
Moments moments(std::span<const float> values);
Moments moments(std::span<const double> values);

// Mean with a two-sided 95% Student-t confidence interval. With one value the std and the
// interval are undefined: NaN, never a zero-width interval that looks like certainty.
struct MeanInterval {
  int64_t count = 0;
  double mean = 0.0;
  double std = 0.0;
  double ci_low = 0.0;
  double ci_high = 0.0;
};
MeanInterval mean_interval(std::span<const double> values);
// The 0.975 quantile of Student's t with `dof` degrees of freedom (1.959964 as dof -> inf).
double student_t_975(int64_t dof);

struct Histogram {
  double low = 0.0;
  double high = 0.0;
  std::vector<int64_t> counts;  // equal-width bins over [low, high)
  int64_t below = 0;            // values < low
  int64_t above = 0;            // values >= high
  int64_t total() const;
  double bin_width() const { return (high - low) / static_cast<double>(counts.size()); }
  // counts / (total * bin width): comparable with a probability density.
  std::vector<double> density() const;
};
Histogram histogram(std::span<const float> values, double low, double high, int bins);

// Share of values with |x - mean| > k * std, for k = 3 and 5, and max |x - mean| / std.
struct Tails {
  double beyond_3std = 0.0;
  double beyond_5std = 0.0;
  double max_abs_over_std = 0.0;
};
Tails tails(std::span<const float> values, const Moments& m);
// The same shares for an exact Gaussian: 2 * (1 - Phi(k)).
double gaussian_share_beyond(double k);

}  // namespace bertscope
