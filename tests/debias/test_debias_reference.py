"""Agreement with the spec's formulas (../shared/methods/debiasing.md, section 2) on fixed data.

The references below are deliberately plain re-implementations (Python loops, no causalkit code) of:

- LCC: k = cov(pred, y) / var(y), m = mean(pred) - k mean(y), corrected = (pred - m) / k, and the HC0 sandwich
  variance of k;
- Tweedie: sigma^2 = var(y - pred) (ddof 0), Gaussian KDE with Scott's bandwidth sd(ddof 1) m^(-1/5),
  score = p'(z) / p(z), corrected = z - sigma^2 score(z);
- the contrasts: difference in (weighted) means, Hájek IPW, and the OLS coefficient on the treatment;
- the LCC delta method Var = Var(naive)/k^2 + naive^2 Var(k)/k^4.

Everything must agree to 1e-8 or better. Outside references: statsmodels OLS/WLS, scipy's gaussian_kde.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import gaussian_kde

from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser, TweedieDebiaser, kde_score

TOL = 1e-8


@pytest.fixture(scope="module")
def fixed():
    rng = np.random.default_rng(20260126)
    y_cal = rng.normal(2.0, 1.5, 60)
    p_cal = 0.5 + 0.7 * y_cal + rng.normal(0, 0.6, 60)
    a = np.r_[np.zeros(40), np.ones(40)]
    rng.shuffle(a)
    y_trial = 2.0 + 1.0 * a + rng.normal(0, 1.5, 80)
    p_trial = 0.5 + 0.7 * y_trial + rng.normal(0, 0.6, 80)
    x = rng.normal(size=(80, 2))
    e = 1 / (1 + np.exp(-(0.3 * x[:, 0] - 0.2 * x[:, 1])))
    w = rng.uniform(0.5, 2.0, 80)
    return dict(y_cal=y_cal, p_cal=p_cal, a=a, p=p_trial, x=x, e=e, w=w)


def ref_lcc(p, y):
    n = len(p)
    my = sum(y) / n
    mp = sum(p) / n
    sxy = sum((y[i] - my) * (p[i] - mp) for i in range(n))
    sxx = sum((y[i] - my) ** 2 for i in range(n))
    k = sxy / sxx
    m = mp - k * my
    u = [p[i] - m - k * y[i] for i in range(n)]
    var_k = sum((y[i] - my) ** 2 * u[i] ** 2 for i in range(n)) / sxx**2
    return k, m, var_k


def ref_kde_score(z, data, h):
    num = 0.0
    den = 0.0
    for x in data:
        kx = math.exp(-0.5 * ((z - x) / h) ** 2)
        den += kx
        num += -(z - x) / h**2 * kx
    return num / den


def ref_tweedie(p_cal, y_cal, z):
    n = len(p_cal)
    r = [y_cal[i] - p_cal[i] for i in range(n)]
    rbar = sum(r) / n
    s2 = sum((ri - rbar) ** 2 for ri in r) / n
    mean = sum(p_cal) / n
    sd = math.sqrt(sum((pi - mean) ** 2 for pi in p_cal) / (n - 1))
    h = sd * n ** (-0.2)
    return [zi - s2 * ref_kde_score(zi, p_cal, h) for zi in z], s2, h


def ref_diff(yv, a, w):
    s1 = sum(w[i] * yv[i] for i in range(len(a)) if a[i] == 1)
    n1 = sum(w[i] for i in range(len(a)) if a[i] == 1)
    s0 = sum(w[i] * yv[i] for i in range(len(a)) if a[i] == 0)
    n0 = sum(w[i] for i in range(len(a)) if a[i] == 0)
    return s1 / n1 - s0 / n0


def ref_hajek(yv, a, e):
    num1 = sum(a[i] * yv[i] / e[i] for i in range(len(a)))
    den1 = sum(a[i] / e[i] for i in range(len(a)))
    num0 = sum((1 - a[i]) * yv[i] / (1 - e[i]) for i in range(len(a)))
    den0 = sum((1 - a[i]) / (1 - e[i]) for i in range(len(a)))
    return num1 / den1 - num0 / den0


def test_lcc_matches_reference_and_statsmodels(fixed):
    lcc = LinearCalibrationDebiaser().fit(fixed["p_cal"], fixed["y_cal"])
    k, m, var_k = ref_lcc(fixed["p_cal"], fixed["y_cal"])
    assert abs(lcc.slope_ - k) < TOL and abs(lcc.intercept_ - m) < TOL
    assert abs(lcc.slope_stderr_**2 - var_k) < TOL
    ref = [(pi - m) / k for pi in fixed["p"]]
    np.testing.assert_allclose(lcc.transform(fixed["p"]), ref, rtol=0, atol=TOL)
    ols = sm.OLS(fixed["p_cal"], sm.add_constant(fixed["y_cal"])).fit(cov_type="HC0")
    np.testing.assert_allclose([lcc.intercept_, lcc.slope_], ols.params, rtol=0, atol=1e-10)
    assert abs(lcc.slope_stderr_ - ols.bse[1]) < 1e-10
    # inference_ holds the calibration line with statsmodels' HC0 standard errors (intercept too)
    np.testing.assert_allclose(lcc.inference_.estimate, ols.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(lcc.inference_.stderr, ols.bse, rtol=0, atol=1e-10)
    assert list(lcc.conf_int(alpha=0.05).index) == ["intercept", "slope"]


def test_lcc_weighted_inference_matches_statsmodels_wls(fixed):
    w = np.random.default_rng(0).uniform(0.5, 2.0, fixed["p_cal"].shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n_cal < 100
        lcc = LinearCalibrationDebiaser().fit(fixed["p_cal"], fixed["y_cal"], sample_weight=w)
    wls = sm.WLS(fixed["p_cal"], sm.add_constant(fixed["y_cal"]), weights=w).fit(cov_type="HC0")
    np.testing.assert_allclose(lcc.inference_.estimate, wls.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(lcc.inference_.stderr, wls.bse, rtol=0, atol=1e-10)


def test_tweedie_matches_reference_exact_and_binned(fixed):
    ref, s2, h = ref_tweedie(fixed["p_cal"], fixed["y_cal"], fixed["p"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n_cal < 100
        exact = TweedieDebiaser(score_method="exact").fit(fixed["p_cal"], fixed["y_cal"])
        binned = TweedieDebiaser().fit(fixed["p_cal"], fixed["y_cal"])
        out_exact = exact.transform(fixed["p"])
        out_binned = binned.transform(fixed["p"])
    assert abs(exact.noise_var_ - s2) < TOL and abs(exact.bandwidth_ - h) < TOL
    np.testing.assert_allclose(out_exact, ref, rtol=0, atol=TOL)
    # The binned score has a controlled approximation error (see test_debias_kde.py); here 1e-5.
    np.testing.assert_allclose(out_binned, ref, rtol=0, atol=1e-5)
    # Scott's bandwidth is scipy's gaussian_kde bandwidth.
    kde = gaussian_kde(fixed["p_cal"])
    assert abs(exact.bandwidth_ - math.sqrt(kde.covariance[0, 0])) < 1e-12


def test_kde_score_matches_reference_loop(fixed):
    z = np.linspace(-3, 6, 25)
    h = 0.37
    ref = [ref_kde_score(zi, fixed["p_cal"], h) for zi in z]
    np.testing.assert_allclose(
        kde_score(z, fixed["p_cal"], h, method="exact"), ref, rtol=0, atol=TOL
    )


def test_gaussian_tweedie_equals_lcc_when_calibrated_in_sample():
    """Spec identity: Gaussian-density Tweedie == LCC if cov(pred, y) = var(pred), mean(y) = mean(pred)."""
    rng = np.random.default_rng(3)
    p = rng.normal(1.0, 0.8, 500)
    r = rng.normal(0, 0.6, 500)
    r = r - r.mean()
    r = r - np.dot(r, p - p.mean()) / np.dot(p - p.mean(), p - p.mean()) * (p - p.mean())
    y = p + r
    tw = TweedieDebiaser(density="gaussian").fit(p, y)
    lcc = LinearCalibrationDebiaser().fit(p, y)
    z = rng.normal(1.0, 1.0, 200)
    np.testing.assert_allclose(tw.transform(z), lcc.transform(z), rtol=0, atol=1e-10)


def test_ate_contrasts_match_reference(fixed):
    cal = (fixed["p_cal"], fixed["y_cal"])
    a, p, w, e, x = fixed["a"], fixed["p"], fixed["w"], fixed["e"], fixed["x"]
    k, m, _ = ref_lcc(fixed["p_cal"], fixed["y_cal"])
    corr = [(pi - m) / k for pi in p]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = DebiasedATE(LinearCalibrationDebiaser(), inference="analytic").fit(
            p, a, calibration=cal, weights=w
        )
        assert abs(est.naive_effect_ - ref_diff(p, a, w)) < TOL
        assert abs(est.effect_ - ref_diff(corr, a, w)) < TOL
        ipw = DebiasedATE(LinearCalibrationDebiaser(), method="ipw", inference="analytic").fit(
            p, a, calibration=cal, propensity=e
        )
        assert abs(ipw.naive_effect_ - ref_hajek(p, a, e)) < TOL
        assert abs(ipw.effect_ - ref_hajek(corr, a, e)) < TOL
        reg = DebiasedATE(
            LinearCalibrationDebiaser(), method="regression", inference="analytic"
        ).fit(p, a, calibration=cal, covariates=x)
    design = sm.add_constant(np.column_stack([a, x]))
    naive_ols = sm.OLS(p, design).fit()
    assert abs(reg.naive_effect_ - naive_ols.params[1]) < 1e-10
    # Spec identity: the OLS coefficient on A with the LCC outcome is the naive one divided by k.
    assert abs(reg.effect_ - naive_ols.params[1] / k) < 1e-10
    assert abs(sm.OLS(np.asarray(corr), design).fit().params[1] - reg.effect_) < 1e-10


def test_tweedie_linearity_identity(fixed):
    """tau_Tw = tau_naive - sigma^2 * (same contrast of the score), for difference and Hájek IPW."""
    cal = (fixed["p_cal"], fixed["y_cal"])
    a, p, e = fixed["a"], fixed["p"], fixed["e"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tw = TweedieDebiaser(score_method="exact").fit(*cal)
        s = tw.score_function(p)
        for method, contrast in (
            ("difference", lambda v: ref_diff(v, a, np.ones_like(a))),
            ("ipw", lambda v: ref_hajek(v, a, e)),
        ):
            est = DebiasedATE(
                TweedieDebiaser(score_method="exact"), method=method, inference="analytic"
            ).fit(p, a, calibration=cal, propensity=e)
            assert abs(est.effect_ - (contrast(p) - tw.noise_var_ * contrast(s))) < TOL


def test_lcc_delta_method_se(fixed):
    cal = (fixed["p_cal"], fixed["y_cal"])
    a, p = fixed["a"], fixed["p"]
    k, _, var_k = ref_lcc(*cal)
    naive = ref_diff(p, a, np.ones_like(a))
    var_naive = sm.OLS(p, sm.add_constant(a)).fit(cov_type="HC1").bse[1] ** 2
    ref_se = math.sqrt(var_naive / k**2 + naive**2 * var_k / k**4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = DebiasedATE(LinearCalibrationDebiaser(), inference="analytic").fit(
            p, a, calibration=cal
        )
    assert abs(est.stderr_ - ref_se) < 1e-10
    assert abs(est.naive_stderr_ - math.sqrt(var_naive)) < 1e-10
    lo, hi = est.ate_interval()
    assert abs(lo - (est.effect_ - 1.959963984540054 * ref_se)) < 1e-8
    assert abs(hi - (est.effect_ + 1.959963984540054 * ref_se)) < 1e-8


def test_lcc_delta_method_cluster_se(fixed):
    """With groups, the naive variance is statsmodels' cluster-robust one."""
    cal = (fixed["p_cal"], fixed["y_cal"])
    a, p = fixed["a"], fixed["p"]
    groups = np.repeat(np.arange(20), 4)
    k, _, var_k = ref_lcc(*cal)
    naive = ref_diff(p, a, np.ones_like(a))
    fit = sm.OLS(p, sm.add_constant(a)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    ref_se = math.sqrt(fit.bse[1] ** 2 / k**2 + naive**2 * var_k / k**4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = DebiasedATE(LinearCalibrationDebiaser(), inference="analytic").fit(
            p, a, calibration=cal, groups=groups
        )
    assert abs(est.stderr_ - ref_se) < 1e-10
