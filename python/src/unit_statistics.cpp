// bertscope.compare_units: per-unit t-tests of two sets of activations (rows x units), with
// Benjamini-Hochberg and Bonferroni corrections (experiments/unit_statistics.h).
#include <pybind11/numpy.h>

#include <climits>
#include <cmath>
#include <string>

#include "arrays.h"
#include "errors.h"
#include "experiments/unit_statistics.h"
#include "module.h"

namespace bertscope::python {

namespace {

using Matrix = py::array_t<float, py::array::c_style | py::array::forcecast>;

std::string shape_text(const py::array& array) {
  std::string text = "(";
  for (py::ssize_t i = 0; i < array.ndim(); ++i) text += (i ? ", " : "") + std::to_string(array.shape(i));
  return text + (array.ndim() == 1 ? ",)" : ")");
}

// A 2-D array of real numbers (rows x units), as C-ordered float32.
Matrix matrix_argument(py::handle value, const std::string& name) {
  const py::array array = py::array::ensure(value);
  if (!array) fail(name + " must be a 2-D array (rows x units) of real numbers");
  const char kind = array.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u') {
    fail(name + " must hold real numbers; its dtype is " + py::str(array.dtype()).cast<std::string>());
  }
  if (array.ndim() != 2) {
    fail(name + " must be a 2-D array (rows x units); its shape is " + shape_text(array) +
         (array.ndim() == 1 ? " (one unit is a.reshape(-1, 1))" : ""));
  }
  if (array.shape(0) > INT_MAX || array.shape(1) > INT_MAX) fail(name + " is too large: shape " + shape_text(array));
  return Matrix::ensure(array);
}

// The first NaN or infinity, named by row and unit; checked without the GIL.
void check_finite(const Matrix& m, const std::string& name) {
  const float* data = m.data();
  const auto units = static_cast<size_t>(m.shape(1));
  const size_t n = static_cast<size_t>(m.shape(0)) * units;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(data[i])) {
      fail(name + " has a non-finite value (" + (std::isnan(data[i]) ? "nan" : data[i] > 0 ? "inf" : "-inf") +
           ") at row " + std::to_string(i / units) + ", unit " + std::to_string(i % units));
    }
  }
}

py::array_t<bool> flags(const std::vector<char>& values) {
  py::array_t<bool> out(static_cast<py::ssize_t>(values.size()));
  bool* data = out.mutable_data();
  for (size_t i = 0; i < values.size(); ++i) data[i] = values[i] != 0;
  return out;
}

py::dict compare(const py::object& a_arg, const py::object& b_arg, const std::string& test_name, double alpha) {
  const std::optional<UnitTest> test = parse_unit_test(test_name);
  if (!test) fail("test must be one of student, welch, paired; got '" + test_name + "'");
  const Matrix a = matrix_argument(a_arg, "a"), b = matrix_argument(b_arg, "b");
  if (a.shape(1) != b.shape(1)) {
    fail("a and b must have the same number of units (columns): a has " + std::to_string(a.shape(1)) + ", b has " +
         std::to_string(b.shape(1)));
  }
  UnitComparison r;
  {
    py::gil_scoped_release release;
    check_finite(a, "a");
    check_finite(b, "b");
    r = compare_units(a.data(), static_cast<int>(a.shape(0)), b.data(), static_cast<int>(b.shape(0)),
                      static_cast<int>(a.shape(1)), *test, alpha);
  }
  const std::vector<py::ssize_t> shape = {a.shape(1)};
  py::dict d;
  d["mean_a"] = take_array(std::move(r.mean_a), shape);
  d["mean_b"] = take_array(std::move(r.mean_b), shape);
  d["t"] = take_array(std::move(r.t), shape);
  d["df"] = take_array(std::move(r.df), shape);
  d["p"] = take_array(std::move(r.p), shape);
  d["p_fdr"] = take_array(std::move(r.p_fdr), shape);
  d["p_bonferroni"] = take_array(std::move(r.p_bonferroni), shape);
  d["cohen_d"] = take_array(std::move(r.cohen_d), shape);
  d["significant_fdr"] = flags(r.significant_fdr);
  d["significant_bonferroni"] = flags(r.significant_bonferroni);
  d["tested"] = r.tested;
  d["test"] = unit_test_name(r.test);
  d["alpha"] = r.alpha;
  return d;
}

}  // namespace

void bind_unit_statistics(py::module_& m) {
  m.def("compare_units", &compare, py::arg("a"), py::arg("b"), py::kw_only(), py::arg("test") = unit_test_name(UnitComparison{}.test),
        py::arg("alpha") = UnitComparison{}.alpha,
        R"doc(Per-unit t-tests of two sets of activations, corrected for testing every unit.

a, b: 2-D arrays, rows (prompts) x units (a site's neurons), of real numbers (computed in
    double from their float32 values); the same number of units, at least 2 rows each.
test: "student" (scipy.stats.ttest_ind(equal_var=True)), "welch" (equal_var=False) or
    "paired" (ttest_rel: row i of a with row i of b; as many rows in each).
alpha: the level of the FDR (Benjamini-Hochberg) and Bonferroni decisions, in (0, 1).

Returns a dict of arrays with one entry per unit: mean_a, mean_b, t, df, p (two-sided),
p_fdr (Benjamini-Hochberg adjusted), p_bonferroni, cohen_d (mean difference over the pooled
SD; for "paired" the mean over the SD of the differences), float64; significant_fdr and
significant_bonferroni (bool, adjusted p <= alpha); and tested (the units with a p: the
number of tests the corrections count), test and alpha.

Where scipy gives NaN (a unit with no variance in either set and equal means, such as a dead
unit) t and p are NaN and the unit is not tested; with no variance but different means, t is
+-inf and p is 0, as in scipy. cohen_d is NaN where its SD is 0. The GIL is released while it
computes.)doc");
}

}  // namespace bertscope::python
