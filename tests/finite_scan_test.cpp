// The NaN/infinity scan that model loading runs over every weight tensor.
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "weights/finite_scan.h"

namespace bertscope {
namespace {


TEST(FiniteScan, FindsTheFirstNaNOrInfinityAnywhere) {
  std::vector<float> v(20000, 0.5f);
  EXPECT_EQ(first_non_finite(v.data(), v.size()), std::nullopt);
  EXPECT_EQ(first_non_finite(v.data(), 0), std::nullopt);
  v[0] = std::numeric_limits<float>::max();  // large but finite
  v[1] = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(first_non_finite(v.data(), v.size()), std::nullopt);
  for (size_t at : {size_t{0}, size_t{4095}, size_t{4096}, size_t{19999}}) {
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::signaling_NaN()}) {
      std::vector<float> w = v;
      w[at] = bad;
      if (at + 7 < w.size()) w[at + 7] = bad;  // the first one is reported
      EXPECT_EQ(first_non_finite(w.data(), w.size()), at) << at << " " << bad;
    }
  }
  EXPECT_EQ(non_finite_name(std::numeric_limits<float>::quiet_NaN()), "NaN");
  EXPECT_EQ(non_finite_name(-std::numeric_limits<float>::infinity()), "-inf");
  EXPECT_EQ(non_finite_name(std::numeric_limits<float>::infinity()), "inf");
}

}  // namespace
}  // namespace bertscope
