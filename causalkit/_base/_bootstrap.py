"""The one bootstrap engine: rows, clusters or strata resampled through :func:`~causalkit._base.parallel_map`.

Every family draws its replicates here (so a Dask backend works unchanged, replicates do not depend on ``n_jobs``,
and a replicate that cannot be computed is counted and reported instead of silently dropped).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceWarning
from .parallel import parallel_map, spawn_seeds

__all__ = [
    "BootstrapReplicates",
    "bootstrap",
    "bootstrap_replicates",
    "resample_indices",
    "warn_dropped_replicates",
]


def bootstrap(
    statistic: Callable[[np.ndarray], Any],
    n_samples: int,
    *,
    n_boot: int = 200,
    groups: Any = None,
    strata: Any = None,
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
    groups : array-like of shape (n_samples,), optional
        Cluster labels: resample whole clusters (the cluster bootstrap).
    strata : array-like of shape (n_samples,), optional
        Stratum labels: resample within each stratum, keeping its size.
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
    reps = bootstrap_replicates(
        statistic,
        n_samples,
        n_boot=n_boot,
        groups=groups,
        strata=strata,
        random_state=random_state,
        n_jobs=n_jobs,
        verbose=verbose,
    )
    warn_dropped_replicates(reps, max_share=0.0, stacklevel=3)
    return reps.estimates


@dataclass
class BootstrapReplicates:
    """Replicates that could be computed, and a count of those that could not.

    Attributes
    ----------
    estimates : ndarray of shape (n_kept, k)
        One row per usable replicate, in seed order.
    n_requested : int
        Number of replicates drawn.
    dropped : Counter
        Why replicates were dropped (exception type name, ``"non-finite"`` or ``"unusable"``) and how many.
    """

    estimates: np.ndarray
    n_requested: int
    dropped: Counter = field(default_factory=Counter)

    @property
    def n_dropped(self) -> int:
        return int(sum(self.dropped.values()))

    @property
    def n_kept(self) -> int:
        return int(self.estimates.shape[0])


def resample_indices(
    rng: np.random.Generator,
    n_samples: int,
    *,
    groups: np.ndarray | None = None,
    strata: np.ndarray | None = None,
) -> np.ndarray:
    """Row indices of one bootstrap sample: rows, whole clusters (``groups``), within ``strata``.

    With ``groups``, clusters are drawn with replacement and all their rows taken (the cluster bootstrap); with
    ``strata``, each stratum is resampled on its own with its own size (rows, or clusters nested in strata).
    """
    if groups is None and strata is None:
        return rng.integers(0, n_samples, size=n_samples)
    strata_codes = (
        np.zeros(n_samples, dtype=np.intp)
        if strata is None
        else pd.factorize(np.asarray(strata))[0]
    )
    group_codes = None if groups is None else pd.factorize(np.asarray(groups))[0]
    pieces = []
    for s in range(int(strata_codes.max()) + 1):
        rows = np.flatnonzero(strata_codes == s)
        if group_codes is None:
            pieces.append(rows[rng.integers(0, rows.size, size=rows.size)])
            continue
        clusters, members = np.unique(group_codes[rows], return_inverse=True)
        picked = rng.integers(0, clusters.size, size=clusters.size)
        by_cluster = [rows[members == c] for c in range(clusters.size)]
        pieces.extend(by_cluster[c] for c in picked)
    return np.concatenate(pieces) if pieces else np.empty(0, dtype=np.intp)


class _Replicate:
    """Picklable task: one bootstrap replicate from its own seed (None when it could not be computed)."""

    def __init__(self, statistic, n, groups, strata, catch):
        self.statistic = statistic
        self.n = n
        self.groups = groups
        self.strata = strata
        self.catch = catch

    def __call__(self, seed: int) -> Any:
        rng = np.random.default_rng(seed)
        idx = resample_indices(rng, self.n, groups=self.groups, strata=self.strata)
        try:
            value = self.statistic(idx)
        except self.catch as exc:
            return ("failed", type(exc).__name__)
        if value is None:
            return ("failed", "unusable")
        value = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
        if not np.all(np.isfinite(value)):
            return ("failed", "non-finite")
        return ("ok", value)


def bootstrap_replicates(
    statistic: Callable[[np.ndarray], Any],
    n_samples: int,
    *,
    n_boot: int = 200,
    groups: Any = None,
    strata: Any = None,
    random_state: Any = None,
    n_jobs: int | None = None,
    verbose: bool = False,
    catch: tuple[type[BaseException], ...] = (),
) -> BootstrapReplicates:
    """Bootstrap ``statistic(indices)`` and keep count of replicates that could not be computed.

    Like :func:`bootstrap`, but a replicate whose statistic returns None or a non-finite value, or raises one
    of the exception types in ``catch`` (e.g. an arm lost in the resample), is dropped and counted in
    :attr:`BootstrapReplicates.dropped` by reason; the caller decides what share of losses is acceptable.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10.0)
    >>> reps = bootstrap_replicates(lambda i: x[i].mean() if (x[i] > 8).any() else None, 10, n_boot=50,
    ...                             random_state=0)
    >>> reps.n_kept + reps.n_dropped
    50
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(f"n_boot must be an integer >= 2; got {n_boot!r}.")
    if not callable(statistic):
        raise TypeError(f"statistic must be callable; got {type(statistic).__name__}.")
    for name, labels in (("groups", groups), ("strata", strata)):
        if labels is not None and len(labels) != n_samples:
            raise ValueError(f"{name} has {len(labels)} entries; expected n_samples={n_samples}.")
    groups = None if groups is None else np.asarray(groups)
    strata = None if strata is None else np.asarray(strata)
    seeds = spawn_seeds(random_state, int(n_boot))
    task = _Replicate(statistic, int(n_samples), groups, strata, tuple(catch))
    outcomes = parallel_map(task, seeds, n_jobs=n_jobs, verbose=verbose, desc="bootstrap")
    kept = [value for status, value in outcomes if status == "ok"]
    dropped = Counter(value for status, value in outcomes if status == "failed")
    if kept:
        widths = {v.shape[0] for v in kept}
        if len(widths) > 1:
            raise ValueError(f"statistic returned results of different lengths {sorted(widths)}.")
        estimates = np.vstack(kept)
    else:
        estimates = np.empty((0, 0))
    return BootstrapReplicates(estimates, int(n_boot), dropped)


def warn_dropped_replicates(
    reps: BootstrapReplicates, *, max_share: float = 0.05, stacklevel: int = 3
) -> None:
    """Raise ValueError when no replicate survived; warn when more than ``max_share`` were dropped."""
    if reps.n_kept < 2:
        raise ValueError(
            f"only {reps.n_kept} of {reps.n_requested} bootstrap replicates could be computed "
            f"(dropped: {dict(reps.dropped)}); the bootstrap cannot estimate uncertainty for this sample."
        )
    if reps.n_dropped > max_share * reps.n_requested:
        warnings.warn(
            f"{reps.n_dropped} of {reps.n_requested} bootstrap replicates were dropped "
            f"({dict(reps.dropped)}); the interval rests on the remaining {reps.n_kept}, "
            "which are not a random sample of all replicates.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
