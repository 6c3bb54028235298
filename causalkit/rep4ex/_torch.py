"""torch parts of Rep4Ex: the MLPs and the MMR linear-invariance penalty. Imported only when needed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._base import optional_import

# the type checker sees torch; at run time a missing torch names the extra to install
if TYPE_CHECKING:
    import torch
    from torch import nn
else:
    torch = optional_import("torch")
    nn = torch.nn

# one seeding helper for every torch fit (CPU and the CUDA device used; the caller's states are restored)
from ..graphs._nn import local_torch_rng as local_torch_rng


def build_mlp(in_dim: int, hidden: Sequence[int], out_dim: int) -> nn.Sequential:
    """Plain ``nn.Sequential`` of ``nn.Linear`` and ``nn.LeakyReLU`` layers (picklable, LipSDP-ready)."""
    layers: list[nn.Module] = []
    prev = in_dim
    for h in hidden:
        layers += [nn.Linear(prev, int(h)), nn.LeakyReLU()]
        prev = int(h)
    layers.append(nn.Linear(prev, out_dim))
    return nn.Sequential(*layers)


def gaussian_gram(A, sigma: float):
    """``exp(-||a_i - a_j||^2 / (2 sigma^2))``."""
    sq = torch.cdist(A, A).pow(2)
    return torch.exp(-sq / (2.0 * sigma**2))


def mmr_penalty(code, A, K, *, statistic: str = "u", standardize: bool = True, ridge: float = 1e-6):
    """MMR of the linear-invariance restriction ``E[phi(X) - alpha - M A | A] = 0`` on one (mini)batch.

    ``psi`` are the residuals of the in-batch OLS (with intercept) of the standardised (whitened when d > 1)
    code on ``A``; the gradient flows through the OLS. Returns the U-statistic ``sum_{i != j} psi_i' psi_j k(a_i, a_j) / (b(b-1))``
    (``statistic="u"``) or the V-statistic ``sum_{i,j} ... / b^2`` (``"v"``), summed over latent dimensions.
    """
    b, d = code.shape
    if standardize:
        code = code - code.mean(0)
        if d == 1:
            code = code / (code.std(0) + 1e-8)
        else:
            # whiten: the penalty is then invariant to invertible linear maps of the code and a nearly
            # collinear (non-injective) code cannot hide its non-affine direction behind a small variance
            cov = code.T @ code / (b - 1) + 1e-6 * torch.eye(
                d, dtype=code.dtype, device=code.device
            )
            chol = torch.linalg.cholesky(cov)
            code = torch.linalg.solve_triangular(chol, code.T, upper=False).T
    D = torch.cat([torch.ones(b, 1, dtype=code.dtype, device=code.device), A], dim=1)
    gram = D.T @ D + ridge * torch.eye(D.shape[1], dtype=code.dtype, device=code.device)
    try:
        coef = torch.linalg.solve(gram, D.T @ code)
    except torch.linalg.LinAlgError:
        # the actions do not vary at the working precision (e.g. a large offset in float32): the in-batch OLS
        # is the minimum-norm one (the pseudo-inverse is differentiable too)
        coef = torch.linalg.pinv(gram) @ (D.T @ code)
    psi = code - D @ coef
    M = (psi @ psi.T) * K
    if statistic == "u":
        return (M.sum() - torch.diagonal(M).sum()) / (b * (b - 1))
    return M.sum() / (b * b)


def median_bandwidth(A: np.ndarray, rng: np.random.RandomState, max_points: int = 1000) -> float:
    """Median heuristic ``sqrt(0.5 * median ||a_i - a_j||^2)`` on at most ``max_points`` rows."""
    if A.shape[0] > max_points:
        A = A[rng.choice(A.shape[0], max_points, replace=False)]
    diff = A[:, None, :] - A[None, :, :]
    sq = np.sum(diff**2, axis=-1)[np.triu_indices(A.shape[0], k=1)]
    med = np.median(sq)
    if med == 0 and np.any(sq > 0):  # most actions tied: the median over distinct pairs
        med = np.median(sq[sq > 0])
    return float(np.sqrt(0.5 * med))


def kernel_mass(
    A: np.ndarray, sigma: float, rng: np.random.RandomState, max_points: int = 1000
) -> float:
    """Mean off-diagonal Gaussian kernel ``k(a_i, a_j)`` on at most ``max_points`` rows of ``A``."""
    if A.shape[0] > max_points:
        A = A[rng.choice(A.shape[0], max_points, replace=False)]
    b = A.shape[0]
    sq = np.sum((A[:, None, :] - A[None, :, :]) ** 2, axis=-1)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        two_s2 = 2.0 * np.float64(sigma) ** 2
        K = np.exp(-sq / two_s2) if two_s2 > 0 else (sq == 0).astype(float)
    mass = (K.sum() - np.trace(K)) / (b * (b - 1))
    return float(mass) if np.isfinite(mass) else 0.0
