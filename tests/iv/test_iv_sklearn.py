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
        IVLRegression(alpha=0.3),
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
            NullSpaceTranslation(d.directions), alpha=0.1, n_augmentations=2, random_state=4
        ),
        lambda e: e.fit(d.X, d.y),
        lambda e: e.predict(d.X),
    )
    check_sklearn_contract(
        IVLRegressionCV(cv="holdout", random_state=0),
        lambda e: e.fit(d.X_aug, d.y, d.G, X_score=d.X),
        lambda e: np.r_[e.alpha_, e.coef_, e.cv_results_["mean_test_score"]],
    )


def test_set_params_changes_fit(toy):
    d = toy
    est = IVLRegression(alpha=1.0).fit(d.X_aug, d.y, d.G)
    c1 = est.coef_.copy()
    est.set_params(alpha=0.01).fit(d.X_aug, d.y, d.G)
    assert not np.allclose(c1, est.coef_)


def test_works_in_cross_val_score_with_instruments(toy):
    d = toy
    scores = cross_val_score(
        IVLRegression(alpha=0.5), d.X_aug, d.y, params={"instruments": d.G}, cv=3
    )
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_no_instruments_is_ols_with_warning(toy):
    d = toy
    with pytest.warns(UserWarning, match="No instruments"):
        est = IVLRegression(alpha=0.1).fit(d.X, d.y)
    ref = np.linalg.lstsq(np.c_[np.ones(len(d.y)), d.X], d.y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[est.intercept_, est.coef_], ref, rtol=1e-10)


def test_cv_selectors(toy):
    d = make_ivl_toy_sem(3000, random_state=8)
    for cv in [3, "holdout", "level"]:
        est = IVLRegressionCV(alphas=[1e-3, 1e-2, 0.1, 1.0], cv=cv, random_state=0).fit(
            d.X_aug, d.y, d.G, X_score=d.X
        )
        res = est.cv_results_
        assert est.alpha_ in res["param_alpha"]
        assert res["rank_test_score"][est.best_index_] == 1
        assert est.best_score_ == pytest.approx(res["mean_test_score"].max())
        # the selected model is an IVL model between DA+IVL(0) and DA+ERM in error
        err = np.sum((est.coef_ - d.coef) ** 2)
        assert err < 0.75, (cv, err)
    # level CV refits on the binarised instruments
    from causalkit.iv import binarize_instruments

    lv = IVLRegressionCV(alphas=[0.5], cv="level", random_state=0).fit(d.X_aug, d.y, d.G)
    ref = IVLRegression(alpha=0.5).fit(d.X_aug, d.y, binarize_instruments(d.G))
    np.testing.assert_allclose(lv.coef_, ref.coef_, rtol=1e-12)


def test_cv_scores_match_manual_holdout():
    d = make_ivl_toy_sem(1000, random_state=9)
    from sklearn.metrics import r2_score
    from sklearn.model_selection import ShuffleSplit

    split = ShuffleSplit(n_splits=1, test_size=0.2, random_state=5)
    est = IVLRegressionCV(alphas=[0.01, 1.0], cv=split).fit(d.X_aug, d.y, d.G, X_score=d.X)
    tr, te = next(split.split(d.X))
    for j, a in enumerate([0.01, 1.0]):
        m = IVLRegression(alpha=a).fit(d.X_aug[tr], d.y[tr], d.G[tr])
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
    IVLRegression(alpha=0.5, cov_type="HC1").fit(X, y, instruments=Z)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    data_bytes = X.nbytes + Z.nbytes + y.nbytes
    assert peak < 6 * data_bytes, peak / data_bytes
