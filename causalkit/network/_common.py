"""Shared plumbing of the network estimators: input checks, GNN training per node set, standardisation."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._base import (
    check_1d,
    check_2d,
    check_binary_treatment,
    check_consistent_length,
    check_feature_names,
    check_groups,
    check_int,
    check_scalar_in_range,
    check_weights,
)
from ..graphs._graph import propagate_features, to_edge_index

GNN_KINDS = ("sage", "gcn", "gat")


@dataclass
class FitInputs:
    X: np.ndarray
    T: np.ndarray
    Y: np.ndarray
    edge_index: np.ndarray | None
    w: np.ndarray
    groups: np.ndarray | None
    names: list[str]
    n: int
    names_in: np.ndarray | None = None  # DataFrame column names (None for arrays)


def check_fit_inputs(
    X: Any,
    T: Any,
    Y: Any,
    edge_index: Any,
    *,
    sample_weight: Any = None,
    groups: Any = None,
    require_graph: bool = True,
) -> FitInputs:
    """Validate ``X, T, Y, edge_index, sample_weight, groups`` of a node-level effect estimator."""
    X, names = check_2d(X, "X", return_names=True)
    Y = check_1d(Y, "Y")
    T = check_1d(T, "T")
    if np.unique(T).shape[0] > 2 and np.unique(Y).shape[0] == 2 and np.all(np.isin(Y, [0, 1])):
        raise ValueError(
            "T must be binary with values 0/1 but is continuous, while Y is binary: T and Y look swapped "
            "(the signature is fit(Y, T, *, X, ...))."
        )
    T = check_binary_treatment(T, "T")
    # pandas input gives read-only views: copy them, so torch.as_tensor does not warn about non-writable arrays
    X, T, Y = (a if a.flags.writeable else a.copy() for a in (X, T, Y))
    n = check_consistent_length(X=X, T=T, Y=Y)
    if edge_index is None and require_graph:
        raise ValueError(
            "edge_index is required: pass fit(Y, T, X=X, edge_index=...) with a (2, E) integer array."
        )
    check_magnitude(X, "X")
    check_magnitude(Y, "Y")
    ei = to_edge_index(edge_index, n) if edge_index is not None else None
    w = check_weights(sample_weight, n)
    if w is not None:
        for arm, label in ((1.0, "treated"), (0.0, "control")):
            if not np.any(w[T == arm] > 0):
                raise ValueError(
                    f"sample_weight is zero on every {label} node (T == {int(arm)}): the {label} arm carries "
                    "no information and the effect is not identified; give some of its nodes positive weight."
                )
        # only relative weights matter: rescale to mean 1 (after the max, so that the mean cannot overflow), so
        # weights of 1e300 or 1e-300 neither overflow the sandwich meat (sum w^2 e^2) nor underflow (#12)
        w = w / np.max(w)
        w = w / np.mean(w)
    w = np.ones(n) if w is None else w
    groups = check_groups(groups, n)
    names_in = names
    names = [str(c) for c in names] if names is not None else [f"x{j}" for j in range(X.shape[1])]
    return FitInputs(X, T, Y, ei, w, groups, names, n, names_in)


def set_feature_names(est: BaseEstimator, d: FitInputs) -> None:
    """``n_features_in_`` and, for named DataFrame columns only, ``feature_names_in_`` (sklearn's convention)."""
    est.n_features_in_ = d.X.shape[1]
    if d.names_in is not None:
        est.feature_names_in_ = np.asarray(d.names_in, dtype=object)
    elif hasattr(est, "feature_names_in_"):
        del est.feature_names_in_


def check_names(est: BaseEstimator, X: Any) -> None:
    """A DataFrame's columns must match the names seen in ``fit`` (an array is used by position)."""
    if getattr(est, "feature_names_in_", None) is not None and isinstance(X, pd.DataFrame):
        check_feature_names(est, X, argument="X")


def check_new_X(est: BaseEstimator, X: Any) -> np.ndarray:
    """Validate the features of new nodes: names/order against ``feature_names_in_``, then the column count."""
    check_names(est, X)
    X = check_2d(X, "X")
    if X.shape[1] != est.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features; the estimator was fitted with {est.n_features_in_}."
        )
    return X


def check_magnitude(a: np.ndarray, name: str) -> None:
    """Refuse values so large that their variance overflows double precision (standardising would give NaN/0)."""
    if a.size == 0:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        sd = np.std(a, axis=0)
    if not np.all(np.isfinite(sd)):
        raise ValueError(
            f"{name} has values of magnitude up to {float(np.max(np.abs(a))):.3g}, too large for double "
            f"precision (their variance overflows); rescale {name} (e.g. change its units) before fitting."
        )


