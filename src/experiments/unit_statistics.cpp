#include "experiments/unit_statistics.h"

#include <gsl/gsl_cdf.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <sstream>

#include "common/error.h"
#include "experiments/gsl_errors.h"

namespace bertscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


// Two-sided p of Student's t with df degrees of freedom, P(|T| > |t|), as scipy's
// 2 * stdtr(df, -|t|). NaN for a NaN t; 0 for an infinite one, whatever df is (scipy's
// Welch df for two zero variances is a stand-in 1: its t is infinite or NaN).
//
// GSL's gsl_cdf_tdist_Q is accurate to ~1e-12 (relative, against mpmath) for t^2 < df, but
// for df > 30 and df <= t^2 < 10 df it is a Cornish-Fisher approximation whose relative error
// grows to 1e-6 (p near 1e-30 at df = 58, two sets of 30 prompts). There, and for every
// t^2 >= df, the identity P(|T| > t) = I_x(df/2, 1/2) with x = df / (df + t^2) <= 1/2 is
// used, GSL's regularized incomplete beta (gsl_cdf_beta_P), as accurate as in scipy.
double two_sided_p(double t, double df) {
  if (std::isnan(t)) return kNaN;
  if (std::isinf(t)) return 0.0;
  if (!(df > 0.0)) return kNaN;
  gsl_errors_off();
  const double abs_t = std::fabs(t);
  double p;
  if (abs_t * abs_t < df) {
    p = 2.0 * gsl_cdf_tdist_Q(abs_t, df);
  } else {
    const double r = df / abs_t;  // x = df / (df + t^2), without t^2 overflowing
    p = gsl_cdf_beta_P(r / (r + abs_t), df / 2.0, 0.5);
  }
  return std::isnan(p) ? kNaN : std::clamp(p, 0.0, 1.0);
}

// d / denominator as numpy divides: +-inf for a non-zero d over 0, NaN for 0/0.
double ratio(double d, double denominator) {
  if (std::isnan(d) || std::isnan(denominator)) return kNaN;
  if (denominator == 0.0) return d == 0.0 ? kNaN : std::copysign(std::numeric_limits<double>::infinity(), d);
  return d / denominator;
}

// Cohen's d: NaN where the SD is 0 (or undefined), never an infinity.
double effect(double d, double sd) { return sd > 0.0 ? d / sd : kNaN; }

// Per-unit mean and unbiased variance of a rows x units row-major block, two passes in double.
// `minus`, if given, is subtracted element-wise first (the paired test's a - b).
void mean_variance(const float* x, const float* minus, int rows, int units, std::vector<double>& mean,
                   std::vector<double>& variance) {
  const auto u_count = static_cast<size_t>(units);
  mean.assign(u_count, 0.0);
  variance.assign(u_count, 0.0);
  auto value = [&](size_t r, size_t u) {
    const size_t i = r * u_count + u;
    return minus ? static_cast<double>(x[i]) - static_cast<double>(minus[i]) : static_cast<double>(x[i]);
  };
  for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
    for (size_t u = 0; u < u_count; ++u) mean[u] += value(r, u);
  }
  const auto n = static_cast<double>(rows);
  for (double& m : mean) m /= n;
  for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
    for (size_t u = 0; u < u_count; ++u) {
      const double d = value(r, u) - mean[u];
      variance[u] += d * d;
    }
  }
  // scipy's _var: the second central moment times n / (n - 1).
  for (double& v : variance) v = v / n * (n / (n - 1.0));
}

std::string number_text(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

}  // namespace

std::optional<UnitTest> parse_unit_test(const std::string& name) {
  if (name == "student") return UnitTest::Student;
  if (name == "welch") return UnitTest::Welch;
  if (name == "paired") return UnitTest::Paired;
  return std::nullopt;
}

std::string unit_test_name(UnitTest test) {
  switch (test) {
    case UnitTest::Student:
      return "student";
    case UnitTest::Welch:
      return "welch";
    case UnitTest::Paired:
      return "paired";
  }
  return "unknown";
}

int UnitComparison::significant_count() const {
  return static_cast<int>(std::count(significant_fdr.begin(), significant_fdr.end(), char{1}));
}

