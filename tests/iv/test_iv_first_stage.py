"""First-stage diagnostics with exogenous controls partialled out, and the weak-instrument warning (#14 items 1-2).

References: linearmodels' ``first_stage.diagnostics`` (partial R^2; ``f.stat`` with ``cov_type="unadjusted",
debiased=True`` is the textbook partial F) and a direct numpy computation of the Sanderson-Windmeijer (2016)
conditional F.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from causalkit.datasets import make_weak_iv_sem
from causalkit.exceptions import WeakInstrumentWarning
from causalkit.iv import IVLRegression, KClassRegression

lm_iv = pytest.importorskip("linearmodels.iv")

RTOL = 1e-8


def _design(seed, n=400, n_endog=1, n_controls=2, n_instr=3, strength=0.5):
    """Endogenous regressors first, then the controls; Z holds the excluded instruments only."""
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, n_controls)) + 1.0
    Z = rng.normal(size=(n, n_instr)) + 0.4 * C[:, :1]
    u = rng.normal(size=n)
    Pi = strength * rng.normal(size=(n_instr, n_endog))
    E = (
        Z @ Pi
        + C @ rng.normal(size=(n_controls, n_endog))
        + u[:, None]
        + rng.normal(size=(n, n_endog))
    )
    y = (
        E @ np.linspace(1.0, -1.0, n_endog)
        + C @ rng.normal(size=n_controls)
        + u
        + rng.normal(size=n)
    )
    return E, C, Z, y


def _fit(E, C, Z, y, **kw):
    X = np.column_stack([E, C])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeakInstrumentWarning)
        return KClassRegression("tsls", **kw).fit(X, y, instruments=np.column_stack([Z, C]))


@pytest.mark.parametrize("seed", range(8))
def test_partial_r2_and_partial_F_match_linearmodels(seed):
    n_endog = 1 + seed % 2
    E, C, Z, y = _design(seed, n_endog=n_endog, n_controls=1 + seed % 3, n_instr=2 + seed % 3)
    est = _fit(E, C, Z, y)
    exog = np.column_stack([np.ones(len(y)), C])
    ref = lm_iv.IV2SLS(y, exog, E, Z).fit(cov_type="unadjusted", debiased=True)
    diag = ref.first_stage.diagnostics
    fs = est.first_stage_
    assert list(fs.index) == [f"x{j}" for j in range(n_endog)]  # controls have no row
    np.testing.assert_allclose(fs["partial_r2"], diag["partial.rsquared"], rtol=RTOL)
    np.testing.assert_allclose(fs["partial_F"], diag["f.stat"], rtol=RTOL)
    np.testing.assert_allclose(fs["p_value"], diag["f.pval"].astype(float), rtol=1e-6, atol=1e-300)
    assert ("sw_F" in fs) == (n_endog > 1)
    assert est.n_controls_ == C.shape[1]


def _sw_F_numpy(E, C, Z, j):
    """Sanderson-Windmeijer conditional F for E[:, j], from the full n x k matrices."""
    n = len(E)
    W = np.column_stack([np.ones(n), C])
    Zall = np.column_stack([Z, W])

    def resid(A, B):
        return A - B @ np.linalg.lstsq(B, A, rcond=None)[0]

    Zt = resid(Z, W)
    Et = resid(E, W)
    Ehat = Zt @ np.linalg.lstsq(Zt, Et, rcond=None)[0]
    others = [i for i in range(E.shape[1]) if i != j]
    delta = np.linalg.lstsq(Ehat[:, others], Ehat[:, j], rcond=None)[0]  # 2SLS of x_j on the others
    eps = Et[:, j] - Et[:, others] @ delta
    fitted = Zt @ np.linalg.lstsq(Zt, eps, rcond=None)[0]
    rss = np.sum(resid(eps[:, None], Zall) ** 2)
    q = Z.shape[1] - len(others)
    return (fitted @ fitted / q) / (rss / (n - Zall.shape[1]))


@pytest.mark.parametrize("seed", range(4))
def test_sanderson_windmeijer_F_matches_direct_formula(seed):
    E, C, Z, y = _design(seed, n_endog=2 + seed % 2, n_controls=2, n_instr=4)
    fs = _fit(E, C, Z, y).first_stage_
    want = [_sw_F_numpy(E, C, Z, j) for j in range(E.shape[1])]
    np.testing.assert_allclose(fs["sw_F"], want, rtol=RTOL)


def test_controls_keyword_equals_listing_controls_among_the_instruments():
    E, C, Z, y = _design(11, n_endog=2, n_controls=3)
    X = pd.DataFrame(np.column_stack([E, C]), columns=["e0", "e1", "c0", "c1", "c2"])
    both = _fit(E, C, Z, y)
    for controls in (["c0", "c1", "c2"], [2, 3, 4], [-3, -2, -1]):
        for est in (KClassRegression("liml"), IVLRegression(0.3)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", WeakInstrumentWarning)
                a = est.fit(X, y, instruments=Z, controls=controls)
                b = type(est)(**est.get_params()).fit(X, y, instruments=np.column_stack([Z, C]))
            np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
            np.testing.assert_allclose(a.cov_, b.cov_, rtol=1e-9)
            assert a.n_instruments_ == Z.shape[1] + 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeakInstrumentWarning)
        a = KClassRegression().fit(X, y, instruments=Z, controls=["c0", "c1", "c2"])
        # a control already among the instruments is not appended twice
        c = KClassRegression().fit(
            X, y, instruments=np.column_stack([Z, C[:, 0]]), controls=["c0", "c1", "c2"]
        )
    np.testing.assert_allclose(c.coef_, a.coef_, rtol=1e-10)
    pd.testing.assert_frame_equal(
        a.first_stage_.reset_index(drop=True), both.first_stage_.reset_index(drop=True), rtol=1e-10
    )
    assert list(a.first_stage_.index) == ["e0", "e1"]


def test_controls_keyword_is_validated():
    E, C, Z, y = _design(3)
    X = np.column_stack([E, C])
    with pytest.raises(ValueError, match=r"controls= needs instruments="):
        KClassRegression().fit(X, y, controls=[1])
    with pytest.raises(ValueError, match=r"not a column name of X .*pass positions"):
        KClassRegression().fit(X, y, instruments=Z, controls=["c0"])
    with pytest.raises(ValueError, match=r"controls must be positions in \[0, 3\)"):
        KClassRegression().fit(X, y, instruments=Z, controls=[3])


def test_summary_min_first_stage_F_is_the_partial_F():
    """The issue's case: strong controls, a weak excluded instrument. The classical F counting the controls as
    instruments is large; the partial F is small, and it is what the summary reports and the warning uses."""
    rng = np.random.default_rng(5)
    n = 2000
    C = rng.normal(size=(n, 3))
    z = rng.normal(size=n)
    u = rng.normal(size=n)
    x = C @ [2.0, 1.0, 1.0] + 0.03 * z + u + rng.normal(size=n)
    y = -1.0 * x + C.sum(axis=1) + u + rng.normal(size=n)
    X = np.column_stack([x, C])
    with pytest.warns(WeakInstrumentWarning, match=r"partial F of X column 0 is \d"):
        est = KClassRegression().fit(X, y, instruments=np.column_stack([z, C]))
    F = est.first_stage_.loc["x0", "partial_F"]
    assert F < 10
    ref = lm_iv.IV2SLS(y, np.column_stack([np.ones(n), C]), x, z).fit(
        cov_type="unadjusted", debiased=True
    )
    assert F == pytest.approx(float(ref.first_stage.diagnostics["f.stat"].iloc[0]), rel=RTOL)
    info = est.inference_.info
    assert info["Min first-stage partial F"] == f"{F:.4g}"
    assert info["No. controls (exogenous in X)"] == 3
    frame = est.inference_.summary_frame()
    assert np.isnan(frame.loc["x1", "first_stage_F"]) and frame.loc["x0", "first_stage_F"] == F


def test_weak_instrument_warning_points_at_the_user_line_and_names_the_number():
    E, C, Z, y = _design(0, n_instr=2, strength=0.02)
    X = pd.DataFrame(np.column_stack([E, C]), columns=["price", "c0", "c1"])
    with pytest.warns(WeakInstrumentWarning) as rec:
        est = KClassRegression("liml").fit(X, y, instruments=Z, controls=["c0", "c1"])
    F = est.first_stage_.loc["price", "partial_F"]
    (w,) = [r for r in rec if issubclass(r.category, WeakInstrumentWarning)]
    assert w.filename == __file__
    assert f"X column 'price' is {F:.3g}" in str(w.message) and "2 excluded instrument(s)" in str(
        w.message
    )
    # IVL with a positive ERM weight is regularised, not an IV fit: no warning; OLS neither
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeakInstrumentWarning)
        IVLRegression(0.5).fit(X, y, instruments=Z, controls=["c0", "c1"])
        KClassRegression("ols").fit(X, y, instruments=Z, controls=["c0", "c1"])
    with pytest.warns(WeakInstrumentWarning, match="Weak instruments"):
        IVLRegression(0.0).fit(X, y, instruments=Z, controls=["c0", "c1"])


def _warn_rate(strength, n_seeds, n=500):
    hits, Fs = 0, []
    for seed in range(n_seeds):
        d = make_weak_iv_sem(n, strength, endogeneity=0.5, random_state=10_000 + seed)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            # the controls listed in both X and the instruments (the other convention than controls=)
            est = KClassRegression().fit(d.X, d.y, instruments=np.column_stack([d.Z, d.X[:, 1:]]))
        hits += any(issubclass(r.category, WeakInstrumentWarning) for r in rec)
        Fs.append(est.first_stage_["partial_F"].iloc[0])
    return hits / n_seeds, float(np.median(Fs))


def test_weak_instrument_warning_false_alarm_and_hit_rates():
    """make_weak_iv_sem: the expected partial F is about 1 + n s^2 (n = 500, 3 instruments with coefficient s
    each, first-stage error variance 1): about 50 at s = 0.31 and about 2 at s = 0.045. Over 200 seeds each, the
    warning (partial F < 10) fires in no strong design and in every weak one."""
    false_alarm, F_strong = _warn_rate(0.31, 200)
    hit, F_weak = _warn_rate(0.045, 200)
    assert 40 < F_strong < 65 and 1.5 < F_weak < 3.5
    assert false_alarm == 0.0
    assert hit >= 0.99


def test_dask_controls_and_first_stage_equal_numpy():
    da = pytest.importorskip("dask.array")
    E, C, Z, y = _design(21, n=3000, n_endog=2, n_controls=2, n_instr=3)
    X = np.column_stack([E, C])
    ref = KClassRegression("liml").fit(X, y, instruments=Z, controls=[2, 3])
    got = KClassRegression("liml").fit(
        da.from_array(X, chunks=700),
        da.from_array(y, chunks=700),
        instruments=da.from_array(Z, chunks=700),
        controls=[2, 3],
    )
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-9)
    np.testing.assert_allclose(got.cov_, ref.cov_, rtol=1e-8)
    pd.testing.assert_frame_equal(got.first_stage_, ref.first_stage_, rtol=1e-8)


def _effective_F_numpy(x, C, Z):
    """Montiel Olea-Pflueger effective F from the full matrices: pi' Zt'Zt pi / tr(S Zt'Zt), S the HC1 covariance
    of the first-stage coefficients pi on the excluded instruments Zt (controls and constant partialled out)."""
    n = len(x)
    W = np.column_stack([np.ones(n), C])

    def resid(A, B):
        return A - B @ np.linalg.lstsq(B, A, rcond=None)[0]

    Zt, xt = resid(Z, W), resid(x, W)
    pi = np.linalg.lstsq(Zt, xt, rcond=None)[0]
    v = resid(x, np.column_stack([Z, W]))
    G = Zt.T @ Zt
    Gi = np.linalg.inv(G)
    S = Gi @ ((Zt * v[:, None] ** 2).T @ Zt) @ Gi * n / (n - W.shape[1] - Z.shape[1])
    return pi @ G @ pi / np.trace(S @ G)


@pytest.mark.parametrize("seed", range(4))
def test_effective_F_matches_direct_formula_and_dask(seed):
    rng = np.random.default_rng(seed)
    n = 1500
    C = rng.normal(size=(n, 2)) + 2.0
    Z = rng.normal(size=(n, 2 + seed % 3)) + 0.5 * C[:, :1]
    u = rng.normal(size=n)
    x = 0.1 * Z.sum(axis=1) + C.sum(axis=1) + u + rng.normal(size=n) * (1 + 2 * np.abs(Z[:, 0]))
    y = x + C.sum(axis=1) + u
    X = np.column_stack([x, C])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeakInstrumentWarning)
        est = KClassRegression(cov_type="HC1").fit(X, y, instruments=Z, controls=[1, 2])
        fs = est.first_stage_
        assert list(fs.columns) == ["partial_r2", "partial_F", "p_value", "effective_F"]
        assert fs["effective_F"].iloc[0] == pytest.approx(_effective_F_numpy(x, C, Z), rel=RTOL)
        assert (
            est.inference_.info["Effective F (Montiel Olea-Pflueger)"]
            == f"{fs['effective_F'].iloc[0]:.4g}"
        )
        # only for heteroskedasticity-robust fits with one endogenous regressor
        assert (
            "effective_F"
            not in KClassRegression(cov_type="nonrobust")
            .fit(X, y, instruments=Z, controls=[1, 2])
            .first_stage_
        )
        da = pytest.importorskip("dask.array")
        got = KClassRegression(cov_type="HC1").fit(
            da.from_array(X, chunks=400),
            y,
            instruments=da.from_array(Z, chunks=400),
            controls=[1, 2],
        )
    pd.testing.assert_frame_equal(got.first_stage_, fs, rtol=1e-8)


def test_effective_F_is_close_to_the_partial_F_under_homoskedasticity():
    E, C, Z, y = _design(2, n=20_000, n_endog=1, n_controls=2, n_instr=3, strength=0.05)
    fs = _fit(E, C, Z, y, cov_type="HC1").first_stage_
    assert fs["effective_F"].iloc[0] == pytest.approx(fs["partial_F"].iloc[0], rel=0.05)


def test_sanderson_windmeijer_F_detects_a_shared_first_stage():
    """Both endogenous regressors load on the same instrument combination: each alone looks strong (partial F
    in the hundreds) but they are not separately identified, which only the conditional F shows (and warns)."""
    rng = np.random.default_rng(4)
    n = 2000
    Z = rng.normal(size=(n, 3))
    u = rng.normal(size=n)
    s = Z @ [1.0, 1.0, 0.0]
    E = np.column_stack([s + u + rng.normal(size=n), 0.5 * s + u + rng.normal(size=n)])
    y = E @ [1.0, -1.0] + u
    with pytest.warns(
        WeakInstrumentWarning, match=r"Sanderson-Windmeijer conditional F of X column \d is"
    ):
        fs = KClassRegression().fit(E, y, instruments=Z).first_stage_
    assert fs["partial_F"].min() > 100
    assert fs["sw_F"].max() < 10