def check_arm_counts(T: np.ndarray, w: np.ndarray, n_folds: int, weighted: bool) -> None:
    """Cross-fitting needs at least ``n_folds`` nodes of each arm (with positive weight)."""
    for arm, label in ((1.0, "treated"), (0.0, "control")):
        in_arm = T == arm
        count = int(in_arm.sum())
        if count < n_folds:
            raise ValueError(
                f"T: cross-fitting with n_folds={n_folds} needs at least {n_folds} {label} nodes (T == {int(arm)}) "
                f"so that every training fold has some; got {count}."
            )
        positive = int(np.sum(in_arm & (w > 0)))
        if weighted and positive < n_folds:
            raise ValueError(
                f"sample_weight: cross-fitting with n_folds={n_folds} needs at least {n_folds} {label} nodes with "
                f"positive weight; got {positive}."
            )


def check_n_threads(n_threads: Any) -> int | None:
    """``n_threads`` is None (torch's setting) or an integer >= 1 (for :func:`causalkit._base.torch_threads`)."""
    return check_int(n_threads, "n_threads", low=1, allow_none=True)


def check_gnn_params(est: BaseEstimator, *, allow_layer_list: bool = False) -> None:
    """Validate the shared GNN training parameters of ``est``."""
    check_int(est.hidden_channels, "hidden_channels", low=1)
    layers = est.num_layers
    if isinstance(layers, (tuple, list)) and allow_layer_list:
        if not layers:
            raise ValueError(
                "num_layers must be an int or a non-empty list of ints; got an empty list."
            )
        for value in layers:
            check_int(value, "num_layers", low=0)
    else:
        check_int(layers, "num_layers", low=0)
    check_scalar_in_range(est.lr, "lr", low=0, low_inclusive=False)
    check_scalar_in_range(est.weight_decay, "weight_decay", low=0)
    check_int(est.max_epochs, "max_epochs", low=1)
    check_int(est.patience, "patience", low=1)
    check_scalar_in_range(est.val_fraction, "val_fraction", low=0, high=0.5, high_inclusive=False)
    if est.batch_size is not None:
        check_int(est.batch_size, "batch_size", low=1)
    check_int(est.num_neighbors, "num_neighbors", low=1)
    from .._base import resolve_device

    try:
        resolve_device(est.device)
    except RuntimeError as exc:  # torch's message for an unknown device string
        raise ValueError(f"device={est.device!r} is not a valid torch device: {exc}") from None


def is_gnn_spec(spec: Any) -> bool:
    """A GNN kind name or a torch module factory (a callable that is not an sklearn estimator)."""
    if isinstance(spec, str):
        return spec in GNN_KINDS
    return callable(spec) and not hasattr(spec, "fit")


def check_model_spec(spec: Any, name: str, *, allow: tuple[str, ...] = ()) -> str:
    """Classify a model argument: 'gnn', 'sklearn' or one of ``allow``."""
    if isinstance(spec, str):
        if spec in GNN_KINDS:
            return "gnn"
        if spec in allow:
            return spec
        raise ValueError(
            f"{name} must be one of {GNN_KINDS + allow}, a torch module factory or an sklearn estimator; got {spec!r}."
        )
    if hasattr(spec, "fit"):
        return "sklearn"
    if callable(spec):
        return "gnn"
    raise TypeError(
        f"{name} must be a string, a torch module factory or an sklearn estimator; got {type(spec).__name__}."
    )


class Standardizer:
    """Column means and scales of the training ``X`` (applied to new graphs' features too)."""

    def __init__(self, X: np.ndarray):
        self.mean = X.mean(axis=0)
        sd = X.std(axis=0)
        self.scale = np.where(sd > 0, sd, 1.0)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale


#: A column is dropped when its part orthogonal to the kept ones is below this fraction of its norm.
COLLINEAR_TOL = 1e-8


def independent_columns(M: np.ndarray, *, reference: np.ndarray | None = None) -> np.ndarray:
    """Mask of a maximal set of linearly independent columns of ``M``, chosen greedily left to right.

    A column is kept when its component orthogonal to the columns kept before it (and to ``reference``, e.g. an
    intercept) exceeds ``COLLINEAR_TOL`` times its norm: all-zero, constant (with a ``reference`` of ones),
    duplicate and rounding-level collinear columns are dropped.
    """
    n, p = M.shape
    keep = np.zeros(p, dtype=bool)
    basis = np.empty((n, 0))
    if reference is not None:
        ref = np.asarray(reference, dtype=float).reshape(n, -1)
        basis, _ = np.linalg.qr(ref)
    scale = np.max(np.abs(M), axis=0, initial=0.0)
    for j in range(p):
        if scale[j] == 0 or not np.isfinite(scale[j]):
            continue
        c = M[:, j] / scale[j]
        norm = np.linalg.norm(c)
        r = c - basis @ (basis.T @ c)
        r = r - basis @ (basis.T @ r)  # re-orthogonalise (classical Gram-Schmidt twice)
        nr = np.linalg.norm(r)
        if nr > COLLINEAR_TOL * norm:
            keep[j] = True
            basis = np.column_stack([basis, r / nr])
    return keep


