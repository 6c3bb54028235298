"""Graph inputs without torch: conversion, validation and the neighbour-mean operator.

Every causalkit graph estimator takes ``edge_index``: a ``(2, E)`` integer array of directed edges
``source -> target`` (torch-geometric's convention: node ``edge_index[1, k]`` receives a message from node
``edge_index[0, k]``). An undirected edge is stored in both directions. ``edge_index`` may also be a torch
tensor, a scipy sparse ``(n, n)`` adjacency matrix, or a networkx graph; :func:`to_edge_index` turns each into
the canonical numpy form and checks it.
"""

from __future__ import annotations

import numbers
from typing import Any, Literal, NamedTuple, overload

import numpy as np
import scipy.sparse as sp

from .._base.validation import check_int

__all__ = [
    "GraphData",
    "connected_components",
    "degree",
    "from_pyg",
    "mean_adjacency",
    "neighbour_mean",
    "propagate_features",
    "to_edge_index",
]


def _is_torch_tensor(a: Any) -> bool:
    return type(a).__module__.startswith("torch") and hasattr(a, "detach")


def _is_networkx(a: Any) -> bool:
    return type(a).__module__.startswith("networkx") and hasattr(a, "edges")


# largest node count accepted: node ids and the CSR index arrays of scipy's sparse matrices must fit in int32
# arithmetic on every platform, and a per-node float array of this length already takes 16 GiB
_MAX_NODES = 2**31 - 1
# bytes per node that degree / mean_adjacency / connected_components allocate (CSR indptr, degrees, labels, ...)
_BYTES_PER_NODE = 32


def _physical_memory() -> int | None:
    """Total physical memory in bytes, or None where it cannot be read."""
    try:
        import os

        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return None


@overload
def _check_n_nodes(
    n_nodes: Any,
    *,
    allow_none: Literal[False] = False,
    allocate: bool = True,
    name: str = "n_nodes",
) -> int: ...


@overload
def _check_n_nodes(
    n_nodes: Any, *, allow_none: bool, allocate: bool = True, name: str = "n_nodes"
) -> int | None: ...


def _check_n_nodes(
    n_nodes: Any, *, allow_none: bool = False, allocate: bool = True, name: str = "n_nodes"
) -> int | None:
    """``n_nodes`` as an int >= 0; with ``allocate``, at most ``2**31 - 1`` and with per-node arrays that fit in memory.

    Raises
    ------
    TypeError
        For None (unless allowed), strings, floats (also NaN) and other non-integers.
    ValueError
        For a negative count, or one too large to allocate the per-node arrays.
    """
    n = check_int(n_nodes, name, low=0, allow_none=allow_none)
    if n is None or not allocate:
        return n
    if n > _MAX_NODES:
        raise ValueError(
            f"{name} must be <= 2**31 - 1 = {_MAX_NODES} (node ids are indexed with 32-bit integers); got {n}."
        )
    mem = _physical_memory()
    if mem is not None and n * _BYTES_PER_NODE > mem:
        raise ValueError(
            f"{name}={n} needs about {n * _BYTES_PER_NODE / 2**30:.3g} GiB for its per-node arrays, more than "
            f"this machine's {mem / 2**30:.3g} GiB of memory."
        )
    return n


