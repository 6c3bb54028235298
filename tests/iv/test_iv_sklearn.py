"""scikit-learn contract of the IV family.

Deviations from ``check_estimator``:

- ``IVLRegressionCV`` is not run through ``check_estimator``: its ``fit`` requires ``instruments`` (a CV over
  alpha has no meaning without them), and the estimator checks call ``fit(X, y)``. Its contract (clone,
  get/set_params, pickling, refit reproducibility) is checked with ``check_sklearn_contract``.
- ``IVLRegression`` / ``KClassRegression`` pass every check: ``fit(X, y)`` without instruments treats every
  regressor as exogenous (OLS, with a UserWarning).
- ``DAIVLRegression`` passes every check with a generic augmenter (a random translation along the all-ones
  direction); with ``augmenter=None`` it needs precomputed augmentations.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import check_estimator

from causalkit._base import check_sklearn_contract
from causalkit.datasets import make_ivl_toy_sem
from causalkit.exceptions import CausalkitWarning
from causalkit.iv import (
    DAIVLRegression,
    IVLRegression,
    IVLRegressionCV,
    KClassRegression,
    NullSpaceTranslation,
)


def ones_translation(X, rng):
    G = rng.standard_normal((X.shape[0], 1))
    return X + G @ np.ones((1, X.shape[1])) / np.sqrt(X.shape[1]), G


@pytest.fixture(scope="module")
def toy():
    return make_ivl_toy_sem(600, random_state=3)


@pytest.mark.parametrize(
    "est",
    [IVLRegression(), KClassRegression(), DAIVLRegression(ones_translation, random_state=0)],
    ids=["IVLRegression", "KClassRegression", "DAIVLRegression"],
)
def test_check_estimator(est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(est)


def test_contracts(toy):
    d = toy
    check_sklearn_contract(
        IVLRegression(ivl_alpha=0.3),
        lambda e: e.fit(d.X_aug, d.y, instruments=d.G),
        lambda e: np.r_[e.coef_, e.cov_.ravel()],
    )
    check_sklearn_contract(
        KClassRegression(kappa="liml"),
        lambda e: e.fit(d.X, d.y, instruments=np.c_[d.G, d.X[:, :1] ** 2]),
        lambda e: e.coef_,
    )
    check_sklearn_contract(
        DAIVLRegression(
            NullSpaceTranslation(d.directions), ivl_alpha=0.1, n_augmentations=2, random_state=4
        ),
        lambda e: e.fit(d.X, d.y),
        lambda e: e.predict(d.X),
    )
    check_sklearn_contract(
        IVLRegressionCV(cv="holdout", random_state=0),
        lambda e: e.fit(d.X_aug, d.y, instruments=d.G, X_score=d.X),
        lambda e: np.r_[e.ivl_alpha_, e.coef_, e.cv_results_["mean_test_score"]],
    )


def test_set_params_changes_fit(toy):
    d = toy
    est = IVLRegression(ivl_alpha=1.0).fit(d.X_aug, d.y, instruments=d.G)
    c1 = est.coef_.copy()
    est.set_params(ivl_alpha=0.01).fit(d.X_aug, d.y, instruments=d.G)
    assert not np.allclose(c1, est.coef_)


def test_works_in_cross_val_score_with_instruments(toy):
    d = toy
    scores = cross_val_score(
        IVLRegression(ivl_alpha=0.5), d.X_aug, d.y, params={"instruments": d.G}, cv=3
    )
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_no_instruments_is_ols_with_warning(toy):
    d = toy
    with pytest.warns(UserWarning, match="No instruments"):
        est = IVLRegression(ivl_alpha=0.1).fit(d.X, d.y)
    ref = np.linalg.lstsq(np.c_[np.ones(len(d.y)), d.X], d.y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[est.intercept_, est.coef_], ref, rtol=1e-10)


def test_cv_selectors(toy):
    d = make_ivl_toy_sem(3000, random_state=8)
    for cv in [3, "holdout", "level"]:
        est = IVLRegressionCV(ivl_alphas=[1e-3, 1e-2, 0.1, 1.0], cv=cv, random_state=0).fit(
            d.X_aug, d.y, instruments=d.G, X_score=d.X
        )
        res = est.cv_results_
        assert est.ivl_alpha_ in res["param_ivl_alpha"]
        assert res["rank_test_score"][est.best_index_] == 1
        assert est.best_score_ == pytest.approx(res["mean_test_score"].max())
        # the selected model is an IVL model between DA+IVL(0) and DA+ERM in error
        err = np.sum((est.coef_ - d.coef) ** 2)
        assert err < 0.75, (cv, err)
    # level CV refits on the binarised instruments
    from causalkit.iv import binarize_instruments

    lv = IVLRegressionCV(ivl_alphas=[0.5], cv="level", random_state=0).fit(
        d.X_aug, d.y, instruments=d.G
    )
    ref = IVLRegression(ivl_alpha=0.5).fit(d.X_aug, d.y, instruments=binarize_instruments(d.G))
    np.testing.assert_allclose(lv.coef_, ref.coef_, rtol=1e-12)


def test_cv_scores_match_manual_holdout():
    d = make_ivl_toy_sem(1000, random_state=9)
    from sklearn.metrics import r2_score
    from sklearn.model_selection import ShuffleSplit

    split = ShuffleSplit(n_splits=1, test_size=0.2, random_state=5)
    est = IVLRegressionCV(ivl_alphas=[0.01, 1.0], cv=split).fit(
        d.X_aug, d.y, instruments=d.G, X_score=d.X
    )
    tr, te = next(split.split(d.X))
    for j, a in enumerate([0.01, 1.0]):
        m = IVLRegression(ivl_alpha=a).fit(d.X_aug[tr], d.y[tr], instruments=d.G[tr])
        assert est.cv_results_["split0_test_score"][j] == pytest.approx(
            r2_score(d.y[te], m.predict(d.X[te])), rel=1e-10
        )


def test_no_nxn_matrix_at_200k():
    """n = 2e5 fits with peak memory a small multiple of the data (an n x n matrix would be 320 GB)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n, p, k = 200_000, 10, 5
    X, Z, y = rng.normal(size=(n, p)), rng.normal(size=(n, k)), rng.normal(size=n)
    tracemalloc.start()
    IVLRegression(ivl_alpha=0.5, cov_type="HC1").fit(X, y, instruments=Z)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    data_bytes = X.nbytes + Z.nbytes + y.nbytes
    assert peak < 6 * data_bytes, peak / data_bytes


