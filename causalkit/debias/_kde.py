"""Gaussian kernel density scores in one dimension, fast and with error control.

Tweedie's correction needs the score ``s(z) = d/dz log p(z)`` of the density of the predictions at every
downstream prediction. A direct kernel sum costs ``O(n * m)`` for ``n`` query points and ``m`` data points. Here
the data are linearly binned onto a fine regular grid (spacing ``h / 256`` for bandwidth ``h``), the density
and its derivative are obtained on the grid by one FFT convolution each, and the score is linearly interpolated
at the query points: ``O(m + G log G + n)``.

Error control: in the bulk the binned score differs from the exact one by ``O((delta / h)^2 / h)``. Where the
density is tiny (below ``1e-6`` of its maximum, i.e. more than about five bandwidths away from any mass, or
outside the grid), the relative accuracy of an FFT convolution is lost, so those query points are evaluated by
the exact, numerically stable kernel sum (log-sum-exp). The test suite checks the binned score against the exact
``O(n * m)`` sum.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.signal import fftconvolve

from .._base import check_1d, user_stacklevel
from ..exceptions import SolverWarning

__all__ = ["bandwidth_rule", "kde_score"]

# Frames in these folders are library internals; a warning should point at the first frame outside them.

_POINTS_PER_BANDWIDTH = 256
_MAX_GRID = 2**21
_TRUNCATE = 8.0  # kernel truncated at 8 bandwidths (relative size 1.3e-14)
_RELIABLE = 1e-6  # grid densities below this fraction of the maximum use the exact sum
_CHUNK = 2_000_000  # elements per block of the exact sum


def bandwidth_rule(data: np.ndarray, rule: str | float = "scott") -> float:
    """Bandwidth of a 1-D Gaussian KDE by Scott's or Silverman's rule (as :class:`scipy.stats.gaussian_kde`).

    Parameters
    ----------
    data : ndarray of shape (m,)
    rule : {"scott", "silverman"} or float
        ``"scott"``: ``sd * m ** (-1/5)``; ``"silverman"``: ``sd * (3 m / 4) ** (-1/5)``, with the sample
        standard deviation (``ddof=1``). A positive float is returned unchanged (a bandwidth in data units).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import gaussian_kde
    >>> x = np.random.default_rng(0).normal(size=500)
    >>> bool(np.isclose(bandwidth_rule(x), np.sqrt(gaussian_kde(x).covariance[0, 0])))
    True
    """
    return _bandwidth(data, rule, "rule")


def _bandwidth(data, rule, name: str) -> float:
    """:func:`bandwidth_rule` with errors naming the caller's argument (``rule`` or ``bandwidth``)."""
    if not isinstance(rule, str):
        if isinstance(rule, bool) or not isinstance(rule, numbers.Real):
            raise TypeError(
                f"{name} must be 'scott', 'silverman' or a positive float; got {type(rule).__name__}."
            )
        value = float(rule)
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive and finite; got {rule}.")
        return value
    if rule not in ("scott", "silverman"):
        raise ValueError(f"{name} must be 'scott', 'silverman' or a positive float; got {rule!r}.")
    data = check_1d(data, "data", min_samples=2)
    m = data.shape[0]
    # the SD computed on data scaled to unit maximum: no overflow (1e300) or underflow (1e-300) of squares
    c = float(np.max(np.abs(data)))
    sd = c * float(np.std(data / c, ddof=1)) if c > 0 else 0.0
    if not sd > 0:
        raise ValueError(
            "data is constant: the bandwidth rule gives 0; pass a positive bandwidth or varying data."
        )
    return sd * (m if rule == "scott" else m * 0.75) ** (-0.2)


