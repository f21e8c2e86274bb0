"""bertscope.compare_units against scipy.stats (ttest_ind, ttest_rel) and a numpy
re-implementation of statsmodels' fdrcorrection (statsmodels is not a dependency)."""
import warnings

import numpy as np
import pytest
from scipy import stats

import bertscope

KEYS = ["mean_a", "mean_b", "t", "df", "p", "p_fdr", "p_bonferroni", "cohen_d", "significant_fdr",
        "significant_bonferroni", "tested", "test", "alpha"]


def fdrcorrection(pvals, alpha):
    """statsmodels.stats.multitest.fdrcorrection(pvals, alpha, method="indep"), line by line."""
    pvals = np.asarray(pvals)
    pvals_sortind = np.argsort(pvals)
    pvals_sorted = np.take(pvals, pvals_sortind)
    nobs = len(pvals_sorted)
    ecdffactor = np.arange(1, nobs + 1) / float(nobs)
    reject = pvals_sorted <= ecdffactor * alpha
    if reject.any():
        rejectmax = max(np.nonzero(reject)[0])
        reject[:rejectmax] = True
    pvals_corrected_raw = pvals_sorted / ecdffactor
    pvals_corrected = np.minimum.accumulate(pvals_corrected_raw[::-1])[::-1]
    pvals_corrected[pvals_corrected > 1] = 1
    reject_ = np.empty_like(reject)
    reject_[pvals_sortind] = reject
    pvals_corrected_ = np.empty_like(pvals_corrected)
    pvals_corrected_[pvals_sortind] = pvals_corrected
    return reject_, pvals_corrected_


def fdr_over_defined(p, alpha):
    """fdrcorrection over the units with a p; NaN (and not rejected) elsewhere."""
    defined = ~np.isnan(p)
    reject = np.zeros(p.shape, bool)
    adjusted = np.full(p.shape, np.nan)
    if defined.any():
        reject[defined], adjusted[defined] = fdrcorrection(p[defined], alpha)
    return reject, adjusted


def sets(rows_a, rows_b, units, seed, paired=False):
    """Two float32 sets whose units span the cases: effects from none to huge (p from 1 to
    below 1e-30), dead units (constant 0 in both), constant in both with different values,
    constant in one set only."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 1.0, (rows_a, units))
    if paired:
        b = a * 0.6 + rng.normal(0.0, 0.8, (rows_b, units))  # correlated with a, as the same prompts are
    else:
        b = rng.normal(0.0, rng.uniform(0.5, 2.0, units), (rows_b, units))
    # Effects: none for a third of the units, then growing to 8 SD.
    shift = np.where(np.arange(units) % 3 == 0, 0.0, np.linspace(0.0, 8.0, units))
    b = b + shift + rng.normal(0.0, 0.3, units)  # and a random offset per unit
    a, b = a.astype(np.float32), b.astype(np.float32)
    if units >= 8:
        a[:, 1] = b[:, 1] = 0.0        # dead: 0/0
        a[:, 2], b[:, 2] = 0.25, 0.75  # constant in both, different: t = -inf, p = 0
        a[:, 4] = 1.5                  # constant in a only
        b[:, 5] = -0.5                 # constant in b only
        a[:, 7] = b[:, 7] = 3.0        # dead at another value
    return a, b


def scipy_reference(a, b, test):
    """t, p and df as scipy computes them, from the same float32 values in float64."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    na, nb = len(a64), len(b64)
    # scipy warns of "catastrophic cancellation" for the constant units, whose results are exact.
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if test == "paired":
            r = stats.ttest_rel(a64, b64)
            df = np.broadcast_to(np.asarray(r.df, float), (a.shape[1],))
        else:
            r = stats.ttest_ind(a64, b64, equal_var=test == "student")
            if test == "student":
                df = np.full(a.shape[1], na + nb - 2.0)
            else:
                # scipy's Welch-Satterthwaite df (it does not return it); NaN where both variances are 0.
                vna, vnb = a64.var(0, ddof=1) / na, b64.var(0, ddof=1) / nb
                df = (vna + vnb) ** 2 / (vna ** 2 / (na - 1) + vnb ** 2 / (nb - 1))
    return np.asarray(r.statistic, float), np.asarray(r.pvalue, float), df


def cohen_d_reference(a, b, test):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if test == "paired":
            diff = a64 - b64
            sd = diff.std(0, ddof=1)
            return np.where(sd > 0, diff.mean(0) / sd, np.nan)
        na, nb = len(a64), len(b64)
        sd = np.sqrt(((na - 1) * a64.var(0, ddof=1) + (nb - 1) * b64.var(0, ddof=1)) / (na + nb - 2))
        return np.where(sd > 0, (a64.mean(0) - b64.mean(0)) / sd, np.nan)


CASES = [  # rows_a, rows_b, units, seed
    (2, 3, 12, 1),
    (5, 7, 50, 2),
    (30, 30, 200, 3),
    (100, 80, 500, 4),
    (12, 12, 3000, 5),
]


