"""Safety and correctness of the IV family on awkward but ordinary input (issue #12, items 9-13).

Each test pins one defect found by outside testing: standard errors that lose precision on shifted, scaled
or ill-conditioned designs (item 9), cluster-robust inference with one or few clusters (10), constant and
duplicated regressors (11), samples with no residual degrees of freedom (12) and predictions that used a
DataFrame's columns by position (13).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels import iv as lm_iv

from causalkit.datasets import make_ivl_toy_sem
from causalkit.exceptions import (
    CausalkitWarning,
    ClusterWarning,
    FeatureNamesWarning,
    IllConditionedWarning,
    WeakInstrumentWarning,
)
from causalkit.iv import (
    DAIVLRegression,
    IVLRegression,
    IVLRegressionCV,
    KClassRegression,
    NullSpaceTranslation,
)


def _iv_data(n=500, seed=0):
    """One endogenous regressor x1 (3 instruments) and one exogenous x2 on a dyadic grid (shifts are exact)."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 3))
    u = rng.normal(size=n)
    x1 = Z @ [1.0, 0.5, 0.2] + u
    x2 = np.round(rng.normal(size=n) * 1024) / 1024
    y = 1.0 + 2.0 * x1 - x2 + u + rng.normal(size=n) * (0.5 + np.abs(Z[:, 0]))
    return np.c_[x1, x2], y, Z


@contextlib.contextmanager
def _no_causalkit_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CausalkitWarning)
        yield


# ------------------------------------------------------------------------------------------ item 9: precision
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC1"])
def test_se_well_scaled_matches_linearmodels_2sls(cov_type):
    X, y, Z = _iv_data()
    n = len(y)
    est = KClassRegression(kappa="tsls", cov_type=cov_type).fit(X, y, instruments=np.c_[Z, X[:, 1]])
    lm_cov = "unadjusted" if cov_type == "nonrobust" else "robust"
    ref = lm_iv.IV2SLS(y, np.c_[np.ones(n), X[:, 1]], X[:, :1], Z).fit(
        cov_type=lm_cov, debiased=True
    )
    se = ref.std_errors.to_numpy()[[0, 2, 1]]  # linearmodels orders exog before endog
    np.testing.assert_allclose(est.stderr_, se, rtol=1e-8)


# 2**33 ~ 1e10 (timestamps in seconds), 2**40 ~ 1e12 (in milliseconds)
@pytest.mark.parametrize("shift", [2.0**33, 2.0**40])
@pytest.mark.parametrize("kappa", ["ols", "tsls", 0.5, "liml"])
def test_se_invariant_to_shifting_a_regressor(shift, kappa):
    """Adding a constant to a regressor (exactly, on a dyadic grid) cannot change any slope or its SE."""
    X, y, Z = _iv_data()
    Zf = np.c_[Z, X[:, 1]]
    base = KClassRegression(kappa=kappa, cov_type="HC1").fit(X, y, instruments=Zf)
    Xs, Zs = X.copy(), Zf.copy()
    Xs[:, 1] += shift
    Zs[:, 3] += shift
    assert np.all(Xs[:, 1] - shift == X[:, 1])  # the shifted data are exact
    with _no_causalkit_warning():
        est = KClassRegression(kappa=kappa, cov_type="HC1").fit(Xs, y, instruments=Zs)
    np.testing.assert_allclose(est.coef_, base.coef_, rtol=1e-6)
    np.testing.assert_allclose(est.stderr_[1:], base.stderr_[1:], rtol=1e-6)
    # the intercept moves by -shift * coef; its SE follows the delta method (finite, not NaN)
    assert np.isfinite(est.stderr_[0]) and est.stderr_[0] > base.stderr_[0]


@pytest.mark.parametrize("scale", [2.0**-30, 2.0**30])
def test_se_equivariant_to_scaling_a_regressor(scale):
    X, y, Z = _iv_data()
    Zf = np.c_[Z, X[:, 1]]
    base = KClassRegression(kappa="tsls", cov_type="HC1").fit(X, y, instruments=Zf)
    Xs, Zs = X.copy(), Zf.copy()
    Xs[:, 1] *= scale
    Zs[:, 3] *= scale
    with _no_causalkit_warning():
        est = KClassRegression(kappa="tsls", cov_type="HC1").fit(Xs, y, instruments=Zs)
    np.testing.assert_allclose(est.stderr_, base.stderr_ * [1, 1, 1 / scale], rtol=1e-8)


