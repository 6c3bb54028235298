"""T1: exact algebra of the IVL / k-class solver against linearmodels and statsmodels (rtol 1e-8)."""

from __future__ import annotations

import numpy as np
import pytest

from causalkit.iv import IVLRegression, KClassRegression

lm_iv = pytest.importorskip("linearmodels.iv")
sm = pytest.importorskip("statsmodels.api")

RTOL = 1e-8


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(20251)
    n, p, k = 500, 3, 5
    Z = rng.normal(size=(n, k))
    u = rng.normal(size=n)
    X = Z @ rng.normal(size=(k, p)) + u[:, None] + rng.normal(size=(n, p)) + 0.5
    y = X @ np.array([1.0, 2.0, -1.0]) + 0.7 + u + rng.normal(size=n) * (1 + 0.5 * np.abs(Z[:, 0]))
    return X, y, Z


def _params(est):
    return np.r_[est.intercept_, est.coef_] if est.fit_intercept else est.coef_


@pytest.mark.parametrize("alpha", [1e-3, 0.5, 1.0, 10.0])
def test_ivl_equals_linearmodels_kclass(data, alpha):
    X, y, Z = data
    const = np.ones((len(y), 1))
    ref = lm_iv.IVLIML(y, const, X, Z, kappa=1 / (1 + alpha)).fit(
        cov_type="unadjusted", debiased=True
    )
    est = IVLRegression(ivl_alpha=alpha, cov_type="nonrobust").fit(X, y, instruments=Z)
    np.testing.assert_allclose(_params(est), ref.params.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(est.stderr_, ref.std_errors.to_numpy(), rtol=1e-8)
    assert est.kappa_ == pytest.approx(1 / (1 + alpha))
    assert est.anchor_gamma_ == pytest.approx(1 + 1 / alpha)


def test_alpha0_equals_2sls_linearmodels_and_statsmodels(data):
    X, y, Z = data
    n = len(y)
    const = np.ones((n, 1))
    ref = lm_iv.IV2SLS(y, const, X, Z).fit(cov_type="robust")
    est = IVLRegression(ivl_alpha=0, cov_type="HC0").fit(X, y, instruments=Z)
    np.testing.assert_allclose(_params(est), ref.params.to_numpy(), rtol=RTOL)
    # HC0 sandwich = linearmodels' robust covariance at kappa = 1
    np.testing.assert_allclose(est.stderr_, ref.std_errors.to_numpy(), rtol=1e-8)
    from statsmodels.sandbox.regression.gmm import IV2SLS as SMIV2SLS

    sm_res = SMIV2SLS(y, np.c_[const, X], np.c_[const, Z]).fit()
    np.testing.assert_allclose(_params(est), sm_res.params, rtol=RTOL)
    tsls = KClassRegression(kappa="tsls").fit(X, y, instruments=Z)
    np.testing.assert_allclose(_params(tsls), ref.params.to_numpy(), rtol=RTOL)
    assert est.identified_


def test_large_alpha_is_ols(data):
    X, y, Z = data
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    big = IVLRegression(ivl_alpha=1e10).fit(X, y, instruments=Z)
    np.testing.assert_allclose(_params(big), ols.params, atol=1e-7)
    inf = IVLRegression(ivl_alpha=np.inf, cov_type="HC1").fit(X, y, instruments=Z)
    np.testing.assert_allclose(_params(inf), ols.params, rtol=RTOL)
    # kappa = 0: the sandwich is statsmodels' OLS HC1 / classical covariance
    hc1 = sm.OLS(y, sm.add_constant(X)).fit(cov_type="HC1")
    np.testing.assert_allclose(inf.stderr_, hc1.bse, rtol=1e-8)
    nr = IVLRegression(ivl_alpha=np.inf, cov_type="nonrobust").fit(X, y, instruments=Z)
    np.testing.assert_allclose(nr.stderr_, ols.bse, rtol=1e-8)
    assert inf.kappa_ == 0 and inf.anchor_gamma_ == 1


def test_without_intercept_matches_linearmodels(data):
    X, y, Z = data
    ref = lm_iv.IVLIML(y, None, X, Z, kappa=1 / 1.5).fit()
    est = IVLRegression(ivl_alpha=0.5, fit_intercept=False).fit(X, y, instruments=Z)
    np.testing.assert_allclose(est.coef_, ref.params.to_numpy(), rtol=RTOL)
    assert est.intercept_ == 0.0


@pytest.mark.parametrize("alpha", [0.1, 1.0, 7.0])
def test_anchor_transform_and_normal_equations(data, alpha):
    """IVL(alpha) = OLS after W = I - (1 - sqrt(gamma)) P_Z, and = the normal-equation formula."""
    X, y, Z = data
    Xc, yc, Zc = X - X.mean(0), y - y.mean(), Z - Z.mean(0)
    gamma = 1 + 1 / alpha

    def W(v):
        proj = Zc @ np.linalg.lstsq(Zc, v, rcond=None)[0]
        return v - (1 - np.sqrt(gamma)) * proj

    anchor = np.linalg.lstsq(W(Xc), W(yc), rcond=None)[0]
    PX = Zc @ np.linalg.lstsq(Zc, Xc, rcond=None)[0]
    normal = np.linalg.solve(PX.T @ Xc + alpha * Xc.T @ Xc, PX.T @ yc + alpha * Xc.T @ yc)
    est = IVLRegression(ivl_alpha=alpha).fit(X, y, instruments=Z)
    np.testing.assert_allclose(est.coef_, anchor, rtol=RTOL)
    np.testing.assert_allclose(est.coef_, normal, rtol=RTOL)


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_underidentified_positive_alpha_equals_unchecked_kclass(data, alpha):
    X, y, Z = data
    Z1 = Z[:, :2]  # 2 instruments for 3 regressors
    ref = lm_iv.IVLIML.estimate_parameters(X, y[:, None], Z1, 1 / (1 + alpha)).ravel()
    est = IVLRegression(ivl_alpha=alpha, fit_intercept=False).fit(X, y, instruments=Z1)
    np.testing.assert_allclose(est.coef_, ref, rtol=RTOL)
    assert not est.identified_


@pytest.mark.parametrize("spec, fuller", [("liml", 0), ("fuller(1)", 1), ("fuller(4)", 4)])
def test_liml_and_fuller_match_linearmodels(data, spec, fuller):
    X, y, Z = data
    ref = lm_iv.IVLIML(y, np.ones((len(y), 1)), X, Z, fuller=fuller).fit(cov_type="unadjusted")
    est = KClassRegression(kappa=spec, cov_type=None).fit(X, y, instruments=Z)
    assert est.kappa_ == pytest.approx(ref.kappa, rel=1e-10)
    np.testing.assert_allclose(_params(est), ref.params.to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("kappa", [-0.5, 1.3])
def test_kappa_outside_unit_interval_matches_linearmodels(data, kappa):
    X, y, Z = data
    ref = lm_iv.IVLIML(y, np.ones((len(y), 1)), X, Z, kappa=kappa).fit(cov_type="unadjusted")
    est = KClassRegression(kappa=kappa, cov_type="nonrobust").fit(X, y, instruments=Z)
    np.testing.assert_allclose(_params(est), ref.params.to_numpy(), rtol=RTOL)
    # linearmodels' unadjusted covariance is not debiased by default: s^2 = e'e / n
    n, p1 = len(y), X.shape[1] + 1
    np.testing.assert_allclose(
        est.stderr_ * np.sqrt((n - p1) / n), ref.std_errors.to_numpy(), rtol=1e-8
    )


def test_numeric_kappa_and_ols_string(data):
    X, y, Z = data
    a = KClassRegression(kappa=0.8).fit(X, y, instruments=Z)
    b = IVLRegression(ivl_alpha=0.25).fit(X, y, instruments=Z)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
    c = KClassRegression(kappa="ols").fit(X, y, instruments=Z)
    np.testing.assert_allclose(
        c.coef_, IVLRegression(ivl_alpha=np.inf).fit(X, y, instruments=Z).coef_, rtol=1e-12
    )


def test_first_stage_partial_r2_matches_linearmodels(data):
    X, y, Z = data
    ref = lm_iv.IV2SLS(y, np.ones((len(y), 1)), X, Z).fit()
    fs = ref.first_stage.diagnostics
    est = IVLRegression(ivl_alpha=0).fit(X, y, instruments=Z)
    np.testing.assert_allclose(
        est.first_stage_["partial_r2"].to_numpy(), fs["partial.rsquared"], rtol=1e-8
    )
    # classical F from the partial R^2 equals statsmodels' F test of the instruments
    for j in range(X.shape[1]):
        full = sm.OLS(X[:, j], sm.add_constant(Z)).fit()
        assert est.first_stage_["partial_F"].iloc[j] == pytest.approx(full.fvalue, rel=1e-8)


def test_cluster_covariance_at_ols_matches_statsmodels(data):
    X, y, Z = data
    groups = np.arange(len(y)) % 37
    est = IVLRegression(ivl_alpha=np.inf).fit(X, y, instruments=Z, groups=groups)
    ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(est.stderr_, ref.bse, rtol=1e-8)


def test_dataframe_names_and_summary(data):
    import pandas as pd

    X, y, Z = data
    Xd = pd.DataFrame(X, columns=["a", "b", "c"])
    est = IVLRegression(ivl_alpha=1.0).fit(Xd, pd.Series(y), instruments=pd.DataFrame(Z))
    assert list(est.feature_names_in_) == ["a", "b", "c"]
    frame = est.inference_.summary_frame()
    assert list(frame.index) == ["intercept", "a", "b", "c"]
    text = str(est.summary())
    assert "IVL regression (ivl_alpha=1)" in text and "first_stage_F" in text
    assert {"estimate", "std_err", "p_value"} <= set(frame.columns)
    ci = est.conf_int(alpha=0.1)
    assert list(ci.columns) == ["lower", "upper"] and list(ci.index) == list(frame.index)
    np.testing.assert_allclose(ci["lower"], est.inference_.summary_frame(0.1)["ci_lower_90%"])
    np.testing.assert_allclose(est.predict(Xd), X @ est.coef_ + est.intercept_)
