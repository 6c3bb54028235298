"""Bad input gets a clear error naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

from causalkit.datasets import make_ivl_toy_sem
from causalkit.iv import (
    DAIVLRegression,
    IVLRegression,
    IVLRegressionCV,
    KClassRegression,
    NullSpaceTranslation,
)


@pytest.fixture(scope="module")
def toy():
    return make_ivl_toy_sem(200, random_state=0)


def test_negative_or_bad_alpha(toy):
    d = toy
    with pytest.raises(ValueError, match=r"ivl_alpha must be >= 0"):
        IVLRegression(ivl_alpha=-0.1).fit(d.X_aug, d.y, instruments=d.G)
    with pytest.raises(ValueError, match=r"ivl_alpha must be finite"):
        IVLRegression(ivl_alpha=np.nan).fit(d.X_aug, d.y, instruments=d.G)
    with pytest.raises(TypeError, match=r"ivl_alpha must be a real number"):
        IVLRegression(ivl_alpha="big").fit(d.X_aug, d.y, instruments=d.G)


def test_nan_inf_inputs(toy):
    d = toy
    X = d.X_aug.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"X must be finite"):
        IVLRegression().fit(X, d.y, instruments=d.G)
    y = d.y.copy()
    y[0] = np.inf
    with pytest.raises(ValueError, match=r"y must be finite"):
        IVLRegression().fit(d.X_aug, y, instruments=d.G)
    G = d.G.copy()
    G[5, 0] = np.nan
    with pytest.raises(ValueError, match=r"instruments must be finite"):
        IVLRegression().fit(d.X_aug, d.y, instruments=G)


def test_mismatched_lengths(toy):
    d = toy
    with pytest.raises(ValueError, match=r"mismatched lengths.*instruments: 199"):
        IVLRegression().fit(d.X_aug, d.y, instruments=d.G[:-1])
    with pytest.raises(ValueError, match=r"mismatched lengths.*y: 199"):
        IVLRegression().fit(d.X_aug, d.y[:-1], instruments=d.G)
    with pytest.raises(ValueError, match=r"X_score must have 5 columns"):
        IVLRegressionCV().fit(d.X_aug, d.y, instruments=d.G, X_score=d.X[:, :4])


def test_rank_deficient_instruments(toy):
    d = toy
    G = np.c_[d.G, d.G[:, 0] + d.G[:, 1]]
    with pytest.raises(ValueError, match=r"instruments are rank-deficient \(rank 4 of 5"):
        IVLRegression().fit(d.X_aug, d.y, instruments=G)
    with pytest.raises(ValueError, match=r"instruments are rank-deficient"):
        IVLRegression().fit(
            d.X_aug, d.y, instruments=np.ones((200, 1))
        )  # constant: zero after centring


def test_underidentified_alpha0_warns_and_has_no_stderr(toy):
    d = toy
    with pytest.warns(UserWarning, match=r"under-identified.*identify 4 of the 5"):
        est = IVLRegression(ivl_alpha=0).fit(d.X_aug, d.y, instruments=d.G)
    assert not est.identified_
    with pytest.raises(ValueError, match=r"standard errors are not available"):
        est.summary()
    with pytest.raises(ValueError, match=r"kappa='liml' needs at least as many instruments"):
        KClassRegression(kappa="liml").fit(d.X_aug, d.y, instruments=d.G)


def test_bad_shapes_and_types(toy):
    d = toy
    with pytest.raises(ValueError, match=r"y must be 1-dimensional"):
        IVLRegression().fit(d.X_aug, np.c_[d.y, d.y], instruments=d.G)
    with pytest.raises(ValueError, match=r"Reshape your data"):
        IVLRegression().fit(d.X_aug[:, 0], d.y, instruments=d.G)
    with pytest.raises(ValueError, match=r"instruments must be 2-dimensional"):
        IVLRegression().fit(d.X_aug, d.y, instruments=d.G[:, :, None])
    with pytest.raises(TypeError, match=r"instruments must be numeric"):
        IVLRegression().fit(d.X_aug, d.y, instruments=np.array([["a"]] * 200))
    est = IVLRegression().fit(d.X_aug, d.y, instruments=d.G)
    with pytest.raises(ValueError, match=r"X has 4 features, but IVLRegression is expecting 5"):
        est.predict(d.X[:, :4])
    with pytest.raises(ValueError, match=r"cov_type must be one of"):
        IVLRegression(cov_type="HC9").fit(d.X_aug, d.y, instruments=d.G)
    with pytest.raises(TypeError, match=r"fit_intercept must be a bool"):
        IVLRegression(fit_intercept="yes").fit(d.X_aug, d.y, instruments=d.G)


def test_kclass_bad_kappa(toy):
    d = toy
    with pytest.raises(ValueError, match=r"kappa must be a number or one of"):
        KClassRegression(kappa="gmm").fit(d.X, d.y, instruments=np.c_[d.G, d.X[:, :2]])
    with pytest.raises(TypeError, match=r"kappa must be a real number or a string"):
        KClassRegression(kappa=[1]).fit(d.X, d.y, instruments=np.c_[d.G, d.X[:, :2]])


def test_augmenter_errors(toy):
    d = toy
    with pytest.raises(TypeError, match=r"augmenter must be a callable"):
        DAIVLRegression(None).fit(d.X, d.y)
    with pytest.raises(ValueError, match=r"n_augmentations must be >= 1"):
        DAIVLRegression(NullSpaceTranslation(d.directions), n_augmentations=0).fit(d.X, d.y)
    with pytest.raises(TypeError, match=r"augmenter must return a tuple"):
        DAIVLRegression(lambda X, rng: X).fit(d.X, d.y)
    with pytest.raises(ValueError, match=r"directions must have full row rank"):
        NullSpaceTranslation([[1.0, 0, 0, 0, 0], [2.0, 0, 0, 0, 0]])(d.X, 0)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 3\)"):
        NullSpaceTranslation([[1.0, 0, 0]])(d.X, 0)
    with pytest.raises(ValueError, match=r"strength must be >= 0"):
        NullSpaceTranslation(d.directions, strength=-1)(d.X, 0)
    with pytest.raises(
        ValueError, match=r"augmentations \(GX, G\) must have the same number of rows"
    ):
        DAIVLRegression().fit(d.X, d.y, augmentations=(d.X_aug, d.G[:-1]))
    with pytest.raises(TypeError, match=r"augmentations must be a tuple"):
        DAIVLRegression().fit(d.X, d.y, augmentations=d.X_aug)


def test_cv_errors(toy):
    d = toy
    with pytest.raises(ValueError, match=r"instruments are required"):
        IVLRegressionCV().fit(d.X_aug, d.y)
    with pytest.raises(ValueError, match=r"ivl_alphas must be >= 0"):
        IVLRegressionCV(ivl_alphas=[-1.0, 1.0]).fit(d.X_aug, d.y, instruments=d.G)
    with pytest.raises(ValueError, match=r"cv must be an int, 'holdout', 'level'"):
        IVLRegressionCV(cv="loo").fit(d.X_aug, d.y, instruments=d.G)
    with pytest.raises(ValueError, match=r"cv must be >= 2"):
        IVLRegressionCV(cv=1).fit(d.X_aug, d.y, instruments=d.G)
