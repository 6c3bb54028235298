"""Simulators for the scaling (Dask) parts: data generated lazily, chunk by chunk, with known truth.

Nothing is materialised when the simulator is called: each row block is drawn by its own task from its own seed
(``spawn_seeds(random_state, n_blocks)[b]``), so a block is the same whichever worker draws it, however often, and
an array of 10^8 rows costs no memory until a reduction streams through it. Neither dask nor torch is imported at
module import time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import Bunch

from .._base.validation import check_int, check_random_state
from ._checks import check_output_size

__all__ = ["make_dask_debias_study", "make_dask_iv_sem"]


# at most this many row blocks: each is a dask task (and a seed); beyond it the graph alone takes minutes to build
MAX_BLOCKS = 10**6


def _check_blocks(n_samples: int, chunk_size: int, *, width: int) -> None:
    """ValueError naming n_samples/chunk_size for too many blocks or one block that cannot fit in memory."""
    n_blocks = -(-int(n_samples) // int(chunk_size))
    if n_blocks > MAX_BLOCKS:
        raise ValueError(
            f"n_samples / chunk_size = {n_samples} / {chunk_size} gives {n_blocks} blocks, more than the "
            f"{MAX_BLOCKS} a dask graph can reasonably hold; raise chunk_size."
        )
    check_output_size(2 * min(int(chunk_size), int(n_samples)) * width, "chunk_size")


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
    IV (``IVLRegression(ivl_alpha=0)``, 2SLS) is consistent for ``coef`` when ``n_instruments >= n_features``;
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
        of ``data``), ``coef`` (causal coefficients), ``intercept`` (1.0), ``ols_bias`` (population bias of least
        squares, ``Cov(X)^-1 Cov(X, confounder)``), ``Gamma``, ``delta``, ``block_seeds``,
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
        check_int(val, name, low=low)
    p, k = int(n_features), int(n_instruments)
    check_output_size(2 * k * p + 2 * p * p, "n_features and n_instruments")
    _check_blocks(n_samples, chunk_size, width=k + p + 1)
    rng = check_random_state(random_state)
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

    c = float(confounding)
    cov_x = Gamma.T @ Gamma + c**2 * np.outer(delta, delta) + np.eye(p)
    ols_bias = np.linalg.solve(
        cov_x, c**2 * delta
    )  # population least-squares bias: Cov(X)^-1 Cov(X, H)
    return Bunch(
        ols_bias=ols_bias,
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


def make_dask_debias_study(
    n_samples: int = 1_000_000,
    n_calibration: int = 2_000,
    *,
    chunk_size: int = 250_000,
    shrinkage: float = 0.6,
    ate: float = 1.0,
    random_state: Any = None,
) -> Bunch:
    """A large predicted map / trial with linearly shrunk predictions, as lazily generated ``dask.array``.

    Per unit: treatment ``A ~ Bernoulli(1/2)``, truth ``Y = 2 + ate * A + N(0, 1)``, prediction
    ``P = 0.5 + shrinkage * Y + N(0, 0.3^2)`` (classical linear shrinkage: LCC recovers the truth's mean and
    contrasts, naive contrasts are attenuated by ``shrinkage``). The calibration pairs ``(P, Y)`` are a small
    in-memory sample of the same population.

    Parameters
    ----------
    n_samples : int, default 1_000_000
        Units of the map / trial (lazy, ``chunk_size`` rows per task).
    n_calibration : int, default 2_000
    chunk_size : int, default 250_000
    shrinkage : float, default 0.6
    ate : float, default 1.0
    random_state : int, RandomState or None

    Returns
    -------
    Bunch
        ``predictions`` and ``treatment`` (dask arrays), ``calibration_predictions``, ``calibration_targets``
        (numpy), ``true_mean`` (population mean of ``Y``: ``2 + ate / 2``), ``ate``, ``naive_ate``
        (``shrinkage * ate``), and ``materialize()`` returning ``(predictions, treatment)`` as numpy arrays.

    Examples
    --------
    >>> sim = make_dask_debias_study(10_000, chunk_size=5_000, random_state=0)
    >>> sim.predictions.numblocks, sim.true_mean
    ((2,), 2.5)
    """
    import dask.array as da

    from .._base import spawn_seeds

    for name, val, low in (
        ("n_samples", n_samples, 2),
        ("n_calibration", n_calibration, 3),
        ("chunk_size", chunk_size, 1),
    ):
        check_int(val, name, low=low)
    if not 0 < shrinkage:
        raise ValueError(f"shrinkage must be positive; got {shrinkage!r}.")
    check_output_size(3 * int(n_calibration), "n_calibration")
    _check_blocks(n_samples, chunk_size, width=3)
    rng = check_random_state(random_state)
    n_blocks = -(-int(n_samples) // int(chunk_size))
    row_chunks = tuple(
        min(int(chunk_size), int(n_samples) - b * int(chunk_size)) for b in range(n_blocks)
    )
    seeds = np.asarray(spawn_seeds(rng.randint(0, 2**31 - 1), n_blocks + 1), dtype=np.int64)
    params = (float(shrinkage), float(ate))

    def _block(block_info=None):
        info = block_info[None]
        b = info["chunk-location"][0]
        return _draw_units(int(seeds[b]), info["chunk-shape"][0], *params)

    units = da.map_blocks(
        _block, chunks=(row_chunks, (3,)), dtype=np.float64, meta=np.empty((0, 0))
    )
    cal = _draw_units(int(seeds[-1]), int(n_calibration), *params)

    def materialize():
        full = np.vstack([_draw_units(int(s), nb, *params) for s, nb in zip(seeds, row_chunks)])
        return full[:, 0], full[:, 1]

    return Bunch(
        predictions=units[:, 0],
        treatment=units[:, 1],
        calibration_predictions=cal[:, 0],
        calibration_targets=cal[:, 2],
        true_mean=2.0 + ate / 2.0,
        ate=float(ate),
        naive_ate=float(shrinkage) * float(ate),
        materialize=materialize,
    )


def _draw_units(seed, nb, shrinkage, ate) -> np.ndarray:
    """Columns: prediction, treatment, truth."""
    g = np.random.default_rng(seed)
    a = (g.random(nb) < 0.5).astype(np.float64)
    y = 2.0 + ate * a + g.standard_normal(nb)
    out = np.empty((nb, 3))
    out[:, 0] = 0.5 + shrinkage * y + 0.3 * g.standard_normal(nb)
    out[:, 1] = a
    out[:, 2] = y
    return out