@pytest.mark.parametrize("cov_type,sm_cov", [("nonrobust", "nonrobust"), ("HC1", "HC1")])
def test_se_at_condition_number_1e9_matches_statsmodels(cov_type, sm_cov):
    """x3 = x2 + 1e-9 noise: statsmodels' OLS (SVD pseudo-inverse) is reliable here; so must we be."""
    rng = np.random.default_rng(1)
    n = 500
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    X = np.c_[x1, x2, x2 + 1e-9 * rng.normal(size=n)]
    y = 1 + x1 + x2 + X[:, 2] + rng.normal(size=n)
    assert 1e9 < np.linalg.cond(X - X.mean(axis=0)) < 1e10
    ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type=sm_cov)
    est = IVLRegression(ivl_alpha=np.inf, cov_type=cov_type).fit(X, y, instruments=X)
    np.testing.assert_allclose(est.stderr_, ref.bse, rtol=1e-5)
    # the nearly collinear pair: SEs are ~1e9 times the others, and both finite
    assert np.all(np.isfinite(est.stderr_)) and est.stderr_[3] > 1e7


def test_ill_conditioned_design_warns_and_collinear_raises():
    rng = np.random.default_rng(2)
    n = 500
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = x1 + rng.normal(size=n)
    Z = rng.normal(size=(n, 2))
    X = np.c_[x1, x2, x2 + 1e-11 * rng.normal(size=n)]  # condition number ~1e11
    with pytest.warns(IllConditionedWarning, match=r"condition number 1\.\d+e\+11") as rec:
        est = IVLRegression(ivl_alpha=1.0).fit(X, y, instruments=Z)
    assert rec[0].filename == __file__  # stacklevel points at the user's call
    assert np.all(np.isfinite(est.stderr_))
    X = np.c_[x1, x2, x2 + 1e-14 * rng.normal(size=n)]  # beyond 1e12: numerically collinear
    with pytest.raises(ValueError, match=r"X column 2 is a linear combination of columns \[1\]"):
        IVLRegression(ivl_alpha=1.0).fit(X, y, instruments=Z)


# ---------------------------------------------------------------------------------------- item 10: clusters
def test_one_cluster_raises_naming_groups():
    X, y, Z = _iv_data(200)
    with pytest.raises(ValueError, match=r"groups has 1 distinct cluster"):
        IVLRegression(ivl_alpha=0.5).fit(X, y, instruments=Z, groups=np.zeros(200))
    with pytest.raises(ValueError, match=r"groups has 1 distinct cluster"):
        KClassRegression().fit(X, y, instruments=np.c_[Z, X[:, 1]], groups=np.full(200, "a"))


def test_few_clusters_warn_and_many_do_not():
    X, y, Z = _iv_data(200)
    groups = np.arange(200) % 5
    with pytest.warns(ClusterWarning, match=r"only 5 clusters") as rec:
        est = IVLRegression(ivl_alpha=0.5).fit(X, y, instruments=Z, groups=groups)
    assert rec[0].filename == __file__
    assert np.all(np.isfinite(est.stderr_)) and np.all(est.stderr_ > 1e-3)
    with _no_causalkit_warning():
        IVLRegression(ivl_alpha=0.5).fit(X, y, instruments=Z, groups=np.arange(200) % 40)


def test_daivl_few_original_samples_warns_at_user_call():
    d = make_ivl_toy_sem(15, random_state=0)
    est = DAIVLRegression(NullSpaceTranslation(d.directions), n_augmentations=3, random_state=0)
    with pytest.warns(ClusterWarning, match=r"only 15 clusters") as rec:
        est.fit(d.X, d.y)
    assert rec[0].filename == __file__


# ------------------------------------------------------------------------------ item 11: collinear columns
def _frame(X, names):
    return pd.DataFrame(X, columns=names)


