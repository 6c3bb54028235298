from __future__ import annotations

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression, LogisticRegression

from causalkit._base import crossfit_predict, make_folds, parallel_map, spawn_seeds


class _Memorizer(BaseEstimator, RegressorMixin):
    """Predicts the training mean and remembers which rows it saw (to audit cross-fitting)."""

    def fit(self, X, y):
        self.seen_ = set(X[:, 0].astype(int).tolist())
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.mean_)


def test_no_unit_is_predicted_by_a_model_that_saw_it():
    n = 101
    X = np.arange(n, dtype=float)[:, None]
    y = np.random.default_rng(0).normal(size=n)
    res = crossfit_predict(_Memorizer(), X, y, cv=3, random_state=1)
    for model, (_, test) in zip(res.models, res.folds):
        assert not (model.seen_ & set(test.tolist()))
    # each prediction equals the mean of the other folds' outcomes
    for _, test in res.folds:
        mask = np.ones(n, bool)
        mask[test] = False
        np.testing.assert_allclose(res.predictions[test], y[mask].mean())


def test_stratified_for_binary_and_grouped_folds():
    rng = np.random.default_rng(0)
    t = (rng.random(200) < 0.1).astype(float)
    folds = make_folds(200, 4, stratify_by=t, random_state=0)
    assert all(t[te].sum() in (np.floor(t.sum() / 4), np.ceil(t.sum() / 4)) for _, te in folds)
    groups = np.repeat(np.arange(20), 10)
    folds = make_folds(200, 4, groups=groups, random_state=0)
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])


def test_classifier_uses_probabilities_and_parallel_is_identical():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    t = (X[:, 0] + rng.normal(size=300) > 0).astype(float)
    seq = crossfit_predict(LogisticRegression(), X, t, cv=3, random_state=0)
    par = crossfit_predict(LogisticRegression(), X, t, cv=3, random_state=0, n_jobs=2)
    assert np.all((seq.predictions > 0) & (seq.predictions < 1))
    np.testing.assert_array_equal(seq.predictions, par.predictions)


def test_cv_argument_errors():
    X = np.ones((10, 1))
    with pytest.raises(ValueError, match="cv must be an integer >= 2"):
        crossfit_predict(LinearRegression(), X, np.ones(10), cv=1)


def test_spawn_seeds_stable_and_backend_independent():
    assert spawn_seeds(3, 4) == spawn_seeds(3, 4)
    assert spawn_seeds(3, 4) != spawn_seeds(4, 4)
    seeds = spawn_seeds(0, 6)
    draw = lambda s: float(np.random.default_rng(s).normal())  # noqa: E731
    sequential = parallel_map(draw, seeds)
    with parallel_config(backend="threading", n_jobs=2):
        threaded = parallel_map(draw, seeds)
    assert sequential == threaded