def to_edge_index(
    graph: Any, n_nodes: int | None = None, *, name: str = "edge_index"
) -> np.ndarray:
    """Convert and validate a graph into a ``(2, E)`` int64 numpy ``edge_index``.

    Parameters
    ----------
    graph : array-like of shape (2, E), torch.Tensor, scipy.sparse matrix of shape (n, n) or networkx graph
        The graph. Integer arrays are edge lists (``graph[0]`` sources, ``graph[1]`` targets). A sparse matrix
        is read as an adjacency ``A[i, j] != 0`` meaning an edge ``i -> j``. A networkx graph must have nodes
        labelled ``0 .. n-1``; an undirected one gives both directions of each edge.
    n_nodes : int, optional
        Number of nodes; node ids must lie in ``[0, n_nodes)``. Isolated nodes are allowed. (The functions
        that build per-node arrays, :func:`degree`, :func:`mean_adjacency` and :func:`connected_components`,
        accept at most ``2**31 - 1`` nodes and no more than the machine's memory can hold.)
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.ndarray of shape (2, E), dtype int64

    Raises
    ------
    TypeError
        For float or other non-integer edge arrays, unsupported objects, or a non-integer ``n_nodes``.
    ValueError
        For a wrong shape, negative ids, ids ``>= n_nodes``, a sparse matrix that is not ``(n, n)``, or a
        negative ``n_nodes``.

    Examples
    --------
    >>> import numpy as np
    >>> to_edge_index(np.array([[0, 1], [1, 0]]), 2)
    array([[0, 1],
           [1, 0]])
    """
    n_nodes = _check_n_nodes(n_nodes, allow_none=True, allocate=False)  # allocates nothing per node
    if graph is None:
        raise ValueError(
            f"{name} is required: pass a (2, E) integer array, a sparse adjacency or a networkx graph."
        )
    if sp.issparse(graph):
        if graph.ndim != 2 or graph.shape[0] != graph.shape[1]:
            raise ValueError(
                f"{name}: a sparse adjacency must be square (n, n); got shape {graph.shape}."
            )
        if n_nodes is not None and graph.shape[0] != n_nodes:
            raise ValueError(
                f"{name}: sparse adjacency is {graph.shape[0]}x{graph.shape[0]}; expected {n_nodes} nodes."
            )
        coo = sp.coo_matrix(graph)
        if coo.data.dtype.kind in "fc" and not np.all(np.isfinite(coo.data)):
            raise ValueError(
                f"{name}: a sparse adjacency must hold finite values; found {int(np.sum(~np.isfinite(coo.data)))} "
                "NaN/inf entries."
            )
        mask = coo.data != 0
        ei = np.vstack([coo.row[mask], coo.col[mask]]).astype(np.int64)
    elif _is_networkx(graph):
        nodes = list(graph.nodes())
        if n_nodes is not None and len(nodes) != n_nodes:
            raise ValueError(
                f"{name}: the networkx graph has {len(nodes)} nodes; expected {n_nodes}."
            )
        if not all(isinstance(v, numbers.Integral) for v in nodes) or (
            nodes and sorted(nodes) != list(range(len(nodes)))
        ):
            raise ValueError(
                f"{name}: networkx node labels must be the integers 0..n-1 (use networkx.convert_node_labels_to_integers)."
            )
        edges = np.asarray(list(graph.edges()), dtype=np.int64).reshape(-1, 2).T
        if not graph.is_directed():
            edges = np.hstack([edges, edges[::-1]])
        ei = edges
        if n_nodes is None:
            n_nodes = len(nodes)
    else:
        arr = graph.detach().cpu().numpy() if _is_torch_tensor(graph) else np.asarray(graph)
        if arr.size == 0 and arr.ndim in (1, 2) and arr.dtype.kind in "biuf":
            arr = np.zeros((2, 0), dtype=np.int64)  # [] or an empty array: a graph without edges
        if arr.dtype == bool or arr.dtype.kind not in "iu":
            raise TypeError(
                f"{name} must hold integer node ids (int32/int64); got dtype {arr.dtype}. "
                "Convert with .astype(int) only if the values are whole numbers."
            )
        if arr.ndim != 2 or arr.shape[0] != 2:
            raise ValueError(
                f"{name} must have shape (2, E) (row 0 sources, row 1 targets); got shape {arr.shape}. "
                "If you have an (E, 2) edge list, pass its transpose."
            )
        if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise ValueError(
                f"{name} refers to node id {int(arr.max())}, beyond the int64 range of node ids."
            )
        ei = arr.astype(np.int64, copy=False)
    if ei.size:
        if ei.min() < 0:
            raise ValueError(f"{name} contains negative node ids (min {int(ei.min())}).")
        if n_nodes is not None and ei.max() >= n_nodes:
            raise ValueError(
                f"{name} refers to node id {int(ei.max())} but there are only {n_nodes} nodes "
                f"(ids must be < {n_nodes}, one row of X per node)."
            )
    return np.ascontiguousarray(ei)


def degree(edge_index: Any, n_nodes: int) -> np.ndarray:
    """In-degree of every node (number of distinct neighbours sending messages to it, self loops excluded).

    Examples
    --------
    >>> degree(np.array([[0, 1, 2], [1, 0, 1]]), 3)
    array([1., 2., 0.])
    """
    n_nodes = _check_n_nodes(n_nodes)
    A = _adjacency(to_edge_index(edge_index, n_nodes), n_nodes)
    return np.asarray(A.sum(axis=1)).ravel()


def _adjacency(ei: np.ndarray, n: int) -> sp.csr_matrix:
    """Binary adjacency with ``A[target, source] = 1``, duplicates merged, self loops dropped."""
    keep = ei[0] != ei[1]
    src, dst = ei[0, keep], ei[1, keep]
    A = sp.csr_matrix((np.ones(src.shape[0]), (dst, src)), shape=(n, n))
    A.sum_duplicates()
    A.data[:] = 1.0
    return A


def mean_adjacency(edge_index: Any, n_nodes: int) -> sp.csr_matrix:
    """Row-normalised adjacency ``S = D^{-1} A`` without self loops (rows of isolated nodes are zero).

    ``(S @ X)[i]`` is the mean of ``X`` over the in-neighbours of node ``i``, i.e. the aggregation of a
    mean-aggregation SAGE layer.

    Examples
    --------
    >>> S = mean_adjacency(np.array([[0, 2], [1, 1]]), 3)
    >>> S.toarray()[1]
    array([0.5, 0. , 0.5])
    """
    n_nodes = _check_n_nodes(n_nodes)
    A = _adjacency(to_edge_index(edge_index, n_nodes), n_nodes)
    deg = np.asarray(A.sum(axis=1)).ravel()
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
    return sp.csr_matrix(sp.diags(inv) @ A)