def test_constant_column_with_intercept_is_named():
    X, y, Z = _iv_data(300)
    Xc = _frame(np.c_[X, np.full(300, 3.0)], ["x1", "x2", "const"])
    for est in [
        IVLRegression(ivl_alpha=0.5),
        KClassRegression(kappa="tsls"),
        KClassRegression("ols"),
    ]:
        with pytest.raises(ValueError, match=r"X column 'const' is constant.*intercept"):
            est.fit(Xc, y, instruments=np.c_[Z, X[:, 1]])
    # a column that is constant up to the last bits of its mean is still constant
    with pytest.raises(ValueError, match=r"X column 2 is constant"):
        IVLRegression().fit(np.c_[X, np.full(300, 0.1) * 3], y, instruments=Z)
    # without an intercept a constant column is an ordinary regressor
    est = KClassRegression("ols", fit_intercept=False).fit(Xc, y, instruments=Xc)
    ref = np.linalg.lstsq(Xc.to_numpy(), y, rcond=None)[0]
    np.testing.assert_allclose(est.coef_, ref, rtol=1e-10)


def test_duplicate_and_linear_combination_columns_are_named():
    X, y, Z = _iv_data(300)
    Xd = _frame(np.c_[X, X[:, 1]], ["x1", "x2", "x2_copy"])
    for est in [IVLRegression(ivl_alpha=0.5), KClassRegression(kappa="tsls")]:
        with pytest.raises(ValueError, match=r"collinear.*'x2_copy'.*'x2'"):
            est.fit(Xd, y, instruments=np.c_[Z, X[:, 1]])
    Xs = np.c_[X, 2 * X[:, 0] - X[:, 1]]
    with pytest.raises(ValueError, match=r"X column 2 is a linear combination of columns \[0, 1\]"):
        IVLRegression().fit(Xs, y, instruments=Z)
    with pytest.raises(ValueError, match=r"collinear"):
        IVLRegressionCV(cv=3).fit(Xd, y, instruments=Z)


def test_near_constant_but_informative_column_is_kept():
    """A timestamp with a small spread is not constant: its coefficient is estimated, not refused."""
    X, y, Z = _iv_data(300)
    ts = 2.0**33 + X[:, 1]
    est = KClassRegression("ols").fit(np.c_[X[:, 0], ts], y, instruments=Z)
    ref = KClassRegression("ols").fit(X, y, instruments=Z)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8)


# --------------------------------------------------------------------------------- item 12: tiny samples
@pytest.mark.parametrize("cls", [IVLRegression, KClassRegression])
def test_n_equal_p_p1_p2(cls):
    rng = np.random.default_rng(3)
    p = 2
    for n, expect in [(p, "raise"), (p + 1, "no_se"), (p + 2, "se")]:
        X, Z, y = rng.normal(size=(n, p)), rng.normal(size=(n, 2)), rng.normal(size=n)
        est = cls(cov_type="HC1")
        if expect == "raise":
            with pytest.raises(ValueError, match=r"at least 3 samples.*got n_samples = 2"):
                est.fit(X, y, instruments=Z)
            continue
        est.fit(X, y, instruments=Z)
        assert np.all(np.isfinite(est.coef_)) and np.isfinite(est.intercept_)
        if expect == "no_se":
            with pytest.raises(AttributeError, match=r"no residual degrees of freedom"):
                _ = est.stderr_
            with pytest.raises(ValueError, match=r"no residual degrees of freedom"):
                est.summary()
        else:
            assert np.all(np.isfinite(est.stderr_)) and np.all(est.stderr_ > 0)
    # at n = p + 2 the classical SEs equal statsmodels' (one residual degree of freedom)
    X, y = rng.normal(size=(p + 2, p)), rng.normal(size=p + 2)
    est = KClassRegression("ols", cov_type="nonrobust").fit(X, y, instruments=X)
    np.testing.assert_allclose(est.stderr_, sm.OLS(y, sm.add_constant(X)).fit().bse, rtol=1e-8)


def test_no_intercept_n_equal_p_has_no_se():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(3, 3)), rng.normal(size=3)
    est = IVLRegression(ivl_alpha=np.inf, fit_intercept=False).fit(X, y, instruments=X)
    np.testing.assert_allclose(X @ est.coef_, y, rtol=1e-8)
    assert est.cov_ is None


