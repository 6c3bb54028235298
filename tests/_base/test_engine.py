"""The shared inference engine: sandwich/cluster covariance, delta method, bootstrap (rows, clusters, strata)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from causalkit._base import (
    InferenceMixin,
    bootstrap,
    bootstrap_replicates,
    delta_method,
    resample_indices,
    sandwich_cov,
)
from causalkit._base.inference import EffectResult
from causalkit.exceptions import ConvergenceWarning


@pytest.fixture
def ols_data():
    rng = np.random.default_rng(3)
    n = 300
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.exponential(size=n)])
    groups = rng.integers(0, 25, size=n)
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=n) * (1 + X[:, 2]) + rng.normal(size=25)[groups]
    return X, y, groups


def test_sandwich_matches_statsmodels_hc1_and_cluster(ols_data):
    X, y, groups = ols_data
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    scores = X * (y - X @ beta)[:, None]
    ref_hc1 = sm.OLS(y, X).fit(cov_type="HC1").cov_params()
    ref_cl = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups}).cov_params()
    np.testing.assert_allclose(sandwich_cov(scores, bread), ref_hc1, rtol=1e-10)
    np.testing.assert_allclose(sandwich_cov(scores, bread, groups=groups), ref_cl, rtol=1e-10)
    ref_hc0 = sm.OLS(y, X).fit(cov_type="HC0").cov_params()
    np.testing.assert_allclose(sandwich_cov(scores, bread, small_sample=False), ref_hc0, rtol=1e-10)


def test_sandwich_refuses_one_cluster_and_bad_shapes(ols_data):
    X, y, _ = ols_data
    scores = X * y[:, None]
    with pytest.raises(ValueError, match="at least two"):
        sandwich_cov(scores, np.eye(3), groups=np.zeros(len(y)))
    with pytest.raises(ValueError, match="bread"):
        sandwich_cov(scores, np.eye(2))


def test_delta_method_ratio_against_simulation():
    rng = np.random.default_rng(0)
    mean, cov = np.array([2.0, 4.0]), np.array([[0.01, 0.002], [0.002, 0.04]])
    draws = rng.multivariate_normal(mean, cov, size=200_000)
    grad = np.array([1 / mean[1], -mean[0] / mean[1] ** 2])  # d(a/b)
    assert delta_method(grad, cov) == pytest.approx(np.var(draws[:, 0] / draws[:, 1]), rel=0.03)
    assert delta_method(np.vstack([grad, grad]), cov).shape == (2, 2)


def test_cluster_bootstrap_takes_whole_clusters_and_strata_keep_size():
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(6), [1, 2, 3, 4, 5, 6])
    idx = resample_indices(rng, groups.size, groups=groups)
    picked = groups[idx]
    for g in np.unique(
        picked
    ):  # every drawn cluster comes with all its rows, a whole number of times
        assert np.sum(picked == g) % np.sum(groups == g) == 0
    strata = np.repeat([0, 1], [5, 16])
    idx = resample_indices(rng, strata.size, strata=strata)
    assert np.sum(strata[idx] == 0) == 5 and np.sum(strata[idx] == 1) == 16


def test_cluster_bootstrap_se_matches_cluster_sandwich_for_a_mean():
    rng = np.random.default_rng(2)
    groups = np.repeat(np.arange(40), 10)
    x = rng.normal(size=40)[groups] + rng.normal(size=400)
    reps = bootstrap(lambda i: x[i].mean(), x.size, n_boot=400, groups=groups, random_state=0)
    se_sandwich = np.sqrt(sandwich_cov((x - x.mean())[:, None], np.eye(1) / x.size, groups=groups))
    assert reps.std(ddof=1) == pytest.approx(float(se_sandwich[0, 0]), rel=0.15)


def test_failed_replicates_are_counted_and_warned():
    x = np.r_[np.zeros(18), 1.0, 1.0]

    def needs_a_one(i):
        if not (x[i] > 0).any():
            raise IndexError("lost the treated arm")
        return x[i].mean()

    reps = bootstrap_replicates(
        needs_a_one, x.size, n_boot=200, random_state=0, catch=(IndexError,)
    )
    assert reps.n_kept + reps.n_dropped == 200
    assert reps.dropped["IndexError"] == reps.n_dropped > 0  # P(no one) = 0.9**20 ≈ 0.12
    with pytest.warns(ConvergenceWarning, match="replicates were dropped"):
        bootstrap(
            lambda i: x[i].mean() if (x[i] > 0).any() else None, x.size, n_boot=200, random_state=0
        )
    with pytest.raises(ValueError, match="could be computed"):
        bootstrap(lambda i: None, x.size, n_boot=10, random_state=0)


def test_inference_mixin_frames():
    class Fitted(InferenceMixin):
        pass

    est = Fitted()
    est.inference_ = EffectResult([1.0, 2.0], [0.5, 1.0], names=["a", "b"])
    ci = est.conf_int(alpha=0.1)
    assert list(ci.columns) == ["lower", "upper"] and list(ci.index) == ["a", "b"]
    assert "a" in str(est.summary(alpha=0.1))


class _TaskWarning(UserWarning):
    pass


def _warning_task(i):
    import warnings as _w

    _w.warn("replicate noisy", _TaskWarning, stacklevel=1)
    if i == 3:
        _w.warn("replicate 3 degenerate", _TaskWarning, stacklevel=1)
    return i * i


def test_worker_warnings_reach_the_user_once_each(recwarn):
    # with n_jobs=2 each worker used to print its own copy of every warning (20 copies for 20 tasks)
    from causalkit._base import parallel_map

    out = parallel_map(_warning_task, range(20), n_jobs=2)
    assert out == [i * i for i in range(20)]
    messages = sorted(str(w.message) for w in recwarn if w.category is _TaskWarning)
    assert messages == ["replicate 3 degenerate", "replicate noisy"]
    assert all(w.filename == __file__ for w in recwarn if w.category is _TaskWarning)