def _exact_score(points: np.ndarray, data: np.ndarray, h: float) -> np.ndarray:
    """Exact KDE score by a stable kernel sum, in blocks (O(n m) time, bounded memory).

    The log kernels relative to the nearest data point, ``-(u^2 - u_min^2) / 2`` with ``u = (x - z) / h``, are
    formed as ``-(|u| - u_min)(|u| + u_min) / 2``: no overflow of ``u^2`` for points far (1e300 bandwidths)
    from the data (a product that overflows is a weight of exactly 0), so the score stays finite wherever it
    is representable.
    """
    out = np.empty(points.shape[0])
    step = max(1, _CHUNK // max(1, data.shape[0]))
    with np.errstate(over="ignore"):
        for start in range(0, points.shape[0], step):
            z = points[start : start + step, None]
            u = (data[None, :] - z) / h  # (x - z) / h
            au = np.abs(u)
            amin = au.min(axis=1, keepdims=True)
            k = np.exp(-0.5 * (au - amin) * (au + amin))
            out[start : start + step] = (k * u).sum(axis=1) / k.sum(axis=1) / h
    return out


def _binned_grid(data: np.ndarray, h: float):
    lo = float(data.min()) - _TRUNCATE * h
    hi = float(data.max()) + _TRUNCATE * h
    delta = h / _POINTS_PER_BANDWIDTH
    span = (hi - lo) / delta
    size = int(np.ceil(span)) + 1 if span < _MAX_GRID else _MAX_GRID + 1
    if size > _MAX_GRID:
        size = _MAX_GRID
        delta = (hi - lo) / (size - 1)
        warnings.warn(
            f"the data span {(hi - lo) / h:.0f} bandwidths (outliers?): the binned score grid is capped at "
            f"{_MAX_GRID} points, so its spacing is h/{h / delta:.0f} instead of h/{_POINTS_PER_BANDWIDTH} "
            "and the score is less accurate; consider method='exact' or removing outliers.",
            SolverWarning,
            stacklevel=user_stacklevel(),
        )
    pos = (data - lo) / delta
    j = np.clip(np.floor(pos).astype(np.int64), 0, size - 2)
    frac = pos - j
    counts = np.bincount(j, weights=1.0 - frac, minlength=size)
    counts += np.bincount(j + 1, weights=frac, minlength=size)
    half = int(np.ceil(_TRUNCATE * h / delta))
    u = np.arange(-half, half + 1) * delta / h
    with np.errstate(over="ignore"):  # a capped, coarse grid: far kernel weights are exactly 0
        k0 = np.exp(-0.5 * u**2)
    k1 = -u / h * k0  # d/dz exp(-(z - x)^2 / 2h^2) with u = (z - x)/h
    dens = fftconvolve(counts, k0, mode="same")
    deriv = fftconvolve(counts, k1, mode="same")
    grid = lo + delta * np.arange(size)
    return grid, dens, deriv


def kde_score(
    points,
    data,
    bandwidth: str | float = "scott",
    *,
    method: str = "binned",
) -> np.ndarray:
    """Score ``d/dz log p(z)`` of a 1-D Gaussian kernel density estimate, evaluated at ``points``.

    Parameters
    ----------
    points : array-like of shape (n,)
        Where to evaluate the score.
    data : array-like of shape (m,)
        The sample the density is estimated from.
    bandwidth : {"scott", "silverman"} or float, default "scott"
        Bandwidth rule (as in :class:`scipy.stats.gaussian_kde`) or the bandwidth itself in data units.
    method : {"binned", "exact"}, default "binned"
        ``"binned"``: linear binning, FFT convolution and interpolation, ``O(n + m + G log G)``, with the
        exact sum where the density is too small for the grid to be accurate. ``"exact"``: the direct
        ``O(n m)`` kernel sum (a reference).

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=2000)
    >>> z = np.linspace(-2, 2, 5)
    >>> fast = kde_score(z, x)
    >>> bool(np.allclose(fast, kde_score(z, x, method="exact"), atol=1e-4))
    True
    """
    points = check_1d(points, "points")
    data = check_1d(data, "data", min_samples=2)
    h = _bandwidth(data, bandwidth, "bandwidth")
    if method not in ("binned", "exact"):
        raise ValueError(f"method must be 'binned' or 'exact'; got {method!r}.")
    # Work in bandwidth units around the median: the grid, the FFT and the kernel sums then see O(1) numbers
    # whatever the magnitude of the data (1e300 or 1e-300 would overflow or go subnormal in the FFT).
    centre = float(np.median(data))
    with np.errstate(over="ignore"):
        points = (points - centre) / h
        data = (data - centre) / h
    scale, h = h, 1.0
    if not np.all(np.isfinite(data)):
        raise ValueError(
            f"data spans more bandwidths than double precision can hold (bandwidth {scale:.4g}); rescale "
            "the data or use a larger bandwidth."
        )
    if not np.all(np.isfinite(points)):
        n_far = int(np.sum(~np.isfinite(points)))
        raise ValueError(
            f"{n_far} of {points.shape[0]} points lie more bandwidths from the data than double precision can "
            f"hold (bandwidth {scale:.4g}): the score there overflows; rescale the data or use a larger "
            "bandwidth."
        )
    if method == "exact":
        out = _exact_score(points, data, h)
    else:
        grid, dens, deriv = _binned_grid(data, h)
        reliable = dens > _RELIABLE * dens.max()
        grid_score = np.where(reliable, deriv / np.where(reliable, dens, 1.0), np.nan)
        out = np.interp(points, grid, grid_score, left=np.nan, right=np.nan)
        bad = ~np.isfinite(out)
        if bad.any():
            out[bad] = _exact_score(points[bad], data, h)
    with np.errstate(over="ignore"):
        out = out / scale
    if not np.all(np.isfinite(out)):
        n_bad = int(np.sum(~np.isfinite(out)))
        raise ValueError(
            f"the KDE score overflows at {n_bad} of {points.shape[0]} points (they lie too many bandwidths "
            f"from the data, bandwidth {scale:.4g}); rescale the data or use a larger bandwidth."
        )
    return out