# ------------------------------------------------------------------------------- item 13: feature names
@pytest.fixture(scope="module")
def named():
    d = make_ivl_toy_sem(300, random_state=1)
    cols = [f"x{i}" for i in range(5)]
    return d, _frame(d.X_aug, cols), _frame(d.X, cols), cols


def _fitted(named):
    d, Xa, X, _ = named
    return [
        IVLRegression(ivl_alpha=0.5).fit(Xa, d.y, instruments=d.G),
        KClassRegression(kappa=0.3).fit(Xa, d.y, instruments=d.G),
        DAIVLRegression(NullSpaceTranslation(d.directions), random_state=0).fit(X, d.y),
        IVLRegressionCV(cv=3, random_state=0).fit(Xa, d.y, instruments=d.G),
    ]


def test_predict_refuses_reordered_or_renamed_columns(named):
    d, _, X, cols = named
    for est in _fitted(named):
        ref = est.predict(X)
        with pytest.raises(ValueError, match=r"same names in another order"):
            est.predict(X[cols[::-1]])
        with pytest.raises(ValueError, match=r"not seen in fit \['z4'\]"):
            est.predict(X.rename(columns={"x4": "z4"}))
        with pytest.raises(ValueError, match=r"not seen in fit"):
            est.score(X.rename(columns={"x4": "z4"}), d.y)
        with pytest.raises(ValueError, match=r"X has 4 features"):
            est.predict(X.to_numpy()[:, :4])
        # an unnamed array is used by position, with a warning as in scikit-learn
        with pytest.warns(CausalkitWarning, match=r"X does not have valid feature names") as rec:
            out = est.predict(X.to_numpy())
        assert rec[0].filename == __file__
        np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_predict_with_names_after_fit_without_warns(named):
    d, _, X, _ = named
    est = IVLRegression(ivl_alpha=0.5).fit(d.X_aug, d.y, instruments=d.G)
    with pytest.warns(
        FeatureNamesWarning, match=r"X has feature names, but IVLRegression was fitted"
    ) as rec:
        est.predict(X)
    assert rec[0].filename == __file__  # the user's line, not the library's
    named_fit = IVLRegression(ivl_alpha=0.5).fit(X, d.y, instruments=d.G)
    with pytest.warns(FeatureNamesWarning, match=r"does not have valid feature names") as rec:
        named_fit.predict(X.to_numpy())
    assert rec[0].filename == __file__


def test_cv_refuses_x_score_with_other_columns(named):
    d, Xa, X, cols = named
    with pytest.raises(ValueError, match=r"X_score has columns"):
        IVLRegressionCV(cv="holdout", random_state=0).fit(
            Xa, d.y, instruments=d.G, X_score=X[cols[::-1]]
        )


# ------------------------------------------------------------------------------ warnings are named, located
def test_library_warnings_are_named_and_point_at_the_caller():
    d = make_ivl_toy_sem(200, random_state=0)
    with pytest.warns(WeakInstrumentWarning, match=r"No instruments") as rec:
        IVLRegression().fit(d.X, d.y)
    assert rec[0].filename == __file__
    with pytest.warns(WeakInstrumentWarning, match=r"under-identified") as rec:
        IVLRegression(ivl_alpha=0).fit(d.X_aug, d.y, instruments=d.G)
    assert rec[0].filename == __file__
    with pytest.warns(WeakInstrumentWarning, match=r"under-identified") as rec:
        KClassRegression().fit(d.X_aug, d.y, instruments=d.G)
    assert rec[0].filename == __file__
    with pytest.warns(CausalkitWarning, match=r"column-vector y") as rec:
        IVLRegression().fit(d.X_aug, d.y[:, None], instruments=d.G)
    assert rec[0].filename == __file__


# ------------------------------------------------------------------- probes of nearby input (item 12 "class")
@pytest.mark.parametrize("scale", [1e300, 1e-300])
@pytest.mark.parametrize("arg", ["X", "y", "instruments"])
def test_extreme_magnitudes_are_refused_by_name(arg, scale):
    X, y, Z = _iv_data(100)
    data = {"X": X, "y": y, "instruments": Z}
    data[arg] = data[arg] * scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning on the way
        with pytest.raises(ValueError, match=rf"{arg}.*magnitude.*[Rr]escale"):
            IVLRegression().fit(data["X"], data["y"], instruments=data["instruments"])


