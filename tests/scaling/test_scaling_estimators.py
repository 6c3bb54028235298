"""Dask inputs without a cluster (dask's in-process scheduler): equality with the numpy fits, the lazy
simulators' truth, the chunk-wise reduction's accuracy, the shared bootstrap and the CLI demo."""

from __future__ import annotations

import argparse
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from causalkit._base import bootstrap, check_sklearn_contract
from causalkit._base._dask import chunked_centered_r, is_dask_collection
from causalkit.compositional import CompositionalPartialCorrelation
from causalkit.datasets import make_dask_debias_study, make_dask_iv_sem
from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser, TweedieDebiaser
from causalkit.iv import IVLRegression, KClassRegression

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")


@pytest.fixture(autouse=True)
def _synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def test_is_dask_collection():
    assert is_dask_collection(da.zeros(3, chunks=2))
    assert not is_dask_collection(np.zeros(3))
    assert not is_dask_collection(pd.Series([1.0]))


def test_chunked_factor_keeps_accuracy_with_large_means():
    # columns with mean 1e6 and sd 1: a raw Gram matrix would lose ~12 digits; the pooled factor does not
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30_011, 4)) * [1.0, 1e-3, 10.0, 1.0] + [1e6, -5.0, 0.0, 1e3]
    s = chunked_centered_r([da.from_array(x, chunks=(4_000, 4))])
    xc = x - x.mean(axis=0)
    ref = np.linalg.qr(xc, mode="r")
    np.testing.assert_allclose(np.abs(s.R), np.abs(ref), rtol=1e-9, atol=1e-9 * np.abs(ref).max())
    np.testing.assert_allclose(s.mean, x.mean(axis=0), rtol=1e-14)
    assert s.n == 30_011 and s.finite.all()


@pytest.mark.parametrize(
    "est",
    [
        IVLRegression(ivl_alpha=0.3, fit_intercept=False),
        IVLRegression(ivl_alpha=np.inf, cov_type="HC0"),
        KClassRegression(kappa="fuller(1)", cov_type="nonrobust"),
        KClassRegression(kappa=0.5, cov_type=None),
    ],
    ids=repr,
)
def test_iv_dask_equals_numpy(est):
    sem = make_dask_iv_sem(9_000, n_features=2, n_instruments=3, chunk_size=1_300, random_state=4)
    X, y, Z = sem.materialize()
    ref = est.fit(X, y, instruments=Z)
    coef, icpt, cov = ref.coef_.copy(), ref.intercept_, ref.cov_
    got = est.fit(sem.X, sem.y, instruments=sem.Z)
    np.testing.assert_allclose(got.coef_, coef, rtol=1e-8, atol=1e-12)
    assert abs(got.intercept_ - icpt) < 1e-8
    if cov is not None:
        np.testing.assert_allclose(got.cov_, cov, rtol=1e-8)
    assert got.nobs_ == 9_000
    pd.testing.assert_frame_equal(got.first_stage_, ref.first_stage_, rtol=1e-8)


def test_iv_dask_dataframe_mixed_inputs_and_lazy_predict():
    sem = make_dask_iv_sem(6_000, n_features=2, n_instruments=2, chunk_size=1_000, random_state=5)
    X, y, Z = sem.materialize()
    ddf = dd.from_pandas(pd.DataFrame(X, columns=["price", "income"]), npartitions=4)
    est = IVLRegression(ivl_alpha=0.0).fit(ddf, y, instruments=Z)  # dask X, numpy y and Z
    ref = IVLRegression(ivl_alpha=0.0).fit(
        pd.DataFrame(X, columns=["price", "income"]), y, instruments=Z
    )
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8)
    assert list(est.feature_names_in_) == ["price", "income"]
    pred = est.predict(sem.X)
    assert is_dask_collection(pred)
    np.testing.assert_allclose(pred.compute(), ref.predict(X), rtol=1e-10)
    # a dask-fitted estimator is an ordinary fitted estimator: pickles, summary works
    clone_ = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(clone_.coef_, est.coef_)
    assert "price" in str(est.summary())


def test_iv_sklearn_contract_still_holds():
    sem = make_dask_iv_sem(2_000, n_features=2, n_instruments=2, chunk_size=500, random_state=0)
    for est in (IVLRegression(ivl_alpha=0.5), KClassRegression(kappa="liml")):
        check_sklearn_contract(
            est,
            lambda e: e.fit(sem.X, sem.y, instruments=sem.Z),
            lambda e: np.r_[e.intercept_, e.coef_, e.cov_.ravel()],
        )


def test_dask_iv_simulator_truth():
    sem = make_dask_iv_sem(
        120_000, n_features=3, n_instruments=4, chunk_size=30_000, random_state=7
    )
    iv = IVLRegression(ivl_alpha=0.0).fit(sem.X, sem.y, instruments=sem.Z)
    ols = IVLRegression(ivl_alpha=np.inf, cov_type=None).fit(sem.X, sem.y, instruments=sem.Z)
    assert np.abs(iv.coef_ - sem.coef).max() < 5 * iv.stderr_[1:].max()
    assert abs(iv.intercept_ - sem.intercept) < 0.05
    # least squares converges to coef + the simulator's population bias
    assert np.abs(ols.coef_ - sem.coef - sem.ols_bias).max() < 0.02
    assert np.abs(sem.ols_bias).max() > 0.1
    # blocks do not depend on who computes them or in which order
    X, _, _ = sem.materialize()
    np.testing.assert_array_equal(sem.X.blocks[2].compute(), X[60_000:90_000])


