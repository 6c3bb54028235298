"""Task parallelism through a real Dask cluster gives the sequential answer (same seeds per task)."""

from __future__ import annotations

import numpy as np
import pytest
from joblib import parallel_config

from causalkit._base import parallel_map, spawn_seeds

distributed = pytest.importorskip("dask.distributed")


def _draw(seed: int) -> float:
    return float(np.random.default_rng(seed).normal())


def test_dask_backend_matches_sequential():
    seeds = spawn_seeds(0, 8)
    sequential = parallel_map(_draw, seeds)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        parallel_config(backend="dask"),
    ):
        on_cluster = parallel_map(_draw, seeds)
    assert on_cluster == sequential
