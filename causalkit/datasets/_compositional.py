"""Simulators with known truth and the bundled Roman glass cups data for causalkit.compositional."""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from causalkit._base import check_random_state, check_scalar_in_range

from ._checks import check_output_size

__all__ = ["load_roman_cups", "make_closure_null", "make_logratio_network"]


def load_roman_cups() -> pd.DataFrame:
    """Oxide compositions (percent) of 47 Roman glass cups, 11 parts.

    Columns ``Si, Al, Fe, Mg, Ca, Na, K, Ti, P, Mn, Sb`` (oxides of silicon, aluminium, iron, magnesium,
    calcium, sodium, potassium, titanium, phosphorus, manganese and antimony); rows sum to about 100 and there
    are no zeros. The index is the cup number.

    Source: Baxter MJ, Beardah CC, Cool HEM, Jackson CM (2005), "Compositional data analysis of some alkaline
    glasses", *Mathematical Geology* 37: 183–196; as distributed in the easyCODA R package on CRAN (data set
    ``cups``, Greenacre). Licence: no separate licence is attached to the values; they are published
    measurements, redistributed here as in easyCODA. Cite the paper when you use them.

    Returns
    -------
    pandas.DataFrame of shape (47, 11), index named ``cup``.

    Examples
    --------
    >>> cups = load_roman_cups()
    >>> cups.shape
    (47, 11)
    """
    path = resources.files("causalkit.datasets").joinpath("data/roman_cups.csv")
    with resources.as_file(path) as p:
        frame = pd.read_csv(p, index_col=0)
    frame.index.name = "cup"
    return frame


#: largest basis log-variance accepted: beyond it exp() of the draws overflows
_MAX_LOG_VARIANCE = 1000.0


def _check_n(n: Any, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n!r}.")
    return int(n)


def _rng(random_state: Any) -> np.random.RandomState:
    """A RandomState from None, an int, a RandomState or a Generator (which contributes one seed draw)."""
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(int(random_state.integers(0, 2**32 - 1)))
    return check_random_state(random_state)


def _pcor_from_clr_cov(gamma: np.ndarray) -> np.ndarray:
    # exact Moore–Penrose inverse of a rank D-1 clr covariance: (Γ + 11ᵀ/D)⁻¹ - 11ᵀ/D (an SVD pinv can
    # misjudge the rank for large D and give negative diagonal entries)
    D = gamma.shape[0]
    P = np.linalg.inv(gamma + 1.0 / D) - 1.0 / D
    P = (P + P.T) / 2
    d = np.sqrt(np.diag(P))
    R = -P / np.outer(d, d)
    np.fill_diagonal(R, 1.0)
    return R


def _check_parts(n_parts: Any) -> int:
    if isinstance(n_parts, bool) or not isinstance(n_parts, (int, np.integer)) or n_parts < 3:
        raise ValueError(f"n_parts must be an integer >= 3; got {n_parts!r}.")
    return int(n_parts)


def _part_names(D: int) -> list[str]:
    return [f"part{k}" for k in range(D)]