std::vector<double> benjamini_hochberg(const std::vector<double>& p) {
  std::vector<double> adjusted(p.size(), kNaN);
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!std::isnan(p[i])) order.push_back(i);
  }
  if (order.empty()) return adjusted;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  // statsmodels: p_sorted / ecdffactor, ecdffactor = rank / m; then the cumulative minimum
  // from the largest p down, and values above 1 set to 1.
  const auto m = static_cast<double>(order.size());
  double running = std::numeric_limits<double>::infinity();
  for (size_t k = order.size(); k-- > 0;) {
    const double ecdf = static_cast<double>(k + 1) / m;
    running = std::min(running, p[order[k]] / ecdf);
    adjusted[order[k]] = std::min(running, 1.0);
  }
  return adjusted;
}

UnitComparison compare_units(const float* a, int rows_a, const float* b, int rows_b, int units, UnitTest test,
                             double alpha) {
  for (const auto& [name, rows] : {std::pair{"a", rows_a}, std::pair{"b", rows_b}}) {
    if (rows < 2) {
      throw Error(std::string(name) + " has " + std::to_string(rows) + (rows == 1 ? " row" : " rows") +
                  ": a t-test needs at least 2 rows (observations) in each set");
    }
  }
  if (test == UnitTest::Paired && rows_a != rows_b) {
    throw Error("a paired t-test needs as many rows in b as in a: a has " + std::to_string(rows_a) + ", b has " +
                std::to_string(rows_b));
  }
  if (units < 1) {
    throw Error("a and b have " + std::to_string(units) + " units (columns): there must be at least 1");
  }
  if (!(alpha > 0.0 && alpha < 1.0)) throw Error("alpha must be in (0, 1); got " + number_text(alpha));

  UnitComparison r;
  r.test = test;
  r.rows_a = rows_a;
  r.rows_b = rows_b;
  r.alpha = alpha;
  const auto u_count = static_cast<size_t>(units);
  const auto na = static_cast<double>(rows_a), nb = static_cast<double>(rows_b);
  std::vector<double> var_a, var_b;
  mean_variance(a, nullptr, rows_a, units, r.mean_a, var_a);
  mean_variance(b, nullptr, rows_b, units, r.mean_b, var_b);
  std::vector<double> mean_diff, var_diff;
  if (test == UnitTest::Paired) mean_variance(a, b, rows_a, units, mean_diff, var_diff);

  r.t.resize(u_count);
  r.df.resize(u_count);
  r.p.resize(u_count);
  r.cohen_d.resize(u_count);
  for (size_t u = 0; u < u_count; ++u) {
    const double va = var_a[u], vb = var_b[u];
    const double d = r.mean_a[u] - r.mean_b[u];
    const double pooled = ((na - 1.0) * va + (nb - 1.0) * vb) / (na + nb - 2.0);
    // Each test's formula as scipy writes it, so that the roundings agree too.
    switch (test) {
      case UnitTest::Student:
        r.df[u] = na + nb - 2.0;
        r.t[u] = ratio(d, std::sqrt(pooled * (1.0 / na + 1.0 / nb)));
        r.cohen_d[u] = effect(d, std::sqrt(pooled));
        break;
      case UnitTest::Welch: {
        const double vna = va / na, vnb = vb / nb;
        const double df = (vna + vnb) * (vna + vnb) / (vna * vna / (na - 1.0) + vnb * vnb / (nb - 1.0));
        r.df[u] = vna + vnb > 0.0 ? df : kNaN;
        r.t[u] = ratio(d, std::sqrt(vna + vnb));
        r.cohen_d[u] = effect(d, std::sqrt(pooled));
        break;
      }
      case UnitTest::Paired:
        r.df[u] = na - 1.0;
        r.t[u] = ratio(mean_diff[u], std::sqrt(var_diff[u] / na));
        r.cohen_d[u] = effect(mean_diff[u], std::sqrt(var_diff[u]));
        break;
    }
    r.p[u] = two_sided_p(r.t[u], r.df[u]);
  }

  r.tested = static_cast<int>(std::count_if(r.p.begin(), r.p.end(), [](double x) { return !std::isnan(x); }));
  r.p_fdr = benjamini_hochberg(r.p);
  r.p_bonferroni.resize(u_count);
  r.significant_fdr.resize(u_count);
  r.significant_bonferroni.resize(u_count);
  for (size_t u = 0; u < u_count; ++u) {
    r.p_bonferroni[u] = std::isnan(r.p[u]) ? kNaN : std::min(1.0, r.p[u] * static_cast<double>(r.tested));
    // NaN <= alpha is false: an untested unit is never significant.
    r.significant_fdr[u] = r.p_fdr[u] <= alpha ? 1 : 0;
    r.significant_bonferroni[u] = r.p_bonferroni[u] <= alpha ? 1 : 0;
  }
  return r;
}

}  // namespace bertscope
