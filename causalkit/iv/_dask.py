"""Out-of-core IV / k-class fits on ``dask.array`` and dask DataFrame inputs.

The k-class solver needs only the triangular factor ``R`` of the centred ``[Z, X, y]`` (see :mod:`._solver`).
Here that factor is reduced chunk by chunk on the cluster (:func:`causalkit._base._dask.chunked_centered_r`), so
the coefficients equal the in-memory fit to rounding while no worker ever holds more than one row block. Robust
(HC0/HC1) covariances need a second pass, a chunk-wise sum of the sandwich meat; ``nonrobust`` needs none.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._base._dask import (
    as_dask_array,
    chunked_centered_r,
    chunked_sum,
    is_dask_collection,
)
from . import _solver

__all__: list[str] = []


def validate(X: Any, y: Any, instruments: Any, owner: str):
    """Dask versions of X (n, p), y (n,), Z (n, k) or None, aligned on X's row chunks; feature names."""
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    names = None
    if hasattr(X, "columns"):
        names = np.asarray([str(c) for c in X.columns], dtype=object)
        if not all(isinstance(c, str) for c in X.columns):
            names = None
    Xd = as_dask_array(X, "X", ndim=2)
    n, p = Xd.shape
    if p == 0 or n == 0:
        raise ValueError(
            f"X: found a dask array of shape {Xd.shape}; need at least 1 sample and 1 feature."
        )
    if n < 2:
        raise ValueError(f"{owner} needs at least 2 samples; got n_samples = {n}.")
    chunks = Xd.chunks[0]
    yd = _aligned(y, "y", 1, n, chunks)
    Zd = None if instruments is None else _aligned(instruments, "instruments", 2, n, chunks)
    return Xd, yd, Zd, names


def _aligned(obj: Any, name: str, ndim: int, n: int, chunks: tuple[int, ...]):
    if not is_dask_collection(obj):
        arr = np.asarray(obj)
        if arr.shape[:1] != (n,):
            rows = arr.shape[0] if arr.ndim else "no"
            raise ValueError(
                f"Inconsistent numbers of samples: X has {n} rows but {name} has {rows} rows."
            )
    a = as_dask_array(obj, name, ndim=ndim)
    if a.shape[0] != n:
        raise ValueError(
            f"Inconsistent numbers of samples: X has {n} rows but {name} has {a.shape[0]} rows."
        )
    return a.rechunk({0: chunks})


def decompose(Xd, yd, Zd, fit_intercept: bool) -> _solver._Decomposition:
    """Chunk-wise factor of centred [Z, X, y]: the same ``_Decomposition`` as the in-memory QR."""
    p = Xd.shape[1]
    k = 0 if Zd is None else Zd.shape[1]
    cols = ([Zd] if k else []) + [Xd, yd[:, None]]
    s = chunked_centered_r(cols, center=fit_intercept)
    if not s.finite.all():
        bad = []
        if k and not s.finite[:k].all():
            bad.append("instruments")
        if not s.finite[k : k + p].all():
            bad.append("X")
        if not s.finite[-1]:
            bad.append("y")
        raise ValueError(f"Input {', '.join(bad)} contains NaN or infinity.")
    # LAPACK's in-memory R may differ in the signs of its rows; the solver only uses sign-invariant quantities.
    dec = _solver._Decomposition(
        R=s.R,
        n=s.n,
        k=k,
        p=p,
        fit_intercept=fit_intercept,
        x_mean=s.mean[k : k + p].copy(),
        y_mean=float(s.mean[-1]),
        z_mean=s.mean[:k].copy(),
    )
    _solver.check_instrument_rank(dec)
    return dec


def _meat_block(X, y, *rest):
    if len(rest) == 5:
        Z, dec, coef, kappa, L = rest
    else:
        Z, (dec, coef, kappa, L) = None, rest
    U = _solver.kclass_scores(X, y, Z, dec, coef, kappa, L=L)
    return U.T @ U


def kclass_covariance(Xd, yd, Zd, dec, coef: np.ndarray, kappa: float, cov_type: str) -> np.ndarray:
    """Covariance of ``[intercept, coef]`` as :func:`._solver.kclass_covariance`, chunk-wise.

    The same formula in the same coordinates (the estimator's bread, scores and back-transformation from
    :mod:`._solver`); only the meat, ``sum_i u_i u_i'``, is a chunk-wise sum, and the sandwich is formed from it
    as :func:`causalkit._base.sandwich_cov` forms it from the scores (which would be n x p here).
    """
    n, p1 = dec.n, dec.p + int(dec.fit_intercept)
    L, C = _solver.bread_factor(dec, kappa)
    bread = _solver.bread_middle(dec, C)
    if cov_type == "nonrobust":
        # e'e from the factor: ||Tx b - Ty|| = ||X b + intercept - y|| (centred when fit_intercept)
        resid = dec.Tx @ coef - dec.Ty
        s2 = float(resid @ resid) / (n - p1)
        return _solver.covariance_from_middle(dec, L, C, s2 * bread)
    if cov_type not in ("HC0", "HC1"):
        raise ValueError(
            f"cov_type={cov_type!r} is not available for dask inputs; use 'HC1', 'HC0', 'nonrobust' or None "
            "(cluster-robust covariances need in-memory groups)."
        )
    arrays = [Xd, yd] + ([Zd] if Zd is not None else [])
    meat = chunked_sum(arrays, _meat_block, (p1, p1), dec, coef, kappa, L)
    factor = n / (n - p1) if cov_type == "HC1" else 1.0  # sandwich_cov's HC1 / HC0 factor
    return _solver.covariance_from_middle(dec, L, C, factor * bread @ meat @ bread.T)
