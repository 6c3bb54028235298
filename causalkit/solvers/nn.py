"""Torch activation modules with certified Lipschitz bounds: MaxMin, GroupSort, Householder, ResidualBlock.

Put them in an ``nn.Sequential`` and pass it to :func:`causalkit.solvers.lipschitz_bound`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from causalkit._base import check_int, optional_import

# the type checker sees torch; at run time a missing torch names the `graph` extra
if TYPE_CHECKING:
    import torch
    from torch import nn
else:
    torch = optional_import("torch", "graph")
    nn = torch.nn

__all__ = ["GroupSort", "Householder", "MaxMin", "ResidualBlock"]


class GroupSort(nn.Module):
    """Sort consecutive groups of ``group_size`` features (descending); 1-Lipschitz, sum-preserving per group.

    Examples
    --------
    >>> import torch
    >>> from causalkit.solvers.nn import GroupSort
    >>> GroupSort(2)(torch.tensor([[1.0, 3.0, -1.0, -2.0]]))
    tensor([[ 3.,  1., -1., -2.]])
    """

    def __init__(self, group_size: int = 2):
        super().__init__()
        self.group_size = check_int(group_size, "group_size", low=2)

    def forward(self, x: Any) -> Any:
        n = x.shape[-1]
        if n % self.group_size:
            raise ValueError(
                f"GroupSort: feature dimension {n} is not divisible by group_size {self.group_size}."
            )
        g = x.reshape(*x.shape[:-1], n // self.group_size, self.group_size)
        return torch.sort(g, dim=-1, descending=True).values.reshape(x.shape)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"


class MaxMin(GroupSort):
    """MaxMin activation: ``(a, b) -> (max(a, b), min(a, b))`` on consecutive pairs (GroupSort with g = 2).

    Examples
    --------
    >>> import torch
    >>> from causalkit.solvers.nn import MaxMin
    >>> MaxMin()(torch.tensor([[0.0, 2.0]]))
    tensor([[2., 0.]])
    """

    def __init__(self):
        super().__init__(2)

    def extra_repr(self) -> str:
        return ""


class Householder(nn.Module):
    """Householder activation on groups of size ``len(v)``: ``z`` if ``vᵀz > 0`` else ``(I − 2vvᵀ) z``.

    ``v`` (unit norm) is a parameter; ``v = (1, −1)/√2`` gives MaxMin.

    Examples
    --------
    >>> import torch
    >>> from causalkit.solvers.nn import Householder
    >>> out = Householder(2)(torch.tensor([[0.0, 2.0]]))
    >>> [round(v, 4) + 0.0 for v in out.detach().flatten().tolist()]
    [2.0, 0.0]
    """

    def __init__(self, group_size: int = 2, v: Any = None):
        super().__init__()
        if v is None:
            group_size = check_int(group_size, "group_size", low=2)
            v = torch.zeros(group_size, dtype=torch.float32)
            v[0], v[1] = 1.0, -1.0
        try:
            v = torch.as_tensor(v, dtype=torch.float32).flatten()
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"v must be a real vector; got {type(v).__name__}.") from None
        if v.numel() < 2 or not bool(torch.isfinite(v).all()) or float(v.norm()) == 0.0:
            raise ValueError("v must be a finite, non-zero vector of size >= 2 (the group size).")
        self.v = nn.Parameter(v / v.norm())

    def forward(self, x: Any) -> Any:
        g = self.v.numel()
        n = x.shape[-1]
        if n % g:
            raise ValueError(
                f"Householder: feature dimension {n} is not divisible by group size {g}."
            )
        v = self.v / self.v.norm()
        z = x.reshape(*x.shape[:-1], n // g, g)
        proj = (z * v).sum(-1, keepdim=True)
        out = torch.where(proj > 0, z, z - 2.0 * proj * v)
        return out.reshape(x.shape)


class ResidualBlock(nn.Module):
    """Residual block ``x -> x + outer(activation(inner(x)))`` (the LipSDP residual architecture).

    Examples
    --------
    >>> import torch
    >>> from causalkit.solvers.nn import ResidualBlock
    >>> blk = ResidualBlock(3, 8)
    >>> blk(torch.zeros(2, 3)).shape
    torch.Size([2, 3])
    """

    def __init__(self, dim: int, hidden: int, activation: Any = None):
        super().__init__()
        dim = check_int(dim, "dim", low=1)
        hidden = check_int(hidden, "hidden", low=1)
        self.inner = nn.Linear(dim, hidden)
        self.outer = nn.Linear(hidden, dim)
        self.activation = activation if activation is not None else nn.ReLU()

    def forward(self, x: Any) -> Any:
        return x + self.outer(self.activation(self.inner(x)))