def structural_columns(ei: np.ndarray, n: int) -> np.ndarray:
    """``log(1 + in-degree)`` as an ``(n, 1)`` column: what a mean aggregation cannot see (issue #16)."""
    from ..graphs._graph import degree

    return np.log1p(degree(ei, n))[:, None]


def graph_feature_names(names: list[str], hops: int, structural: bool) -> list[str]:
    """Column names of :func:`graph_features` before redundant columns are dropped."""
    out = list(names)
    for h in range(1, hops + 1):
        out += [f"{'S' if h == 1 else f'S^{h}'}({c})" for c in names]
    return out + (["log1p_degree"] if structural else [])


def graph_features(
    X: np.ndarray,
    ei: np.ndarray | None,
    keep: np.ndarray | None = None,
    *,
    hops: int = 2,
    structural: bool = False,
):
    """``[X, S X, S^2 X]`` for sklearn models (``X`` alone without a graph), without redundant columns.

    ``hops`` sets the highest power of ``S``; ``structural=True`` appends ``log(1 + degree)``.

    At fit time (``keep`` None) all-zero, constant and (numerically) collinear columns are dropped: with an
    intercept they carry no information, and left in they make least-squares nuisances return garbage (a
    constant ``X`` gave ``m_hat`` up to 6e15). Returns the features and the boolean mask of kept columns (pass
    it back for new data).
    """
    F = propagate_features(X, ei, hops) if ei is not None else X
    if structural and ei is not None:
        F = np.hstack([F, structural_columns(ei, X.shape[0])])
    if keep is None:
        keep = independent_columns(F, reference=np.ones(F.shape[0]))
        if (
            not keep.any()
        ):  # nothing varies: keep one column so that models can still fit a constant
            keep[0] = True
    return F[:, keep], keep


def val_split(
    idx: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split training nodes into a fitting part and an early-stopping validation part."""
    idx = np.asarray(idx)
    n_val = round(fraction * idx.shape[0])
    if n_val < 1 or idx.shape[0] - n_val < 1:
        return idx, idx[:0]
    perm = rng.permutation(idx)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


@dataclass(frozen=True)
class GNNTraining:
    """The GNN settings of an estimator (width, depth, optimiser, early stopping, batching) for :func:`fit_gnn`."""

    hidden_channels: int
    num_layers: int
    lr: float
    weight_decay: float
    max_epochs: int
    patience: int
    val_fraction: float
    batch_size: int | None
    num_neighbors: int
    verbose: bool

    @classmethod
    def of(cls, est: BaseEstimator) -> GNNTraining:
        """The settings of ``est`` (after :func:`check_gnn_params`)."""
        return cls(**{f.name: getattr(est, f.name) for f in fields(cls)})


def fit_gnn(
    spec: Any,
    g,
    loss_fn,
    train_idx: np.ndarray,
    seed: int,
    *,
    train: GNNTraining,
    extra=None,
    out_dim: int = 1,
):
    """Seed, build and early-stop one GNN on the nodes ``train_idx`` of graph tensors ``g``.

    Initialisation and training draw from torch's RNGs seeded with ``seed`` inside a fork: the caller's global
    torch (and numpy) RNG states are left as they were.
    """
    from ..graphs._nn import build_module, local_torch_rng, train_module

    rng = np.random.default_rng(seed)
    fit_idx, val_idx = val_split(train_idx, train.val_fraction, rng)
    with local_torch_rng(int(seed % (2**31)), g.x.device):
        module = build_module(
            spec,
            g.x.shape[1],
            hidden=train.hidden_channels,
            num_layers=train.num_layers,
            out_dim=out_dim,
            extra_dim=0 if extra is None else extra.shape[1],
        ).to(g.x.device)
        hist = train_module(
            module,
            g,
            loss_fn,
            fit_idx,
            val_idx,
            lr=train.lr,
            weight_decay=train.weight_decay,
            max_epochs=train.max_epochs,
            patience=train.patience,
            extra=extra,
            batch_size=train.batch_size,
            num_neighbors=train.num_neighbors,
            rng=rng,
            verbose=train.verbose,
        )
    return module, hist


def mse_loss(y, w):
    def loss(out, idx):
        ww = w[idx]
        return (ww * (out[:, 0] - y[idx]) ** 2).sum() / ww.sum()

    return loss


def bce_loss(t, w):
    import torch.nn.functional as F

    def loss(out, idx):
        ww = w[idx]
        return (
            F.binary_cross_entropy_with_logits(out[:, 0], t[idx], weight=ww, reduction="sum")
            / ww.sum()
        )

    return loss


def r_loss(yt, tt, w):
    def loss(out, idx):
        ww = w[idx]
        return (ww * (yt[idx] - tt[idx] * out[:, 0]) ** 2).sum() / ww.sum()

    return loss
