"""Simulators and bundled data for causalkit.solvers (networks with known Lipschitz constants).

No torch or cvxpy here: networks are lists of numpy weight matrices of shape ``(n_out, n_in)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from causalkit._base import check_random_state

from ._checks import check_output_size

__all__ = [
    "load_lipsdp_weights",
    "make_diagonal_network",
    "make_orthogonal_maxmin_network",
    "make_random_network",
]

_DATA = Path(__file__).resolve().parent / "data"


def _rng(random_state: Any) -> np.random.RandomState:
    """A RandomState for ``random_state``; a fresh one for None (numpy's global state is never drawn from)."""
    return np.random.RandomState() if random_state is None else check_random_state(random_state)


def load_lipsdp_weights() -> list[np.ndarray]:
    """The example ReLU network of the LipSDP repository (dims 2-10-30-20-2), MIT licence.

    From ``arobey1/LipSDP`` (``LipSDP/examples/saved_weights/random_weights.mat``); the licence text is bundled
    as ``lipsdp_random_weights.LICENSE.txt``. Published bounds: neuron 36.482, layer 39.839, split-2 37.668,
    naive 43.306.

    Returns
    -------
    list of numpy.ndarray
        Weight matrices of shapes (10, 2), (30, 10), (20, 30), (2, 20).

    Examples
    --------
    >>> [w.shape for w in load_lipsdp_weights()]
    [(10, 2), (30, 10), (20, 30), (2, 20)]
    """
    from scipy.io import loadmat

    mat = loadmat(_DATA / "lipsdp_random_weights.mat")
    return [np.asarray(w, dtype=float) for w in mat["weights"].ravel()]


def make_random_network(
    dims: Sequence[int], scale: str | float = "fan_in", random_state: Any = None
) -> list[np.ndarray]:
    """Gaussian weights for layer widths ``dims`` (input first), scaled by ``1/sqrt(fan_in)`` by default.

    Examples
    --------
    >>> [w.shape for w in make_random_network([4, 8, 2], random_state=0)]
    [(8, 4), (2, 8)]
    """
    if isinstance(dims, (str, bytes)) or not isinstance(dims, Sequence):
        raise TypeError(f"dims must be a sequence of positive integer widths; got {dims!r}.")
    if len(dims) < 2 or not all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1 for d in dims
    ):
        raise ValueError(f"dims must list at least two positive integer widths; got {list(dims)}.")
    dims = [int(d) for d in dims]
    check_output_size(sum(a * b for a, b in itertools.pairwise(dims)), "dims")
    if not (isinstance(scale, str) and scale == "fan_in"):
        if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)):
            raise ValueError(f"scale must be 'fan_in' or a positive number; got {scale!r}.")
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be 'fan_in' or a positive finite number; got {scale!r}.")
    rng = _rng(random_state)
    out = []
    for n_in, n_out in itertools.pairwise(dims):
        s = 1.0 / np.sqrt(n_in) if isinstance(scale, str) else float(scale)
        out.append(rng.normal(size=(n_out, n_in)) * s)
    return out


def make_diagonal_network() -> tuple[list[np.ndarray], float]:
    """The 3-3-3 ReLU network W₁ = diag(3, 1, 0.5), W₂ = diag(0.2, 2, 1); its Lipschitz constant is 2.

    Each coordinate is ``c_i relu(a_i x_i)`` with gains 0.6, 2, 0.5, so L₂ = 2 exactly (LipSDP-neuron attains
    it; the layer bound is 3.1945; the product of norms is 6).

    Examples
    --------
    >>> weights, truth = make_diagonal_network()
    >>> truth
    2.0
    """
    return [np.diag([3.0, 1.0, 0.5]), np.diag([0.2, 2.0, 1.0])], 2.0


def make_orthogonal_maxmin_network(
    width: int = 6, depth: int = 4, random_state: Any = None
) -> tuple[list[np.ndarray], float]:
    """``depth`` MaxMin layers with random orthogonal ``width × width`` weights: L₂ = 1 exactly.

    Every layer is an isometry or a 1-Lipschitz gradient-norm-preserving activation, and the network is
    locally an isometry, so the constant is 1. The product of norms is also 1, but slope-restricted
    relaxations of MaxMin give more than 1.

    Examples
    --------
    >>> weights, truth = make_orthogonal_maxmin_network(4, 2, random_state=0)
    >>> len(weights), truth
    (3, 1.0)
    """
    if (
        isinstance(width, bool)
        or not isinstance(width, (int, np.integer))
        or width < 2
        or width % 2
    ):
        raise ValueError(f"width must be an even integer >= 2; got {width!r}.")
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 0:
        raise ValueError(f"depth must be a non-negative integer; got {depth!r}.")
    check_output_size(2 * (int(depth) + 1) * int(width) ** 2, "width and depth")
    rng = _rng(random_state)
    ws = []
    for _ in range(depth + 1):
        q, r = np.linalg.qr(rng.normal(size=(width, width)))
        ws.append(q * np.sign(np.diag(r)))
    return ws, 1.0
