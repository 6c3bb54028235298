"""Dask helpers: detect dask collections without importing dask, and chunk-wise sufficient statistics.

Estimators whose fit reduces to second-moment statistics (IV / k-class regression, covariance-based partial
correlations) accept ``dask.array`` and dask DataFrame inputs. :func:`chunked_centered_r` reduces the stacked
columns ``[A_1, A_2, ...]`` block by block to the triangular factor ``R`` of the centred (or raw) data, whose
Gram matrix ``R'R`` is the centred cross-product matrix ``M_c'M_c`` (all the Gram blocks ``X'X, X'Z, Z'Z, X'y, Z'y``
at once). Each block is centred on its own mean and the blocks are combined with the exact pooled update
(Chan et al.'s parallel variance formula in factored form), so the result has the accuracy of a QR of the whole
array, not the squared condition number of a raw Gram matrix. The data are never gathered on one machine: each
task returns an ``(m + 3) x m`` summary of its block.

Nothing here imports dask at module import time.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as sla

__all__ = [
    "CenteredR",
    "any_dask",
    "as_dask_array",
    "chunked_centered_r",
    "chunked_sum",
    "is_dask_collection",
]


def is_dask_collection(obj: Any) -> bool:
    """True for a dask array, DataFrame, Series or other dask collection; never imports dask.

    Examples
    --------
    >>> import numpy as np
    >>> is_dask_collection(np.zeros(3))
    False
    """
    if "dask" not in sys.modules:
        return False
    return bool(sys.modules["dask"].is_dask_collection(obj))


def any_dask(*objs: Any) -> bool:
    """True when any argument is a dask collection (the switch between an estimator's two paths)."""
    return any(is_dask_collection(o) for o in objs)


def as_dask_array(
    obj: Any,
    name: str,
    *,
    ndim: int,
    row_chunks: tuple[int, ...] | None = None,
) -> Any:
    """Validate a dask (or in-memory) input and return a float64 ``dask.array`` with one column chunk.

    Parameters
    ----------
    obj : dask array, dask DataFrame/Series, or array-like
        In-memory input is wrapped with ``da.from_array`` (needed when, e.g., ``X`` is dask and ``y`` is not).
    name : str
        Argument name used in error messages.
    ndim : {1, 2}
        Expected dimensionality: 1 for a target vector, 2 for a feature matrix (a 1-D array is then one column).
    row_chunks : tuple of int, optional
        Rechunk the rows to these chunk sizes (to align several inputs).

    Returns
    -------
    dask.array.Array
        Shape ``(n,)`` or ``(n, p)``, float64, all columns in one chunk.

    Examples
    --------
    >>> import dask.array as da
    >>> a = as_dask_array(da.ones((10, 2), chunks=5), "X", ndim=2)
    >>> a.chunks
    ((5, 5), (2,))
    """
    da = _da()
    if is_dask_collection(obj) and not isinstance(obj, da.Array):
        if hasattr(obj, "to_dask_array"):  # dask DataFrame / Series: lengths need one pass
            dtypes = getattr(obj, "dtypes", None)
            if dtypes is not None and hasattr(dtypes, "__iter__"):
                bad = [str(c) for c, t in zip(obj.columns, dtypes) if not _numeric_kind(t)]
                if bad:
                    raise TypeError(f"{name}: columns {bad} are not numeric; encode them first.")
            obj = obj.to_dask_array(lengths=True)
        else:
            raise TypeError(
                f"{name}: expected a dask array or dask DataFrame; got {type(obj).__name__}."
            )
    elif not is_dask_collection(obj):
        arr = np.asarray(obj)
        obj = da.from_array(
            arr, chunks=(row_chunks if row_chunks else "auto",) + (-1,) * (arr.ndim - 1)
        )
    if not _numeric_kind(obj.dtype):
        raise TypeError(f"{name}: expected numeric (real) data; got dtype {obj.dtype}.")
    if obj.ndim == 1 and ndim == 2:
        obj = obj[:, None]
    if ndim == 1 and obj.ndim == 2 and obj.shape[1] == 1:
        obj = obj[:, 0]
    if obj.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-dimensional; got a dask array of shape {obj.shape}."
        )
    if any(np.isnan(c) for c in obj.shape):
        obj = obj.compute_chunk_sizes()
    obj = obj.astype(np.float64)
    if ndim == 2:
        obj = obj.rechunk({1: -1})
    if row_chunks is not None and obj.chunks[0] != tuple(row_chunks):
        obj = obj.rechunk({0: tuple(row_chunks)})
    return obj


@dataclass
class CenteredR:
    """Summary of stacked columns ``M`` (n x m): ``R'R = M_c'M_c`` (or ``M'M`` when not centred)."""

    n: int
    mean: np.ndarray  # (m,) column means (zeros when not centred)
    R: np.ndarray  # (m, m) upper triangular
    finite: np.ndarray  # (m,) bool: column had only finite values


def _block_summary(block: np.ndarray, center: bool) -> np.ndarray:
    """``(m + 3, m)`` array: [n_b, mean_b, finite flags, R_b] for one row block."""
    nb, m = block.shape
    out = np.zeros((m + 3, m))
    out[0, 0] = nb
    if nb == 0:
        out[2] = 1.0
        return out
    finite = np.isfinite(block).all(axis=0)
    out[2] = finite
    if not finite.all():
        return out
    M = np.array(block, dtype=np.float64, order="F", copy=True)
    if center:
        mu = M.mean(axis=0)
        M -= mu
        out[1] = mu
    geqrf = sla.get_lapack_funcs("geqrf", (M,))
    qr, _tau, _work, info = geqrf(M, overwrite_a=True)
    if info != 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"LAPACK geqrf failed with info={info}")
    r = min(nb, m)
    out[3 : 3 + r] = np.triu(qr[:r])
    return out


