# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scaling causalkit with Dask
#
# causalkit does not run its own cluster: it runs on Dask.
#
# * **Data parallelism.** Estimators whose fit reduces to second moments accept `dask.array` and dask
#   DataFrames and reduce them block by block on the cluster: `IVLRegression` / `KClassRegression` (the
#   triangular factor of the centred `[Z, X, y]`), `CompositionalPartialCorrelation` (the clr covariance), the
#   debiasers' `transform` (block by block) and `DebiasedATE(inference="analytic")` (per-arm sums). The data
#   are never gathered in one place. The answers equal the in-memory fits up to rounding.
# * **Task parallelism.** Loops of independent work (bootstrap replicates, cross-fitting folds) go through
#   joblib with one seed per task. Inside `joblib.parallel_config(backend="dask")` they run on the cluster,
#   and the results are the same as a sequential run.
#
# This notebook starts a real `LocalCluster` (2 worker processes on loopback), fits IVL on 10 million
# lazily generated rows, debiases 10 million predictions, and runs a bootstrap on the cluster. When
# `CAUSALKIT_VIGNETTE_FAST=1` (the test run), it uses 10⁶ rows instead.

# %%
import os
import time

import dask
import matplotlib.pyplot as plt
import numpy as np
from dask.distributed import Client, LocalCluster
from joblib import parallel_config

from causalkit._base import EffectResult, bootstrap
from causalkit.datasets import make_dask_debias_study, make_dask_iv_sem
from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser
from causalkit.iv import IVLRegression

FAST = os.environ.get("CAUSALKIT_VIGNETTE_FAST") == "1" or (
    os.environ.get("CAUSALKIT_scaling_with_dask.py_FAST") == "1"
)
N = 1_000_000 if FAST else 10_000_000
CHUNK = 125_000 if FAST else 1_000_000

# %% [markdown]
# ## A local cluster
#
# In a notebook, `LocalCluster()` is enough. When this file runs as a plain script, worker processes started
# with "spawn" would re-import the script. Either guard the script with `if __name__ == "__main__":` or, as
# here, fork the workers. On a real cluster you connect with `Client("tcp://scheduler:8786")` instead. Nothing
# else changes.

# %%
dask.config.set({"distributed.worker.multiprocessing-method": "fork"})
cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
)
client = Client(cluster)
print(client)

# %% [markdown]
# ## IVL on a dask array that is never materialised
#
# `make_dask_iv_sem` describes a confounded IV model as a lazy dask array: 9 regressors, 10 instruments and
# the outcome (20 columns). Each block is drawn by its own task from its own seed. At 10⁷ rows the data
# would take 1.6 GB in memory. Here each worker holds one block at a time.

# %%
sem = make_dask_iv_sem(N, chunk_size=CHUNK, random_state=0)
print(sem.data)

t0 = time.perf_counter()
iv = IVLRegression(ivl_alpha=0.0, cov_type="HC1").fit(sem.X, sem.y, instruments=sem.Z)
t_iv = time.perf_counter() - t0
ols = IVLRegression(ivl_alpha=np.inf, cov_type=None).fit(sem.X, sem.y, instruments=sem.Z)
print(f"IVL(ivl_alpha=0) on {N:,} rows in {sem.X.numblocks[0]} blocks: {t_iv:.1f} s")
print(f"max |IV coef - truth|  = {np.abs(iv.coef_ - sem.coef).max():.4f}")
print(f"max |OLS coef - truth| = {np.abs(ols.coef_ - sem.coef).max():.4f}  (confounded)")
iv.summary()

# %% [markdown]
# The robust (HC1) standard errors need a second pass over the blocks, which the estimator runs on the cluster.
# `predict` returns a lazy dask array:

# %%
pred = iv.predict(sem.X)
print(type(pred).__name__, pred.shape, "first values:", pred[:3].compute().round(3))

# %% [markdown]
# The same estimator gives the same coefficients on an in-memory copy of the data, up to rounding. Here we
# check on the first block:

# %%
first = sem.data.blocks[0].compute()
k, p = sem.Z.shape[1], sem.X.shape[1]
Xb, yb, Zb = first[:, k : k + p], first[:, -1], first[:, :k]
mem_fit = IVLRegression(ivl_alpha=0.0).fit(Xb, yb, instruments=Zb)
dask_fit = IVLRegression(ivl_alpha=0.0).fit(
    sem.X.blocks[0], sem.y.blocks[0], instruments=sem.Z.blocks[0]
)
print("max |dask - numpy| on one block:", np.abs(mem_fit.coef_ - dask_fit.coef_).max())

# %% [markdown]
# ## Debiasing millions of predictions
#
# A map of ML predictions is shrunk toward the mean. A linear calibration correction (LCC) is fitted once on a
# small labelled calibration set, then applied block by block to the lazily generated predictions.
# `DebiasedATE(inference="analytic")` computes the corrected and naive treatment effects from per-arm sums. The
# calibration uncertainty enters through the delta method.

# %%
study = make_dask_debias_study(N, chunk_size=CHUNK, random_state=1)
lcc = LinearCalibrationDebiaser().fit(study.calibration_predictions, study.calibration_targets)
corrected = lcc.transform(study.predictions)  # lazy
raw_mean, corrected_mean = dask.compute(study.predictions.mean(), corrected.mean())
print(f"map mean: raw {raw_mean:.3f}, corrected {corrected_mean:.3f}, truth {study.true_mean:.3f}")
ate = DebiasedATE(lcc, inference="analytic").fit(study.predictions, study.treatment)
ate.summary()

# %% [markdown]
# ## A bootstrap on the cluster
#
# `causalkit._base.bootstrap` draws each replicate from its own seed, so the replicates are the same in every
# run, whether sequential, on joblib's processes, or on the Dask cluster. It is a bootstrap of 2SLS on an
# in-memory sample of 5 000 rows.

# %%
Xs, ys, Zs = Xb[:5_000], yb[:5_000], Zb[:5_000]


def slope(idx):
    fit = IVLRegression(ivl_alpha=0.0, cov_type=None).fit(Xs[idx], ys[idx], instruments=Zs[idx])
    return fit.coef_[:3]


B = 40 if FAST else 200
sequential = bootstrap(slope, 5_000, n_boot=B, random_state=7)
with parallel_config(backend="dask"):
    on_cluster = bootstrap(slope, 5_000, n_boot=B, random_state=7)
print("identical replicates:", np.array_equal(sequential, on_cluster))
res = EffectResult(
    slope(np.arange(5_000)),
    bootstrap_estimates=on_cluster,
    ci_method="percentile",
    names=["x0", "x1", "x2"],
    method="2SLS, bootstrap percentile",
)
res.summary()

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.hist(on_cluster[:, 0], bins=20, color="C0", alpha=0.7, label="bootstrap replicates (cluster)")
ax.axvline(sem.coef[0], color="k", ls="--", label="truth")
ax.set_xlabel("2SLS coefficient of x0 (5 000-row sample)")
ax.legend()
plt.show()

# %%
client.close()
cluster.close()
