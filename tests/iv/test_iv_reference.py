"""LIML and Fuller with exogenous controls against linearmodels ``IVLIML`` (#14 acceptance, item 1).

Controls enter causalkit in both ``X`` and the instruments (or through ``controls=``), and linearmodels as
``exog``. Coefficients, kappa and the classical (``unadjusted``, ``debiased=True``) standard errors equal
linearmodels to rtol 1e-8. linearmodels' ``robust`` k-class covariance uses the 2SLS meat ``e_i^2 xhat_i xhat_i'``
(``xhat = P_Z x``) at every kappa; causalkit's uses the k-class scores ``w_i = (1 - kappa) x_i + kappa xhat_i``
(the rows of ``(I - kappa M_Z) X``, the derivative of the k-class estimating equation), so robust SEs are
checked against that textbook sandwich computed here with numpy from linearmodels' estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causalkit.iv import KClassRegression

lm_iv = pytest.importorskip("linearmodels.iv")

RTOL = 1e-8
pytestmark = pytest.mark.filterwarnings("ignore::causalkit.exceptions.WeakInstrumentWarning")


def _design(seed, n=500):
    rng = np.random.default_rng(seed)
    nc, kz = 1 + seed % 5, 2 + seed % 3
    C = rng.normal(size=(n, nc)) + rng.normal(size=nc)
    Z = rng.normal(size=(n, kz)) + 0.3 * C[:, :1]
    u = rng.normal(size=n)
    x = Z @ rng.normal(size=kz) * 0.5 + C @ rng.normal(size=nc) * 0.5 + u + rng.normal(size=n)
    e = u + rng.normal(size=n) * (1 + 0.5 * np.abs(Z[:, 0]))  # heteroskedastic
    y = 1.5 * x + C @ rng.normal(size=nc) + e
    return x, C, Z, y


def _sandwich(X1, Z1, y, params, kappa, hc1):
    """Textbook k-class sandwich: bread X1'(I - kappa M_Z1)X1, meat sum e_i^2 w_i w_i'."""
    n, p1 = X1.shape
    Xhat = Z1 @ np.linalg.lstsq(Z1, X1, rcond=None)[0]
    W = (1 - kappa) * X1 + kappa * Xhat
    e = y - X1 @ params
    binv = np.linalg.inv(W.T @ X1)
    meat = (W * e[:, None] ** 2).T @ W
    cov = binv @ meat @ binv.T
    return np.sqrt(np.diag(cov * (n / (n - p1) if hc1 else 1.0)))


def _ours_in_lm_order(v, n_controls):
    # causalkit: [intercept, x, controls]; linearmodels: [const, controls, x]
    return np.r_[v[0], v[2 : 2 + n_controls], v[1]]


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("spec, fuller", [("liml", 0.0), ("fuller(1)", 1.0), ("fuller(4)", 4.0)])
def test_liml_fuller_with_controls_equal_linearmodels(seed, spec, fuller):
    x, C, Z, y = _design(seed)
    n, nc = len(y), C.shape[1]
    X = np.column_stack([x, C])
    exog = np.column_stack([np.ones(n), C])
    ref = lm_iv.IVLIML(y, exog, x, Z, fuller=fuller).fit(cov_type="unadjusted", debiased=True)
    est = KClassRegression(spec, cov_type="nonrobust").fit(
        X, y, instruments=np.column_stack([Z, C])
    )
    assert est.kappa_ == pytest.approx(ref.kappa, rel=1e-10)
    params = _ours_in_lm_order(np.r_[est.intercept_, est.coef_], nc)
    np.testing.assert_allclose(params, ref.params.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(
        _ours_in_lm_order(est.stderr_, nc), ref.std_errors.to_numpy(), rtol=RTOL
    )
    # the same through controls=: instruments hold only the excluded instruments
    kw = KClassRegression(spec, cov_type="HC1").fit(
        X, y, instruments=Z, controls=list(range(1, 1 + nc))
    )
    np.testing.assert_allclose(
        np.r_[kw.intercept_, kw.coef_], np.r_[est.intercept_, est.coef_], rtol=1e-10
    )
    # robust: the k-class sandwich, from linearmodels' estimates and kappa
    X1, Z1 = np.column_stack([exog, x]), np.column_stack([exog, Z])
    want = _sandwich(X1, Z1, y, ref.params.to_numpy(), ref.kappa, hc1=True)
    np.testing.assert_allclose(_ours_in_lm_order(kw.stderr_, nc), want, rtol=RTOL)
    # at kappa = 1 both robust meats agree: 2SLS with controls equals linearmodels' robust covariance
    tsls = KClassRegression("tsls", cov_type="HC0").fit(
        X, y, instruments=Z, controls=list(range(1, 1 + nc))
    )
    ref2 = lm_iv.IV2SLS(y, exog, x, Z).fit(cov_type="robust")
    np.testing.assert_allclose(
        _ours_in_lm_order(tsls.stderr_, nc), ref2.std_errors.to_numpy(), rtol=RTOL
    )


@pytest.fixture(scope="module")
def card():
    causaldata = pytest.importorskip("causaldata")
    df = causaldata.close_college.load_pandas().data.dropna().reset_index(drop=True)
    df = df.assign(exper2=df["exper"] ** 2 / 100, nearc4_black=df["nearc4"] * df["black"])
    return df


@pytest.mark.parametrize("spec, fuller", [("liml", 0.0), ("fuller(1)", 1.0)])
def test_card_college_proximity_equals_linearmodels(card, spec, fuller):
    """Card (1995): log wage on schooling, instrumented by college proximity (and proximity x black, so that
    LIML differs from 2SLS), with experience, its square, race and region controls."""
    controls = ["exper", "exper2", "black", "smsa", "south"]
    X = card[["educ", *controls]]
    y = card["lwage"]
    Z = card[["nearc4", "nearc4_black"]]
    ref = lm_iv.IVLIML(
        y, card[controls].assign(const=1.0)[["const", *controls]], card["educ"], Z, fuller=fuller
    ).fit(cov_type="unadjusted", debiased=True)
    est = KClassRegression(spec, cov_type="nonrobust").fit(X, y, instruments=Z, controls=controls)
    assert est.kappa_ == pytest.approx(ref.kappa, rel=1e-10) and est.kappa_ != 1.0
    nc = len(controls)
    np.testing.assert_allclose(
        _ours_in_lm_order(np.r_[est.intercept_, est.coef_], nc), ref.params.to_numpy(), rtol=RTOL
    )
    np.testing.assert_allclose(
        _ours_in_lm_order(est.stderr_, nc), ref.std_errors.to_numpy(), rtol=RTOL
    )
    fs = est.first_stage_
    assert list(fs.index) == ["educ"]
    diag = (
        lm_iv.IV2SLS(y, ref.model.exog.pandas, card["educ"], Z)
        .fit(cov_type="unadjusted", debiased=True)
        .first_stage.diagnostics
    )
    np.testing.assert_allclose(fs["partial_F"], diag["f.stat"], rtol=RTOL)
    assert isinstance(est.first_stage_, pd.DataFrame)
