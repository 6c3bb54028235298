"""Weak-instrument-robust inference (#14 item 2): AR confidence sets and tests against ivmodels, and coverage.

ivmodels (Londschien and Buehlmann) is the reference: ``anderson_rubin_test``, ``inverse_anderson_rubin_test``
(+ ``ConfidenceSet.from_quadric``), ``j_test`` and ``rank_test``, all with controls ``C`` and an intercept,
chi-squared critical values (its default).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from causalkit.datasets import make_weak_iv_sem
from causalkit.exceptions import WeakInstrumentWarning
from causalkit.iv import ConfidenceSet, IVLRegression, KClassRegression

ivt = pytest.importorskip("ivmodels.tests")
ivcs = pytest.importorskip("ivmodels.confidence_set")

pytestmark = pytest.mark.filterwarnings("ignore::causalkit.exceptions.WeakInstrumentWarning")

RTOL = 1e-6


def _design(seed, n=400, m=1, mc=2, q=3, strength=0.3, rho=0.6):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, mc)) + 1.0
    Z = rng.normal(size=(n, q)) + (0.3 * C[:, :1] if mc else 0.0)
    u = rng.normal(size=n)
    V = rho * u[:, None] + np.sqrt(1 - rho**2) * rng.normal(size=(n, m))
    E = Z @ (strength * rng.normal(size=(q, m))) + (C @ rng.normal(size=(mc, m)) if mc else 0.0) + V
    y = E @ np.linspace(1.0, -0.5, m) + (C.sum(axis=1) if mc else 0.0) + u
    return E, C, Z, y


def _fit(E, C, Z, y, est=None):
    est = est or KClassRegression("liml")
    X = np.column_stack([E, C])
    return est.fit(X, y, instruments=Z, controls=list(range(E.shape[1], X.shape[1])))


def _ivmodels_set(E, C, Z, y, j, alpha):
    W = np.delete(E, j, axis=1)
    quad = ivt.inverse_anderson_rubin_test(
        Z, E[:, [j]], y, alpha=alpha, W=W if W.shape[1] else None, C=C if C.shape[1] else None
    )
    return sorted(ivcs.ConfidenceSet.from_quadric(quad).boundaries)


def _assert_same_set(ours: ConfidenceSet, theirs):
    assert len(ours.intervals) == len(theirs), (ours, theirs)
    for (a, b), (c, d) in zip(ours.intervals, theirs, strict=True):
        for x, z in ((a, c), (b, d)):
            if np.isinf(z):
                assert x == z
            else:
                assert x == pytest.approx(z, rel=RTOL, abs=1e-10)


CASES = [(s, 1 + s % 2, s % 4, 2 + s % 3) for s in range(12)]


@pytest.mark.parametrize("seed, m, mc, q", CASES)
def test_tests_and_sets_equal_ivmodels(seed, m, mc, q):
    E, C, Z, y = _design(seed, m=m, mc=mc, q=max(q, m), strength=0.4)
    est = _fit(E, C, Z, y)
    Cc = C if mc else None
    tab = est.weak_iv_tests()
    np.testing.assert_allclose(
        tab.loc["anderson_rubin", "statistic"],
        ivt.anderson_rubin_test(Z, E, y, np.zeros(m), C=Cc)[0],
        rtol=RTOL,
    )
    beta0 = np.linspace(0.5, -0.2, m)
    stat, p = ivt.anderson_rubin_test(Z, E, y, beta0, C=Cc)
    ours = est.weak_iv_tests(beta0=beta0).loc["anderson_rubin"]
    assert ours["statistic"] == pytest.approx(stat, rel=RTOL)
    assert ours["p_value"] == pytest.approx(p, rel=RTOL, abs=1e-12)
    stat, p = ivt.rank_test(Z, E, C=Cc)
    assert tab.loc["anderson_rank", "statistic"] == pytest.approx(stat, rel=RTOL)
    assert tab.loc["anderson_rank", "p_value"] == pytest.approx(p, rel=RTOL, abs=1e-12)
    if Z.shape[1] > m:
        stat, p = ivt.j_test(Z, E, y, C=Cc)
        assert tab.loc["liml_j", "statistic"] == pytest.approx(stat, rel=RTOL)
        assert tab.loc["liml_j", "p_value"] == pytest.approx(p, rel=RTOL, abs=1e-12)
    else:
        assert np.isnan(tab.loc["liml_j", "statistic"])
    for j in range(m):
        for alpha in (0.05, 0.1):
            _assert_same_set(
                est.confidence_set(j, alpha=alpha), _ivmodels_set(E, C, Z, y, j, alpha)
            )


@pytest.mark.parametrize("seed", range(6))
def test_weak_instrument_sets_are_unbounded_as_in_ivmodels(seed):
    """Very weak instruments: the AR set is the whole line or two half-lines; the same as ivmodels."""
    E, C, Z, y = _design(100 + seed, m=1, mc=1, q=2 + seed % 2, strength=0.02, rho=0.9)
    est = _fit(E, C, Z, y)
    cs = est.confidence_set(0)
    assert not cs.is_bounded
    _assert_same_set(cs, _ivmodels_set(E, C, Z, y, 0, 0.05))


def test_set_boundaries_are_where_the_test_p_value_is_alpha():
    E, C, Z, y = _design(3, m=2, mc=1, q=4, strength=0.4)
    est = _fit(E, C, Z, y)
    for j in range(2):
        ((lo, hi),) = est.confidence_set(j, alpha=0.1).intervals
        W = np.delete(E, j, axis=1)
        for b in (lo, hi):
            p = ivt.anderson_rubin_test(Z, E[:, [j]], y, np.array([b]), W=W, C=C)[1]
            assert p == pytest.approx(0.1, rel=1e-6)
        mid = ivt.anderson_rubin_test(Z, E[:, [j]], y, np.array([(lo + hi) / 2]), W=W, C=C)[1]
        assert mid > 0.1 and (lo + hi) / 2 in est.confidence_set(j, alpha=0.1)


@pytest.fixture(scope="module")
def card():
    causaldata = pytest.importorskip("causaldata")
    df = causaldata.close_college.load_pandas().data.dropna().reset_index(drop=True)
    return df.assign(exper2=df["exper"] ** 2 / 100, nearc4_black=df["nearc4"] * df["black"])


@pytest.mark.parametrize("instruments", [["nearc4"], ["nearc4", "nearc4_black"]])
def test_card_college_proximity_equals_ivmodels(card, instruments):
    controls = ["exper", "exper2", "black", "smsa", "south"]
    X, y, Z = card[["educ", *controls]], card["lwage"], card[instruments]
    est = KClassRegression("liml").fit(X, y, instruments=Z, controls=controls)
    arrs = [a.to_numpy(dtype=float) for a in (Z, card[["educ"]], y, card[controls])]
    Zn, En, yn, Cn = arrs
    for alpha in (0.05, 0.01):
        cs = est.confidence_set("educ", alpha=alpha)
        _assert_same_set(cs, _ivmodels_set(En, Cn, Zn, yn, 0, alpha))
    cs = est.confidence_set("educ")
    assert cs.variable == "educ" and cs.is_bounded
    assert cs.intervals[0][0] < est.coef_[0] < cs.intervals[0][1]
    tab = est.weak_iv_tests()
    assert tab.loc["anderson_rubin", "statistic"] == pytest.approx(
        ivt.anderson_rubin_test(Zn, En, yn, np.zeros(1), C=Cn)[0], rel=RTOL
    )
    assert tab.loc["anderson_rank", "statistic"] == pytest.approx(
        ivt.rank_test(Zn, En, C=Cn)[0], rel=RTOL
    )
    if len(instruments) > 1:
        assert tab.loc["liml_j", "statistic"] == pytest.approx(
            ivt.j_test(Zn, En, yn, C=Cn)[0], rel=RTOL
        )
        ref = ivt.inverse_conditional_likelihood_ratio_test(Zn, En, yn, alpha=0.05, C=Cn)
        clr = est.confidence_set("educ", test="CLR")
        assert len(clr.intervals) == len(ref.boundaries) == 1
        # ivmodels finds the boundaries by Brent's method with xtol 1e-6
        np.testing.assert_allclose(clr.intervals[0], ref.boundaries[0], rtol=0, atol=2e-6)


def test_set_depends_on_the_data_only_and_works_after_a_dask_fit():
    da = pytest.importorskip("dask.array")
    E, C, Z, y = _design(8, n=3000, m=2, mc=2, q=3)
    ref = _fit(E, C, Z, y).confidence_set(1)
    for est in (KClassRegression("tsls"), IVLRegression(0.7), KClassRegression("fuller(1)")):
        np.testing.assert_allclose(
            _fit(E, C, Z, y, est).confidence_set(1).intervals, ref.intervals, rtol=1e-10
        )
    X = np.column_stack([E, C])
    got = KClassRegression("liml").fit(
        da.from_array(X, chunks=800),
        da.from_array(y, chunks=800),
        instruments=da.from_array(Z, chunks=800),
        controls=[2, 3],
    )
    np.testing.assert_allclose(got.confidence_set(1).intervals, ref.intervals, rtol=1e-8)
    pd.testing.assert_frame_equal(got.weak_iv_tests(), _fit(E, C, Z, y).weak_iv_tests(), rtol=1e-8)


def test_confidence_set_object_and_errors():
    E, C, Z, y = _design(1)
    X = pd.DataFrame(np.column_stack([E, C]), columns=["price", "c0", "c1"])
    est = KClassRegression().fit(X, y, instruments=Z, controls=["c0", "c1"])
    cs = est.confidence_set("price", alpha=0.1)
    assert repr(cs).startswith("<AR 90% confidence set for 'price': [") and str(cs).count("[") == 1
    assert ConfidenceSet([], "b", "AR", 0.05).is_empty and "empty set" in repr(
        ConfidenceSet([], "b", "AR", 0.05)
    )
    two = ConfidenceSet([(-np.inf, -1.0), (2.0, np.inf)], "b", "AR", 0.05)
    assert (
        str(two) == "[-inf, -1] U [2, inf]" and 3.0 in two and 0.0 not in two and not two.is_bounded
    )
    with pytest.raises(ValueError, match=r"'c0' is an exogenous control"):
        est.confidence_set("c0")
    with pytest.raises(ValueError, match=r"the LM test is not implemented"):
        est.confidence_set("price", test="LM")
    with pytest.raises(ValueError, match=r"not a regressor"):
        est.confidence_set("nope")
    with pytest.raises(ValueError, match=r"alpha"):
        est.confidence_set("price", alpha=1.5)
    with pytest.raises(
        ValueError, match=r"beta0 must have one entry per endogenous regressor \(1\)"
    ):
        est.weak_iv_tests(beta0=[1.0, 2.0])
    with pytest.warns(WeakInstrumentWarning, match="No instruments"):
        ols = KClassRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"needs a fit with instruments"):
        ols.confidence_set("price")
    info = est.inference_.info
    assert float(info["AR (coefs = 0) p-value"]) == pytest.approx(
        est.weak_iv_tests().loc["anderson_rubin", "p_value"], rel=1e-3
    )


CLR_CASES = [
    (0, 1, 0.4),
    (1, 1, 0.05),
    (2, 2, 0.4),
    (3, 1, 0.02),
    (4, 2, 0.3),
    (5, 1, 0.15),
    (6, 2, 0.5),
]


@pytest.mark.parametrize("seed, m, strength", CLR_CASES)
def test_clr_test_and_set_equal_ivmodels(seed, m, strength):
    """CLR (Moreira 2003; subvector with ivmodels' conditioning statistic): statistic and p-value to 1e-6;
    set boundaries to 1e-6 (ivmodels finds them by Brent's method with xtol 1e-6, causalkit to 1e-12)."""
    from ivmodels.tests import (
        conditional_likelihood_ratio_test,
        inverse_conditional_likelihood_ratio_test,
    )

    from causalkit.iv import _weak

    E, C, Z, y = _design(seed, m=m, mc=2, q=4, strength=strength)
    est = _fit(E, C, Z, y)
    q, dfd = (int(v) for v in est._wiv_df)
    for j in range(m):
        W = np.delete(E, j, axis=1) if m > 1 else None
        for b0 in (est.coef_[j] + 0.1, est.coef_[j] - 0.5):
            ours = _weak.clr_test(est._wiv_Rp, est._wiv_Rm, q, dfd, j, b0)
            theirs = conditional_likelihood_ratio_test(Z, E[:, [j]], y, np.array([b0]), W=W, C=C)
            np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-9)
        cs = est.confidence_set(j, test="CLR")
        assert cs.test == "CLR" and repr(cs).startswith("<CLR 95% confidence set")
        ref = inverse_conditional_likelihood_ratio_test(Z, E[:, [j]], y, alpha=0.05, W=W, C=C)
        assert len(cs.intervals) == len(ref.boundaries)
        for (a, b), (c, d) in zip(cs.intervals, sorted(ref.boundaries), strict=True):
            for x, z in ((a, c), (b, d)):
                assert x == z if np.isinf(z) else abs(x - z) <= 2e-6 * max(1.0, abs(z))


def _coverage(n_reps, n=250, strength=0.07, rho=0.8, beta=1.0, with_clr=False):
    """Share of seeded draws whose 95% AR set / 2SLS Wald interval covers the true coefficient.

    One endogenous regressor, 3 instruments, 2 controls; the expected first-stage partial F is about
    1 + n * strength^2 = 2.2 at n = 250, strength = 0.07 (the median observed partial F is returned).
    The AR statistic at the true coefficient does not depend on the instruments' strength (exact F law under
    normal errors), so its coverage is the same at every strength."""
    ar = wald = clr = 0
    Fs = []
    for rep in range(n_reps):
        d = make_weak_iv_sem(n, strength, endogeneity=rho, beta=beta, random_state=50_000 + rep)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", WeakInstrumentWarning)
            est = KClassRegression("tsls").fit(d.X, d.y, instruments=d.Z, controls=[1, 2])
        ar += beta in est.confidence_set(0)
        if with_clr:
            clr += beta in est.confidence_set(0, test="CLR")
        lo, hi = est.conf_int().loc["x0"]
        wald += lo <= beta <= hi
        Fs.append(est.first_stage_["partial_F"].iloc[0])
    return ar / n_reps, wald / n_reps, float(np.median(Fs)), clr / n_reps


def test_weak_instrument_coverage_ar_versus_wald():
    """Median first-stage partial F 1.9, strong endogeneity (rho = 0.8), 1000 seeded draws: the AR set keeps its
    95% coverage (0.956), the 2SLS Wald interval (HC1) does not (0.732); numbers in
    benchmarks/results/iv_like.md."""
    ar, wald, F, _ = _coverage(1000)
    assert 1.5 < F < 2.5
    assert ar >= 0.93
    assert wald < 0.8


@pytest.mark.slow
def test_weak_instrument_coverage_clr():
    """The same 1000 draws for the CLR set (about 0.1 s per inversion, so marked slow)."""
    ar, _wald, _F, clr = _coverage(1000, with_clr=True)
    assert clr >= 0.93 and ar >= 0.93


def test_empty_set_when_the_instruments_are_invalid_and_errors_when_underidentified():
    """Instruments with a direct effect on y: the overidentifying restrictions fail, the AR set is empty (as in
    ivmodels) and the LIML J test rejects. Fewer excluded instruments than endogenous regressors: no set."""
    E, C, Z, y = _design(9, n=2000, m=1, mc=1, q=3, strength=0.5)
    y = y + 2.0 * Z[:, 0] - 2.0 * Z[:, 1]
    est = _fit(E, C, Z, y)
    cs = est.confidence_set(0)
    assert cs.is_empty and cs.intervals == _ivmodels_set(E, C, Z, y, 0, 0.05) == []
    assert est.weak_iv_tests().loc["liml_j", "p_value"] < 1e-10
    E, C, Z, y = _design(10, m=2, mc=1, q=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeakInstrumentWarning)
        under = _fit(E, C, Z, y, KClassRegression(0.5))
    with pytest.raises(
        ValueError, match=r"at least as many excluded instruments \(1\) as endogenous"
    ):
        under.confidence_set(0)
    assert np.isnan(under.weak_iv_tests().loc["anderson_rank", "statistic"])
