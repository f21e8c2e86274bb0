#pragma once
// Statistics across prompts for the units (neurons) of one site: for each unit, a two-sample
// t-test of its activations in two sets of prompts ("him" vs "her" prompts, say), with the
// p-values corrected for testing every unit of the site (Benjamini-Hochberg FDR, Bonferroni).
// The numbers are scipy 1.10's: ttest_ind(equal_var=True), ttest_ind(equal_var=False) and
// ttest_rel, two-sided; the FDR is statsmodels' fdrcorrection(method="indep").
#include <optional>
#include <string>
#include <vector>

#include "experiments/defaults.h"

namespace bertscope {

// scipy.stats.ttest_ind(equal_var=True), ttest_ind(equal_var=False), ttest_rel.
enum class UnitTest { Student, Welch, Paired };
std::optional<UnitTest> parse_unit_test(const std::string& name);  // "student", "welch", "paired"
std::string unit_test_name(UnitTest test);

// Per unit (column) of two sets of observations: a is rows_a x units, b is rows_b x units,
// row-major float. Every vector has one entry per unit; NaN where undefined:
//   - t and p are NaN where scipy's are: 0/0, a unit whose two sets have the same mean and no
//     variance (a dead GELU unit, constant in both sets), or a unit holding a NaN or infinity.
//     A unit with no variance but different means has t = +-inf and p = 0, as in scipy.
//   - df is NaN for Welch where both variances are 0 (Welch-Satterthwaite's 0/0).
//   - cohen_d is NaN where its SD is 0.
// A unit with a NaN p is not tested: not in m, the number of tests the corrections divide
// among, and not significant.
struct UnitComparison {
  UnitTest test = UnitTest::Student;
  int rows_a = 0, rows_b = 0;
  double alpha = defaults::kAlpha;
  std::vector<double> mean_a, mean_b;
  std::vector<double> t, df, p;  // two-sided p = 2 * Q(|t|, df)
  std::vector<double> p_fdr;          // Benjamini-Hochberg adjusted p over the tested units
  std::vector<double> p_bonferroni;   // min(1, p * tested)
  // (mean_a - mean_b) / pooled SD for Student and Welch; d_z = mean(a - b) / SD(a - b) for Paired.
  std::vector<double> cohen_d;
  std::vector<char> significant_fdr, significant_bonferroni;  // 1 where the adjusted p <= alpha
  int tested = 0;  // units with a defined p (the m of the corrections)
  int significant_count() const;  // FDR-significant units
};

// Throws Error naming the problem: fewer than 2 rows in a set, rows_a != rows_b for Paired,
// units < 1, alpha not in (0, 1).
UnitComparison compare_units(const float* a, int rows_a, const float* b, int rows_b, int units, UnitTest test,
                             double alpha = defaults::kAlpha);

// Benjamini-Hochberg adjusted p-values, as statsmodels' fdrcorrection(method="indep") returns
// them: p_(i) * m / i for the i-th smallest, the cumulative minimum from the largest, at most 1.
// NaN entries stay NaN and are not counted in m.
std::vector<double> benjamini_hochberg(const std::vector<double>& p);

}  // namespace bertscope