def test_extreme_kappa_is_refused_by_name():
    X, y, Z = _iv_data(100)
    Zf = np.c_[Z, X[:, 1]]
    for kappa in [1e300, -1e300, "fuller(1e300)"]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match=r"kappa"):
                KClassRegression(kappa=kappa).fit(X, y, instruments=Zf)
    with pytest.raises(ValueError, match=r"kappa must be a number or one of.*fuller\(1\.2\.3\)"):
        KClassRegression(kappa="fuller(1.2.3)").fit(X, y, instruments=Zf)


def test_groups_with_missing_or_mixed_labels():
    X, y, Z = _iv_data(200)
    mixed = np.array(["a", 1] * 100, dtype=object)
    est = IVLRegression(cov_type="HC1").fit(
        X, y, instruments=Z, groups=np.r_[mixed[:100], np.arange(100)]
    )
    assert np.all(np.isfinite(est.stderr_))
    with pytest.raises(ValueError, match=r"groups.*missing"):
        IVLRegression().fit(
            X, y, instruments=Z, groups=np.array([None] * 100 + list(range(100)), dtype=object)
        )


def test_cv_folds_too_small_and_bad_alphas():
    d = make_ivl_toy_sem(8, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"cv.*fewer than 2 samples"):
            IVLRegressionCV(cv=5).fit(d.X_aug, d.y, instruments=d.G)
    d = make_ivl_toy_sem(100, random_state=0)
    with pytest.raises(ValueError, match=r"ivl_alphas must be numbers"):
        IVLRegressionCV(ivl_alphas=["a"]).fit(d.X_aug, d.y, instruments=d.G)


def test_binarize_constant_instrument_is_named():
    from causalkit.iv import binarize_instruments

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"instruments column 1 is constant"):
            binarize_instruments(np.c_[np.arange(10.0), np.ones(10)])


def test_dataset_arguments_are_validated():
    from causalkit.datasets import make_ivl_paper_sem
    from causalkit.datasets._iv import null_space_basis

    for bad in [0, -1, 1.5, "a"]:
        with pytest.raises((ValueError, TypeError), match=r"n_samples"):
            make_ivl_toy_sem(bad)
    with pytest.raises(ValueError, match=r"strength"):
        make_ivl_toy_sem(10, strength=np.nan)
    with pytest.raises(ValueError, match=r"alpha"):
        make_ivl_toy_sem(10).population_error(-1.0)
    for bad in [1, 2.5]:
        with pytest.raises((ValueError, TypeError), match=r"n_features"):
            make_ivl_paper_sem(10, bad)
    for kw in [{"noise": np.nan}, {"confounding": np.inf}, {"noise": -1.0}]:
        with pytest.raises(ValueError, match=next(iter(kw))):
            make_ivl_paper_sem(10, 3, **kw)
    with pytest.raises(ValueError, match=r"h must have shape \(3,\)"):
        make_ivl_paper_sem(10, 3, random_state=0).ncer([1.0, 2.0])
    with pytest.raises(ValueError, match=r"coef"):
        null_space_basis(np.zeros(3))
    with pytest.raises(ValueError, match=r"coef"):
        null_space_basis(np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"coef must be a real"):
        null_space_basis(np.array([1.0 + 1j, 0.0]))
    X, y, Z = _iv_data(50)
    for seed, exc in [("seed", TypeError), (1.5, TypeError), (-1, ValueError), (2**32, ValueError)]:
        with pytest.raises(exc, match=r"random_state"):
            make_ivl_toy_sem(10, random_state=seed)
        with pytest.raises(exc, match=r"random_state"):
            IVLRegressionCV(cv="holdout", random_state=seed).fit(X, y, instruments=Z)


