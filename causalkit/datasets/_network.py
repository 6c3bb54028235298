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

__all__ = [
    "make_network_design",
    "make_network_effect",
    "make_paper_network_dgp",
    "network_validation_designs",
]


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


# ---------------------------------------------------------------- validation suite (issue #16 item 3)
def _watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Watts–Strogatz small world: ring lattice with ``k`` neighbours, each edge's far end rewired w.p. ``p``."""
    from ..graphs._generators import _undirected

    half = max(1, k // 2)
    src = np.repeat(np.arange(n), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(src.shape[0]) < p
    dst = np.where(rewire, rng.integers(0, n, size=src.shape[0]), dst)
    return _undirected(src, dst)


def _directed_graph(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Every node follows ``k`` others, chosen with probability growing with their index-free popularity.

    Edges ``source -> target`` mean that ``target`` receives messages from ``source`` (``edge_index[0]`` the
    sources). Popularity weights are lognormal, so in-degrees are skewed; edge weights are Exp(1) draws.
    """
    pop = rng.lognormal(0.0, 1.0, size=n)
    pop /= pop.sum()
    targets = np.repeat(np.arange(n), k)
    sources = rng.choice(n, size=targets.shape[0], p=pop)
    keep = sources != targets
    ei = np.unique(np.vstack([sources[keep], targets[keep]]), axis=1).astype(np.int64)
    return ei, rng.exponential(1.0, size=ei.shape[1])


def _weighted_in_mean(X: np.ndarray, ei: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    import scipy.sparse as sp

    A = sp.csr_matrix((w, (ei[1], ei[0])), shape=(n, n))
    tot = np.asarray(A.sum(axis=1)).ravel()
    inv = np.divide(1.0, tot, out=np.zeros_like(tot), where=tot > 0)
    return sp.diags(inv) @ A @ X


#: name -> (split, graph_matters, one-line description). Half the designs tune the defaults, half report them.
_DESIGNS: dict[str, tuple[str, bool, str]] = {
    "ws_two_hop": (
        "report",
        True,
        "Watts-Strogatz (k = 6, p = 0.1); tau from the 2-hop neighbourhood mean S^2 X (outside design 1)",
    ),
    "ba_degree": (
        "report",
        True,
        "Barabasi-Albert (m = 3); log-degree drives the effect, the treatment and the outcome (outside design 2)",
    ),
    "sbm_homophily": (
        "report",
        True,
        "homophilous 10-block SBM, block-shifted features, treatment correlated along edges (outside design 3)",
    ),
    "directed_weighted": (
        "report",
        True,
        "directed follower graph with skewed in-degree; tau from the edge-weighted in-neighbour mean",
    ),
    "graph_irrelevant": (
        "report",
        False,
        "Erdos-Renyi graph that plays no role: tau, propensity and outcome depend on the node's own X only",
    ),
    "multi_hop_nonlinear": (
        "tune",
        True,
        "Erdos-Renyi (mean degree 6); tau = 1 + 2 tanh(2 z1) + tanh(z2) from 1- and 2-hop means",
    ),
    "sbm_heterophily": (
        "tune",
        True,
        "heterophilous 2-block SBM (most edges between blocks); tau from the neighbours' (opposite-block) mean",
    ),
    "clustered_treatment": (
        "tune",
        True,
        "100 dense communities; treatment assigned per community from its mean feature; tau nonlinear in S X",
    ),
    "isolated_nodes": (
        "tune",
        True,
        "Erdos-Renyi on 70% of the nodes, 30% isolated; isolated nodes have a shifted effect and propensity",
    ),
}


def network_validation_designs(split: str | None = None) -> list[str]:
    """Names of the graph designs of the Graph R-learner validation suite (issue #16).

    Nine designs with known node-level effects, varying every axis the method's assumptions touch: multi-hop
    effects, degree-driven effects with degree confounding, homophily and heterophily (SBM), clustered treatment,
    directed and weighted graphs, isolated nodes, and a control design where the graph plays no role. Four
    designs (``split="tune"``) were used to choose :class:`~causalkit.network.GraphRLearner`'s defaults; the
    other five (``split="report"``, including the three outside-testing designs of the issue) only report them.

    Parameters
    ----------
    split : {"tune", "report"} or None
        Only the designs of this half (None: all).

    Returns
    -------
    list of str
        Names for :func:`make_network_design`.

    Examples
    --------
    >>> network_validation_designs("tune")
    ['multi_hop_nonlinear', 'sbm_heterophily', 'clustered_treatment', 'isolated_nodes']
    """
    if split not in (None, "tune", "report"):
        raise ValueError(f"split must be 'tune', 'report' or None; got {split!r}.")
    return [k for k, v in _DESIGNS.items() if split is None or v[0] == split]


def make_network_design(
    name: str, *, n_nodes: int = 1000, random_state: Any = None
) -> dict[str, Any]:
    """One design of the Graph R-learner validation suite, with known node-level effects.

    Every design has ``X`` iid N(0, 1) with 5 columns (block-shifted in the SBM designs), ``Y = mu0 + T tau +
    0.5 eps`` and a propensity clipped to [0.05, 0.95]. ``z1 = std(S X)`` and ``z2 = std(S^2 X)`` are the
    standardised 1- and 2-hop neighbour means (``S`` the row-normalised adjacency over in-neighbours) and
    ``ld = std(log(1 + degree))``. See :func:`network_validation_designs` and ``metadata["description"]``.

    Parameters
    ----------
    name : str
        One of :func:`network_validation_designs`.
    n_nodes : int, default 1000
        Number of nodes (the suite is run at 1000 and 20000).
    random_state : int, numpy Generator or None

    Returns
    -------
    dict
        ``Y, T, X, edge_index`` (``(2, E)``, undirected graphs stored both ways), ``true_cate`` (n,),
        ``true_ate`` (mean of ``true_cate``), ``groups`` (cluster labels or None), ``propensity``, ``mu0``,
        ``edge_weight`` (None unless weighted) and ``metadata`` (``name, split, graph_matters, description,
        n_nodes, directed, weighted, degree_confounded, n_isolated``).

    Examples
    --------
    >>> d = make_network_design("ba_degree", n_nodes=500, random_state=0)
    >>> d["X"].shape, d["metadata"]["split"], d["metadata"]["graph_matters"]
    ((500, 5), 'report', True)
    >>> bool(abs(d["true_ate"] - d["true_cate"].mean()) < 1e-12)
    True
    """
    if name not in _DESIGNS:
        raise ValueError(f"name must be one of {list(_DESIGNS)}; got {name!r}.")
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, numbers.Integral) or n_nodes < 50:
        raise ValueError(f"n_nodes must be an integer >= 50; got {n_nodes!r}.")
    n = int(n_nodes)
    _check_size(n, 5)
    split, graph_matters, description = _DESIGNS[name]
    rng = _check_seed(random_state)
    rng = np.random.default_rng(int(rng.integers(0, 2**63 - 1)))
    p = 5
    X = rng.normal(size=(n, p))
    groups = None
    edge_weight = None
    directed = False
    degree_confounded = False
    iso = np.zeros(n, dtype=bool)

    if name in ("ws_two_hop",):
        ei = _watts_strogatz(n, 6, 0.1, rng)
    elif name == "ba_degree":
        ei = make_graph("ba", n, int(rng.integers(0, 2**62)), mean_degree=6.0)
    elif name == "sbm_homophily":
        k = 10
        block = np.arange(n) * k // n
        sizes = np.bincount(block, minlength=k).tolist()
        size = n / k
        ei = _sbm(sizes, 7.0 / size, 0.5 / (n - size), rng)
        X[:, :3] += rng.normal(0.0, 1.0, size=(k, 3))[block]
        groups = block
    elif name == "sbm_heterophily":
        block = (np.arange(n) >= n // 2).astype(int)
        half = n / 2
        ei = _sbm([n // 2, n - n // 2], 1.0 / half, 5.0 / half, rng)
        X[:, :3] += np.where(block[:, None] == 1, 1.0, -1.0)
        groups = block
    elif name == "clustered_treatment":
        k = 100
        block = np.arange(n) * k // n
        sizes = np.bincount(block, minlength=k).tolist()
        size = n / k
        ei = _sbm(sizes, min(1.0, 5.0 / size), 1.0 / (n - size), rng)
        groups = block
    elif name == "directed_weighted":
        ei, edge_weight = _directed_graph(n, 5, rng)
        directed = True
    elif name == "isolated_nodes":
        iso = rng.random(n) < 0.3
        conn = np.flatnonzero(~iso)
        sub = make_graph("er", conn.shape[0], int(rng.integers(0, 2**62)), mean_degree=6.0)
        ei = conn[sub]
    else:  # graph_irrelevant, multi_hop_nonlinear
        ei = make_graph("er", n, int(rng.integers(0, 2**62)), mean_degree=6.0)

    deg = degree(ei, n)
    S = mean_adjacency(ei, n)
    SX = S @ X
    z1 = _standardise(SX)
    z2 = _standardise(S @ SX)
    ld = _standardise(np.log1p(deg))
    e_lin = 0.5 * X[:, 2] + 0.5 * z1[:, 2]
    mu0 = X[:, 3] + 0.5 * X[:, 4] ** 2 + z1[:, 2]

    if name == "ws_two_hop":
        tau = 1.0 + 1.5 * z2[:, 0] + 0.5 * X[:, 1]
    elif name == "ba_degree":
        degree_confounded = True
        tau = 1.0 + 1.0 * ld + 0.5 * X[:, 0]
        e_lin = 0.9 * ld + 0.4 * X[:, 2]
        mu0 = X[:, 3] + 1.5 * ld + 0.5 * X[:, 4] ** 2
    elif name == "sbm_homophily":
        tau = 1.0 + 1.5 * np.tanh(z1[:, 0]) + 0.5 * X[:, 1]
        e_lin = (
            0.4 * X[:, 2] + 0.9 * z1[:, 2]
        )  # treatment correlated along edges through the block shifts
    elif name == "sbm_heterophily":
        tau = 1.0 + 1.5 * z1[:, 0] - 0.5 * X[:, 0]
    elif name == "clustered_treatment":
        cm = _standardise(np.bincount(block, weights=X[:, 2], minlength=k) / np.bincount(block))
        e_lin = 0.8 * cm[block]  # one propensity per community: treatment clustered
        tau = 1.0 + np.tanh(2.0 * z1[:, 0]) + 0.5 * X[:, 1]
    elif name == "directed_weighted":
        zw = _standardise(_weighted_in_mean(X, ei, edge_weight, n))
        tau = 1.0 + 1.5 * zw[:, 0] + 0.5 * X[:, 1]
        e_lin = 0.5 * X[:, 2] + 0.5 * zw[:, 2]
        mu0 = X[:, 3] + 0.5 * X[:, 4] ** 2 + zw[:, 2]
    elif name == "isolated_nodes":
        tau = 1.0 + 1.5 * z1[:, 0] * (~iso) + 1.0 * iso + 0.5 * X[:, 1]
        e_lin = 0.5 * X[:, 2] + 0.5 * z1[:, 2] - 0.8 * iso
    elif name == "multi_hop_nonlinear":
        tau = 1.0 + 2.0 * np.tanh(2.0 * z1[:, 0]) + np.tanh(z2[:, 1])
    else:  # graph_irrelevant
        tau = 1.0 + 0.8 * X[:, 0] + 0.5 * np.tanh(2.0 * X[:, 1])
        e_lin = 0.6 * X[:, 2]
        mu0 = X[:, 3] + 0.5 * X[:, 4] ** 2

    e = np.clip(expit(e_lin), 0.05, 0.95)
    T = (rng.random(n) < e).astype(float)
    Y = mu0 + T * tau + 0.5 * rng.normal(size=n)
    metadata = {
        "name": name,
        "split": split,
        "graph_matters": graph_matters,
        "description": description,
        "n_nodes": n,
        "directed": directed,
        "weighted": edge_weight is not None,
        "degree_confounded": degree_confounded,
        "n_isolated": int(np.sum(deg == 0)),
    }
    return {
        "Y": Y,
        "T": T,
        "X": X,
        "edge_index": ei,
        "true_cate": tau,
        "true_ate": float(tau.mean()),
        "groups": groups,
        "propensity": e,
        "mu0": mu0,
        "edge_weight": edge_weight,
        "metadata": metadata,
    }


def _sbm(sizes: list[int], p_in: float, p_out: float, rng: np.random.Generator) -> np.ndarray:
    from ..graphs._generators import stochastic_block_graph

    return stochastic_block_graph(
        sizes, min(1.0, p_in), min(1.0, p_out), int(rng.integers(0, 2**62))
    )
