"""Out-of-core fits and task parallelism on a real ``dask.distributed.LocalCluster`` (processes, loopback).

One module-scoped cluster (2 worker processes, 1 thread each) is shared by every test here.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from causalkit._base import EffectResult, bootstrap
from causalkit.datasets import make_dask_iv_sem
from causalkit.iv import IVLRegression, KClassRegression

distributed = pytest.importorskip("dask.distributed")
da = pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as cl,
    ):
        yield cl


ESTIMATORS = [
    IVLRegression(ivl_alpha=1.0),
    IVLRegression(ivl_alpha=0.0, cov_type="nonrobust"),
    KClassRegression(kappa="liml", cov_type="HC0"),
]


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: repr(e))
def test_dask_fit_equals_numpy_fit_on_cluster(client, est):
    sem = make_dask_iv_sem(60_000, n_features=3, n_instruments=4, chunk_size=7_000, random_state=1)
    X, y, Z = sem.materialize()
    ref = est.fit(X, y, instruments=Z)
    coef, icpt, cov = ref.coef_.copy(), ref.intercept_, ref.cov_.copy()
    on_cluster = est.fit(sem.X, sem.y, instruments=sem.Z)
    np.testing.assert_allclose(on_cluster.coef_, coef, rtol=1e-8, atol=1e-10)
    assert abs(on_cluster.intercept_ - icpt) < 1e-8
    np.testing.assert_allclose(on_cluster.cov_, cov, rtol=1e-8, atol=1e-14)
    # and the estimate is the right one: 2SLS/LIML close to the causal coefficients at n = 60 000
    if est.get_params().get("ivl_alpha", 0.0) == 0.0:
        assert np.abs(on_cluster.coef_ - sem.coef).max() < 0.05


def test_worker_killed_mid_computation_gives_same_answer(client, tmp_path):
    sem = make_dask_iv_sem(40_000, n_features=3, n_instruments=4, chunk_size=5_000, random_state=2)
    marker = str(tmp_path / "killed-once")
    workers_before = set(client.scheduler_info()["workers"])

    def die_once_on_block_3(block, block_info=None):
        if block_info[None]["chunk-location"][0] == 3 and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(
                1
            )  # the worker process dies; the nanny restarts it, the scheduler reruns the task
        return block

    data = sem.data.map_blocks(die_once_on_block_3, dtype=np.float64)
    k, p = 4, 3
    est = IVLRegression(ivl_alpha=0.5, cov_type="HC1")
    fit = est.fit(data[:, k : k + p], data[:, -1], instruments=data[:, :k])
    assert os.path.exists(marker), "the worker was not killed: the test did not test anything"
    workers_after = set(client.scheduler_info()["workers"])
    assert workers_after != workers_before or len(workers_after) < 2
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    X, y, Z = sem.materialize()
    ref = IVLRegression(ivl_alpha=0.5, cov_type="HC1").fit(X, y, instruments=Z)
    np.testing.assert_allclose(fit.coef_, ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(fit.cov_, ref.cov_, rtol=1e-8)


def test_bootstrap_through_dask_backend_equals_sequential(client):
    from joblib import parallel_config

    rng = np.random.default_rng(5)
    n = 400
    Z = rng.normal(size=(n, 2))
    u = rng.normal(size=n)
    X = (Z @ [1.0, 0.5] + u)[:, None]
    y = 2.0 * X[:, 0] + u + rng.normal(size=n)

    def statistic(idx):
        fit = IVLRegression(ivl_alpha=0.0, cov_type=None).fit(X[idx], y[idx], instruments=Z[idx])
        return np.r_[fit.intercept_, fit.coef_]

    point = statistic(np.arange(n))
    # joblib runs tasks in-process when the cluster offers one thread only: make sure both workers are up
    client.wait_for_workers(2, timeout=60)
    sequential = bootstrap(statistic, n, n_boot=24, random_state=11)
    with distributed.get_task_stream(client) as tasks, parallel_config(backend="dask"):
        on_cluster = bootstrap(statistic, n, n_boot=24, random_state=11)
    assert len(tasks.data) >= 1, "nothing ran on the cluster"
    assert np.array_equal(sequential, on_cluster)
    ci_seq = EffectResult(point, bootstrap_estimates=sequential, ci_method="percentile").conf_int()
    ci_dask = EffectResult(point, bootstrap_estimates=on_cluster, ci_method="percentile").conf_int()
    assert np.array_equal(np.asarray(ci_seq), np.asarray(ci_dask))
    # the replicates are real resamples: the slope's bootstrap SE is near its sandwich SE
    hc = IVLRegression(ivl_alpha=0.0).fit(X, y, instruments=Z).stderr_[1]
    assert 0.5 * hc < sequential[:, 1].std(ddof=1) < 2.0 * hc


def test_pcor_and_debias_on_cluster_equal_numpy(client):
    from causalkit.compositional import CompositionalPartialCorrelation
    from causalkit.datasets import make_dask_debias_study
    from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser

    rng = np.random.default_rng(8)
    X = np.exp(rng.normal(size=(20_000, 6)) @ rng.normal(size=(6, 6)) / 2)
    ref = CompositionalPartialCorrelation().fit(X)
    got = CompositionalPartialCorrelation().fit(da.from_array(X, chunks=(2_500, 6)))
    np.testing.assert_allclose(got.partial_corr_, ref.partial_corr_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(got.covariance_, ref.covariance_, rtol=1e-8, atol=1e-14)

    sim = make_dask_debias_study(50_000, chunk_size=6_000, random_state=3)
    pred, a = sim.materialize()
    lcc = LinearCalibrationDebiaser().fit(sim.calibration_predictions, sim.calibration_targets)
    np.testing.assert_allclose(
        lcc.transform(sim.predictions).compute(), lcc.transform(pred), rtol=1e-12
    )
    ref = DebiasedATE(lcc, inference="analytic").fit(pred, a)
    got = DebiasedATE(lcc, inference="analytic").fit(sim.predictions, sim.treatment)
    assert got.effect_ == pytest.approx(ref.effect_, rel=1e-10)
    assert got.stderr_ == pytest.approx(ref.stderr_, rel=1e-8)


def test_family_bootstraps_through_dask_backend_equal_sequential(client):
    """The merged families' own bootstraps (DebiasedATE, CompositionalPartialCorrelation) on the cluster."""
    from joblib import parallel_config

    from causalkit.compositional import CompositionalPartialCorrelation
    from causalkit.datasets import make_linear_shrinkage
    from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser

    client.wait_for_workers(2, timeout=60)
    d = make_linear_shrinkage(1_500, 500, random_state=0)

    def ate():
        return DebiasedATE(LinearCalibrationDebiaser(), n_bootstrap=30, random_state=4).fit(
            d.predictions,
            d.treatment,
            calibration=(d.calibration_predictions, d.calibration_targets),
        )

    rng = np.random.default_rng(1)
    X = np.exp(rng.normal(size=(300, 4)))

    def pcor():
        return CompositionalPartialCorrelation(n_bootstrap=30, random_state=2).fit(X).inference_

    seq_ate, seq_pcor = ate(), pcor()
    with distributed.get_task_stream(client) as tasks, parallel_config(backend="dask"):
        dask_ate, dask_pcor = ate(), pcor()
    assert len(tasks.data) >= 1, "nothing ran on the cluster"
    np.testing.assert_array_equal(dask_ate.bootstrap_effects_, seq_ate.bootstrap_effects_)
    pd.testing.assert_frame_equal(dask_ate.conf_int(), seq_ate.conf_int())
    np.testing.assert_array_equal(dask_pcor.bootstrap_estimates, seq_pcor.bootstrap_estimates)
    pd.testing.assert_frame_equal(dask_pcor.conf_int(), seq_pcor.conf_int())
