"""Lower bounds on the Lipschitz constant (to judge how tight a certified upper bound is)."""

from __future__ import annotations

import copy
import functools
import itertools
from typing import Any

import numpy as np

from causalkit._base import check_int, check_random_state

from . import _network as nw

__all__ = ["pattern_bound", "sampled_lower_bound"]

_FUN = {
    "relu": (lambda v: np.maximum(v, 0.0), lambda v: (v > 0).astype(float)),
    "tanh": (np.tanh, lambda v: 1.0 - np.tanh(v) ** 2),
    "sigmoid": (
        lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)),  # the logistic function, overflow-free
        lambda v: np.exp(-np.abs(v)) / (1.0 + np.exp(-np.abs(v))) ** 2,
    ),
    "softplus": (lambda v: np.logaddexp(0.0, v), lambda v: 1.0 / (1.0 + np.exp(-v))),
    "elu": (
        lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0.0))),
        lambda v: np.where(v > 0, 1.0, np.exp(np.minimum(v, 0.0))),
    ),
}


def _ops(model: Any, activation: Any) -> list:
    from ._lipschitz import _parse_model

    kind, ops = _parse_model(model, activation)
    if kind != "ops":
        raise ValueError("sampled_lower_bound supports feed-forward and residual networks only.")
    return nw.simplify(ops)


