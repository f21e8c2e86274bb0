// kernels/fast_exp.h against std::exp (in double) over the whole range the softmax feeds it:
// x - max <= 0, down to where the result underflows to 0, plus the edges (0 -> 1 exactly,
// -inf -> 0, NaN -> NaN) and the positive side up to overflow.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "kernels/fast_exp.h"

namespace bertscope {
namespace {

// |fast - exact| in units of the float spacing at the exact value (ulps); below the smallest
// normal float the spacing is the subnormal step 2^-149.
double ulp_error(float x) {
  const double exact = std::exp(static_cast<double>(x));
  const double got = fast_exp(x);
  int exponent = 0;
  std::frexp(exact, &exponent);
  const double spacing = std::ldexp(1.0, std::max(exponent - 24, -149));
  return std::fabs(got - exact) / spacing;
}

TEST(FastExp, WithinTwoUlpsOfStdExpFromUnderflowToOverflow) {
  // 4 million points evenly over [-104, 88.7], plus 64 points per binade of |x| from 2^-40
  // to 1 on both sides of 0.
  double worst = 0.0;
  float worst_x = 0.0f;
  const int points = 1 << 22;
  for (int i = 0; i <= points; ++i) {
    const float x = static_cast<float>(-104.0 + (88.7 + 104.0) * i / points);
    const double e = ulp_error(x);
    if (e > worst) worst = e, worst_x = x;
  }
  for (int binade = -40; binade < 0; ++binade) {
    for (int step = 0; step < 64; ++step) {
      for (float sign : {-1.0f, 1.0f}) {
        const float x = sign * std::ldexp(1.0f + static_cast<float>(step) / 64.0f, binade);
        const double e = ulp_error(x);
        if (e > worst) worst = e, worst_x = x;
      }
    }
  }
  std::printf("worst error %.3f ulp at x = %.9g\n", worst, static_cast<double>(worst_x));
  EXPECT_LE(worst, 2.0) << "at x = " << worst_x;
  EXPECT_GT(worst, 0.0);  // it is an approximation: the test would notice a broken comparison
}

TEST(FastExp, EdgesAreExact) {
  EXPECT_EQ(fast_exp(0.0f), 1.0f);
  EXPECT_EQ(fast_exp(-0.0f), 1.0f);
  EXPECT_EQ(fast_exp(-104.0f), 0.0f);
  EXPECT_EQ(fast_exp(-1000.0f), 0.0f);
  EXPECT_EQ(fast_exp(-10000.0f), 0.0f);
  EXPECT_EQ(fast_exp(-std::numeric_limits<float>::max()), 0.0f);
  EXPECT_EQ(fast_exp(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_EQ(fast_exp(89.0f), std::numeric_limits<float>::infinity());
  EXPECT_EQ(fast_exp(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
  // The last floats before 0 and before overflow.
  EXPECT_GT(fast_exp(-103.0f), 0.0f);
  EXPECT_LT(fast_exp(88.7f), std::numeric_limits<float>::infinity());
}

TEST(FastExp, AVectorizedLoopGivesTheSameBitsAsOneCallAtATime) {
  std::vector<float> x(1000), once(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = -100.0f + 0.1f * static_cast<float>(i) + 0.013f;
#pragma omp simd
  for (size_t i = 0; i < x.size(); ++i) once[i] = fast_exp(x[i]);
  for (size_t i = 0; i < x.size(); ++i) {
    volatile float xi = x[i];  // one scalar call, not part of a vector loop
    EXPECT_EQ(once[i], fast_exp(xi)) << x[i];
  }
}

}  // namespace
}  // namespace bertscope
