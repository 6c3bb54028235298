"""GNN modules and their training loop (torch; torch-geometric for GCN/GAT layers).

The default layer is GraphSAGE with mean aggregation, ``h_i' = ReLU(W_l mean_{j in N(i)} h_j + W_r h_i)``, i.e.
torch-geometric's ``SAGEConv(aggr="mean", root_weight=True)``. It is implemented with a sparse row-normalised
adjacency ``S`` so that the first layer's neighbour mean ``S X`` is computed once per graph instead of once per
epoch (the node features never change); each epoch of a one-layer SAGE model is then a dense pass, and
mini-batches of nodes are exact. Deeper layers multiply by ``S`` (``torch.sparse.mm``, CPU or CUDA, no compiled
extensions needed). ``"gcn"`` and ``"gat"`` use torch-geometric's ``GCNConv`` and ``GATConv``.

Mini-batch training (``batch_size``) uses a plain numpy neighbour sampler (CSR + per-layer fan-out): the installed
torch-geometric's ``NeighborLoader`` needs ``pyg-lib`` or ``torch-sparse``, which have no wheels for every torch
version. For one-layer SAGE no sampling is needed at all (the exact ``S X`` is precomputed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from ._graph import mean_adjacency

__all__ = [
    "GraphTensors",
    "NodeGNN",
    "build_module",
    "graph_tensors",
    "predict_module",
    "train_module",
]

CONV_KINDS = ("sage", "gcn", "gat")


@contextmanager
def local_torch_rng(seed: int, device: Any = "cpu") -> Iterator[Any]:
    """Seed torch's RNGs for the block only; the caller's global RNG states are restored afterwards.

    Weight initialisation (and dropout of custom networks) draws from torch's global generators, so they are
    seeded inside :func:`torch.random.fork_rng`, which saves and restores the CPU state and that of the CUDA
    device used (and only those: no other device is seeded). Yields a ``torch.Generator`` seeded with ``seed``
    for explicit draws such as shuffling.
    """
    dev = torch.device(device)
    cuda_index = None
    if dev.type == "cuda":
        cuda_index = dev.index if dev.index is not None else torch.cuda.current_device()
    with torch.random.fork_rng(devices=[] if cuda_index is None else [cuda_index]):
        torch.default_generator.manual_seed(int(seed))
        if cuda_index is not None:
            with torch.cuda.device(cuda_index):
                torch.cuda.manual_seed(int(seed))
        gen = torch.Generator()
        gen.manual_seed(int(seed))
        yield gen


@dataclass
class GraphTensors:
    """Per-graph tensors shared by all models fitted on one graph."""

    x: torch.Tensor  # (n, d) float32
    sx: torch.Tensor  # (n, d) neighbour mean of x
    S: torch.Tensor  # sparse (n, n) mean operator
    edge_index: torch.Tensor  # (2, E) long, self loops removed
    indptr: np.ndarray  # CSR of in-neighbours (rows = targets), for sampling
    indices: np.ndarray
    n: int


def _sparse_torch(S: sp.csr_matrix, device) -> torch.Tensor:
    coo = S.tocoo()
    idx = torch.as_tensor(np.vstack([coo.row, coo.col]), dtype=torch.long)
    return (
        torch.sparse_coo_tensor(
            idx, torch.as_tensor(coo.data, dtype=torch.float32), S.shape, check_invariants=False
        )
        .coalesce()
        .to(device)
    )


def graph_tensors(X: np.ndarray, edge_index: np.ndarray, device: Any = "cpu") -> GraphTensors:
    """Precompute the tensors of a graph: features, neighbour means, sparse mean operator, CSR."""
    from .._base.validation import check_2d

    X = check_2d(X, "X")
    n = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        # a fresh, writable copy: check_2d may hand back a read-only view (of a DataFrame's values), and
        # torch warns about non-writable arrays
        x32 = np.array(X, dtype=np.float32, copy=True)
    if not np.all(np.isfinite(x32)):
        raise ValueError(
            "X: the (standardised) node features exceed the float32 range of the GNNs (up to "
            f"{float(np.max(np.abs(X))):.3g}); new nodes may lie far outside the range seen in fit."
        )
    S = mean_adjacency(edge_index, n)
    sx = S @ X
    A = S.copy()
    A.data[:] = 1.0
    rows, cols = S.nonzero()
    ei = torch.as_tensor(np.vstack([cols, rows]), dtype=torch.long, device=device)
    return GraphTensors(
        x=torch.from_numpy(x32).to(device),
        sx=torch.as_tensor(np.array(sx, dtype=np.float32, copy=True), device=device),
        S=_sparse_torch(S, device),
        edge_index=ei,
        indptr=S.indptr.astype(np.int64),
        indices=S.indices.astype(np.int64),
        n=n,
    )


class NodeGNN(nn.Module):
    """Message-passing backbone, concatenated with the raw features, then an MLP head.

    ``out = MLP([x, h_L, extra])`` with ``h_l = ReLU(conv_l(h_{l-1}))``. ``extra`` (e.g. the treatment of an
    S-learner) enters only the head, so the graph layers never aggregate neighbours' treatments.

    Parameters
    ----------
    in_dim : int
    hidden : int
    num_layers : int
    out_dim : int
    conv : {"sage", "gcn", "gat"}
    extra_dim : int
        Width of the head-only input.
    heads : int
        Attention heads for ``"gat"``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> g = graph_tensors(np.ones((3, 2)), np.array([[0, 1], [1, 0]]))
    >>> NodeGNN(2, 8, 1, 1)(g.x, g.sx, g.S, g.edge_index).shape
    torch.Size([3, 1])
    """

    def __init__(
        self,
        in_dim: int,
        hidden: int,
        num_layers: int,
        out_dim: int = 1,
        conv: str = "sage",
        extra_dim: int = 0,
        heads: int = 2,
    ):
        super().__init__()
        # the constructor arguments, so a fitted module can be stored as arrays and rebuilt (network/_state.py)
        self.init_args = {
            "in_dim": in_dim,
            "hidden": hidden,
            "num_layers": num_layers,
            "out_dim": out_dim,
            "conv": conv,
            "extra_dim": extra_dim,
            "heads": heads,
        }
        self.conv = conv
        self.layers = nn.ModuleList()
        dim = in_dim
        for _ in range(num_layers):
            if conv == "sage":
                self.layers.append(
                    nn.ModuleDict(
                        {
                            "lin_l": nn.Linear(dim, hidden),
                            "lin_r": nn.Linear(dim, hidden, bias=False),
                        }
                    )
                )
            elif conv == "gcn":
                from torch_geometric.nn import GCNConv

                self.layers.append(GCNConv(dim, hidden))
            elif conv == "gat":
                from torch_geometric.nn import GATConv

                self.layers.append(GATConv(dim, max(1, hidden // heads), heads=heads))
            else:
                raise ValueError(f"conv must be one of {CONV_KINDS}; got {conv!r}.")
            dim = hidden if conv != "gat" else max(1, hidden // heads) * heads
        self.head = nn.Sequential(
            nn.Linear(in_dim + (dim if num_layers else 0) + extra_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, out_dim),
        )

    def forward(self, x, sx, S, edge_index, extra=None):
        h = x
        for k, layer in enumerate(self.layers):
            if self.conv == "sage":
                agg = sx if k == 0 else torch.sparse.mm(S, h)
                h = torch.relu(layer["lin_l"](agg) + layer["lin_r"](h))
            else:
                h = torch.relu(layer(h, edge_index))
        parts = [x, h] if len(self.layers) else [x]
        if extra is not None:
            parts.append(extra)
        return self.head(torch.cat(parts, dim=1))


class _UserModule(nn.Module):
    """Wraps a user module ``forward(x, edge_index)`` into the backbone's call signature."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module
        self.conv = "custom"
        self.layers = [None, None]  # forces graph-aware (sampled) mini-batches

    def forward(self, x, sx, S, edge_index, extra=None):
        if extra is not None:
            x = torch.cat([x, extra], dim=1)
        out = self.module(x, edge_index)
        return out if out.ndim == 2 else out[:, None]