def neighbour_mean(X: Any, edge_index: Any) -> np.ndarray:
    """Neighbour mean ``S X`` (zero for isolated nodes).

    Examples
    --------
    >>> neighbour_mean(np.array([[1.0], [3.0], [5.0]]), np.array([[0, 2], [1, 1]]))
    array([[0.],
           [3.],
           [0.]])
    """
    X = _check_features(X)
    return _mean_operator(edge_index, X.shape[0])(X)


def _check_features(X: Any) -> np.ndarray:
    """Finite numeric node features, (n,) or (n, d)."""
    from .._base.validation import check_1d, check_2d

    if np.ndim(X) == 1:
        return check_1d(X, "X")
    return check_2d(X, "X")


def _mean_operator(edge_index: Any, n: int):
    """``X -> S X`` computed as ``(A X) / deg``: summing before dividing keeps the mean of equal values exact.

    ``S @ X`` with ``S = D^{-1} A`` sums ``k`` rounded copies of ``1/k``: the neighbour mean of a constant
    column can come out as ``0.9999999999999999``, and that rounding noise is then fitted by least squares.
    """
    A = _adjacency(to_edge_index(edge_index, n), n)
    deg = np.asarray(A.sum(axis=1)).ravel()

    def apply(X: np.ndarray) -> np.ndarray:
        total = np.asarray(A @ np.asarray(X, dtype=float))
        d = deg[:, None] if total.ndim == 2 else deg
        d = np.broadcast_to(d, total.shape)
        return np.divide(total, d, out=np.zeros_like(total), where=d > 0)

    return apply


def propagate_features(X: Any, edge_index: Any, hops: int = 2) -> np.ndarray:
    """Graph-propagated features ``[X, S X, ..., S^hops X]`` (the SGC-style input for sklearn models).

    Examples
    --------
    >>> propagate_features(np.ones((3, 1)), np.array([[0, 1], [1, 0]]), hops=1)
    array([[1., 1.],
           [1., 1.],
           [1., 0.]])
    """
    X = _check_features(X)
    if isinstance(hops, bool) or not isinstance(hops, numbers.Integral) or hops < 0:
        raise ValueError(f"hops must be an integer >= 0; got {hops!r}.")
    hops = int(hops)
    mem = _physical_memory()
    need = 8 * X.shape[0] * (X.shape[1] if X.ndim == 2 else 1) * (hops + 1)
    if mem is not None and need > mem:
        raise ValueError(
            f"hops={hops}: the propagated features [X, S X, ..., S^hops X] would take about {need / 2**30:.3g} "
            f"GiB, more than this machine's {mem / 2**30:.3g} GiB of memory."
        )
    mean = _mean_operator(edge_index, X.shape[0])
    out = [X]
    for _ in range(int(hops)):
        out.append(mean(out[-1]))
    return np.hstack(out)


def connected_components(edge_index: Any, n_nodes: int) -> np.ndarray:
    """Connected-component label of every node (edges read as undirected).

    Examples
    --------
    >>> connected_components(np.array([[0], [1]]), 3)
    array([0, 0, 1], dtype=int32)
    """
    n_nodes = _check_n_nodes(n_nodes)
    A = _adjacency(to_edge_index(edge_index, n_nodes), n_nodes)
    return sp.csgraph.connected_components(A, directed=False)[1]


class GraphData(NamedTuple):
    """Node features, treatment, outcome and ``edge_index`` (numpy), as returned by :func:`from_pyg`."""

    X: np.ndarray
    T: np.ndarray | None
    Y: np.ndarray | None
    edge_index: np.ndarray


def from_pyg(data: Any, treatment: str | None = "t", outcome: str | None = "y") -> GraphData:
    """Read a torch-geometric ``Data`` object into numpy arrays.

    Parameters
    ----------
    data : torch_geometric.data.Data
        Must have ``x`` and ``edge_index``.
    treatment, outcome : str or None
        Attribute names of the node-level treatment and outcome (``None`` to skip).

    Returns
    -------
    GraphData
        ``(X, T, Y, edge_index)``; unpack it into ``est.fit(X, T, Y, edge_index=edge_index)``.

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> d = Data(x=torch.ones(2, 1), edge_index=torch.tensor([[0, 1], [1, 0]]),
    ...          t=torch.tensor([0, 1]), y=torch.tensor([0.5, 1.5]))
    >>> g = from_pyg(d)
    >>> g.X.shape, g.T.tolist(), g.edge_index.shape
    ((2, 1), [0.0, 1.0], (2, 2))
    """

    def _get(attr: str) -> np.ndarray:
        if not hasattr(data, attr) or getattr(data, attr) is None:
            raise ValueError(f"data has no attribute {attr!r}; available: {sorted(data.keys())}")
        val = getattr(data, attr)
        return val.detach().cpu().numpy() if _is_torch_tensor(val) else np.asarray(val)

    X = _get("x").astype(float)
    if X.ndim == 1:
        X = X[:, None]
    T = _get(treatment).astype(float).reshape(-1) if treatment is not None else None
    Y = _get(outcome).astype(float).reshape(-1) if outcome is not None else None
    ei = to_edge_index(_get("edge_index"), X.shape[0])
    return GraphData(X, T, Y, ei)