def assert_matches_scipy(a, b, test, alpha=0.05):
    r = bertscope.compare_units(a, b, test=test, alpha=alpha)
    assert list(r) == KEYS
    units = a.shape[1]
    for key in KEYS[:8]:
        assert r[key].dtype == np.float64 and r[key].shape == (units,), key
    for key in KEYS[8:10]:
        assert r[key].dtype == np.bool_ and r[key].shape == (units,), key
    assert r["test"] == test and r["alpha"] == alpha

    t, p, df = scipy_reference(a, b, test)
    # NaN exactly where scipy's is, and the infinities with their signs.
    np.testing.assert_array_equal(np.isnan(r["t"]), np.isnan(t))
    np.testing.assert_array_equal(np.isnan(r["p"]), np.isnan(p))
    np.testing.assert_allclose(r["t"], t, rtol=1e-9, atol=0)
    big = p > 1e-300
    np.testing.assert_allclose(r["p"][big], p[big], rtol=1e-7, atol=0)
    assert np.all(r["p"][~big & ~np.isnan(p)] <= 1e-290)
    np.testing.assert_allclose(r["df"], df, rtol=1e-12, atol=0)
    np.testing.assert_allclose(r["mean_a"], a.astype(np.float64).mean(0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r["mean_b"], b.astype(np.float64).mean(0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r["cohen_d"], cohen_d_reference(a, b, test), rtol=1e-9, atol=0)

    # The corrections count the units with a p only.
    m = int(np.sum(~np.isnan(p)))
    assert r["tested"] == m
    reject, adjusted = fdr_over_defined(r["p"], alpha)
    np.testing.assert_allclose(r["p_fdr"], adjusted, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(r["significant_fdr"], reject)
    # The same decisions from scipy's own p.
    np.testing.assert_array_equal(r["significant_fdr"], fdr_over_defined(p, alpha)[0])
    np.testing.assert_allclose(r["p_bonferroni"], np.minimum(1.0, r["p"] * m), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(r["significant_bonferroni"], np.nan_to_num(p * m, nan=2.0) <= alpha)
    return r, p


@pytest.mark.parametrize("test", ["student", "welch", "paired"])
@pytest.mark.parametrize("rows_a,rows_b,units,seed", CASES)
def test_compare_units_matches_scipy(test, rows_a, rows_b, units, seed):
    if test == "paired":
        rows_b = rows_a
    a, b = sets(rows_a, rows_b, units, seed, paired=test == "paired")
    r, p = assert_matches_scipy(a, b, test)
    if units >= 8:
        assert np.isnan(r["t"][[1, 7]]).all() and not r["significant_fdr"][[1, 7]].any()
        assert r["t"][2] == -np.inf and r["p"][2] == 0.0 and r["significant_fdr"][2]
        assert np.isnan(r["cohen_d"][2])
        assert np.isfinite(r["t"][[4, 5]]).all()
        assert r["tested"] == units - 2
    if min(rows_a, rows_b) >= 30:  # the p-values span the whole range
        finite = p[~np.isnan(p) & (p > 0)]
        assert finite.min() < 1e-30 and finite.max() > 0.5


@pytest.mark.parametrize("alpha", [0.001, 0.2, 0.9])
def test_other_alphas_give_the_same_decisions_as_statsmodels(alpha):
    a, b = sets(20, 25, 400, 9)
    r, _ = assert_matches_scipy(a, b, "welch", alpha=alpha)
    assert 0 < r["significant_fdr"].sum() < r["tested"]


def test_swapping_the_sets_negates_t_and_d():
    a, b = sets(10, 14, 60, 11)
    ab, ba = bertscope.compare_units(a, b), bertscope.compare_units(b, a)
    np.testing.assert_array_equal(ab["t"], -ba["t"])
    np.testing.assert_array_equal(ab["cohen_d"], -ba["cohen_d"])
    np.testing.assert_array_equal(ab["p"], ba["p"])


def test_lists_and_integer_arrays_are_accepted():
    a = [[1, 2], [2, 4], [3, 3]]
    b = np.array([[2, 5], [3, 5], [5, 4], [6, 6]], np.int64)
    r = bertscope.compare_units(a, b, test="welch")
    t, p, _ = scipy_reference(np.array(a, np.float32), b.astype(np.float32), "welch")
    np.testing.assert_allclose(r["t"], t, rtol=1e-12)
    np.testing.assert_allclose(r["p"], p, rtol=1e-9)


def error(a, b, **kw):
    with pytest.raises(bertscope.Error) as e:
        bertscope.compare_units(a, b, **kw)
    return str(e.value)


def test_errors_name_the_argument():
    ok = np.zeros((3, 4), np.float32)
    assert error(np.zeros(5), ok) == "a must be a 2-D array (rows x units); its shape is (5,) (one unit is a.reshape(-1, 1))"
    assert error(ok, np.zeros((2, 3, 4))) == "b must be a 2-D array (rows x units); its shape is (2, 3, 4)"
    assert error(ok, np.zeros((3, 5))) == "a and b must have the same number of units (columns): a has 4, b has 5"
    assert error(ok, np.zeros((3, 4), complex)) == "b must hold real numbers; its dtype is complex128"
    assert error(ok, "text") == "b must hold real numbers; its dtype is <U4"
    bad = ok.copy()
    bad[2, 1] = np.nan
    assert error(bad, ok) == "a has a non-finite value (nan) at row 2, unit 1"
    bad[2, 1] = -np.inf
    assert error(ok, bad) == "b has a non-finite value (-inf) at row 2, unit 1"
    assert error(ok[:1], ok) == "a has 1 row: a t-test needs at least 2 rows (observations) in each set"
    assert error(ok, ok[:0]) == "b has 0 rows: a t-test needs at least 2 rows (observations) in each set"
    assert error(ok, np.zeros((4, 4)), test="paired") == (
        "a paired t-test needs as many rows in b as in a: a has 3, b has 4")
    assert error(ok[:, :0], ok[:, :0]) == "a and b have 0 units (columns): there must be at least 1"
    assert error(ok, ok, test="t") == "test must be one of student, welch, paired; got 't'"
    assert error(ok, ok, alpha=0.0) == "alpha must be in (0, 1); got 0"
    assert error(ok, ok, alpha=1.5) == "alpha must be in (0, 1); got 1.5"
    assert issubclass(bertscope.Error, ValueError)
    with pytest.raises(TypeError):
        bertscope.compare_units(ok, ok, "welch")  # test and alpha are keyword-only