def test_debias_transform_and_ate_equal_numpy():
    sim = make_dask_debias_study(40_000, chunk_size=7_000, random_state=1)
    pred, a = sim.materialize()
    rng = np.random.default_rng(0)
    e = rng.uniform(0.2, 0.8, size=pred.shape[0])
    w = rng.uniform(0.5, 2.0, size=pred.shape[0])
    e_d, w_d = da.from_array(e, chunks=5_000), da.from_array(w, chunks=9_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for deb in (LinearCalibrationDebiaser(), TweedieDebiaser(bandwidth_adjust=0.5)):
            deb.fit(sim.calibration_predictions, sim.calibration_targets)
            out = deb.transform(sim.predictions)
            assert is_dask_collection(out)
            np.testing.assert_allclose(out.compute(), deb.transform(pred), rtol=1e-12, atol=1e-12)
            for method, kw, kw_d in (
                ("difference", {"weights": w}, {"weights": w_d}),
                ("ipw", {"propensity": e}, {"propensity": e_d}),
            ):
                ref = DebiasedATE(deb, method=method, inference="analytic").fit(pred, a, **kw)
                got = DebiasedATE(deb, method=method, inference="analytic").fit(
                    sim.predictions, sim.treatment, **kw_d
                )
                assert got.effect_ == pytest.approx(ref.effect_, rel=1e-10)
                assert got.stderr_ == pytest.approx(ref.stderr_, rel=1e-8)
                assert got.naive_effect_ == pytest.approx(ref.naive_effect_, rel=1e-10)
                assert got.naive_stderr_ == pytest.approx(ref.naive_stderr_, rel=1e-8)


def test_debias_on_dask_recovers_truth():
    sim = make_dask_debias_study(200_000, chunk_size=50_000, random_state=2)
    lcc = LinearCalibrationDebiaser().fit(sim.calibration_predictions, sim.calibration_targets)
    est = DebiasedATE(lcc, inference="analytic").fit(sim.predictions, sim.treatment)
    assert abs(est.effect_ - sim.ate) < 3 * est.stderr_
    assert abs(est.naive_effect_ - sim.naive_ate) < 0.02
    mean = float(lcc.transform(sim.predictions).mean().compute())
    assert abs(mean - sim.true_mean) < 0.05  # calibration-set error of the LCC line dominates


def test_pcor_dask_equals_numpy():
    rng = np.random.default_rng(3)
    X = np.exp(rng.normal(size=(5_000, 5)) @ rng.normal(size=(5, 5)))
    X[rng.random(X.shape) < 0.01] = 0.0
    for kw in ({"zero_replacement": 1e-3}, {"zero_replacement": 1e-3, "ddof": 0}):
        ref = CompositionalPartialCorrelation(**kw).fit(X)
        got = CompositionalPartialCorrelation(**kw).fit(da.from_array(X, chunks=(700, 5)))
        np.testing.assert_allclose(got.partial_corr_, ref.partial_corr_, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(got.covariance_, ref.covariance_, rtol=1e-8, atol=1e-14)
        np.testing.assert_allclose(got.closure_null_, ref.closure_null_, rtol=1e-8, atol=1e-12)
    df = pd.DataFrame(X + 1.0, columns=list("abcde"))
    got = CompositionalPartialCorrelation().fit(dd.from_pandas(df, npartitions=3))
    ref = CompositionalPartialCorrelation().fit(df)
    pd.testing.assert_frame_equal(got.partial_corr_, ref.partial_corr_, rtol=1e-8)


def test_bootstrap_same_for_any_n_jobs_and_seeded():
    x = np.random.default_rng(0).normal(size=300)

    def stat(idx):
        return np.r_[x[idx].mean(), np.median(x[idx])]

    one = bootstrap(stat, 300, n_boot=20, random_state=3)
    two = bootstrap(stat, 300, n_boot=20, random_state=3, n_jobs=2)
    assert one.shape == (20, 2)
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, bootstrap(stat, 300, n_boot=20, random_state=4))
    # replicate b does not depend on how many are drawn
    np.testing.assert_array_equal(one[:5], bootstrap(stat, 300, n_boot=5, random_state=3))


def test_cli_demo_and_subcommand(capsys):
    from causalkit.iv._dask_cli import DEMO_NAME, register, run_demo

    out = run_demo(random_state=0)
    assert DEMO_NAME == "ivl-dask"
    assert abs(out["estimate"] - out["truth"]) < 0.05
    assert abs(out["naive"] - out["truth"]) > 0.1
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["dask-ivl", "--n-samples", "2e4", "--chunk-size", "5e3"])
    assert args.func(args) == 0
    assert "4 blocks" in capsys.readouterr().out


def test_chunked_factor_tree_reduction_many_blocks(monkeypatch):
    from causalkit._base import _dask as helpers

    monkeypatch.setattr(helpers, "_MAX_LEAVES", 4)
    monkeypatch.setattr(helpers, "_FAN_IN", 3)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5_003, 3)) + np.array([10.0, -3.0, 0.5])
    for center in (True, False):
        s = chunked_centered_r(
            [da.from_array(x, chunks=(97, 3))], center=center
        )  # 52 blocks, 3 levels
        xc = x - x.mean(axis=0) if center else x
        G = xc.T @ xc
        np.testing.assert_allclose(s.R.T @ s.R, G, rtol=1e-10, atol=1e-9 * np.abs(G).max())
        assert s.n == 5_003
    x[4_000, 2] = np.inf
    s = chunked_centered_r([da.from_array(x, chunks=(97, 3))])
    assert list(s.finite) == [True, True, False]
