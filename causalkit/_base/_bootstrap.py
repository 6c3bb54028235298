"""Nonparametric bootstrap through :func:`~causalkit._base.parallel_map` (so a Dask backend works unchanged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .parallel import parallel_map, spawn_seeds

__all__ = ["bootstrap"]


def bootstrap(
    statistic: Callable[[np.ndarray], Any],
    n_samples: int,
    *,
    n_boot: int = 200,
    random_state: Any = None,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> np.ndarray:
    """Bootstrap replicates ``statistic(indices)`` over resampled row indices, one seed per replicate.

    Replicate ``b`` draws ``n_samples`` indices with replacement from its own seed ``spawn_seeds(random_state,
    n_boot)[b]``, so the replicates do not depend on ``n_jobs``, on the joblib backend (e.g. Dask through
    ``joblib.parallel_config(backend="dask")``) or on the order in which tasks finish, and a restarted task
    recomputes the same replicate.

    Parameters
    ----------
    statistic : callable
        ``statistic(indices) -> float or 1-D array``; must be picklable for process or cluster backends.
    n_samples : int
        Number of rows to resample.
    n_boot : int, default 200
        Number of replicates.
    random_state : int, RandomState, Generator or None
    n_jobs : int or None
        joblib's ``n_jobs``.
    verbose : bool
        Progress bar.

    Returns
    -------
    ndarray of shape (n_boot, k)
        Pass it to :class:`~causalkit._base.EffectResult` as ``bootstrap_estimates`` for percentile intervals.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=200)
    >>> reps = bootstrap(lambda idx: x[idx].mean(), len(x), n_boot=100, random_state=0)
    >>> reps.shape, bool(abs(reps.std() - x.std() / np.sqrt(200)) < 0.03)
    ((100, 1), True)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(f"n_boot must be an integer >= 2; got {n_boot!r}.")
    if not callable(statistic):
        raise TypeError(f"statistic must be callable; got {type(statistic).__name__}.")
    seeds = spawn_seeds(random_state, int(n_boot))
    task = _Replicate(statistic, int(n_samples))
    reps = parallel_map(task, seeds, n_jobs=n_jobs, verbose=verbose, desc="bootstrap")
    out = [np.atleast_1d(np.asarray(r, dtype=float)).ravel() for r in reps]
    return np.vstack(out)


class _Replicate:
    """Picklable task: one bootstrap replicate from its own seed."""

    def __init__(self, statistic: Callable[[np.ndarray], Any], n: int):
        self.statistic = statistic
        self.n = n

    def __call__(self, seed: int) -> Any:
        idx = np.random.default_rng(seed).integers(0, self.n, size=self.n)
        return self.statistic(idx)