def test_random_state_none_leaves_the_global_rng_alone():
    from causalkit.datasets import make_ivl_paper_sem

    d = make_ivl_toy_sem(60, random_state=0)
    calls = [
        lambda: make_ivl_toy_sem(30),
        lambda: make_ivl_paper_sem(30, 3),
        lambda: NullSpaceTranslation(d.directions)(d.X, None),
        lambda: DAIVLRegression(NullSpaceTranslation(d.directions)).fit(d.X, d.y),
        lambda: IVLRegressionCV(cv="holdout").fit(d.X_aug, d.y, instruments=d.G),
        lambda: IVLRegressionCV(cv=3).fit(d.X_aug, d.y, instruments=d.G),
        lambda: IVLRegressionCV(cv="level").fit(d.X_aug, d.y, instruments=d.G),
    ]
    for call in calls:
        before = np.random.get_state()  # noqa: NPY002 - the global state is what is checked
        call()
        after = np.random.get_state()  # noqa: NPY002
        assert np.array_equal(after[1], before[1]) and after[2] == before[2]


def test_first_stage_is_stored_as_arrays_for_safe_persistence():
    """skops (no code execution on load) cannot store DataFrames: the table is rebuilt on access."""
    d = make_ivl_toy_sem(200, random_state=0)
    est = IVLRegression(ivl_alpha=0.5).fit(_frame(d.X_aug, list("abcde")), d.y, instruments=d.G)
    assert not any(isinstance(v, pd.DataFrame) for v in vars(est).values())
    fs = est.first_stage_
    assert list(fs.index) == list("abcde") and list(fs.columns) == [
        "partial_r2",
        "partial_F",
        "p_value",
        "sw_F",
    ]
    assert np.all((fs["partial_r2"] > 0) & (fs["partial_r2"] < 1))
    with pytest.warns(WeakInstrumentWarning, match="No instruments"):
        assert IVLRegression().fit(d.X, d.y).first_stage_ is None


def test_kappa_beyond_a_positive_bread_has_no_nan_standard_errors():
    """kappa = 3 here makes X'(I - kappa M_Z)X indefinite: linearmodels reports NaN SEs; we report none."""
    X, y, Z = _iv_data(400, seed=5)
    Zf = np.c_[Z, X[:, 1]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = KClassRegression(kappa=3.0, cov_type="nonrobust").fit(X, y, instruments=Zf)
        assert np.all(np.isfinite(est.coef_))
        with pytest.raises(AttributeError, match=r"not positive definite"):
            _ = est.stderr_
        ok = KClassRegression(kappa=1.05, cov_type="nonrobust").fit(X, y, instruments=Zf)
        assert np.all(np.isfinite(ok.stderr_)) and np.all(ok.stderr_ > 0)


def test_dask_inputs_get_the_same_checks():
    dd = pytest.importorskip("dask.dataframe")
    X, y, Z = _iv_data(400)
    X = _frame(np.c_[X, np.random.default_rng(0).normal(size=400)], ["a", "b", "c"])
    ddf = dd.from_pandas(X, npartitions=4)
    est = IVLRegression(ivl_alpha=0.5).fit(ddf, y, instruments=Z)
    with pytest.raises(ValueError, match=r"same names in another order"):
        est.predict(ddf[["c", "b", "a"]])
    with pytest.raises(ValueError, match=r"X column 'c' is constant"):
        IVLRegression().fit(dd.from_pandas(X.assign(c=1.0), npartitions=4), y, instruments=Z)
    ref = IVLRegression(ivl_alpha=0.5).fit(X, y, instruments=Z)
    shifted = dd.from_pandas(X.assign(b=X["b"] + 2.0**33), npartitions=4)
    est = IVLRegression(ivl_alpha=0.5).fit(shifted, y, instruments=Z)
    np.testing.assert_allclose(est.stderr_[1:], ref.stderr_[1:], rtol=1e-6)


def test_rank_deficient_instruments_are_named():
    X, y, Z = _iv_data(100)
    with pytest.raises(
        ValueError, match=r"columns \[1\] are constant \(collinear with the intercept\)"
    ):
        IVLRegression().fit(X, y, instruments=np.c_[Z[:, 0], np.ones(100), Z[:, 1]])
    with pytest.raises(
        ValueError, match=r"columns \[2\] are linear combinations of earlier columns"
    ):
        IVLRegression().fit(X, y, instruments=np.c_[Z[:, :2], Z[:, 0] - 3 * Z[:, 1]])
