"""Compositional partial correlations on ``dask.array`` / dask DataFrame inputs.

Without shrinkage the estimator needs only the clr covariance, the centred cross-product of the row-wise clr
coordinates. Each task takes the log of its row block, centres each row (clr) and reduces the block to its
triangular factor (:func:`causalkit._base._dask.chunked_centered_r`); ``R'R / (n - ddof)`` is the clr covariance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._base._dask import as_dask_array, chunked_centered_r

__all__: list[str] = []


def _clr_block(block: np.ndarray, delta: float | None) -> np.ndarray:
    X = np.array(block, dtype=np.float64, copy=True)
    bad = ~np.isfinite(X) | (X < 0)
    X[bad] = np.nan  # reported through the reduction's finite flags
    if delta is not None:
        zeros = X == 0
        k = zeros.sum(axis=1, keepdims=True)
        X = X / X.sum(axis=1, keepdims=True)
        X = np.where(zeros, delta, X * (1 - k * delta))
    with np.errstate(divide="ignore", invalid="ignore"):
        L = np.log(X)
    L[np.isneginf(L)] = np.nan  # zeros without replacement
    return L - L.mean(axis=1, keepdims=True)


def clr_covariance(X: Any, zero_replacement: Any, ddof: int, min_parts: int = 3):
    """``(gamma, n, D, names)``: clr covariance of a dask composition, chunk by chunk."""
    names = None
    if hasattr(X, "columns") and all(isinstance(c, str) for c in X.columns):
        names = np.asarray(list(X.columns), dtype=object)
    Xd = as_dask_array(X, "X", ndim=2)
    n, D = Xd.shape
    if D < min_parts:
        raise ValueError(
            f"X has {D} feature(s) (shape={Xd.shape}) while a minimum of {min_parts} is required: "
            "compositional partial correlations need at least 3 parts (columns)."
        )
    if zero_replacement is not None and (
        isinstance(zero_replacement, str) or not 0 < float(zero_replacement) < 1
    ):
        raise ValueError(
            "dask inputs support zero_replacement=None or a float delta in (0, 1) (row-wise); "
            f"got {zero_replacement!r} ('min' needs a pass over the whole matrix)."
        )
    if n - ddof <= 0:
        raise ValueError(f"ddof={ddof} leaves no degrees of freedom with n_samples={n}.")
    delta = None if zero_replacement is None else float(zero_replacement)
    C = Xd.map_blocks(_clr_block, delta, dtype=np.float64)
    s = chunked_centered_r([C], center=True)
    if not s.finite.all():
        raise ValueError(
            "X must hold finite, strictly positive parts (or set zero_replacement to a float delta for zeros); "
            "found NaN, infinity, negative values or zeros."
        )
    gamma = s.R.T @ s.R / (n - ddof)
    return (gamma + gamma.T) / 2, int(n), int(D), names


def check_clr_covariance(gamma: np.ndarray, n: int, names: Any) -> None:
    """The in-memory fit's zero-variance checks, on the reduced clr covariance.

    A clr coordinate is at most ``2 · 745`` in magnitude (the log range of doubles), so rounding leaves at
    most ``(1e-12 · 1491)²`` of variance in a part that does not vary; anything below is treated as zero.
    """
    d = np.diag(gamma)
    zero = d <= (1e-12 * 1491.0) ** 2
    if np.all(zero):
        raise ValueError(
            f"X: all {n} rows are the same composition (up to their totals): the log-ratios do not vary, "
            "so no correlation between parts is defined."
        )
    if np.any(zero):
        labels = [str(v) for v in names] if names is not None else [f"x{j}" for j in range(d.size)]
        raise ValueError(
            f"X: part(s) {[labels[j] for j in np.flatnonzero(zero)]} have zero clr variance (their log-ratio "
            "to the geometric mean of the parts is constant), so their partial correlations are undefined."
        )
