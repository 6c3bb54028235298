"""Normalised network descriptions for the Lipschitz bounds.

A network is turned into a flat list of operations acting on a signal:

- :class:`_Linear` ``x -> W x`` (biases never enter a Lipschitz bound);
- :class:`_Act` an activation applied to the whole signal (slope-restricted, or a group activation:
  MaxMin / GroupSort / Householder);
- :class:`_ResidualOp` ``x -> x + V act(W x)``;
- :class:`Implicit` (a whole model on its own): ``z = act(W z + U x)``, ``y = C z``.

Nothing here imports torch or cvxpy at module import time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Implicit", "Residual"]

# Slope bounds [alpha, beta] of scalar activations.
_SLOPES: dict[str, tuple[float, float]] = {
    "relu": (0.0, 1.0),
    "tanh": (0.0, 1.0),
    "sigmoid": (0.0, 0.25),
    "elu": (0.0, 1.0),
    "softplus": (0.0, 1.0),
}
_GROUP_NAMES = ("maxmin", "groupsort", "householder")
_KNOWN = (*_SLOPES, "leaky_relu", "linear", *_GROUP_NAMES, "('slope', alpha, beta)")


@dataclass(frozen=True)
class _Slope:
    alpha: float
    beta: float
    name: str = "slope"
    # ELU alpha / Softplus beta (None: 1), used by the sampled lower bound
    param: float | None = None

    @property
    def lipschitz2(self) -> float:
        return max(abs(self.alpha), abs(self.beta))

    lipschitz_inf = lipschitz2

    @property
    def is_linear(self) -> bool:
        return self.alpha == self.beta


@dataclass(frozen=True, eq=False)
class _Group:
    """A group activation acting on consecutive groups of size ``g``.

    ``proj`` is the matrix K with ``Δvᵀ K Δv = Δwᵀ K Δw`` (the invariant): ``11ᵀ`` for MaxMin / GroupSort
    (sum preserved), ``I - vvᵀ`` for Householder (the component orthogonal to ``v`` is preserved).
    """

    kind: str
    g: int
    proj: np.ndarray
    v: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.kind

    @property
    def lipschitz2(self) -> float:
        return 1.0

    @property
    def lipschitz_inf(self) -> float:
        if self.kind != "householder":
            return 1.0
        H = np.eye(self.g) - 2.0 * np.outer(self.v, self.v)
        return max(1.0, float(np.abs(H).sum(axis=1).max()))

    is_linear = False


@dataclass
class _Linear:
    W: np.ndarray
    # bias: never enters an upper bound, but the sampled lower bound needs it
    b: np.ndarray | None = None


@dataclass
class _Act:
    act: Any  # _Slope | _Group


@dataclass
class _ResidualOp:
    W: np.ndarray
    V: np.ndarray
    act: Any
    skip: np.ndarray | None = None  # None: identity shortcut


@dataclass
class Residual:
    """A residual block ``x -> S x + V act(W x)`` (``S = I`` by default) for :func:`lipschitz_bound`.

    Parameters
    ----------
    W : array of shape (hidden, dim)
        Inner weight.
    V : array of shape (dim, hidden), optional
        Outer weight; ``None`` means the identity (``hidden == dim``), i.e. ``x + act(W x)``.
    activation : str or tuple, optional
        Activation inside the block; ``None`` uses the ``activation`` argument of :func:`lipschitz_bound`.
    skip : array of shape (dim, dim), optional
        A linear shortcut ``S`` instead of the identity.

    Examples
    --------
    >>> import numpy as np
    >>> from causalkit.solvers import Residual, lipschitz_bound
    >>> blk = Residual(0.1 * np.eye(3), 0.1 * np.eye(3))
    >>> round(lipschitz_bound([blk], method="naive").bound, 4)
    1.01
    """

    W: Any
    V: Any = None
    activation: Any = None
    skip: Any = None


@dataclass
class Implicit:
    """An implicit (equilibrium / DEQ) layer ``z = act(W z + U x + b)``, output ``y = C z``.

    The bound assumes the equilibrium is well posed; the LMI's hidden block being negative definite (which the
    certification checks) implies it for slope-restricted activations with ``alpha >= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from causalkit.solvers import Implicit, lipschitz_bound
    >>> m = Implicit(W=np.zeros((2, 2)), U=np.eye(2), C=np.eye(2))
    >>> round(lipschitz_bound(m, solver="SCS").bound, 3)
    1.0
    """

    W: Any
    U: Any
    C: Any
    activation: Any = field(default=None)


# ----------------------------------------------------------------------------------------------------------
# activation specs


def parse_activation(spec: Any, name: str = "activation") -> Any:
    """Turn a user activation spec into ``_Slope`` / ``_Group`` (``None`` for linear)."""
    if isinstance(spec, (_Slope, _Group)):
        return spec
    if isinstance(spec, str):
        key = spec.lower().replace("-", "_")
        if key in _SLOPES:
            a, b = _SLOPES[key]
            return _Slope(a, b, key)
        if key in ("leaky_relu", "leakyrelu"):
            return _Slope(0.01, 1.0, "leaky_relu")
        if key in ("linear", "identity"):
            return None
        if key == "maxmin":
            return make_group("maxmin", 2)
        if key == "groupsort":
            return make_group("groupsort", 2)
        if key == "householder":
            return make_group("householder", 2, np.array([1.0, -1.0]) / np.sqrt(2.0))
        raise ValueError(f"{name}: unknown activation {spec!r}; expected one of {list(_KNOWN)}.")
    if isinstance(spec, tuple) and len(spec) >= 1 and isinstance(spec[0], str):
        key = spec[0].lower()
        if key == "slope" and len(spec) == 3:
            a, b = _slope_value(spec[1], f"{name} alpha"), _slope_value(spec[2], f"{name} beta")
            if a > b:
                raise ValueError(
                    f"{name}: slope bounds need alpha <= beta; got alpha={a} > beta={b}."
                )
            return None if a == b == 1.0 else _Slope(a, b, "slope")
        if key in ("leaky_relu", "leakyrelu") and len(spec) == 2:
            a = _slope_value(spec[1], f"{name} negative slope")
            return _Slope(min(a, 1.0), max(a, 1.0), "leaky_relu")
        if key == "elu" and len(spec) == 2:
            return elu_slope(_slope_value(spec[1], f"{name} ELU alpha"))
        if key == "softplus" and len(spec) == 2:
            b = _real(spec[1], f"{name} Softplus beta")
            if b <= 0:
                raise ValueError(f"{name}: Softplus beta must be positive; got {b}.")
            return _Slope(0.0, 1.0, "softplus", b)
        if key == "groupsort" and len(spec) == 2:
            return make_group("groupsort", _group_size(spec[1], name))
        if key == "householder" and len(spec) == 2:
            v = np.asarray(spec[1], dtype=float).ravel()
            return make_group("householder", v.size, v)
    raise ValueError(
        f"{name}: unknown activation {spec!r}; expected one of {list(_KNOWN)} "
        "(or ('leaky_relu', a), ('elu', alpha), ('softplus', beta), ('groupsort', g), ('householder', v))."
    )


def elu_slope(alpha: float) -> _Slope:
    """ELU(alpha): slope alpha·e^v on v < 0 and 1 on v > 0, so slopes lie in [min(0, alpha), max(1, alpha)]."""
    return _Slope(min(0.0, alpha), max(1.0, alpha), "elu", alpha)


_MAX_SLOPE = 1e100


def _slope_value(x: Any, name: str) -> float:
    """A finite slope bound of moderate size (the QC multiplies slopes; beyond 1e100 they overflow)."""
    val = _real(x, name)
    if abs(val) > _MAX_SLOPE:
        raise ValueError(
            f"{name}: slope bounds beyond {_MAX_SLOPE:g} in magnitude are not supported; got {val:g} (scale "
            "the next layer's weights instead)."
        )
    return val


def _real(x: Any, name: str) -> float:
    try:
        val = float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number; got {x!r}.") from None
    if not np.isfinite(val):
        raise ValueError(f"{name} must be finite; got {val}.")
    return val


def _group_size(g: Any, name: str) -> int:
    from causalkit._base.validation import check_int  # here: importing _network stays numpy-only

    return check_int(g, f"{name}: group size", low=2)


def make_group(kind: str, g: int, v: np.ndarray | None = None) -> _Group:
    if kind == "householder":
        v = np.asarray(v, dtype=float).ravel()
        if v.size < 2 or not np.all(np.isfinite(v)) or np.linalg.norm(v) == 0:
            raise ValueError(
                "activation: Householder vector v must be finite, non-zero, of size >= 2."
            )
        v = v / np.linalg.norm(v)
        return _Group("householder", v.size, np.eye(v.size) - np.outer(v, v), v)
    g = _group_size(g, "activation")
    return _Group(kind, g, np.ones((g, g)))


# ----------------------------------------------------------------------------------------------------------
# weights -> ops


def _weight(W: Any, name: str) -> np.ndarray:
    if hasattr(W, "detach"):  # a torch tensor
        if getattr(W, "is_complex", lambda: False)():
            raise TypeError(f"{name} must be real; got a complex tensor.")
        W = W.detach().cpu().double().numpy()
    try:
        arr = np.asarray(W)
        complex_ = np.iscomplexobj(arr)
        if not complex_:
            arr = np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric matrix; got {type(W).__name__}.") from None
    if complex_:
        raise TypeError(f"{name} must be real; got complex entries.")
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D matrix (n_out, n_in); got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} must be finite; found {int((~np.isfinite(arr)).sum())} NaN/inf entries."
        )
    return arr


def _ndim(x: Any) -> int:
    """``np.ndim`` that does not raise on ragged nested lists (-1 then)."""
    try:
        return int(np.ndim(x))
    except (TypeError, ValueError):
        return -1


def _is_flat_numbers(x: Any) -> bool:
    """A Python list/tuple of plain scalars (not an array): a row written as a nested list."""
    return isinstance(x, (list, tuple)) and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in x
    )


def _layer_weight(it: Any, k: int) -> tuple[np.ndarray, np.ndarray | None]:
    """One weight item -> (W, b): a matrix (array, tensor or nested list), or a ``(W, b)`` *tuple*.

    A pair is recognised only as a tuple whose first element is 2-D: a nested list with two rows is a matrix.
    """
    name = f"weights[{k}]"
    if isinstance(it, tuple) and len(it) == 2 and _ndim(it[0]) == 2:
        W = _weight(it[0], f"{name}[0] (W of a (W, b) pair)")
        try:
            b = np.asarray(it[1].detach().cpu() if hasattr(it[1], "detach") else it[1], dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name}: the bias of a (W, b) pair must be numeric; got {type(it[1]).__name__}."
            ) from None
        if b.ndim > 1 or b.size not in (1, W.shape[0]):
            raise ValueError(
                f"{name}: the bias of a (W, b) pair must be a vector of length {W.shape[0]} (the rows of W); "
                f"got shape {b.shape}."
            )
        if not np.all(np.isfinite(b)):
            raise ValueError(f"{name}: the bias of a (W, b) pair must be finite.")
        return W, np.broadcast_to(b.ravel(), (W.shape[0],)).copy()
    if isinstance(it, list) and len(it) == 2 and _ndim(it[0]) == 2 and 0 <= _ndim(it[1]) <= 1:
        raise TypeError(
            f"{name}: a list [W, b] is not read as a weight/bias pair; pass the pair as a tuple (W, b), or "
            "pass W alone (biases do not change a Lipschitz constant)."
        )
    return _weight(it, name), None


def ops_from_weights(weights: Sequence[Any], activation: Any) -> list:
    """A list of W / (W, b) / Residual items -> ops, with ``activation`` between consecutive layers."""
    if (
        isinstance(weights, tuple)
        and len(weights) == 2
        and _ndim(weights[0]) == 2
        and _ndim(weights[1]) == 1
    ):
        raise ValueError(
            "model_or_weights: a top-level tuple (2-D, 1-D) is ambiguous (one (W, b) pair, or two layers "
            "ending in a row vector?); pass a list: [(W, b)] for one layer with a bias, or [W, v[None, :]]."
        )
    items = list(weights)
    if not items:
        raise ValueError("model_or_weights: got an empty list of weights.")
    if len(items) > 1 and all(_is_flat_numbers(it) for it in items):
        raise ValueError(
            "model_or_weights: a nested list of numbers is ambiguous (one matrix, or a list of one-row "
            "layers?); pass a list of 2-D matrices, e.g. [np.array(W)] for a single layer."
        )
    if isinstance(activation, list):
        # one entry per activation in network order: between consecutive linear layers, and inside every
        # Residual block that has no activation of its own
        acts = [parse_activation(a, f"activation[{i}]") for i, a in enumerate(activation)]
        # activations between consecutive linear layers: none when there are no linear layers at all
        # (a lone Residual block), not -1
        n_hidden = max(sum(1 for it in items if not isinstance(it, Residual)) - 1, 0)
        n_res = sum(1 for it in items if isinstance(it, Residual) and it.activation is None)
        if len(acts) != n_hidden + n_res:
            extra = (
                f" and {n_res} residual block(s) without their own activation (give one entry per "
                "activation in network order, or set Residual(activation=...))"
                if n_res
                else ""
            )
            raise ValueError(
                f"activation: got {len(acts)} activations for {n_hidden} hidden layer(s){extra}."
            )
        act_iter = iter(acts)
    else:
        act = parse_activation(activation)
        acts = None
    ops: list = []
    lin_i = 0
    n_lin = sum(1 for it in items if not isinstance(it, Residual))
    for k, it in enumerate(items):
        if isinstance(it, Residual):
            if it.activation is not None:
                ra = parse_activation(it.activation, f"weights[{k}].activation")
            else:
                ra = act if acts is None else next(act_iter)
            W = _weight(it.W, f"weights[{k}].W")
            V = np.eye(W.shape[0]) if it.V is None else _weight(it.V, f"weights[{k}].V")
            if V.shape[1] != W.shape[0] or V.shape[0] != W.shape[1]:
                raise ValueError(
                    f"weights[{k}]: residual block needs W (hidden, dim) and V (dim, hidden); "
                    f"got W {W.shape} and V {V.shape}."
                )
            S = None if it.skip is None else _weight(it.skip, f"weights[{k}].skip")
            if S is not None and S.shape != (W.shape[1], W.shape[1]):
                raise ValueError(
                    f"weights[{k}]: residual skip must be square of size {W.shape[1]}; got {S.shape}."
                )
            if ra is None:
                ops.append(_Linear((np.eye(W.shape[1]) if S is None else S) + V @ W))
            else:
                ops.append(_ResidualOp(W, V, ra, S))
            continue
        ops.append(_Linear(*_layer_weight(it, k)))
        lin_i += 1
        if lin_i < n_lin:
            a = next(act_iter) if acts is not None else act
            if a is not None:
                ops.append(_Act(a))
    check_chain(ops)
    return ops


def check_chain(ops: list) -> None:
    dim = None
    for k, op in enumerate(ops):
        if isinstance(op, _Linear):
            n_out, n_in = op.W.shape
            if dim is not None and n_in != dim:
                raise ValueError(
                    f"weights do not chain: layer {k} expects input dimension {n_in} (shape (n_out, n_in) = "
                    f"{op.W.shape}) but the previous layer outputs {dim}."
                )
            dim = n_out
        elif isinstance(op, _ResidualOp):
            if dim is not None and op.W.shape[1] != dim:
                raise ValueError(
                    f"weights do not chain: residual block {k} has dimension {op.W.shape[1]} but its input "
                    f"has dimension {dim}."
                )
            dim = op.W.shape[1]
            _check_group(op.act, op.W.shape[0], k)
        elif isinstance(op, _Act):
            _check_group(op.act, dim, k)


def _check_group(act: Any, width: int | None, k: int) -> None:
    if isinstance(act, _Group) and width is not None and width % act.g != 0:
        raise ValueError(
            f"activation {act.kind} with group size {act.g} at layer {k} needs a width divisible by "
            f"{act.g}; got {width}."
        )


def simplify(ops: list) -> list:
    """Collapse consecutive linear maps (exact) and drop linear activations."""
    out: list = []
    for op in ops:
        if isinstance(op, _Act) and op.act is None:
            continue
        if isinstance(op, _Linear) and out and isinstance(out[-1], _Linear):
            prev = out[-1]
            if prev.b is None and op.b is None:
                b = None
            else:
                b = (0.0 if op.b is None else op.b) + (0.0 if prev.b is None else op.W @ prev.b)
            out[-1] = _Linear(op.W @ prev.W, b)
        else:
            out.append(op)
    return out


def input_dim(ops: list) -> int:
    first = ops[0]
    return first.W.shape[1]


def naive_bound(ops: list, norm: Any, row: np.ndarray | None = None) -> float:
    """Product of layer norms (ℓ2 spectral, or ℓ∞ row-sum norms); ``row`` replaces the last map by a row."""
    L = 1.0
    ops = list(ops)
    if row is not None:
        last = ops[-1]
        if isinstance(last, _Linear):
            ops = [*ops[:-1], _Linear(row[None, :] @ last.W)]
        else:
            ops = [*ops, _Linear(row[None, :])]
    for op in ops:
        if isinstance(op, _Linear):
            L *= _opnorm(op.W, norm)
        elif isinstance(op, _Act):
            L *= op.act.lipschitz2 if norm == 2 else op.act.lipschitz_inf
        elif isinstance(op, _ResidualOp):
            la = op.act.lipschitz2 if norm == 2 else op.act.lipschitz_inf
            s_norm = 1.0 if op.skip is None else _opnorm(op.skip, norm)
            L *= s_norm + _opnorm(op.V, norm) * la * _opnorm(op.W, norm)
    return float(L)


def _opnorm(W: np.ndarray, norm: Any) -> float:
    if norm == 2:
        return float(np.linalg.norm(W, 2))
    return float(np.abs(W).sum(axis=1).max())


# ----------------------------------------------------------------------------------------------------------
# torch models


def ops_from_torch(model: Any) -> list:
    """An ``nn.Sequential`` (possibly nested, with causalkit's MaxMin / GroupSort / Householder / ResidualBlock)."""
    import torch.nn as tnn

    from . import nn as cnn

    seq = model
    if not isinstance(seq, tnn.Sequential):
        kids = list(seq.children())
        seqs = [c for c in kids if isinstance(c, tnn.Sequential)]
        if len(kids) == 1 and len(seqs) == 1:
            seq = seqs[0]
            _check_same_forward(model, seq)
        elif isinstance(seq, (tnn.Linear, cnn.ResidualBlock)):
            seq = tnn.Sequential(seq)
        else:
            raise TypeError(
                "model_or_weights: a torch model must be an nn.Sequential of Linear and activation layers "
                f"(or a module wrapping exactly one nn.Sequential); got {type(model).__name__}."
            )
    ops: list = []

    def walk(mod: Any) -> None:
        # a Sequential subclass with its own forward
        if type(mod).forward is not tnn.Sequential.forward:
            _check_same_forward(mod, tnn.Sequential(*mod.children()))
        for layer in mod:
            if isinstance(layer, tnn.Sequential):
                walk(layer)
            elif isinstance(layer, tnn.Linear):
                b = None if layer.bias is None else _weight(layer.bias, "Linear.bias").ravel()
                ops.append(_Linear(_weight(layer.weight, f"{type(layer).__name__}.weight"), b))
            elif isinstance(layer, cnn.ResidualBlock):
                W = _weight(layer.inner.weight, "ResidualBlock.inner.weight")
                V = _weight(layer.outer.weight, "ResidualBlock.outer.weight")
                ops.append(_ResidualOp(W, V, _torch_act(layer.activation, tnn, cnn)))
            elif isinstance(layer, tnn.BatchNorm1d):
                if layer.training:
                    raise ValueError(
                        "model_or_weights: put the model in eval() mode (BatchNorm1d)."
                    )
                if layer.running_var is None or layer.running_mean is None:
                    raise ValueError(
                        "model_or_weights: BatchNorm1d without running statistics (track_running_stats="
                        "False) normalises by batch statistics even in eval() mode; it is not a fixed map."
                    )
                var = layer.running_var.detach().cpu().double().numpy() + layer.eps
                if not np.all(np.isfinite(var)) or np.any(var <= 0):
                    raise ValueError(
                        "model_or_weights: BatchNorm1d has a running variance + eps that is not positive "
                        "(an infinite scale); set eps > 0."
                    )
                scale = 1.0 / np.sqrt(var)
                if layer.affine:
                    scale = scale * layer.weight.detach().cpu().double().numpy()
                ops.append(_Linear(np.diag(scale)))
            elif isinstance(layer, (tnn.Identity, tnn.Dropout, tnn.Flatten)):
                continue
            else:
                ops.append(_Act(_torch_act(layer, tnn, cnn)))

    walk(seq)
    if not any(isinstance(o, (_Linear, _ResidualOp)) for o in ops):
        raise ValueError("model_or_weights: the torch model has no Linear layer.")
    if not isinstance(ops[0], (_Linear, _ResidualOp)):
        raise ValueError("model_or_weights: the torch model must start with a Linear layer.")
    check_chain(ops)
    return ops


def _check_same_forward(model: Any, seq: Any) -> None:
    """The bound is computed for ``seq``: refuse a wrapper whose own forward computes something else."""
    import copy

    import torch

    lin = next((m for m in seq.modules() if isinstance(m, torch.nn.Linear)), None)
    if lin is None:
        return  # reported later ("no Linear layer")
    p = lin.weight
    gen = torch.Generator().manual_seed(
        0
    )  # a local generator: torch's global RNG state is untouched
    x = torch.randn(16, lin.in_features, generator=gen, dtype=torch.float64)
    try:
        wrapper = copy.deepcopy(model).to(torch.float64).eval()
        inner = copy.deepcopy(seq).to(torch.float64).eval()
        with torch.no_grad():
            a, b = wrapper(x.to(p.device)), inner(x.to(p.device))
        same = a.shape == b.shape and bool(torch.allclose(a, b, rtol=1e-6, atol=1e-9))
    except Exception as exc:  # the wrapper's forward does not take the Sequential's input
        raise ValueError(
            f"model_or_weights: cannot check that {type(model).__name__}.forward computes its nn.Sequential "
            f"({type(exc).__name__}: {exc}); pass the nn.Sequential itself."
        ) from None
    if not same:
        raise ValueError(
            f"model_or_weights: {type(model).__name__}.forward does not compute its nn.Sequential (outputs "
            "differ), so a bound of the Sequential would not bound the model; pass the nn.Sequential itself "
            "(and account for the extra operations)."
        )


def _torch_act(layer: Any, tnn: Any, cnn: Any) -> Any:
    if isinstance(layer, tnn.ReLU):
        return _Slope(0.0, 1.0, "relu")
    if isinstance(layer, tnn.LeakyReLU):
        a = _slope_value(layer.negative_slope, "LeakyReLU.negative_slope")
        return _Slope(min(a, 1.0), max(a, 1.0), "leaky_relu")
    if isinstance(layer, tnn.Tanh):
        return _Slope(0.0, 1.0, "tanh")
    if isinstance(layer, tnn.Sigmoid):
        return _Slope(0.0, 0.25, "sigmoid")
    if isinstance(layer, tnn.ELU):
        return elu_slope(_slope_value(layer.alpha, "ELU.alpha"))
    if isinstance(layer, tnn.Softplus):
        return _Slope(0.0, 1.0, "softplus", float(layer.beta))
    if isinstance(layer, cnn.MaxMin):
        return make_group("maxmin", 2)
    if isinstance(layer, cnn.GroupSort):
        return make_group("groupsort", int(layer.group_size))
    if isinstance(layer, cnn.Householder):
        return make_group("householder", 0, layer.v.detach().cpu().double().numpy())
    raise ValueError(
        f"model_or_weights: unsupported layer {type(layer).__name__}; supported: Linear, ReLU, LeakyReLU, Tanh, "
        "Sigmoid, ELU, Softplus, BatchNorm1d (eval), Identity/Dropout/Flatten, and causalkit.solvers.nn "
        "MaxMin, GroupSort, Householder, ResidualBlock."
    )
