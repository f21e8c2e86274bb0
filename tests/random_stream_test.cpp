// The counter-based generator: the published Philox4x32-10 answers, reproducible streams,
// and the distributions the interventions draw from.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <span>

#include "experiments/statistics.h"
#include "interventions/random_stream.h"

namespace bertscope {
namespace {

TEST(RandomStream, PhiloxKnownAnswers) {
  // Known-answer vectors of Random123 (kat_vectors: philox4x32 10 rounds).
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}), (std::array<uint32_t, 4>{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  EXPECT_EQ(philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu}),
            (std::array<uint32_t, 4>{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
}

TEST(RandomStream, SamePathSameDrawsOtherPathOther) {
  RandomStream a(7, {1, 3, 0}), b(7, {1, 3, 0}), c(7, {1, 3, 1}), d(8, {1, 3, 0});
  std::vector<float> xa(64), xb(64), xc(64), xd(64);
  a.fill_normal(xa.data(), xa.size());
  b.fill_normal(xb.data(), xb.size());
  c.fill_normal(xc.data(), xc.size());
  d.fill_normal(xd.data(), xd.size());
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
  EXPECT_NE(xa, xd);
}

TEST(RandomStream, NormalDrawsAreStandardNormal) {
  RandomStream s(1, {0});
  std::vector<float> x(200000);
  s.fill_normal(x.data(), x.size());
  const Moments m = moments(std::span<const float>(x));
  EXPECT_NEAR(m.mean, 0.0, 0.01);
  EXPECT_NEAR(m.std, 1.0, 0.01);
  EXPECT_NEAR(m.skewness, 0.0, 0.03);
  EXPECT_NEAR(m.excess_kurtosis, 0.0, 0.05);
}

TEST(RandomStream, PermutationsAreUniform) {
  // Every value lands at every position about equally often over many permutations.
  const int n = 8, draws = 40000;
  std::vector<int> counts(static_cast<size_t>(n * n), 0);
  RandomStream s(3, {9});
  for (int t = 0; t < draws; ++t) {
    const std::vector<int> p = s.permutation(n);
    std::vector<int> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < n; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
    for (int i = 0; i < n; ++i) ++counts[static_cast<size_t>(i * n + p[static_cast<size_t>(i)])];
  }
  for (int c : counts) EXPECT_NEAR(c, draws / n, 5 * std::sqrt(draws / n));
}

}  // namespace
}  // namespace bertscope
