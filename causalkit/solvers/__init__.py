"""causalkit.solvers: certified Lipschitz bounds of neural networks by semidefinite programming.

LipSDP (Fazlyab et al., NeurIPS 2019) and its extension to MaxMin / GroupSort / Householder activations (Pauli et
al., ICLR 2024), with exact size reductions, chordal decomposition, a solver fallback chain and mandatory
certification of every reported bound.

cvxpy is imported only when a bound is solved (extra ``[sdp]``); torch only for torch models and the activation
modules in :mod:`causalkit.solvers.nn` (extra ``[graph]``).
"""

from __future__ import annotations

from typing import Any

from ._lipschitz import LipschitzEstimator, LipschitzResult, lipschitz_bound
from ._lower import pattern_bound, sampled_lower_bound
from ._network import Implicit, Residual
from ._sdp import installed_solvers

__all__ = [
    "GroupSort",
    "Householder",
    "Implicit",
    "LipschitzEstimator",
    "LipschitzResult",
    "MaxMin",
    "Residual",
    "ResidualBlock",
    "installed_solvers",
    "lipschitz_bound",
    "pattern_bound",
    "sampled_lower_bound",
]

_TORCH_NAMES = ("GroupSort", "Householder", "MaxMin", "ResidualBlock")


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        from . import nn

        return getattr(nn, name)
    raise AttributeError(f"module 'causalkit.solvers' has no attribute {name!r}")
