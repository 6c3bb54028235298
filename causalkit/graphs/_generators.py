"""Seeded random-graph generators built from a numpy ``Generator`` (no torch, O(E) memory).

torch-geometric's ``barabasi_albert_graph`` draws from the global numpy/torch RNGs and its
``erdos_renyi_graph`` enumerates all node pairs (O(n^2) memory); these generators take a ``random_state`` and
scale to millions of nodes. All return an undirected graph as a ``(2, E)`` int64 ``edge_index`` holding both
directions of every edge, without self loops or duplicates.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._base.validation import check_generator, check_int, check_scalar_in_range

__all__ = ["barabasi_albert_graph", "erdos_renyi_graph", "make_graph", "stochastic_block_graph"]


def _undirected(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    a, b = np.minimum(src, dst), np.maximum(src, dst)
    keep = a != b
    pairs = np.unique(np.vstack([a[keep], b[keep]]), axis=1)
    return np.hstack([pairs, pairs[::-1]]).astype(np.int64)


def _check_probability(p: Any, name: str) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(p).__name__}.")
    value = float(p)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1]; got {p}.")
    return value


def _check_seed(random_state: Any) -> np.random.Generator:
    """The numpy ``Generator`` of ``random_state``; a negative int seed is a ValueError naming ``random_state``.

    Any int ``>= 0`` is accepted (as by ``numpy.random.default_rng``), so that seeds drawn from a Generator over
    ``[0, 2**63)`` can be passed on.
    """
    # TODO(#13, _base): check_generator should take the argument's name and reject negative ints itself
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        check_int(random_state, "random_state", low=0)
    return check_generator(random_state)


# bytes of the returned edge_index and of the temporaries per undirected edge (int64 pairs, both directions,
# np.unique's sort): a graph needing more than the machine's memory is refused up front, not by a MemoryError
_BYTES_PER_EDGE = 96


def _check_edge_budget(expected_edges: float, names: str) -> None:
    """ValueError naming ``names`` when about ``expected_edges`` undirected edges cannot be held in memory."""
    from ._graph import _physical_memory

    mem = _physical_memory()
    if mem is not None and expected_edges * _BYTES_PER_EDGE > mem:
        raise ValueError(
            f"{names}: the graph would have about {expected_edges:.3g} edges, needing about "
            f"{expected_edges * _BYTES_PER_EDGE / 2**30:.3g} GiB, more than this machine's {mem / 2**30:.3g} GiB "
            "of memory; lower the edge density."
        )


# bytes per node pair that the dense branch of _sample_pairs needs (pair indices, the permutation of
# rng.choice, the picked pairs)
_BYTES_PER_PAIR = 64


def _check_pair_budget(n_pairs: int, p: float, name: str) -> None:
    """ValueError naming ``name`` when enumerating ``n_pairs`` node pairs (``p >= 0.5``) cannot fit in memory."""
    from ._graph import _physical_memory

    mem = _physical_memory()
    if mem is not None and n_pairs * _BYTES_PER_PAIR > mem:
        raise ValueError(
            f"{name}={p:g}: a dense block (edge probability >= 0.5) enumerates its {n_pairs:.3g} node pairs, "
            f"needing about {n_pairs * _BYTES_PER_PAIR / 2**30:.3g} GiB, more than this machine's "
            f"{mem / 2**30:.3g} GiB of memory; lower the edge probability or the block size."
        )


def _check_node_budget(n: int, name: str) -> None:
    """ValueError naming ``name`` for more nodes than the per-node arrays (node ids) can hold."""
    from ._graph import _check_n_nodes

    _check_n_nodes(n, name=name)


def _check_n(n: Any, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n!r}.")
    return int(n)


def barabasi_albert_graph(n: int, m: int, random_state: Any = None) -> np.ndarray:
    """Barabási–Albert preferential-attachment graph.

    Starts from a star on ``m + 1`` nodes; every further node links to ``m`` distinct existing nodes chosen
    with probability proportional to their degree.

    Parameters
    ----------
    n : int
        Number of nodes (``> m``).
    m : int
        Edges added per new node.
    random_state : int, numpy Generator or None

    Returns
    -------
    numpy.ndarray of shape (2, 2 E)

    Examples
    --------
    >>> ei = barabasi_albert_graph(100, 3, random_state=0)
    >>> ei.shape[1] // 2   # 3 edges for the star + 3 per further node
    291
    """
    n = _check_n(n)
    m = _check_n(m, "m")
    if m >= n:
        raise ValueError(f"m must be smaller than n; got m={m}, n={n}.")
    _check_edge_budget(m * (n - m), "m and n")
    rng = _check_seed(random_state)
    n_edges = m + (n - m - 1) * m
    src = np.empty(n_edges, dtype=np.int64)
    dst = np.empty(n_edges, dtype=np.int64)
    src[:m] = m
    dst[:m] = np.arange(m)
    # endpoint list: a node appears once per incident edge, so uniform draws from it are degree-proportional
    ends = np.empty(2 * n_edges, dtype=np.int64)
    ends[: 2 * m] = np.concatenate([src[:m], dst[:m]])
    n_ends = 2 * m
    k = m
    chunk = rng.random(size=(min(n, 65536), m))
    row = 0
    for v in range(m + 1, n):
        if row == chunk.shape[0]:
            chunk = rng.random(size=(min(n, 65536), m))
            row = 0
        targets = ends[(chunk[row] * n_ends).astype(np.int64)]
        row += 1
        uniq = set(targets.tolist())
        while len(uniq) < m:
            uniq.add(int(ends[int(rng.random() * n_ends)]))
        t = np.fromiter(uniq, dtype=np.int64, count=m)
        src[k : k + m] = v
        dst[k : k + m] = t
        ends[n_ends : n_ends + m] = v
        ends[n_ends + m : n_ends + 2 * m] = t
        n_ends += 2 * m
        k += m
    return _undirected(src, dst)


def _sample_pairs(
    rng: np.random.Generator,
    a: np.ndarray,
    b: np.ndarray,
    p: float,
    same: bool,
    name: str = "p",
) -> tuple[np.ndarray, np.ndarray]:
    """Independent edges with probability ``p`` between node sets ``a`` and ``b`` (within ``a`` if same)."""
    na, nb = a.shape[0], b.shape[0]
    n_pairs = na * (na - 1) // 2 if same else na * nb
    if n_pairs == 0 or p <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if p >= 0.5:
        _check_pair_budget(n_pairs, p, name)
    count = int(rng.binomial(n_pairs, min(p, 1.0)))
    if p >= 0.5:  # dense: enumerate (only for small blocks)
        if same:
            i, j = np.triu_indices(na, 1)
        else:
            i, j = (x.ravel() for x in np.meshgrid(np.arange(na), np.arange(nb), indexing="ij"))
        pick = rng.choice(i.shape[0], size=count, replace=False)
        return a[i[pick]], (a if same else b)[j[pick]]
    codes = np.empty(0, dtype=np.int64)
    while codes.shape[0] < count:
        need = count - codes.shape[0]
        i = rng.integers(0, na, size=int(need * 1.1) + 10)
        j = rng.integers(0, na if same else nb, size=i.shape[0])
        if same:
            keep = i != j
            i, j = np.minimum(i[keep], j[keep]), np.maximum(i[keep], j[keep])
        c = i * (na if same else nb) + j
        codes = np.unique(np.concatenate([codes, c]))
    codes = rng.permutation(codes)[:count]
    width = na if same else nb
    i, j = codes // width, codes % width
    return a[i], (a if same else b)[j]


def erdos_renyi_graph(n: int, p: float, random_state: Any = None) -> np.ndarray:
    """Erdős–Rényi G(n, p) graph in O(E) memory.

    The number of edges is drawn from its binomial law, then that many distinct node pairs uniformly.

    Examples
    --------
    >>> ei = erdos_renyi_graph(1000, 6 / 1000, random_state=0)
    >>> 2500 < ei.shape[1] // 2 < 3500
    True
    """
    n = _check_n(n)
    _check_node_budget(n, "n")
    p = _check_probability(p, "p")
    _check_edge_budget(n * (n - 1) / 2 * p, "p and n")
    rng = _check_seed(random_state)
    nodes = np.arange(n, dtype=np.int64)
    s, d = _sample_pairs(rng, nodes, nodes, p, same=True)
    return _undirected(s, d)


def stochastic_block_graph(
    sizes: Sequence[int], p_in: float, p_out: float, random_state: Any = None
) -> np.ndarray:
    """Stochastic block model: edge probability ``p_in`` within a block and ``p_out`` between blocks.

    Nodes ``0 .. sizes[0]-1`` form block 0, and so on.

    Examples
    --------
    >>> ei = stochastic_block_graph([50, 50], 0.2, 0.01, random_state=0)
    >>> ei.shape[0]
    2
    """
    try:
        if isinstance(sizes, (str, bytes)):
            raise TypeError
        sizes = list(sizes)
    except TypeError:
        raise TypeError(
            f"sizes must be a sequence of positive block sizes; got {type(sizes).__name__}."
        ) from None
    sizes = [_check_n(s, "sizes") for s in sizes]
    if not sizes:
        raise ValueError("sizes must list at least one block size; got an empty sequence.")
    p_in = _check_probability(p_in, "p_in")
    p_out = _check_probability(p_out, "p_out")
    n = sum(sizes)
    _check_node_budget(n, "sum(sizes)")
    within = sum(s * (s - 1) / 2 for s in sizes)
    _check_edge_budget(within * p_in + (n * (n - 1) / 2 - within) * p_out, "sizes, p_in and p_out")
    rng = _check_seed(random_state)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    blocks = [np.arange(starts[k], starts[k + 1], dtype=np.int64) for k in range(len(sizes))]
    src, dst = [], []
    for a in range(len(blocks)):
        for b in range(a, len(blocks)):
            s, d = _sample_pairs(
                rng,
                blocks[a],
                blocks[b],
                p_in if a == b else p_out,
                a == b,
                "p_in" if a == b else "p_out",
            )
            src.append(s)
            dst.append(d)
    return _undirected(np.concatenate(src), np.concatenate(dst))


def make_graph(
    kind: str, n: int, random_state: Any = None, *, mean_degree: float = 6.0
) -> np.ndarray:
    """One of the three test graph families with about ``mean_degree`` neighbours per node.

    Parameters
    ----------
    kind : {"ba", "er", "sbm"}
        Barabási–Albert with ``m = mean_degree / 2``; Erdős–Rényi with ``p = mean_degree / n``; an SBM with 4
        equal blocks, 5/6 of the expected degree inside the block.
    n : int
        Number of nodes.
    random_state : int, numpy Generator or None
    mean_degree : float, default 6.0
        For ``"er"`` and ``"sbm"`` edge probabilities are capped at 1, so a ``mean_degree`` of ``n - 1`` or more
        gives the complete graph. For ``"ba"`` ``m = round(mean_degree / 2)`` edges per new node must stay below
        ``n``, so ``mean_degree`` must be below ``2 n - 1``; a larger one is a ValueError.

    Raises
    ------
    ValueError
        For an unknown ``kind``, ``n < 1``, a negative or non-finite ``mean_degree``, a ``"ba"`` graph whose
        ``mean_degree`` asks for ``m >= n``, or a graph too dense to fit in memory.

    Examples
    --------
    >>> make_graph("er", 200, random_state=1).shape[0]
    2
    """
    kind = str(kind).lower()
    n = _check_n(n)
    _check_node_budget(n, "n")
    mean_degree = check_scalar_in_range(mean_degree, "mean_degree", low=0.0)
    if kind in ("ba", "er", "sbm"):
        _check_edge_budget(n * min(mean_degree, n - 1) / 2, "mean_degree")
    if kind == "ba":
        m = max(1, round(mean_degree / 2))
        if m >= n:
            raise ValueError(
                f"mean_degree={mean_degree:g} is too large for a Barabási-Albert graph on n={n} nodes: it adds "
                f"m = round(mean_degree / 2) = {m} edges per new node, which must be < n (mean_degree < 2 n - 1"
                f"{'' if n > 1 else '; no mean_degree works for n = 1'})."
            )
        return barabasi_albert_graph(n, m, random_state)
    if kind == "er":
        return erdos_renyi_graph(n, min(1.0, mean_degree / n), random_state)
    if kind == "sbm":
        k = min(4, n)  # fewer nodes than blocks: one block per node
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        block = max(sizes)
        p_in = min(1.0, mean_degree * 5 / 6 / block)
        p_out = min(1.0, mean_degree / 6 / max(1, n - block))
        return stochastic_block_graph(sizes, p_in, p_out, random_state)
    raise ValueError(f"kind must be 'ba', 'er' or 'sbm'; got {kind!r}.")