def _combine(summaries: np.ndarray, m: int, center: bool) -> CenteredR:
    parts = summaries.reshape(-1, m + 3, m)
    nb = parts[:, 0, 0]
    n = int(np.rint(nb.sum()))
    finite = parts[:, 2, :].min(axis=0) > 0.5
    if not finite.all() or n == 0:
        return CenteredR(n=n, mean=np.zeros(m), R=np.full((m, m), np.nan), finite=finite)
    means = parts[:, 1, :]
    stack = [parts[:, 3:, :].reshape(-1, m)]
    if center:
        mean = (nb[:, None] * means).sum(axis=0) / n
        # exact pooled scatter: sum_b S_b + sum_b n_b (mean_b - mean)(mean_b - mean)'
        stack.append(np.sqrt(nb)[:, None] * (means - mean))
    else:
        mean = np.zeros(m)
    R = sla.qr(np.vstack(stack), mode="r")[0]
    Rm = np.zeros((m, m))
    r = min(R.shape[0], m)
    Rm[:r] = np.triu(R[:r, :m])
    return CenteredR(n=n, mean=mean, R=Rm, finite=finite)


def chunked_centered_r(columns: list[Any], *, center: bool = True) -> CenteredR:
    """Triangular factor of the column-stacked dask arrays, reduced chunk by chunk on the cluster.

    Parameters
    ----------
    columns : list of dask arrays
        2-D dask arrays with the same row chunks (see :func:`as_dask_array`), stacked side by side.
    center : bool, default True
        Centre the columns (the factor is then that of ``M - mean``).

    Returns
    -------
    CenteredR
        ``n``, column ``mean``, upper triangular ``R`` with ``R'R`` the (centred) cross-product matrix, and
        per-column ``finite`` flags (``R`` is NaN when any value is NaN or infinite).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> x = np.random.default_rng(0).normal(size=(1000, 3))
    >>> s = chunked_centered_r([da.from_array(x, chunks=(100, 3))])
    >>> bool(np.allclose(s.R.T @ s.R, np.cov(x.T) * 999))
    True
    """
    da = _da()
    M = da.concatenate(columns, axis=1) if len(columns) > 1 else columns[0]
    M = M.rechunk({1: -1})
    m = M.shape[1]
    summaries = M.map_blocks(
        _block_summary,
        center,
        chunks=((m + 3,) * M.numblocks[0], (m,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )
    # tree reduction on the cluster: pool groups of block summaries until few enough remain for the client
    while summaries.numblocks[0] > _MAX_LEAVES:
        groups = -(-summaries.numblocks[0] // _FAN_IN)
        summaries = summaries.rechunk({0: (m + 3) * _FAN_IN}).map_blocks(
            _pool_summary,
            m,
            center,
            chunks=((m + 3,) * groups, (m,)),
            dtype=np.float64,
            meta=np.empty((0, 0)),
        )
    return _combine(np.asarray(summaries.compute()), m, center)


_MAX_LEAVES = 256
_FAN_IN = 16


def _pool_summary(summaries: np.ndarray, m: int, center: bool) -> np.ndarray:
    """Pool several block summaries into one ``(m + 3, m)`` summary (same layout as a block's)."""
    s = _combine(summaries, m, center)
    out = np.zeros((m + 3, m))
    out[0, 0] = s.n
    out[2] = s.finite
    if s.finite.all():
        out[1] = s.mean
        out[3:] = s.R
    return out


def chunked_sum(arrays: list[Any], func, out_shape: tuple[int, ...], *args: Any) -> np.ndarray:
    """``sum_b func(block_b_of_arrays[0], block_b_of_arrays[1], ..., *args)`` over aligned row blocks.

    A map-reduce for per-row contributions (e.g. the meat of a sandwich covariance): each task returns an array
    of ``out_shape``; only those small arrays travel.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> x = da.arange(10.0, chunks=3)[:, None]
    >>> float(chunked_sum([x], lambda b: (b**2).sum(keepdims=True)[0], (1,))[0])
    285.0
    """
    da = _da()
    size = int(np.prod(out_shape))
    nblocks = arrays[0].numblocks[0]

    def _one(*blocks):
        return np.asarray(func(*blocks, *args), dtype=np.float64).reshape(1, size)

    aligned = [a if a.ndim == 2 else a[:, None] for a in arrays]

    def _one2(*blocks):
        blocks = [b if orig.ndim == 2 else b[:, 0] for b, orig in zip(blocks, arrays)]
        return _one(*blocks)

    parts = da.map_blocks(
        _one2,
        *aligned,
        chunks=((1,) * nblocks, (size,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )
    return np.asarray(parts.sum(axis=0).compute()).reshape(out_shape)


def _numeric_kind(dtype: Any) -> bool:
    return getattr(np.dtype(dtype) if not hasattr(dtype, "kind") else dtype, "kind", "O") in "biuf"


def _da():
    from .optional import optional_import

    return optional_import("dask.array", extra="dask")
