"""Simulators for the scaling (Dask) parts: data generated lazily, chunk by chunk, with known truth.

Nothing is materialised when the simulator is called: each row block is drawn by its own task from its own seed
(``spawn_seeds(random_state, n_blocks)[b]``), so a block is the same whichever worker draws it, however often, and
an array of 10^8 rows costs no memory until a reduction streams through it. Neither dask nor torch is imported at
module import time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["make_dask_iv_sem"]


def make_dask_iv_sem(
    n_samples: int = 1_000_000,
    n_features: int = 9,
    n_instruments: int = 10,
    *,
    chunk_size: int = 250_000,
    confounding: float = 1.0,
    random_state: Any = None,
) -> Bunch:
    """Confounded linear IV model as lazily generated ``dask.array`` columns.

    Per row: instruments ``Z ~ N(0, I_k)``, hidden confounder ``H ~ N(0, 1)``,
    ``X = Z @ Gamma + confounding * H * delta + N(0, I_p)``, ``y = 1 + X @ coef + confounding * H + N(0, 1)``.
    IV (``IVLRegression(alpha=0)``, 2SLS) is consistent for ``coef`` when ``n_instruments >= n_features``;
    least squares is biased by ``confounding``.

    Parameters
    ----------
    n_samples : int, default 1_000_000
    n_features : int, default 9
    n_instruments : int, default 10
        With the defaults ``[Z, X, y]`` has 20 columns (10^8 rows = 16 GB of float64).
    chunk_size : int, default 250_000
        Rows per block (each block is drawn by one task).
    confounding : float, default 1.0
        Strength of the hidden confounder.
    random_state : int, RandomState or None
        Seeds the coefficients and, through per-block seeds, every block.

    Returns
    -------
    Bunch
        ``data`` (dask array ``[Z, X, y]``, shape ``(n_samples, k + p + 1)``), ``X``, ``y``, ``Z`` (lazy slices
        of ``data``), ``coef`` (causal coefficients), ``intercept`` (1.0), ``Gamma``, ``delta``, ``block_seeds``,
        and ``materialize()`` returning the same data as numpy arrays ``(X, y, Z)`` (small n only).

    Examples
    --------
    >>> sem = make_dask_iv_sem(10_000, chunk_size=2_500, random_state=0)
    >>> sem.X.shape, sem.X.numblocks
    ((10000, 9), (4, 1))
    >>> X, y, Z = sem.materialize()
    >>> bool(np.array_equal(X, sem.X.compute()))
    True
    """
    import dask.array as da

    from .._base import spawn_seeds

    for name, val, low in (
        ("n_samples", n_samples, 2),
        ("n_features", n_features, 1),
        ("n_instruments", n_instruments, 1),
        ("chunk_size", chunk_size, 1),
    ):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {val!r}.")
    rng = check_random_state(random_state)
    p, k = int(n_features), int(n_instruments)
    coef = rng.uniform(-2.0, 2.0, size=p)
    Gamma = rng.normal(size=(k, p)) / np.sqrt(k) + np.eye(k, p)
    delta = rng.uniform(0.5, 1.5, size=p)
    n_blocks = -(-int(n_samples) // int(chunk_size))
    row_chunks = tuple(
        min(int(chunk_size), int(n_samples) - b * int(chunk_size)) for b in range(n_blocks)
    )
    seeds = np.asarray(spawn_seeds(rng.randint(0, 2**31 - 1), n_blocks), dtype=np.int64)
    m = k + p + 1
    params = (k, p, coef, Gamma, delta, float(confounding))

    def _block(block_info=None):
        info = block_info[None]
        b = info["chunk-location"][0]
        nb = info["chunk-shape"][0]
        return _draw_block(int(seeds[b]), nb, *params)

    data = da.map_blocks(_block, chunks=(row_chunks, (m,)), dtype=np.float64, meta=np.empty((0, 0)))

    def materialize():
        full = np.vstack([_draw_block(int(s), nb, *params) for s, nb in zip(seeds, row_chunks)])
        return full[:, k : k + p], full[:, -1], full[:, :k]

    return Bunch(
        data=data,
        X=data[:, k : k + p],
        y=data[:, -1],
        Z=data[:, :k],
        coef=coef,
        intercept=1.0,
        Gamma=Gamma,
        delta=delta,
        block_seeds=seeds,
        materialize=materialize,
    )


def _draw_block(seed, nb, k, p, coef, Gamma, delta, confounding) -> np.ndarray:
    g = np.random.default_rng(seed)
    out = np.empty((nb, k + p + 1))
    Z = g.standard_normal((nb, k))
    H = g.standard_normal(nb) * confounding
    X = Z @ Gamma + np.outer(H, delta) + g.standard_normal((nb, p))
    out[:, :k] = Z
    out[:, k : k + p] = X
    out[:, -1] = 1.0 + X @ coef + H + g.standard_normal(nb)
    return out