def _act_forward(act: Any, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Activation value and its Jacobian (n, k, k) at a batch of pre-activations v (n, k)."""
    n, k = v.shape
    if isinstance(act, nw._Slope):
        if act.name == "leaky_relu":
            a = act.alpha if act.beta == 1.0 else act.beta
            w, dv = np.where(v > 0, v, a * v), np.where(v > 0, 1.0, a)
        elif act.name == "elu" and act.param is not None:
            a = act.param
            vn = np.minimum(v, 0.0)
            w, dv = np.where(v > 0, v, a * np.expm1(vn)), np.where(v > 0, 1.0, a * np.exp(vn))
        elif act.name == "softplus" and act.param is not None:
            b = act.param
            w = np.logaddexp(0.0, b * v) / b
            dv = 0.5 * (1.0 + np.tanh(0.5 * b * v))  # the logistic function of b·v, overflow-free
        elif act.name in _FUN:
            f, df = _FUN[act.name]
            w, dv = f(v), df(v)
        else:
            raise ValueError(f"sampled_lower_bound: activation {act.name!r} has no known formula.")
        J = np.zeros((n, k, k))
        J[:, np.arange(k), np.arange(k)] = dv
        return w, J
    g = act.g
    z = v.reshape(n, k // g, g)
    if act.kind in ("maxmin", "groupsort"):
        order = np.argsort(-z, axis=-1, kind="stable")
        w = np.take_along_axis(z, order, axis=-1).reshape(n, k)
        J = np.zeros((n, k, k))
        base = (np.arange(k // g) * g)[None, :, None]
        rows = (base + np.arange(g)[None, None, :]).reshape(1, -1).repeat(n, 0)
        cols = (base + order).reshape(n, -1)
        J[np.arange(n)[:, None], rows, cols] = 1.0
        return w, J
    vv = act.v
    proj = (z * vv).sum(-1, keepdims=True)
    w = np.where(proj > 0, z, z - 2.0 * proj * vv).reshape(n, k)
    H = np.eye(g) - 2.0 * np.outer(vv, vv)
    J = np.zeros((n, k, k))
    for j in range(k // g):
        sl = slice(j * g, (j + 1) * g)
        pos = proj[:, j, 0] > 0
        J[:, sl, sl] = np.where(pos[:, None, None], np.eye(g)[None], H[None])
    return w, J


def _is_torch(model: Any) -> bool:
    return type(model).__module__.startswith("torch") or (
        hasattr(model, "parameters") and hasattr(model, "children")
    )


def _torch_jacobians(model: Any):
    """X (n, n0) -> Jacobians (n, m, n0) of a float64 eval-mode copy of ``model`` (the model is untouched)."""
    import torch

    # autograd must work even inside the caller's torch.no_grad() / torch.inference_mode()
    with torch.inference_mode(False), torch.enable_grad():
        net = copy.deepcopy(model).to(device="cpu", dtype=torch.float64).eval()

    def jac(X: np.ndarray) -> np.ndarray:
        with torch.inference_mode(False), torch.enable_grad():
            x = torch.as_tensor(X, dtype=torch.float64).requires_grad_(True)
            y = net(x).reshape(X.shape[0], -1)
            m = y.shape[1]
            J = np.empty((X.shape[0], m, X.shape[1]))
            for i in range(m):
                (g,) = torch.autograd.grad(y[:, i].sum(), x, retain_graph=i < m - 1)
                J[:, i] = g.detach().numpy()
        return J

    return jac


def _jacobians(ops: list, X: np.ndarray) -> np.ndarray:
    n = X.shape[0]
    x = X
    J = np.broadcast_to(np.eye(X.shape[1]), (n, X.shape[1], X.shape[1])).copy()
    for op in ops:
        if isinstance(op, nw._Linear):
            x = x @ op.W.T if op.b is None else x @ op.W.T + op.b
            J = op.W[None] @ J
        elif isinstance(op, nw._Act):
            x, Ja = _act_forward(op.act, x)
            J = Ja @ J
        else:
            v = x @ op.W.T
            w, Ja = _act_forward(op.act, v)
            S = np.eye(x.shape[1]) if op.skip is None else op.skip
            x = x @ S.T + w @ op.V.T
            J = (S[None] + op.V[None] @ Ja @ op.W[None]) @ J
    return J


def sampled_lower_bound(
    model_or_weights: Any,
    activation: Any = "relu",
    norm: Any = 2,
    output_index: Any = None,
    n_samples: int = 2000,
    scale: float = 1.0,
    random_state: Any = None,
) -> float:
    """Largest Jacobian norm over random inputs: a valid *lower* bound on the Lipschitz constant.

    Torch models are differentiated by autograd through their own forward (a float64, eval-mode copy), so
    biases and activation parameters (ELU ``alpha``, Softplus ``beta``/``threshold``, ...) are those of the
    model; weight lists use closed forms (biases from ``(W, b)`` tuples, ``("elu", alpha)``,
    ``("softplus", beta)``). ``random_state=None`` draws from a fresh generator, never numpy's global one.

    Parameters
    ----------
    model_or_weights, activation, norm, output_index
        As in :func:`lipschitz_bound`.
    n_samples : int, default 2000
        Gaussian input points ``scale * N(0, I)``.
    random_state : int, RandomState or None

    Returns
    -------
    float
        ``max_x ‖J(x)‖₂`` (or the ℓ1 norm of a row's gradient for ``norm="inf"``; max over rows).

    Examples
    --------
    >>> import numpy as np
    >>> from causalkit.solvers import sampled_lower_bound
    >>> round(sampled_lower_bound([np.diag([3.0, 1.0, 0.5]), np.diag([0.2, 2.0, 1.0])], random_state=0), 4)
    2.0
    """
    from ._lipschitz import _check_norm, _output_rows

    norm = _check_norm(norm)
    n_samples = check_int(n_samples, "n_samples", low=1)
    scale = nw._real(scale, "scale")
    if scale <= 0:
        raise ValueError(f"scale must be positive; got {scale}.")
    ops = _ops(model_or_weights, activation)
    if _is_torch(model_or_weights):
        # the module's own forward (its biases, ELU alpha, Softplus beta/threshold, ...) by autograd
        jacobians = _torch_jacobians(model_or_weights)
    else:
        jacobians = functools.partial(_jacobians, ops)
    # a fresh generator for None: never draw from (and so change) numpy's global random state
    rng = np.random.RandomState() if random_state is None else check_random_state(random_state)
    n0 = ops[0].W.shape[1]
    best = 0.0
    for start in range(0, n_samples, 500):
        X = scale * rng.normal(size=(min(500, n_samples - start), n0))
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            J = jacobians(X)
        if not np.all(np.isfinite(J)):
            raise ValueError(
                "sampled_lower_bound: the network's Jacobian is not finite at some sampled inputs; "
                "reduce scale or the weights' magnitude."
            )
        rows = _output_rows(J.shape[1], output_index)
        if rows is not None:
            J = np.stack([J.transpose(0, 2, 1) @ r for r in rows], axis=1)
        if norm == 2:
            val = np.linalg.norm(J, ord=2, axis=(1, 2)).max()
        else:
            val = np.abs(J).sum(axis=2).max()
        best = max(best, float(val))
    return best


def pattern_bound(
    weights: Any, norm: Any = 2, output_index: Any = None, max_neurons: int = 16
) -> float:
    """Brute force over ReLU activation patterns: ``max_D ‖W_l D ⋯ D W₁‖`` for every D ∈ {0, 1}ᴺ.

    An upper bound on the true constant of a ReLU network and a lower bound on LipSDP-neuron (its QC admits
    every diagonal D ∈ [0, 1]). Exponential in the number of hidden neurons N (≤ ``max_neurons``).

    Examples
    --------
    >>> import numpy as np
    >>> from causalkit.solvers import pattern_bound
    >>> round(pattern_bound([np.diag([3.0, 1.0, 0.5]), np.diag([0.2, 2.0, 1.0])]), 4)
    2.0
    """
    from ._lipschitz import _check_norm, _output_rows, _parse_model

    norm = _check_norm(norm)
    max_neurons = check_int(max_neurons, "max_neurons", low=0)
    kind, ops = _parse_model(weights, "relu")
    ops = nw.simplify(ops) if kind == "ops" else []
    if ops and isinstance(ops[-1], nw._Act):  # ends in an activation: identity read-out
        ops = [*ops, nw._Linear(np.eye(ops[-2].W.shape[0]))]
    relu = nw._Slope(0.0, 1.0, "relu")
    if not ops or not all(
        isinstance(op, nw._Linear) if i % 2 == 0 else (isinstance(op, nw._Act) and op.act == relu)
        for i, op in enumerate(ops)
    ):
        raise ValueError(
            "pattern_bound needs a feed-forward ReLU network (weight matrices with ReLU between them, or an "
            "nn.Sequential of Linear and ReLU layers); residual blocks and other activations are not supported."
        )
    Ws = [op.W for op in ops if isinstance(op, nw._Linear)]
    widths = [W.shape[0] for W in Ws[:-1]]
    N = sum(widths)
    if N > max_neurons:
        raise ValueError(f"pattern_bound: {N} hidden neurons exceed max_neurons={max_neurons}.")
    rows = _output_rows(Ws[-1].shape[0], output_index)
    best = 0.0
    for pat in itertools.product((0.0, 1.0), repeat=N):
        J = Ws[0]
        pos = 0
        for W, w in zip(Ws[1:], widths):
            J = W @ (np.asarray(pat[pos : pos + w])[:, None] * J)
            pos += w
        Js = [J] if rows is None else [r[None, :] @ J for r in rows]
        for Jr in Js:
            val = np.linalg.norm(Jr, 2) if norm == 2 else np.abs(Jr).sum(axis=1).max()
            best = max(best, float(val))
    return best