def make_closure_null(
    n_samples: int = 1000,
    variances: Any = None,
    n_parts: int = 10,
    random_state: Any = None,
) -> Bunch:
    """Independent log-normal parts, closed to proportions: the closure-only null.

    Parameters
    ----------
    n_samples : int
    variances : array-like of shape (D,), optional
        Basis log-variances ``s_k²`` (default: all 1, ``D = n_parts``).
    n_parts : int
        Used when ``variances`` is not given.
    random_state : None, int, RandomState or Generator

    Returns
    -------
    Bunch with ``X`` (DataFrame of proportions), ``partial_corr`` (population partial correlations, the closed
    form ``sqrt(wᵢwⱼ/((W-wᵢ)(W-wⱼ)))`` with ``w = 1/s²``; ``1/(D-1)`` for equal variances), ``variances``
    and ``clr_cov`` (population clr covariance ``G diag(s²) G``).

    Examples
    --------
    >>> data = make_closure_null(200, n_parts=5, random_state=0)
    >>> float(data.partial_corr[0, 1])
    0.25
    """
    n = _check_n(n_samples, "n_samples")
    rng = _rng(random_state)
    if variances is None:
        s2 = np.ones(_check_parts(n_parts))
    else:
        try:
            s2 = np.asarray(variances, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"variances must be numeric; got {variances!r}.") from None
    if s2.ndim != 1 or s2.shape[0] < 3 or np.any(s2 <= 0) or not np.all(np.isfinite(s2)):
        raise ValueError("variances must be a 1-D array of at least 3 positive finite values.")
    if np.any(s2 > _MAX_LOG_VARIANCE):
        raise ValueError(
            f"variances must be at most {_MAX_LOG_VARIANCE:g} (basis log-variances; larger ones overflow "
            f"exp()); got max {s2.max():.3g}."
        )
    D = s2.shape[0]
    check_output_size(2 * n * D, "n_samples")
    L = rng.normal(size=(n, D)) * np.sqrt(s2)
    E = np.exp(L - L.max(axis=1, keepdims=True))
    X = E / E.sum(axis=1, keepdims=True)
    w = s2.min() / s2  # scale-free closed form: weights in (0, 1] cannot overflow
    W = w.sum()
    r = np.sqrt(w) / np.sqrt(W - w)  # as a product of square roots: no underflow
    truth = np.outer(r, r)
    np.fill_diagonal(truth, 1.0)
    G = np.eye(D) - 1.0 / D
    return Bunch(
        X=pd.DataFrame(X, columns=_part_names(D)),
        partial_corr=truth,
        variances=s2,
        clr_cov=G @ np.diag(s2) @ G,
    )


def make_logratio_network(
    n_samples: int = 1000,
    n_parts: int = 8,
    edge_strength: float = 0.4,
    random_state: Any = None,
) -> Bunch:
    """Closed log-normal parts whose basis has a sparse (chain) precision: known compositional ρ.

    The log basis is ``N(μ, Σ_L)`` with ``Σ_L⁻¹`` tridiagonal (unit diagonal, ``-edge_strength`` next to it),
    so neighbouring parts are conditionally associated. The population compositional partial correlations are
    the pinv route on ``G Σ_L G``.

    Parameters
    ----------
    n_samples, n_parts : int
    edge_strength : float in [0, 0.5)
        Off-diagonal of the basis precision (keeps it positive definite).
    random_state : None, int, RandomState or Generator

    Returns
    -------
    Bunch with ``X`` (DataFrame of proportions), ``partial_corr`` (population ρ), ``basis_cov`` (Σ_L) and
    ``clr_cov``.

    Examples
    --------
    >>> data = make_logratio_network(100, n_parts=5, random_state=0)
    >>> data.X.shape, data.partial_corr.shape
    ((100, 5), (5, 5))
    """
    n = _check_n(n_samples, "n_samples")
    rng = _rng(random_state)
    D = _check_parts(n_parts)
    check_output_size(2 * n * D, "n_samples and n_parts")
    edge_strength = check_scalar_in_range(edge_strength, "edge_strength", low=0.0)
    if not edge_strength < 0.5:
        raise ValueError(f"edge_strength must be in [0, 0.5); got {edge_strength}.")
    K = np.eye(D)
    idx = np.arange(D - 1)
    K[idx, idx + 1] = K[idx + 1, idx] = -edge_strength
    sigma = np.linalg.inv(K)
    mu = rng.normal(scale=1.0, size=D)
    L = rng.multivariate_normal(mu, sigma, size=n)
    E = np.exp(L - L.max(axis=1, keepdims=True))
    X = E / E.sum(axis=1, keepdims=True)
    G = np.eye(D) - 1.0 / D
    gamma = G @ sigma @ G
    return Bunch(
        X=pd.DataFrame(X, columns=_part_names(D)),
        partial_corr=_pcor_from_clr_cov(gamma),
        basis_cov=sigma,
        clr_cov=gamma,
    )