def test_api_convention(toy):
    """#13: data arguments keyword-only, constructors keyword-only after the first, one results vocabulary."""
    import inspect

    import pandas as pd

    d = toy
    for cls in (IVLRegression, KClassRegression, IVLRegressionCV, DAIVLRegression):
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        assert all(p.kind is p.KEYWORD_ONLY for p in params[1:]), cls
        fit = list(inspect.signature(cls.fit).parameters.values())[1:]
        assert [p.name for p in fit[:2]] == ["X", "y"]
        assert all(p.kind is p.KEYWORD_ONLY for p in fit[2:]), cls
    with pytest.raises(TypeError):
        IVLRegression().fit(d.X_aug, d.y, d.G)  # instruments are keyword-only
    cols = [f"x{j}" for j in range(5)]
    X = pd.DataFrame(d.X_aug, columns=cols, index=pd.RangeIndex(100, 100 + len(d.y)))
    fitted = [
        IVLRegression(0.5).fit(X, d.y, instruments=d.G),
        KClassRegression(0.3).fit(X, d.y, instruments=d.G),
        IVLRegressionCV([0.1, 1.0], cv=3, random_state=0).fit(X, d.y, instruments=d.G),
        DAIVLRegression(NullSpaceTranslation(d.directions), random_state=0).fit(X, d.y),
    ]
    for est in fitted:
        ci = est.conf_int(alpha=0.1)
        assert list(ci.columns) == ["lower", "upper"]
        assert list(ci.index) == ["intercept", *cols]
        assert np.all(ci["lower"] < ci["upper"])
        # the interval is the inference_'s, computed once in fit (no refit or resampling per call)
        pd.testing.assert_frame_equal(ci, est.inference_.conf_int(alpha=0.1))
        assert "ci_lower_90%" in str(est.summary(alpha=0.1))
        with pytest.raises(TypeError):
            est.summary(0.1)  # alpha is keyword-only
        pred = est.predict(X)
        assert isinstance(pred, pd.Series) and pred.index.equals(X.index)
        with pytest.warns(CausalkitWarning, match="feature names"):
            assert isinstance(est.predict(X.to_numpy()), np.ndarray)
    # no standard errors: summary and conf_int say why
    est = IVLRegression(cov_type=None).fit(X, d.y, instruments=d.G)
    assert est.inference_ is None
    with pytest.raises(ValueError, match="cov_type"):
        est.conf_int()
