// Unit t-tests across prompts (experiments/unit_statistics.h): values scipy 1.10 gives for
// small samples, the t distribution's closed forms, symmetries, the corrections' properties
// and every error. python/tests/test_unit_statistics.py compares many random cases with scipy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/unit_statistics.h"

namespace bertscope {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One unit (column) per vector: the rows x units matrix of the columns given.
std::vector<float> columns(const std::vector<std::vector<float>>& cols) {
  const size_t rows = cols.at(0).size();
  std::vector<float> out(rows * cols.size());
  for (size_t u = 0; u < cols.size(); ++u) {
    for (size_t r = 0; r < rows; ++r) out[r * cols.size() + u] = cols[u].at(r);
  }
  return out;
}

UnitComparison compare(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b, UnitTest test,
                       double alpha = 0.05) {
  const std::vector<float> ma = columns(a), mb = columns(b);
  return compare_units(ma.data(), static_cast<int>(a[0].size()), mb.data(), static_cast<int>(b[0].size()),
                       static_cast<int>(a.size()), test, alpha);
}

std::vector<float> normal_matrix(int rows, int units, float mean, float sd, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(mean, sd);
  std::vector<float> out(static_cast<size_t>(rows) * static_cast<size_t>(units));
  for (float& v : out) v = normal(rng);
  return out;
}

std::string error_of(const std::vector<float>& a, int rows_a, const std::vector<float>& b, int rows_b, int units,
                     UnitTest test, double alpha = 0.05) {
  try {
    compare_units(a.data(), rows_a, b.data(), rows_b, units, test, alpha);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(UnitStatistics, TestNamesRoundTrip) {
  for (UnitTest test : {UnitTest::Student, UnitTest::Welch, UnitTest::Paired}) {
    EXPECT_EQ(parse_unit_test(unit_test_name(test)), test);
  }
  EXPECT_EQ(unit_test_name(UnitTest::Welch), "welch");
  EXPECT_FALSE(parse_unit_test("Student").has_value());
  EXPECT_FALSE(parse_unit_test("t").has_value());
}

TEST(UnitStatistics, SmallSamplesGiveScipysValues) {
  // scipy 1.10: ttest_ind([1,2,3,4], [2,4,6,8,10], equal_var=True / False), ttest_rel(...).
  const UnitComparison s = compare({{1, 2, 3, 4}}, {{2, 4, 6, 8, 10}}, UnitTest::Student);
  EXPECT_NEAR(s.t[0], -2.0578065752724592, 1e-13);
  EXPECT_NEAR(s.p[0], 0.07861923505869378, 1e-12);
  EXPECT_EQ(s.df[0], 7.0);
  EXPECT_DOUBLE_EQ(s.mean_a[0], 2.5);
  EXPECT_DOUBLE_EQ(s.mean_b[0], 6.0);
  // Pooled SD: sqrt((3 * 5/3 + 4 * 10) / 7).
  EXPECT_NEAR(s.cohen_d[0], -3.5 / std::sqrt(45.0 / 7.0), 1e-13);

  const UnitComparison w = compare({{1, 2, 3, 4}}, {{2, 4, 6, 8, 10}}, UnitTest::Welch);
  EXPECT_NEAR(w.t[0], -2.2514363231593695, 1e-13);
  EXPECT_NEAR(w.p[0], 0.06913359319239236, 1e-12);
  const double va = 5.0 / 3.0 / 4.0, vb = 10.0 / 5.0;  // variance / n
  EXPECT_NEAR(w.df[0], (va + vb) * (va + vb) / (va * va / 3.0 + vb * vb / 4.0), 1e-12);
  EXPECT_EQ(w.cohen_d[0], s.cohen_d[0]);

  const UnitComparison r = compare({{1, 2.5, 3, 4.5}}, {{0.5, 2, 2, 3}}, UnitTest::Paired);
  EXPECT_NEAR(r.t[0], 3.6556307750696546, 1e-13);
  EXPECT_NEAR(r.p[0], 0.03535284700251738, 1e-12);
  EXPECT_EQ(r.df[0], 3.0);
  // Differences 0.5, 0.5, 1, 1.5: d_z = mean / SD.
  EXPECT_NEAR(r.cohen_d[0], 0.875 / std::sqrt((0.140625 * 2 + 0.015625 + 0.390625) / 3.0), 1e-13);
}

TEST(UnitStatistics, SwappingTheSetsNegatesTAndDAndKeepsP) {
  const int rows_a = 9, rows_b = 13, units = 40;
  const std::vector<float> a = normal_matrix(rows_a, units, 0.3f, 1.0f, 1);
  const std::vector<float> b = normal_matrix(rows_b, units, 0.0f, 2.0f, 2);
  const std::vector<float> b_paired = normal_matrix(rows_a, units, 0.0f, 1.5f, 3);
  for (UnitTest test : {UnitTest::Student, UnitTest::Welch, UnitTest::Paired}) {
    const bool paired = test == UnitTest::Paired;
    const std::vector<float>& other = paired ? b_paired : b;
    const int rows_other = paired ? rows_a : rows_b;
    const UnitComparison ab = compare_units(a.data(), rows_a, other.data(), rows_other, units, test);
    const UnitComparison ba = compare_units(other.data(), rows_other, a.data(), rows_a, units, test);
    ASSERT_EQ(ab.tested, units);
    for (int u = 0; u < units; ++u) {
      SCOPED_TRACE(unit_test_name(test) + " unit " + std::to_string(u));
      EXPECT_NE(ab.t[u], 0.0);
      EXPECT_EQ(ab.t[u], -ba.t[u]);
      EXPECT_EQ(ab.cohen_d[u], -ba.cohen_d[u]);
      EXPECT_EQ(ab.p[u], ba.p[u]);
      EXPECT_EQ(ab.df[u], ba.df[u]);
      EXPECT_EQ(ab.mean_a[u], ba.mean_b[u]);
      EXPECT_EQ(ab.p_fdr[u], ba.p_fdr[u]);
    }
  }
}

TEST(UnitStatistics, TZeroGivesPOne) {
  // Equal means, different spreads: t = 0 exactly.
  for (UnitTest test : {UnitTest::Student, UnitTest::Welch}) {
    const UnitComparison r = compare({{1, 2, 3}}, {{0, 2, 4, 2}}, test);
    EXPECT_EQ(r.t[0], 0.0);
    EXPECT_EQ(r.p[0], 1.0);
    EXPECT_EQ(r.p_fdr[0], 1.0);
    EXPECT_EQ(r.cohen_d[0], 0.0);
  }
  const UnitComparison r = compare({{1, 5, 3}}, {{2, 3, 4}}, UnitTest::Paired);  // differences -1, 2, -1
  EXPECT_EQ(r.t[0], 0.0);
  EXPECT_EQ(r.p[0], 1.0);
}

TEST(UnitStatistics, OneDegreeOfFreedomIsTheCauchyTail) {
  // A paired test of 2 rows has df = 1: P(|T| > t) = 1 - 2 atan(t) / pi = 2 atan(1/t) / pi.
  // Unit u's differences are first[u] and 1: t = |first + 1| / |first - 1|, 0.67 to 2e5 here.
  const std::vector<float> first = {-0.2f, 0.5f, 0.9f, 0.99f, 0.999f, 0.99999f, 2.0f, 3.0f, 1.5f, 1.25f, 1.0001f};
  const int units = static_cast<int>(first.size());
  std::vector<float> a(2 * first.size(), 1.0f), b(2 * first.size(), 0.0f);
  std::copy(first.begin(), first.end(), a.begin());
  const UnitComparison r = compare_units(a.data(), 2, b.data(), 2, units, UnitTest::Paired);
  for (int u = 0; u < units; ++u) {
    SCOPED_TRACE("unit " + std::to_string(u));
    EXPECT_EQ(r.df[u], 1.0);
    const double d1 = static_cast<double>(first[u]), d2 = 1.0;
    EXPECT_NEAR(r.t[u], ((d1 + d2) / 2.0) / (std::fabs(d1 - d2) / 2.0), 1e-9 * std::fabs(r.t[u]));
    const double t = std::fabs(r.t[u]);
    const double cauchy = 2.0 * std::atan(1.0 / t) / std::numbers::pi;
    EXPECT_NEAR(r.p[u], cauchy, 1e-12 * cauchy);
  }
  EXPECT_LT(*std::min_element(r.p.begin(), r.p.end()), 1e-5);  // the tail is checked far out too

  // Differences 1 + 2^-40 and 1 (exact in double): t = 2^41 + 1, p = 2 atan(1/t) / pi, 3e-13.
  const float one[2] = {1.0f, 1.0f}, tiny[2] = {-0x1p-40f, 0.0f};
  const UnitComparison far = compare_units(one, 2, tiny, 2, 1, UnitTest::Paired);
  EXPECT_EQ(far.t[0], 0x1p41 + 1.0);
  EXPECT_NEAR(far.p[0], 2.0 * std::atan(1.0 / far.t[0]) / std::numbers::pi, 1e-12 * far.p[0]);
}

TEST(UnitStatistics, FarTailsAreScipys) {
  // 30 + 30 rows (df = 58), b = a + shift: t from -7.7 to -23, where t^2 is between df and
  // 10 df. There gsl_cdf_tdist_Q is a Cornish-Fisher approximation, off by up to 8e-7
  // (relative) at these p; the incomplete beta gives scipy's values to 1e-13.
  const float shifts[4] = {0.6f, 1.0f, 1.5f, 1.8f};
  std::vector<float> a(30 * 4), b(30 * 4);
  for (int r = 0; r < 30; ++r) {
    for (int u = 0; u < 4; ++u) {
      a[r * 4 + u] = static_cast<float>(r) / 29.0f;
      b[r * 4 + u] = a[r * 4 + u] + shifts[u];
    }
  }
  // scipy 1.10: ttest_ind(a.astype(float), b.astype(float)) of the same float32 values.
  const double t[4] = {-7.654979817907827, -12.758298948903732, -19.137448592847775, -22.964937199120634};
  const double p[4] = {2.3235382222832623e-10, 1.765644511665574e-18, 9.721993138201979e-27, 8.38981245477225e-31};
  for (UnitTest test : {UnitTest::Student, UnitTest::Welch}) {
    const UnitComparison c = compare_units(a.data(), 30, b.data(), 30, 4, test);
    for (int u = 0; u < 4; ++u) {
      SCOPED_TRACE(unit_test_name(test) + " unit " + std::to_string(u));
      EXPECT_NEAR(c.t[u], t[u], 1e-12 * std::fabs(t[u]));
      EXPECT_NEAR(c.p[u], p[u], 1e-11 * p[u]);
    }
  }
}

TEST(UnitStatistics, TwoDegreesOfFreedomHaveTheirClosedForm) {
  // Student with 2 + 2 rows: df = 2, P(|T| > t) = 1 - t / sqrt(2 + t^2).
  const UnitComparison r = compare({{1, 2}, {0, 1}, {5, 5.5f}}, {{0, 0.5f}, {0, 1}, {-3, -2}}, UnitTest::Student);
  for (int u = 0; u < 3; ++u) {
    EXPECT_EQ(r.df[u], 2.0);
    const double t = std::fabs(r.t[u]);
    const double expected = 1.0 - t / std::sqrt(2.0 + t * t);
    EXPECT_NEAR(r.p[u], expected, 1e-12 * expected) << u;
  }
}

TEST(UnitStatistics, LargeDfApproachesTheNormalTail) {
  const int rows = 40000, units = 6;
  const std::vector<float> a = normal_matrix(rows, units, 0.0f, 1.0f, 11);
  std::vector<float> b = normal_matrix(rows, units, 0.0f, 1.0f, 12);
  // Shifts that give |t| of about 0.5 to 6: the normal and t tails differ by 1e-5 to 1e-2.
  const float shift[units] = {0.0035f, 0.007f, 0.014f, 0.021f, 0.028f, 0.042f};
  for (int r = 0; r < rows; ++r) {
    for (int u = 0; u < units; ++u) b[static_cast<size_t>(r) * units + u] += shift[u];
  }
  for (UnitTest test : {UnitTest::Student, UnitTest::Welch, UnitTest::Paired}) {
    const UnitComparison c = compare_units(a.data(), rows, b.data(), rows, units, test);
    for (int u = 0; u < units; ++u) {
      SCOPED_TRACE(unit_test_name(test) + " unit " + std::to_string(u));
      const double t = std::fabs(c.t[u]), nu = c.df[u];
      EXPECT_GT(nu, 39000.0);
      // The normal tail plus the first term of its expansion in 1/df (the t density is
      // phi(t) (1 + (t^4 - 2t^2 - 1) / (4 df) + ...)); what remains is O(t^8 / df^2).
      const double normal = std::erfc(t / std::sqrt(2.0));
      const double phi = std::exp(-t * t / 2.0) / std::sqrt(2.0 * std::numbers::pi);
      const double first_order = normal + 2.0 * phi * (t * t * t + t) / (4.0 * nu);
      EXPECT_GT(c.p[u], normal);  // heavier than the normal tail
      EXPECT_NEAR(c.p[u], first_order, c.p[u] * (1e-12 + (1.0 + std::pow(t, 8.0)) / (nu * nu)));
    }
  }
}

TEST(UnitStatistics, ConstantUnitsAreUntestedOrInfinite) {
  // Unit 0: constant in both sets, same value (a dead unit): 0/0, NaN, not tested.
  // Unit 1: constant in both sets, different values: t = -inf, p = 0 (scipy's), d NaN.
  // Unit 2: constant in a only: a finite t (scipy: -1.7320508075688774 for Student).
  // Unit 3: an ordinary unit.
  for (UnitTest test : {UnitTest::Student, UnitTest::Welch, UnitTest::Paired}) {
    SCOPED_TRACE(unit_test_name(test));
    const UnitComparison r =
        compare({{0, 0, 0}, {1, 1, 1}, {1, 1, 1}, {1, 2, 4}}, {{0, 0, 0}, {2, 2, 2}, {1, 2, 3}, {3, 5, 4}}, test);
    EXPECT_TRUE(std::isnan(r.t[0]));
    EXPECT_TRUE(std::isnan(r.p[0]));
    EXPECT_TRUE(std::isnan(r.p_fdr[0]));
    EXPECT_TRUE(std::isnan(r.p_bonferroni[0]));
    EXPECT_TRUE(std::isnan(r.cohen_d[0]));
    EXPECT_EQ(r.significant_fdr[0], 0);
    EXPECT_EQ(r.significant_bonferroni[0], 0);

    EXPECT_EQ(r.t[1], -std::numeric_limits<double>::infinity());
    EXPECT_EQ(r.p[1], 0.0);
    EXPECT_EQ(r.p_fdr[1], 0.0);
    EXPECT_TRUE(std::isnan(r.cohen_d[1]));
    EXPECT_EQ(r.significant_fdr[1], 1);
    if (test == UnitTest::Welch) {
      EXPECT_TRUE(std::isnan(r.df[0]));
      EXPECT_TRUE(std::isnan(r.df[1]));
      EXPECT_EQ(r.df[2], 2.0);  // the variance of b alone: n_b - 1
    } else {
      EXPECT_EQ(r.df[1], test == UnitTest::Paired ? 2.0 : 4.0);
    }

    EXPECT_TRUE(std::isfinite(r.t[2]));
    if (test == UnitTest::Student) {
      EXPECT_NEAR(r.t[2], -1.7320508075688774, 1e-13);
    } else if (test == UnitTest::Welch) {
      EXPECT_NEAR(r.p[2], 0.22540333075851657, 1e-12);
    }
    EXPECT_TRUE(std::isfinite(r.p[3]));
    EXPECT_EQ(r.tested, 3);
    EXPECT_EQ(r.p_bonferroni[3], std::min(1.0, 3.0 * r.p[3]));
  }
}

TEST(UnitStatistics, NonFiniteValuesMakeTheirUnitNaN) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const UnitComparison r = compare({{1, 2, inf}, {1, nan, 3}, {1, 2, 3}}, {{1, 2, 3}, {1, 2, 3}, {2, 3, 5}},
                                   UnitTest::Welch);
  EXPECT_TRUE(std::isnan(r.p[0]));
  EXPECT_TRUE(std::isnan(r.p[1]));
  EXPECT_EQ(r.tested, 1);
  EXPECT_EQ(r.p_bonferroni[2], r.p[2]);
}

TEST(UnitStatistics, BenjaminiHochbergByHand) {
  // Sorted 0.005, 0.01, 0.03, 0.04 (m = 4): p * 4 / rank = 0.02, 0.02, 0.04, 0.04.
  const std::vector<double> adjusted = benjamini_hochberg({0.01, 0.04, kNaN, 0.03, 0.005});
  EXPECT_NEAR(adjusted[0], 0.02, 1e-15);
  EXPECT_NEAR(adjusted[1], 0.04, 1e-15);
  EXPECT_TRUE(std::isnan(adjusted[2]));
  EXPECT_NEAR(adjusted[3], 0.04, 1e-15);
  EXPECT_NEAR(adjusted[4], 0.02, 1e-15);
  // A large p lowers nothing, and the cumulative minimum carries a small adjusted value down:
  // 0.9 * 2 / 1 = 1.8 would be clipped to 1, but 0.95 * 2 / 2 = 0.95 is below it.
  const std::vector<double> two = benjamini_hochberg({0.95, 0.9});
  EXPECT_DOUBLE_EQ(two[0], 0.95);
  EXPECT_DOUBLE_EQ(two[1], 0.95);
  EXPECT_TRUE(benjamini_hochberg({}).empty());
  const std::vector<double> none = benjamini_hochberg({kNaN, kNaN});
  EXPECT_TRUE(std::isnan(none[0]) && std::isnan(none[1]));
}

TEST(UnitStatistics, BenjaminiHochbergIsMonotoneAndAboveTheRawP) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> p(500);
  for (size_t i = 0; i < p.size(); ++i) {
    p[i] = i % 7 == 0 ? kNaN : std::pow(uniform(rng), 4.0);  // many small p
  }
  p[3] = p[4] = 0.001;  // a tie
  const std::vector<double> adjusted = benjamini_hochberg(p);
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i) {
    ASSERT_EQ(std::isnan(p[i]), std::isnan(adjusted[i])) << i;
    if (!std::isnan(p[i])) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  for (size_t k = 0; k < order.size(); ++k) {
    const double q = adjusted[order[k]];
    EXPECT_GE(q, p[order[k]]);
    EXPECT_LE(q, 1.0);
    if (k > 0) {
      EXPECT_GE(q, adjusted[order[k - 1]]) << k;
    }
  }
  EXPECT_EQ(adjusted[3], adjusted[4]);
  // The largest p is its own adjusted value (m / m).
  EXPECT_EQ(adjusted[order.back()], p[order.back()]);
}

TEST(UnitStatistics, NaNUnitsDoNotCountInTheCorrections) {
  const int rows = 12, units = 30;
  std::vector<float> a = normal_matrix(rows, units, 0.0f, 1.0f, 21);
  std::vector<float> b = normal_matrix(rows, units, 0.8f, 1.0f, 22);
  // Every third unit dead (0 in both sets).
  for (int r = 0; r < rows; ++r) {
    for (int u = 0; u < units; u += 3) a[static_cast<size_t>(r) * units + u] = b[static_cast<size_t>(r) * units + u] = 0.0f;
  }
  const UnitComparison c = compare_units(a.data(), rows, b.data(), rows, units, UnitTest::Student, 0.1);
  EXPECT_EQ(c.tested, 20);
  std::vector<double> live;
  for (int u = 0; u < units; ++u) {
    if (u % 3 == 0) {
      EXPECT_TRUE(std::isnan(c.p[u]));
      EXPECT_FALSE(c.significant_fdr[u]);
    } else {
      live.push_back(c.p[u]);
      EXPECT_EQ(c.p_bonferroni[u], std::min(1.0, c.p[u] * 20.0));
      EXPECT_EQ(c.significant_bonferroni[u], c.p_bonferroni[u] <= 0.1);
    }
  }
  const std::vector<double> live_adjusted = benjamini_hochberg(live);
  int significant = 0;
  for (int u = 0, k = 0; u < units; ++u) {
    if (u % 3 == 0) continue;
    EXPECT_EQ(c.p_fdr[u], live_adjusted[k++]);
    EXPECT_EQ(c.significant_fdr[u], c.p_fdr[u] <= 0.1);
    significant += c.significant_fdr[u];
  }
  EXPECT_EQ(c.significant_count(), significant);
  EXPECT_GT(significant, 0);
}

TEST(UnitStatistics, ErrorsNameTheProblem) {
  const std::vector<float> x(20, 1.0f);
  EXPECT_EQ(error_of(x, 1, x, 3, 2, UnitTest::Student),
            "a has 1 row: a t-test needs at least 2 rows (observations) in each set");
  EXPECT_EQ(error_of(x, 3, x, 0, 2, UnitTest::Welch),
            "b has 0 rows: a t-test needs at least 2 rows (observations) in each set");
  EXPECT_EQ(error_of(x, 3, x, 4, 2, UnitTest::Paired), "a paired t-test needs as many rows in b as in a: a has 3, b has 4");
  EXPECT_EQ(error_of(x, 3, x, 4, 0, UnitTest::Student), "a and b have 0 units (columns): there must be at least 1");
  EXPECT_EQ(error_of(x, 3, x, 4, 2, UnitTest::Student, 0.0), "alpha must be in (0, 1); got 0");
  EXPECT_EQ(error_of(x, 3, x, 4, 2, UnitTest::Student, 1.0), "alpha must be in (0, 1); got 1");
  EXPECT_EQ(error_of(x, 3, x, 4, 2, UnitTest::Student, kNaN), "alpha must be in (0, 1); got nan");
  EXPECT_EQ(error_of(x, 3, x, 3, 2, UnitTest::Paired, 0.5), "(no error)");
}

}  // namespace
}  // namespace bertscope