def build_module(
    spec: str | Callable[..., nn.Module],
    in_dim: int,
    *,
    hidden: int,
    num_layers: int,
    out_dim: int = 1,
    extra_dim: int = 0,
) -> nn.Module:
    """A fresh module from a kind name or a factory ``factory(in_dim, out_dim) -> nn.Module``.

    A factory's module is called as ``module(x, edge_index)`` and must return ``(n, out_dim)`` (or ``(n,)``).
    """
    if isinstance(spec, str):
        return NodeGNN(in_dim, hidden, num_layers, out_dim, conv=spec, extra_dim=extra_dim)
    module = spec(in_dim + extra_dim, out_dim)
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"a module factory must return a torch.nn.Module; got {type(module).__name__}."
        )
    return _UserModule(module)


def _sample_subgraph(
    g: GraphTensors, seeds: np.ndarray, num_layers: int, fanout: int, rng: np.random.Generator
):
    """Nodes within ``num_layers`` sampled hops of ``seeds`` (at most ``fanout`` in-neighbours per node).

    Vectorised: the candidate in-edges of a frontier are ranked within each target node by a random key and
    the first ``fanout`` are kept (uniform sampling without replacement). Returns the subgraph's nodes (seeds
    first) and its row-normalised adjacency over the sampled edges.
    """
    indptr, indices = g.indptr, g.indices
    known = np.sort(seeds)
    parts = [seeds]
    src_all, dst_all = [], []
    frontier = seeds
    for _ in range(num_layers):
        if frontier.shape[0] == 0:
            break
        counts = indptr[frontier + 1] - indptr[frontier]
        total = int(counts.sum())
        if total == 0:
            break
        starts = np.repeat(indptr[frontier] - np.cumsum(counts) + counts, counts)
        src = indices[starts + np.arange(total)]
        owner = np.repeat(np.arange(frontier.shape[0]), counts)
        order = np.lexsort((rng.random(total), owner))
        first = np.repeat(np.cumsum(counts) - counts, counts)
        keep = order[(np.arange(total) - first) < fanout]
        src, dst = src[keep], frontier[owner[keep]]
        src_all.append(src)
        dst_all.append(dst)
        new = np.setdiff1d(np.unique(src), known, assume_unique=True)
        known = np.union1d(known, new)
        parts.append(new)
        frontier = new
    nodes = np.concatenate(parts)
    m = nodes.shape[0]
    sorter = np.argsort(nodes)
    if src_all:
        src = np.concatenate(src_all)
        dst = np.concatenate(dst_all)
        s_loc = sorter[np.searchsorted(nodes, src, sorter=sorter)]
        d_loc = sorter[np.searchsorted(nodes, dst, sorter=sorter)]
    else:
        s_loc = d_loc = np.empty(0, dtype=np.int64)
    A = sp.csr_matrix((np.ones(s_loc.shape[0]), (d_loc, s_loc)), shape=(m, m))
    A.sum_duplicates()
    A.data[:] = 1.0
    deg = np.asarray(A.sum(axis=1)).ravel()
    S = sp.diags(np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)) @ A
    return nodes, sp.csr_matrix(S)


