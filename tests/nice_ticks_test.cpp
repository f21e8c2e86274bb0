// Axis ticks: the step rule on the ranges the figures show, minor ticks, labels with the
// decimals of the step, and ranges that have no sensible ticks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "reports/nice_ticks.h"

namespace bertscope {
namespace {

TEST(NiceTicks, StepGivesThreeToSevenLabelledTicks) {
  EXPECT_DOUBLE_EQ(nice_step(8.0), 2.0);      // hidden-state values -4..4
  EXPECT_DOUBLE_EQ(nice_step(0.54), 0.1);     // densities
  EXPECT_DOUBLE_EQ(nice_step(6.5), 2.0);      // log-softmax -13.5..-7
  EXPECT_DOUBLE_EQ(nice_step(18.0), 5.0);     // excess kurtosis
  EXPECT_DOUBLE_EQ(nice_step(3.03), 1.0);
  EXPECT_DOUBLE_EQ(nice_step(1.2), 0.2);
  EXPECT_DOUBLE_EQ(nice_step(-8.0), 2.0);
  for (double span = 0.013; span < 5e4; span *= 1.07) {
    const AxisTicks t = nice_ticks(0.0, span);
    EXPECT_GE(t.major.size(), 3u) << span;
    EXPECT_LE(t.major.size(), 8u) << span;
  }
}

TEST(NiceTicks, MajorAndMinorTicksInsideTheRange) {
  const AxisTicks t = nice_ticks(-4.0, 4.0);
  EXPECT_EQ(t.major, (std::vector<double>{-4, -2, 0, 2, 4}));
  EXPECT_EQ(t.labels, (std::vector<std::string>{"-4", "-2", "0", "2", "4"}));
  ASSERT_EQ(t.minor.size(), 12u);  // steps of 2: minor ticks every 0.5
  EXPECT_DOUBLE_EQ(t.minor.front(), -3.5);
  EXPECT_DOUBLE_EQ(t.minor.back(), 3.5);

  // Minor ticks also beyond the first and last labelled ones.
  const AxisTicks s = nice_ticks(-13.6, -6.9);
  EXPECT_EQ(s.labels, (std::vector<std::string>{"-12", "-10", "-8"}));
  EXPECT_DOUBLE_EQ(s.minor.front(), -13.5);
  EXPECT_DOUBLE_EQ(s.minor.back(), -7.0);
  for (double v : s.minor) {
    EXPECT_NE(std::fmod(v, 2.0), 0.0) << v << " is a labelled tick";
    EXPECT_EQ(std::fmod(v, 0.5), 0.0) << v;
  }

  // Either order of the ends.
  EXPECT_EQ(nice_ticks(4.0, -4.0).major, t.major);
}

TEST(NiceTicks, GivenStepAndMinorIntervals) {
  const AxisTicks blocks = nice_ticks(-0.6, 3.6, 1.0, 1);
  EXPECT_EQ(blocks.labels, (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_TRUE(blocks.minor.empty());
  const AxisTicks percent = nice_ticks(-6, 106, 50, 5);
  EXPECT_EQ(percent.labels, (std::vector<std::string>{"0", "50", "100"}));
  EXPECT_EQ(percent.minor, (std::vector<double>{10, 20, 30, 40, 60, 70, 80, 90}));
  // A step so small that the axis would drown in ticks falls back to a nice one.
  EXPECT_EQ(nice_ticks(0, 10, 1e-6).labels.size(), 6u);
}

TEST(NiceTicks, LabelsHaveTheDecimalsOfTheStep) {
  EXPECT_EQ(nice_ticks(0.0, 0.54).labels, (std::vector<std::string>{"0.0", "0.1", "0.2", "0.3", "0.4", "0.5"}));
  EXPECT_EQ(tick_label(2.0, 2.0), "2");
  EXPECT_EQ(tick_label(1.5, 0.5), "1.5");
  EXPECT_EQ(tick_label(0.25, 0.05), "0.25");
  EXPECT_EQ(tick_label(3 * 0.1 - 0.3, 0.1), "0.0");
  EXPECT_EQ(tick_label(-1e-17, 0.1), "0.0") << "no negative zero";
  EXPECT_EQ(tick_label(-0.2, 0.1), "-0.2");
  EXPECT_EQ(tick_label(15000, 5000), "15000");
  // 0.1 x 3 is 0.30000000000000004: still labelled "0.3".
  EXPECT_EQ(nice_ticks(0.0, 0.54).labels[3], "0.3");
}

TEST(NiceTicks, NoTicksForEmptyOrNonFiniteRanges) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  EXPECT_TRUE(nice_ticks(1.0, 1.0).major.empty());
  EXPECT_TRUE(nice_ticks(0.0, inf).major.empty());
  EXPECT_TRUE(nice_ticks(nan, 1.0).major.empty());
  EXPECT_TRUE(nice_ticks(1e300, 2e300).minor.size() < 100);
  EXPECT_EQ(default_minor_intervals(2.0), 4);
  EXPECT_EQ(default_minor_intervals(0.2), 4);
  EXPECT_EQ(default_minor_intervals(5.0), 5);
  EXPECT_EQ(default_minor_intervals(1.0), 5);
}

}  // namespace
}  // namespace bertscope
