"""Simulators for causalkit.network: node-level effects on graphs with known truth (numpy only, no torch)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from scipy.special import expit
from scipy.stats import norm
from sklearn.utils import Bunch

from ..graphs._generators import _check_seed, make_graph
from ..graphs._graph import degree, mean_adjacency
from ._checks import check_output_size

__all__ = ["make_network_effect", "make_paper_network_dgp"]


def _graph_and_rng(graph: Any, n: int, mean_degree: float, random_state: Any):
    """The graph (generated from its own seed unless given as an edge_index) and the Generator for the rest."""
    rng = _check_seed(random_state)
    g_seed, x_seed = rng.integers(0, 2**63 - 1, size=2)
    ei = (
        make_graph(graph, n, int(g_seed), mean_degree=mean_degree)
        if isinstance(graph, str)
        else np.asarray(graph)
    )
    return ei, np.random.default_rng(int(x_seed))


def _check_size(n: Any, n_features: Any) -> None:
    """The simulated node table must fit in memory (integer sizes; other types are checked where used)."""
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (n, n_features)):
        check_output_size(4 * int(n) * (int(n_features) + 4), "n and n_features")


def _standardise(z: np.ndarray) -> np.ndarray:
    sd = z.std(axis=0)
    return (z - z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def make_network_effect(
    n: int = 1000,
    graph: str | np.ndarray = "ba",
    *,
    effect: str = "neighbour_mean",
    n_features: int = 5,
    constant: float = 2.0,
    mean_degree: float = 6.0,
    random_state: Any = None,
) -> Bunch:
    """The neighbour-mean-effect DGP: a node's effect depends on its neighbours' features only.

    With ``S = D^{-1}A`` (no self loops) and ``z_k`` the standardised column ``k`` of ``S X``
    (``X`` iid N(0, 1), 5 columns):

    - ``effect="neighbour_mean"``: ``tau = 1 + 2 z_0`` (E tau = 1, Var tau = 4). ``tau`` is independent of the
      node's own ``X``, so every graph-blind final stage has error floor MSE = Var tau = 4;
    - ``effect="nonlinear"``: ``tau = 1 + 2 tanh(2 z_0) + 0.5 X_1`` (Var tau about 2.6);
    - ``effect="constant"``: ``tau = constant`` (regression guard for the linear final-stage intercept).

    Propensity ``e = clip(sigmoid(0.6 X_2 + 0.6 z_2), 0.05, 0.95)``; outcome
    ``Y = X_3 + 0.5 X_4^2 + z_2 + T tau + 0.5 eps``. The confounder ``z_2`` is graph-derived.

    Parameters
    ----------
    n : int
        Number of nodes.
    graph : {"ba", "er", "sbm"} or ndarray of shape (2, E)
        Graph family (Barabási–Albert m = 3, Erdős–Rényi p = 6/n, 4-block SBM; mean degree about 6) or a given
        ``edge_index``.
    effect : {"neighbour_mean", "nonlinear", "constant"}
    n_features : int
        Number of covariates (at least 5).
    random_state : int, numpy Generator or None

    Returns
    -------
    sklearn.utils.Bunch
        ``X, T, Y, edge_index, tau, propensity, mu0`` (``E[Y(0) | X, G]``), ``degree`` and ``ate`` (mean tau).

    Examples
    --------
    >>> d = make_network_effect(300, "er", random_state=0)
    >>> d.X.shape, d.edge_index.shape[0], round(float(d.tau.var()), 1)
    ((300, 5), 2, 4.0)
    """
    if n_features < 5:
        raise ValueError(f"n_features must be >= 5; got {n_features}.")
    if effect not in ("neighbour_mean", "nonlinear", "constant"):
        raise ValueError(
            f"effect must be 'neighbour_mean', 'nonlinear' or 'constant'; got {effect!r}."
        )
    _check_size(n, n_features)
    ei, rng_x = _graph_and_rng(graph, n, mean_degree, random_state)
    X = rng_x.normal(size=(n, n_features))
    Z = _standardise(mean_adjacency(ei, n) @ X)
    if effect == "neighbour_mean":
        tau = 1.0 + 2.0 * Z[:, 0]
    elif effect == "nonlinear":
        tau = 1.0 + 2.0 * np.tanh(2.0 * Z[:, 0]) + 0.5 * X[:, 1]
    else:
        tau = np.full(n, float(constant))
    e = np.clip(expit(0.6 * X[:, 2] + 0.6 * Z[:, 2]), 0.05, 0.95)
    T = (rng_x.random(n) < e).astype(float)
    mu0 = X[:, 3] + 0.5 * X[:, 4] ** 2 + Z[:, 2]
    Y = mu0 + T * tau + 0.5 * rng_x.normal(size=n)
    return Bunch(
        X=X,
        T=T,
        Y=Y,
        edge_index=ei,
        tau=tau,
        propensity=e,
        mu0=mu0,
        degree=degree(ei, n),
        ate=float(tau.mean()),
    )


def _random_gcn(
    X: np.ndarray, ei: np.ndarray, n_layers: int, width: int, rng: np.random.Generator
) -> np.ndarray:
    """An untrained ReLU GCN (Kipf–Welling normalisation with self loops, Glorot-uniform weights)."""
    import scipy.sparse as sp

    n = X.shape[0]
    A = mean_adjacency(ei, n)
    A.data[:] = 1.0
    A = A + sp.eye(n)
    d = np.asarray(A.sum(axis=1)).ravel()
    Dm = sp.diags(1.0 / np.sqrt(d))
    Ahat = Dm @ A @ Dm
    h = X
    for _ in range(n_layers):
        limit = np.sqrt(6.0 / (h.shape[1] + width))
        W = rng.uniform(-limit, limit, size=(h.shape[1], width))
        h = np.maximum(Ahat @ (h @ W), 0.0)
    return h


def make_paper_network_dgp(
    n: int = 1000,
    graph: str | np.ndarray = "ba",
    *,
    effect: str = "graph",
    n_features: int = 10,
    mean_degree: float = 8.0,
    random_state: Any = None,
) -> Bunch:
    """The DGP of the paper's released code (arXiv 2511.13018), reimplemented in numpy, for comparison.

    Two untrained random ReLU GCNs give latent confounders ``H1`` (2 layers) and ``H2`` (4 layers, returned but
    unused as in the paper's formulas). ``T = 1[0.5 X_0 - 0.7 H1_1 + 0.3 eps > 0]`` (a threshold, so overlap is
    poor), ``Y = H1_0 + 0.5 X_1 + T tau + 0.5 eps'`` with ``tau = 2 + 1.5 sin(H1_0)`` (``effect="graph"``) or
    ``tau = 2 + 1.5 sin(X_0)`` (``effect="local"``). The graph effect barely varies (the random ReLU channel is
    mostly zero or constant), so predicting the ATE is already hard to beat; do not use it as an acceptance test.

    Returns
    -------
    sklearn.utils.Bunch
        ``X, T, Y, edge_index, tau, propensity, H1, H2, degree, ate``.

    Examples
    --------
    >>> d = make_paper_network_dgp(200, random_state=0)
    >>> d.X.shape, bool(d.tau.var() < 1.0)
    ((200, 10), True)
    """
    if effect not in ("graph", "local"):
        raise ValueError(f"effect must be 'graph' or 'local'; got {effect!r}.")
    _check_size(n, n_features)
    ei, r = _graph_and_rng(graph, n, mean_degree, random_state)
    X = r.normal(size=(n, n_features))
    H1 = _random_gcn(X, ei, 2, 16, r)
    H2 = _random_gcn(X, ei, 4, 16, r)
    lin = 0.5 * X[:, 0] - 0.7 * H1[:, 1]
    T = (lin + 0.3 * r.normal(size=n) > 0).astype(float)
    tau = 2.0 + 1.5 * np.sin(H1[:, 0] if effect == "graph" else X[:, 0])
    Y = H1[:, 0] + 0.5 * X[:, 1] + T * tau + 0.5 * r.normal(size=n)
    return Bunch(
        X=X,
        T=T,
        Y=Y,
        edge_index=ei,
        tau=tau,
        propensity=norm.cdf(lin / 0.3),
        H1=H1,
        H2=H2,
        degree=degree(ei, n),
        ate=float(tau.mean()),
    )