def _forward(module, g: GraphTensors, extra, idx=None, sub=None):
    if sub is not None:
        nodes_t, S_sub, ei_sub = sub
        ex = extra[nodes_t] if extra is not None else None
        return module(g.x[nodes_t], g.sx[nodes_t], S_sub, ei_sub, ex)
    if idx is not None:  # one-layer SAGE: rows are exact
        ex = extra[idx] if extra is not None else None
        return module(g.x[idx], g.sx[idx], None, None, ex)
    return module(g.x, g.sx, g.S, g.edge_index, extra)


def _rows_exact(module) -> bool:
    return getattr(module, "conv", None) == "sage" and len(module.layers) <= 1


def train_module(
    module: nn.Module,
    g: GraphTensors,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    *,
    lr: float,
    weight_decay: float,
    max_epochs: int,
    patience: int,
    extra: torch.Tensor | None = None,
    batch_size: int | None = None,
    num_neighbors: int = 10,
    rng: np.random.Generator | None = None,
    verbose: bool = False,
) -> dict[str, Any]:
    """Train ``module`` on the nodes ``train_idx``; early-stop on the loss of ``val_idx``.

    ``loss_fn(out, idx)`` returns the (weighted) loss of the outputs ``out`` (rows for nodes ``idx``, a long
    tensor). Full batch when ``batch_size`` is None or not smaller than the training set; otherwise mini-batches
    of training nodes (exact rows for one-layer SAGE, sampled subgraphs with ``num_neighbors`` in-neighbours per
    node and layer otherwise). The best state on the validation loss is restored.

    Returns
    -------
    dict with ``epochs`` (run), ``best_epoch``, ``best_val`` and ``val_curve``.
    """
    device = g.x.device
    rng = np.random.default_rng(0) if rng is None else rng
    opt = torch.optim.Adam(module.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)
    tr_t = torch.as_tensor(train_idx, dtype=torch.long, device=device)
    va_t = torch.as_tensor(val_idx, dtype=torch.long, device=device)
    use_val = val_idx.shape[0] > 0
    # the step of the mini-batch loop; full batch when it covers the training set
    step = train_idx.shape[0] if batch_size is None else batch_size
    mini = step < train_idx.shape[0]
    rows_exact = _rows_exact(module)
    n_layers = len(getattr(module, "layers", [None]))
    best: tuple[float, int, dict[str, Any] | None] = (np.inf, 0, None)
    curve = []
    epoch = 0
    # switching train/eval costs ~10% of a small epoch; only modules with dropout/normalisation need it
    toggle = any(
        isinstance(m, (nn.Dropout, nn.modules.batchnorm._BatchNorm, nn.LayerNorm))
        or "Dropout" in type(m).__name__
        for m in module.modules()
    ) or any(
        getattr(m, "dropout", 0)
        for m in module.modules()
        if isinstance(getattr(m, "dropout", 0), float)
    )
    module.train()
    for epoch in range(1, max_epochs + 1):
        if toggle:
            module.train()
        if not mini:
            opt.zero_grad()
            out = (
                _forward(module, g, extra)[tr_t]
                if not rows_exact
                else _forward(module, g, extra, idx=tr_t)
            )
            loss = loss_fn(out, tr_t)
            loss.backward()
            opt.step()
        else:
            perm = rng.permutation(train_idx)
            for start in range(0, perm.shape[0], step):
                b = perm[start : start + step]
                b_t = torch.as_tensor(b, dtype=torch.long, device=device)
                opt.zero_grad()
                if rows_exact:
                    out = _forward(module, g, extra, idx=b_t)
                else:
                    nodes, S_sub = _sample_subgraph(g, b, n_layers, num_neighbors, rng)
                    rows, cols = S_sub.nonzero()
                    sub = (
                        torch.as_tensor(nodes, dtype=torch.long, device=device),
                        _sparse_torch(S_sub, device),
                        torch.as_tensor(np.vstack([cols, rows]), dtype=torch.long, device=device),
                    )
                    out = _forward(module, g, extra, sub=sub)[: b.shape[0]]
                loss = loss_fn(out, b_t)
                loss.backward()
                opt.step()
        if not use_val:
            continue
        if toggle:
            module.eval()
        with torch.no_grad():
            out = (
                _forward(module, g, extra, idx=va_t)
                if rows_exact
                else _forward(module, g, extra)[va_t]
            )
            v = float(loss_fn(out, va_t))
        curve.append(v)
        if v < best[0] - 1e-12:
            best = (v, epoch, {k: t.detach().clone() for k, t in module.state_dict().items()})
        elif epoch - best[1] >= patience:
            break
        if verbose and epoch % 50 == 0:
            print(f"  epoch {epoch}: validation loss {v:.4f}")
    if best[2] is not None:
        module.load_state_dict(best[2])
    module.eval()
    return {
        "epochs": epoch,
        "best_epoch": best[1] if use_val else epoch,
        "best_val": best[0],
        "val_curve": curve,
    }


def predict_module(
    module: nn.Module, g: GraphTensors, extra: torch.Tensor | None = None
) -> np.ndarray:
    """Outputs of ``module`` for every node of ``g`` (no gradient), as a float64 numpy array."""
    module.eval()
    with torch.no_grad():
        out = _forward(module, g, extra)
    return out.detach().cpu().double().numpy()
