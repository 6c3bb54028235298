"""Simulators for :mod:`causalkit.rep4ex` (intervention extrapolation), with known E[Y | do(A = a)].

Model (Saengkyongam et al., ICLR 2024): ``Z = M0 A + V``, ``X = g0(Z)`` (nonlinear, injective), ``Y = l(Z) + U``
with ``U`` correlated with ``V`` (hidden confounding). No torch here.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from sklearn.utils import Bunch

from .._base import check_random_state, check_scalar_in_range
from ._checks import check_output_size

__all__ = [
    "make_rep4ex_1d",
    "make_rep4ex_2d",
    "rep4ex_grid",
    "rep4ex_truth_1d",
    "rep4ex_truth_2d",
]

_M0_2D = 2.0 * np.array([[1.0, 0.5], [-0.5, 1.0]])


def _leaky_relu(x: np.ndarray, slope: float = 0.2) -> np.ndarray:
    return np.where(x > 0, x, slope * x)


def _mixing(d: int, m: int, mixing_state: int):
    """Parameters of an injective two-layer mixing g0: R^d -> R^m (fixed by ``mixing_state``)."""
    if (
        isinstance(mixing_state, bool)
        or not isinstance(mixing_state, (int, np.integer))
        or not 0 <= mixing_state < 2**32
    ):
        raise ValueError(
            f"mixing_state must be an integer >= 0 (below 2**32); got {mixing_state!r}."
        )
    rng = np.random.RandomState(int(mixing_state))
    W1 = rng.normal(size=(m, d))
    b1 = 0.3 * rng.normal(size=m)
    W2 = rng.normal(size=(m, m)) / np.sqrt(m) + np.eye(m)
    return W1, b1, W2


def _apply_mixing(Z: np.ndarray, params) -> np.ndarray:
    W1, b1, W2 = params
    H = _leaky_relu(Z @ W1.T + b1)
    G = H @ W2.T
    return np.tanh(G) + 0.1 * G


def _mix_points(z, params) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    if z.ndim < 2:
        z = z.reshape(-1, params[0].shape[1])
    return _apply_mixing(z, params)


def _truth_1d_general(a_values, m0: float, damp: float) -> np.ndarray:
    a = _finite_actions(a_values).reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite_truth(damp * np.sin(m0 * a))


def _rng(random_state) -> np.random.RandomState:
    """A RandomState for the simulators that never draws from numpy's global RNG.

    ``None`` gets a fresh OS-entropy seed (simulating must not change the caller's ``np.random`` state), a
    ``Generator`` contributes one draw as the seed; ints and RandomState instances as in scikit-learn.
    """
    if random_state is None:
        return np.random.RandomState(int(np.random.SeedSequence().generate_state(1)[0]))
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(int(random_state.integers(0, 2**32)))
    return check_random_state(random_state)


def _finite_actions(a_values) -> np.ndarray:
    try:
        raw = np.asarray(a_values)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"a_values must be numeric; got {type(a_values).__name__} ({exc})"
        ) from None
    if raw.dtype.kind == "c":
        raise TypeError(
            f"a_values must be real actions; got complex dtype {raw.dtype} (an imaginary part would be discarded)."
        )
    try:
        a = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"a_values must be numeric; got {type(a_values).__name__} ({exc})"
        ) from None
    if not np.all(np.isfinite(a)):
        raise ValueError(
            f"a_values must be finite; found {int(np.sum(~np.isfinite(a)))} NaN/inf value(s)."
        )
    return a


def _finite_truth(values: np.ndarray) -> np.ndarray:
    """``values`` (computed with over/invalid warnings silenced) if finite; else a ValueError naming a_values."""
    if not np.all(np.isfinite(values)):
        raise ValueError(
            "a_values are too large in magnitude: M0 a overflows float64 (keep |a| below about 1e307)."
        )
    return values


def _check_n(n_samples: int) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"n_samples must be an int; got {type(n_samples).__name__}.")
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2; got {n_samples}.")
    return int(n_samples)


def rep4ex_truth_1d(a_values) -> np.ndarray:
    """True ``E[Y | do(A = a)] = 2 exp(-1/2) sin(2a)`` of :func:`make_rep4ex_1d`.

    Examples
    --------
    >>> float(rep4ex_truth_1d([0.0])[0])
    0.0
    """
    a = _finite_actions(a_values).reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite_truth(2.0 * np.exp(-0.5) * np.sin(2.0 * a))


def rep4ex_truth_2d(a_values) -> np.ndarray:
    """True ``E[Y | do(A = a)]`` of :func:`make_rep4ex_2d` for ``a`` of shape (m, 2).

    With ``m = M0 a``: ``2 exp(-1/2) sin(m1) + exp(-1) sin(m1 + m2)`` (V ~ N(0, I2)).

    Examples
    --------
    >>> rep4ex_truth_2d([[0.0, 0.0]]).shape
    (1,)
    """
    a = _finite_actions(a_values)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"a_values must have shape (m, 2); got {a.shape}.")
    with np.errstate(over="ignore", invalid="ignore"):
        mean = a @ _M0_2D.T
        truth = 2.0 * np.exp(-0.5) * np.sin(mean[:, 0]) + np.exp(-1.0) * np.sin(
            mean[:, 0] + mean[:, 1]
        )
    return _finite_truth(truth)


def rep4ex_grid(dim: int = 1, *, n_points: int | None = None, limit: float = 1.75):
    """Evaluation grid of the spec and its inside/outside masks (``|a| <= 1`` inside, ``min |a_j| >= 1.25`` outside).

    For ``dim=1`` a regular grid of 29 points on [-limit, limit]; for ``dim=2`` a 9 x 9 product grid where a point
    is *inside* when every ``|a_j| <= 1`` and *outside* when some ``|a_j| >= 1.25``.

    Returns
    -------
    Bunch with ``a`` ((m,) or (m, 2)), ``inside`` and ``outside`` (boolean masks).

    Examples
    --------
    >>> g = rep4ex_grid(1)
    >>> g.a.shape, int(g.inside.sum()), int(g.outside.sum())
    ((29,), 17, 10)
    """
    if n_points is not None and (
        isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 2
    ):
        raise ValueError(f"n_points must be an integer >= 2; got {n_points!r}.")
    if n_points is not None:
        check_output_size(3 * int(n_points) ** (2 if dim == 2 else 1), "n_points")
    limit = check_scalar_in_range(limit, "limit", low=0.0, low_inclusive=False)
    if dim == 1:
        m = 29 if n_points is None else int(n_points)
        a = np.linspace(-limit, limit, m)
        absa = np.abs(a)
        return Bunch(a=a, inside=absa <= 1 + 1e-12, outside=absa >= 1.25 - 1e-12)
    if dim == 2:
        m = 9 if n_points is None else int(n_points)
        g = np.linspace(-limit, limit, m)
        a = np.array([[x, y] for x in g for y in g])
        mx = np.abs(a).max(axis=1)
        return Bunch(a=a, inside=mx <= 1 + 1e-12, outside=mx >= 1.25 - 1e-12)
    raise ValueError(f"dim must be 1 or 2; got {dim!r}.")


def make_rep4ex_1d(
    n_samples: int = 4000,
    *,
    m0: float = 2.0,
    noise_sd: float = 1.0,
    mixing_state: int = 0,
    do_a: float | None = None,
    random_state=None,
) -> Bunch:
    """The spec's 1-D intervention-extrapolation DGP (d = k = 1, X in R^3).

    ``A ~ U(-1, 1)``, ``V ~ N(0, noise_sd^2)``, ``Z = m0 A + V``, ``X = tanh(W2 H) + 0.1 W2 H`` with
    ``H = LeakyReLU_0.2(W1 Z + b1)`` (injective; weights fixed by ``mixing_state``), ``Y = 2 sin Z + U`` with
    ``U = V + 0.1 eps`` (confounded). For the defaults, ``E[Y | do(A = a)] = 2 exp(-1/2) sin(2a)``.

    Parameters
    ----------
    n_samples : int, default 4000
    m0 : float, default 2.0
        Strength of the action.
    noise_sd : float, default 1.0
        Standard deviation of V.
    mixing_state : int, default 0
        Seed of the mixing g0 (fixed across data sets).
    do_a : float or None, default None
        Sample from the interventional distribution ``do(A = do_a)`` instead (every ``A`` equals ``do_a``);
        the mean of ``Y`` is then ``truth(do_a)``.
    random_state : int, RandomState, Generator or None

    Returns
    -------
    Bunch
        ``X`` (n, 3), ``A`` (n, 1), ``Y`` (n,), ``Z`` (n, 1), ``V`` (n, 1), ``truth`` (callable a -> E[Y | do(a)]),
        ``mixing`` (callable z -> x).

    Examples
    --------
    >>> d = make_rep4ex_1d(100, random_state=0)
    >>> d.X.shape, d.A.shape, d.Y.shape
    ((100, 3), (100, 1), (100,))
    """
    n = _check_n(n_samples)
    check_output_size(6 * n, "n_samples")
    m0 = check_scalar_in_range(m0, "m0", low=0.0, low_inclusive=False)
    sd = check_scalar_in_range(noise_sd, "noise_sd", low=0.0, low_inclusive=False)
    rng = _rng(random_state)
    A = rng.uniform(-1.0, 1.0, size=(n, 1))
    if do_a is not None:
        A[:] = check_scalar_in_range(do_a, "do_a")
    V = sd * rng.normal(size=(n, 1))
    Z = m0 * A + V
    params = _mixing(1, 3, mixing_state)
    X = _apply_mixing(Z, params)
    U = V[:, 0] + 0.1 * rng.normal(size=n)
    Y = 2.0 * np.sin(Z[:, 0]) + U
    truth = partial(_truth_1d_general, m0=m0, damp=2.0 * np.exp(-0.5 * sd**2))
    return Bunch(X=X, A=A, Y=Y, Z=Z, V=V, truth=truth, mixing=partial(_mix_points, params=params))


def make_rep4ex_2d(
    n_samples: int = 4000, *, mixing_state: int = 0, do_a=None, random_state=None
) -> Bunch:
    """A 2-D intervention-extrapolation DGP (d = k = 2, X in R^5).

    ``A ~ U(-1, 1)^2``, ``V ~ N(0, I2)``, ``Z = M0 A + V`` with ``M0 = 2 [[1, .5], [-.5, 1]]``, ``X = g0(Z)`` the
    same kind of injective mixing as :func:`make_rep4ex_1d` into R^5, ``Y = 2 sin Z1 + sin(Z1 + Z2) + U`` with
    ``U = V1 + V2 + 0.1 eps``. Truth: :func:`rep4ex_truth_2d`. ``do_a`` (length 2) samples from
    ``do(A = do_a)`` instead.

    Returns
    -------
    Bunch with ``X`` (n, 5), ``A`` (n, 2), ``Y`` (n,), ``Z`` (n, 2), ``V`` (n, 2), ``truth``, ``mixing``.

    Examples
    --------
    >>> d = make_rep4ex_2d(50, random_state=0)
    >>> d.X.shape, d.A.shape
    ((50, 5), (50, 2))
    """
    n = _check_n(n_samples)
    check_output_size(10 * n, "n_samples")
    rng = _rng(random_state)
    A = rng.uniform(-1.0, 1.0, size=(n, 2))
    if do_a is not None:
        a0 = np.asarray(do_a, dtype=float).reshape(-1)
        if a0.shape != (2,) or not np.all(np.isfinite(a0)):
            raise ValueError(f"do_a must be 2 finite numbers; got {do_a!r}.")
        A[:] = a0
    V = rng.normal(size=(n, 2))
    Z = A @ _M0_2D.T + V
    params = _mixing(2, 5, mixing_state)
    X = _apply_mixing(Z, params)
    U = V.sum(axis=1) + 0.1 * rng.normal(size=n)
    Y = 2.0 * np.sin(Z[:, 0]) + np.sin(Z[:, 0] + Z[:, 1]) + U
    return Bunch(
        X=X,
        A=A,
        Y=Y,
        Z=Z,
        V=V,
        truth=rep4ex_truth_2d,
        mixing=partial(_mix_points, params=params),
    )
