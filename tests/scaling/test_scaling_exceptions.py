"""Bad dask input gets a clear error naming the argument."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causalkit._base import bootstrap
from causalkit._base._dask import as_dask_array
from causalkit.compositional import CompositionalPartialCorrelation
from causalkit.datasets import make_dask_debias_study, make_dask_iv_sem
from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser
from causalkit.iv import IVLRegression

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")


@pytest.fixture(autouse=True)
def _synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture
def iv_data():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(400, 2))
    X = Z @ [[1.0], [0.5]] + rng.normal(size=(400, 1))
    y = X[:, 0] + rng.normal(size=400)
    return X, y, Z


def _d(a, chunks=100):
    return da.from_array(a, chunks=(chunks,) + (-1,) * (np.ndim(a) - 1))


@pytest.mark.parametrize("where", ["X", "y", "instruments"])
def test_iv_nan_named(iv_data, where):
    X, y, Z = (a.copy() for a in iv_data)
    {"X": X, "y": y, "instruments": Z}[where].flat[123] = np.nan
    with pytest.raises(ValueError, match=f"Input {where} contains NaN or infinity"):
        IVLRegression().fit(_d(X), _d(y), instruments=_d(Z))


def test_iv_inf_in_X(iv_data):
    X, y, Z = iv_data
    X = X.copy()
    X[5, 0] = np.inf
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        IVLRegression().fit(_d(X), y, instruments=Z)


def test_iv_mismatched_lengths(iv_data):
    X, y, Z = iv_data
    with pytest.raises(ValueError, match="X has 400 rows but y has 399"):
        IVLRegression().fit(_d(X), _d(y[:-1]), instruments=_d(Z))
    with pytest.raises(ValueError, match="instruments has 300 rows"):
        IVLRegression().fit(_d(X), y, instruments=Z[:300])


def test_iv_wrong_dimensions_and_types(iv_data):
    X, y, Z = iv_data
    with pytest.raises(ValueError, match="y must be 1-dimensional"):
        IVLRegression().fit(_d(X), _d(np.c_[y, y]), instruments=Z)
    with pytest.raises(TypeError, match="X: expected numeric"):
        IVLRegression().fit(da.from_array(np.array([["a"], ["b"]] * 200)), y, instruments=Z)
    ddf = dd.from_pandas(pd.DataFrame({"x": X[:, 0], "s": ["a"] * 400}), npartitions=2)
    with pytest.raises(TypeError, match=r"X: columns \['s'\] are not numeric"):
        IVLRegression().fit(ddf, y, instruments=Z)
    with pytest.raises(ValueError, match="requires y to be passed"):
        IVLRegression().fit(_d(X), None, instruments=Z)


def test_iv_options_on_dask(iv_data):
    X, y, Z = iv_data
    with pytest.raises(ValueError, match=r"groups .* not supported with dask"):
        IVLRegression().fit(_d(X), y, instruments=Z, groups=np.arange(400) % 5)
    with pytest.raises(ValueError, match="cov_type must be one of"):
        IVLRegression(cov_type="HC3").fit(_d(X), y, instruments=Z)
    with pytest.raises(ValueError, match="instruments are rank-deficient"):
        IVLRegression().fit(_d(X), y, instruments=_d(np.c_[Z, Z[:, 0]]))
    with pytest.raises(ValueError, match="X has 2 features, but IVLRegression is expecting 1"):
        IVLRegression().fit(X, y, instruments=Z).predict(_d(np.c_[X, X]))


def test_as_dask_array_errors():
    with pytest.raises(ValueError, match="X must be 2-dimensional"):
        as_dask_array(da.zeros((2, 2, 2)), "X", ndim=2)
    with pytest.raises(TypeError, match="v: expected a dask array or dask DataFrame"):
        import dask.bag as db

        as_dask_array(db.from_sequence([1, 2]), "v", ndim=1)


def test_debias_dask_errors():
    sim = make_dask_debias_study(2_000, chunk_size=500, random_state=0)
    lcc = LinearCalibrationDebiaser().fit(sim.calibration_predictions, sim.calibration_targets)
    with pytest.raises(ValueError, match="dask inputs need inference='analytic'"):
        DebiasedATE(lcc).fit(sim.predictions, sim.treatment)
    with pytest.raises(ValueError, match="without covariates or groups"):
        DebiasedATE(lcc, inference="analytic").fit(
            sim.predictions, sim.treatment, covariates=np.ones((2_000, 1))
        )
    with pytest.raises(ValueError, match="needs the known propensity"):
        DebiasedATE(lcc, method="ipw", inference="analytic").fit(sim.predictions, sim.treatment)
    with pytest.raises(ValueError, match="treatment must be binary 0/1"):
        DebiasedATE(lcc, inference="analytic").fit(sim.predictions, sim.treatment * 2)
    bad = sim.predictions.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="predictions contains NaN"):
        DebiasedATE(lcc, inference="analytic").fit(bad, sim.treatment)
    with pytest.raises(ValueError, match="propensity must lie strictly between 0 and 1"):
        DebiasedATE(lcc, method="ipw", inference="analytic").fit(
            sim.predictions, sim.treatment, propensity=da.ones(2_000, chunks=500)
        )
    with pytest.raises(ValueError, match="weights must be finite and non-negative"):
        DebiasedATE(lcc, inference="analytic").fit(
            sim.predictions, sim.treatment, weights=-da.ones(2_000, chunks=500)
        )
    with pytest.raises(ValueError, match="predictions has 2000 rows but treatment has 1999"):
        DebiasedATE(lcc, inference="analytic").fit(sim.predictions, sim.treatment[:-1])
    with pytest.raises(ValueError, match="both treated"):
        DebiasedATE(lcc, inference="analytic").fit(sim.predictions, da.zeros(2_000, chunks=500))
    with pytest.raises(ValueError, match="predictions must be 1-D or a single column"):
        lcc.transform(da.ones((10, 2), chunks=5))


def test_pcor_dask_errors():
    X = np.exp(np.random.default_rng(0).normal(size=(100, 4)))
    with pytest.raises(ValueError, match="dask inputs support shrinkage=None only"):
        CompositionalPartialCorrelation(shrinkage="basis").fit(_d(X))
    with pytest.raises(ValueError, match="zero_replacement=None or a float delta"):
        CompositionalPartialCorrelation(zero_replacement="min").fit(_d(X))
    with pytest.raises(ValueError, match="a minimum of 3 is required"):
        CompositionalPartialCorrelation().fit(_d(X[:, :2]))
    Xz = X.copy()
    Xz[4, 1] = 0.0
    with pytest.raises(ValueError, match="strictly positive parts"):
        CompositionalPartialCorrelation().fit(_d(Xz))
    Xz[4, 1] = -1.0
    with pytest.raises(ValueError, match="strictly positive parts"):
        CompositionalPartialCorrelation(zero_replacement=0.01).fit(_d(Xz))
    est = CompositionalPartialCorrelation().fit(_d(X))
    # a dask fit has no bootstrap (it needs the data in memory): the accessors say so
    assert est.inference_ is None
    with pytest.raises(ValueError, match="the bootstrap needs the data in memory"):
        est.conf_int()


def test_bootstrap_and_simulator_errors():
    with pytest.raises(ValueError, match="n_boot must be an integer >= 2"):
        bootstrap(np.mean, 10, n_boot=1)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        bootstrap(np.mean, 0)
    with pytest.raises(TypeError, match="statistic must be callable"):
        bootstrap("mean", 10)
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        make_dask_iv_sem(100, chunk_size=0)
    with pytest.raises(ValueError, match="n_calibration must be >= 3"):
        make_dask_debias_study(100, n_calibration=2)
