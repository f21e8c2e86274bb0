// Statistics against values computed independently here: closed forms for small samples
// and the known moments of large seeded samples.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "experiments/statistics.h"

namespace bertscope {
namespace {

TEST(Statistics, MomentsOfASmallSampleByHand) {
  // x = 1, 2, 3, 4, 10: mean 4, deviations -3 -2 -1 0 6.
  const std::vector<float> x = {1, 2, 3, 4, 10};
  const Moments m = moments(std::span<const float>(x));
  const double m2 = (9 + 4 + 1 + 0 + 36) / 5.0, m3 = (-27 - 8 - 1 + 0 + 216) / 5.0, m4 = (81 + 16 + 1 + 0 + 1296) / 5.0;
  EXPECT_EQ(m.count, 5);
  EXPECT_DOUBLE_EQ(m.mean, 4.0);
  EXPECT_NEAR(m.std, std::sqrt(50.0 / 4.0), 1e-12);
  EXPECT_NEAR(m.skewness, m3 / std::pow(m2, 1.5), 1e-12);
  EXPECT_NEAR(m.excess_kurtosis, m4 / (m2 * m2) - 3.0, 1e-12);
  EXPECT_EQ(m.min, 1.0);
  EXPECT_EQ(m.max, 10.0);
}

TEST(Statistics, KnownDistributionsHaveTheirKurtosis) {
  std::mt19937_64 rng(42);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> gauss(400000), flat(400000), laplace(400000);
  for (auto& v : gauss) v = normal(rng);
  for (auto& v : flat) v = uniform(rng);
  std::exponential_distribution<float> expo(1.0f);
  for (auto& v : laplace) v = (uniform(rng) < 0 ? -1.0f : 1.0f) * expo(rng);
  EXPECT_NEAR(moments(std::span<const float>(gauss)).excess_kurtosis, 0.0, 0.05);
  EXPECT_NEAR(moments(std::span<const float>(gauss)).std, 2.0, 0.01);
  EXPECT_NEAR(moments(std::span<const float>(flat)).excess_kurtosis, -1.2, 0.02);  // uniform: -6/5
  EXPECT_NEAR(moments(std::span<const float>(laplace)).excess_kurtosis, 3.0, 0.15);  // Laplace: 3
  const Tails t = tails(gauss, moments(std::span<const float>(gauss)));
  EXPECT_NEAR(t.beyond_3std, gaussian_share_beyond(3.0), 0.0006);
  EXPECT_NEAR(gaussian_share_beyond(3.0), 0.0026998, 1e-6);
  EXPECT_NEAR(gaussian_share_beyond(5.0), 5.733e-7, 1e-9);
}

TEST(Statistics, ConfidenceIntervalUsesStudentT) {
  const std::vector<double> x = {1.0, 2.0, 3.0};  // mean 2, sd 1, t(2) = 4.302653
  const MeanInterval ci = mean_interval(x);
  EXPECT_NEAR(ci.ci_low, 2.0 - 4.302653 / std::sqrt(3.0), 1e-6);
  EXPECT_NEAR(ci.ci_high, 2.0 + 4.302653 / std::sqrt(3.0), 1e-6);
  EXPECT_NEAR(student_t_975(100), 1.983972, 1e-5);
  EXPECT_NEAR(student_t_975(1000), 1.962339, 1e-5);
  // One value: a mean, but no spread and no interval (undefined, not zero).
  const MeanInterval one = mean_interval(std::vector<double>{5.0});
  EXPECT_EQ(one.mean, 5.0);
  EXPECT_TRUE(std::isnan(one.std));
  EXPECT_TRUE(std::isnan(one.ci_low));
  EXPECT_TRUE(std::isnan(one.ci_high));
}

TEST(Statistics, HistogramCountsEdgesAndOutliers) {
  const std::vector<float> x = {-5.0f, -4.0f, -0.5f, 0.0f, 0.49f, 3.99f, 4.0f, 100.0f};
  const Histogram h = histogram(x, -4.0, 4.0, 8);
  EXPECT_EQ(h.below, 1);
  EXPECT_EQ(h.above, 2);
  EXPECT_EQ(h.counts[0], 1);  // -4 is in the first bin
  EXPECT_EQ(h.counts[3], 1);  // -0.5
  EXPECT_EQ(h.counts[4], 2);  // 0 and 0.49
  EXPECT_EQ(h.counts[7], 1);  // 3.99
  EXPECT_EQ(h.total(), 8);
  double area = 0.0;
  for (double d : h.density()) area += d * h.bin_width();
  EXPECT_NEAR(area, 5.0 / 8.0, 1e-12);
}

}  // namespace
}  // namespace bertscope
