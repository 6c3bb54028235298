"""Simulators for :mod:`causalkit.iv`: confounded linear SEMs with outcome-invariant data augmentations.

Both return a :class:`sklearn.utils.Bunch` with the observed data (``X``, ``y``), one augmented copy
(``X_aug = X + strength * G @ directions``, ``G``), the causal coefficients ``coef`` and the ``directions``
(orthonormal rows spanning the orthogonal complement of ``coef``, so the augmentation is outcome-invariant).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from .._base import check_int, check_scalar_in_range
from ..iv._solver import local_random_state
from ._checks import check_output_size

__all__ = ["make_ivl_paper_sem", "make_ivl_toy_sem", "make_weak_iv_sem", "null_space_basis"]


def null_space_basis(coef: np.ndarray) -> np.ndarray:
    """Orthonormal rows spanning the orthogonal complement of ``coef`` (shape ``(p - 1, p)``).

    Examples
    --------
    >>> B = null_space_basis(np.array([1.0, 0.0, 0.0]))
    >>> B.shape, float(abs(B @ [1.0, 0.0, 0.0]).max())
    ((2, 3), 0.0)
    """
    coef = np.asarray(coef)
    if coef.dtype.kind not in "biuf":
        raise TypeError(f"coef must be a real numeric vector; got dtype {coef.dtype}.")
    coef = coef.astype(float)
    if coef.ndim != 1 or coef.size == 0:
        raise ValueError(f"coef must be a non-empty 1-d vector; got shape {coef.shape}.")
    if not np.all(np.isfinite(coef)) or not np.any(coef != 0):
        raise ValueError(
            "coef must be finite and not all zero (the complement of 0 is the whole space)."
        )
    q, _ = np.linalg.qr(coef.reshape(-1, 1), mode="complete")
    B = q[:, 1:].T
    B[np.abs(B) < 1e-15] = 0.0
    return B


def make_ivl_toy_sem(n_samples: int = 5000, strength: float = 1.0, random_state=None) -> Bunch:
    """The 5-dimensional confounded SEM with closed-form population errors.

    C ~ N(0, I5), X = C + N(0, I5) (so Cov X = 2 I), Y = X f + C b + N(0, 0.5^2) with f = (1, 2, -1, 0.5, 0),
    b = 1_5; augmentation X + strength * G B with G ~ N(0, I4), B an orthonormal basis of f's complement.
    Population squared coefficient errors ``|h - f|^2`` at strength 1: ERM 1.25, DA+ERM 0.694, IVL(ivl_alpha) =
    1/4 + 4 / (2 + 1 + 1/ivl_alpha)^2 (0.5 at ivl_alpha=1, 0.274 at ivl_alpha=0.1, 0.25 as ivl_alpha -> 0+).

    Parameters
    ----------
    n_samples : int, default 5000
    strength : float, default 1.0
        Scale ``gamma`` of the translation.
    random_state : int, RandomState or None

    Returns
    -------
    Bunch with ``X, y, X_aug, G, coef, directions, confounding`` (the vector b) and ``population_error``
    (a function of ``ivl_alpha`` giving IVL's population ``|h - f|^2``; ``ivl_alpha=np.inf`` gives DA+ERM).

    Examples
    --------
    >>> d = make_ivl_toy_sem(1000, random_state=0)
    >>> d.X.shape, d.G.shape, round(d.population_error(1.0), 3)
    ((1000, 5), (1000, 4), 0.5)
    """
    n_samples = check_int(n_samples, "n_samples", low=1)
    check_output_size(20 * n_samples, "n_samples")
    strength = check_scalar_in_range(strength, "strength", low=0.0)
    rng = local_random_state(random_state)
    f = np.array([1.0, 2.0, -1.0, 0.5, 0.0])
    b = np.ones(5)
    C = rng.standard_normal((n_samples, 5))
    X = C + rng.standard_normal((n_samples, 5))
    y = X @ f + C @ b + 0.5 * rng.standard_normal(n_samples)
    B = null_space_basis(f)
    G = rng.standard_normal((n_samples, B.shape[0]))
    X_aug = X + strength * G @ B
    Pf = np.outer(f, f) / (f @ f)
    bf2 = float(np.sum((Pf @ b) ** 2))
    bp2 = float(np.sum(((np.eye(5) - Pf) @ b) ** 2))

    def population_error(ivl_alpha: float) -> float:
        alpha = check_scalar_in_range(ivl_alpha, "ivl_alpha", low=0.0, allow_inf=True)
        amp = 1.0 if np.isinf(alpha) else 1.0 + 1.0 / alpha if alpha > 0 else np.inf
        return bf2 / 4.0 + bp2 / (2.0 + strength**2 * amp) ** 2

    return Bunch(
        X=X,
        y=y,
        X_aug=X_aug,
        G=G,
        coef=f,
        directions=B,
        confounding=b,
        erm_population_error=float(np.sum(b**2)) / 4.0,
        population_error=population_error,
    )


def make_ivl_paper_sem(
    n_samples: int = 2000,
    n_features: int = 8,
    confounding: float = 1.0,
    strength: float = 1.0,
    noise: float = 0.1,
    random_state=None,
) -> Bunch:
    """The paper's linear SEM (Akbar et al. 2025, simulation section), with a translation augmentation.

    The SEM is drawn first from ``random_state``: W ~ N(0, 1)^{d x (d+1)} (confounder loadings on X and on Y),
    f ~ N(0, I_d); then C ~ N(0, I_d), X = C W_X + noise N_X, Y = X f + confounding * C w_Y + noise N_Y.
    The augmentation is X + strength * G B with G ~ N(0, I_{d-1}) and B an orthonormal basis of null(f').

    Parameters
    ----------
    n_samples : int, default 2000
    n_features : int, default 8
    confounding : float, default 1.0
        kappa of the paper (0: no hidden confounding).
    strength : float, default 1.0
        gamma of the paper.
    noise : float, default 0.1
    random_state : int, RandomState or None

    Returns
    -------
    Bunch with ``X, y, X_aug, G, coef, directions`` and ``ncer(h)``, the normalised causal excess risk
    ``|h - f|^2 / (|h - f|^2 + |f|^2)``.

    Examples
    --------
    >>> d = make_ivl_paper_sem(500, 4, random_state=0)
    >>> d.X_aug.shape, d.G.shape, d.ncer(d.coef)
    ((500, 4), (500, 3), 0.0)
    """
    n_samples = check_int(n_samples, "n_samples", low=1)
    # one feature leaves no invariant direction to augment
    d = check_int(n_features, "n_features", low=2)
    check_output_size(3 * n_samples * d + 2 * d * (d + 1), "n_samples and n_features")
    confounding = check_scalar_in_range(confounding, "confounding")
    strength = check_scalar_in_range(strength, "strength", low=0.0)
    noise = check_scalar_in_range(noise, "noise", low=0.0)
    rng = local_random_state(random_state)
    W = rng.standard_normal((d, d + 1))
    f = rng.standard_normal(d)
    C = rng.standard_normal((n_samples, d))
    X = C @ W[:, :d] + noise * rng.standard_normal((n_samples, d))
    y = X @ f + confounding * C @ W[:, d] + noise * rng.standard_normal(n_samples)
    B = null_space_basis(f)
    G = rng.standard_normal((n_samples, B.shape[0]))
    X_aug = X + strength * G @ B

    def ncer(h) -> float:
        h = np.asarray(h, dtype=float)
        if h.shape != f.shape:
            raise ValueError(
                f"h must have shape {f.shape} like the causal coefficients; got {h.shape}."
            )
        err = float(np.sum((h - f) ** 2))
        return err / (err + float(f @ f))

    return Bunch(X=X, y=y, X_aug=X_aug, G=G, coef=f, directions=B, ncer=ncer)


def make_weak_iv_sem(
    n_samples: int = 250,
    strength: float = 0.07,
    *,
    endogeneity: float = 0.8,
    beta: float = 1.0,
    random_state=None,
) -> Bunch:
    """One endogenous regressor, three excluded instruments and two exogenous controls, of chosen strength.

    ``x = strength * (z1 + z2 + z3) + c1 + c2 + v`` and ``y = beta * x + c1 + c2 + u`` with standard normal
    ``z``, ``c``, ``u`` and ``v = endogeneity * u + sqrt(1 - endogeneity^2) * e``, so ``corr(u, v)`` is
    ``endogeneity`` and the expected first-stage partial F is about ``1 + n_samples * strength^2``
    (``expected_F``). The weak-instrument studies of the IV family (coverage of AR/CLR sets against Wald
    intervals, the false-alarm and hit rates of ``WeakInstrumentWarning``) draw from it.

    Returns
    -------
    Bunch with ``X`` (n, 3): ``[x, c1, c2]`` (the controls are columns 1 and 2), ``y``, ``Z`` (n, 3) the excluded
    instruments, ``coef`` (``beta``) and ``expected_F``.

    Examples
    --------
    >>> d = make_weak_iv_sem(500, 0.3, random_state=0)
    >>> d.X.shape, d.Z.shape, round(d.expected_F, 1)
    ((500, 3), (500, 3), 46.0)
    """
    n = check_int(n_samples, "n_samples", low=4)
    strength = check_scalar_in_range(strength, "strength", low=0.0)
    rho = check_scalar_in_range(endogeneity, "endogeneity", low=-1.0, high=1.0)
    beta = check_scalar_in_range(beta, "beta")
    rng = np.random.default_rng(
        check_int(random_state, "random_state", low=0) if random_state is not None else None
    )
    C = rng.normal(size=(n, 2))
    Z = rng.normal(size=(n, 3))
    u = rng.normal(size=n)
    v = rho * u + np.sqrt(1 - rho**2) * rng.normal(size=n)
    x = strength * Z.sum(axis=1) + C.sum(axis=1) + v
    y = beta * x + C.sum(axis=1) + u
    return Bunch(
        X=np.column_stack([x, C]), y=y, Z=Z, coef=float(beta), expected_F=float(1 + n * strength**2)
    )
