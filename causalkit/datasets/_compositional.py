"""Simulators with known truth and the bundled Roman glass cups data for causalkit.compositional."""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

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


def _pcor_from_clr_cov(gamma: np.ndarray) -> np.ndarray:
    P = np.linalg.pinv(gamma, hermitian=True)
    d = np.sqrt(np.diag(P))
    R = -P / np.outer(d, d)
    np.fill_diagonal(R, 1.0)
    return R


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
    random_state : None, int or RandomState

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
    rng = check_random_state(random_state)
    s2 = np.ones(int(n_parts)) if variances is None else np.asarray(variances, dtype=float)
    if s2.ndim != 1 or s2.shape[0] < 3 or np.any(s2 <= 0) or not np.all(np.isfinite(s2)):
        raise ValueError("variances must be a 1-D array of at least 3 positive finite values.")
    D = s2.shape[0]
    L = rng.normal(size=(int(n_samples), D)) * np.sqrt(s2)
    E = np.exp(L - L.max(axis=1, keepdims=True))
    X = E / E.sum(axis=1, keepdims=True)
    w = 1.0 / s2
    W = w.sum()
    truth = np.sqrt(np.outer(w, w) / np.outer(W - w, W - w))
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
    random_state : None, int or RandomState

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
    rng = check_random_state(random_state)
    D = int(n_parts)
    if D < 3:
        raise ValueError(f"n_parts must be >= 3; got {n_parts}.")
    if not 0 <= edge_strength < 0.5:
        raise ValueError(f"edge_strength must be in [0, 0.5); got {edge_strength}.")
    K = np.eye(D)
    idx = np.arange(D - 1)
    K[idx, idx + 1] = K[idx + 1, idx] = -edge_strength
    sigma = np.linalg.inv(K)
    mu = rng.normal(scale=1.0, size=D)
    L = rng.multivariate_normal(mu, sigma, size=int(n_samples))
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
