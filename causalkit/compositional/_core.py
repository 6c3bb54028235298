"""Numerical core: clr covariance, its Moore–Penrose inverse, basis shrinkage, closure-null reference.

Everything works on the log-proportion ("basis") matrix ``L = log(closure(X))``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from scipy.linalg import lapack

from causalkit._base import check_2d, check_scalar_in_range

from ._transforms import check_composition

__all__ = [
    "closure_null_partial_correlation",
    "cov_shrink",
    "partial_correlation_from_covariance",
    "variation_matrix",
]


def zero_variance_cutoff(L: np.ndarray) -> np.ndarray:
    """Per-column variance at or below which a column of ``L`` is constant up to rounding."""
    return (1e-12 * (1.0 + np.abs(L).max(axis=0))) ** 2


def check_clr_variances(L: np.ndarray, names: Any, *, name: str = "X", parts: bool = True) -> None:
    """Refuse compositions whose clr coordinates do not vary (all of them, or, with ``parts``, any one).

    When every row is the same composition (up to its total) the clr covariance is zero and no correlation is
    defined; a single part whose clr coordinate is constant (its log-ratio to the geometric mean of all parts
    never changes) has no partial correlation either.
    """
    C = L - L.mean(axis=1, keepdims=True)
    var = C.var(axis=0)
    zero = var <= zero_variance_cutoff(L)
    if np.all(zero):
        raise ValueError(
            f"{name}: all {L.shape[0]} rows are the same composition (up to their totals): the log-ratios "
            "do not vary, so no correlation between parts is defined."
        )
    if parts and np.any(zero):
        labels = _labels(names, L.shape[1])
        bad = [labels[j] for j in np.flatnonzero(zero)]
        raise ValueError(
            f"{name}: part(s) {bad} have zero clr variance (their log-ratio to the geometric mean of the "
            "parts is constant), so their partial correlations are undefined. Drop them, or use "
            "shrinkage='basis'."
        )


def _labels(names: Any, D: int) -> list[str]:
    return [str(v) for v in names] if names is not None else [f"x{j}" for j in range(D)]


def collinear_parts(gamma: np.ndarray) -> list[int]:
    """Indices of the parts involved in the null space of a clr covariance beyond the ones vector."""
    D = gamma.shape[0]
    w, V = np.linalg.eigh(gamma + 1.0 / D)  # the ones direction gets eigenvalue 1
    cutoff = D * np.finfo(float).eps * max(np.abs(w).max(), np.finfo(float).tiny) * 1e3
    null = V[:, w <= cutoff]
    if null.shape[1] == 0:
        return []
    load = np.sqrt((null**2).sum(axis=1))
    return np.flatnonzero(load > 1e-6).tolist()


def log_basis(X: np.ndarray) -> np.ndarray:
    """``log`` of the closed rows of a validated, strictly positive composition (log proportions)."""
    scale = X.max(axis=1, keepdims=True)  # guards the row sums against overflow
    L = np.log(X / scale)
    L -= np.log((X / scale).sum(axis=1, keepdims=True))
    return L


def _centred(A: np.ndarray) -> np.ndarray:
    return A - A.mean(axis=0, keepdims=True)


def clr_covariance(L: np.ndarray, ddof: int = 1) -> np.ndarray:
    """Covariance of the clr coordinates of a log-basis ``L`` (``G Σ_L G``)."""
    C = L - L.mean(axis=1, keepdims=True)
    C -= C.mean(axis=0)
    gamma = C.T @ C  # numpy dispatches AᵀA to BLAS syrk
    gamma /= L.shape[0] - ddof
    return (gamma + gamma.T) / 2


def _pinv_sym(S: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(S)
    cutoff = S.shape[0] * np.finfo(float).eps * max(np.abs(w).max(), np.finfo(float).tiny)
    keep = w > cutoff
    Vk = V[:, keep]
    P = (Vk / w[keep]) @ Vk.T
    return (P + P.T) / 2


def _inv_spd(S: np.ndarray) -> np.ndarray | None:
    """Inverse of a symmetric positive definite matrix by Cholesky; ``None`` if it is not PD."""
    c, info = lapack.dpotrf(S, lower=1, clean=1, overwrite_a=0)
    if info != 0:
        return None
    d = np.diag(c)
    if d.min() ** 2 <= S.shape[0] * np.finfo(float).eps * d.max() ** 2:
        return None  # numerically singular (e.g. proportional parts): let the caller use the pinv
    inv, info = lapack.dpotri(c, lower=1, overwrite_c=1)
    if info != 0:  # pragma: no cover - dpotri fails only if dpotrf did
        return None
    inv = np.tril(inv) + np.tril(inv, -1).T
    return inv


def clr_precision(gamma: np.ndarray, full_rank: bool = True) -> tuple[np.ndarray, bool]:
    """Moore–Penrose inverse of a clr covariance (null vector ``1``), and whether it was singular.

    For rank ``D - 1`` it uses the exact identity ``Γ⁺ = (Γ + 11ᵀ/D)⁻¹ - 11ᵀ/D`` with a Cholesky inverse,
    which is several times faster than an SVD; otherwise (or if Cholesky fails) an eigen-decomposition. The
    flag is True when ``full_rank`` was expected but the matrix is singular beyond the closure (proportional
    or collinear parts); the caller warns, naming the parts (:func:`collinear_parts`).
    """
    D = gamma.shape[0]
    if full_rank:
        inv = _inv_spd(gamma + 1.0 / D)
        if inv is not None:
            P = inv - 1.0 / D
            return (P + P.T) / 2, False
        return _pinv_sym(gamma), True
    return _pinv_sym(gamma), False


def precision_to_partial_correlation(P: np.ndarray) -> np.ndarray:
    """``ρᵢⱼ = -Pᵢⱼ / sqrt(Pᵢᵢ Pⱼⱼ)`` with a unit diagonal, clipped to [-1, 1]."""
    d = np.sqrt(np.diag(P))
    R = -P / d[:, None] / d[None, :]
    np.fill_diagonal(R, 1.0)
    np.clip(R, -1.0, 1.0, out=R)
    return R


def partial_correlation_from_covariance(cov: Any) -> np.ndarray:
    """Partial correlations from a covariance matrix through its Moore–Penrose inverse (corpcor's ``cor2pcor``).

    Applied to a clr covariance (or to ``-½ G T G`` built from a variation matrix ``T``) this gives the
    compositional partial correlations. It is *not* restricted to compositions.

    Parameters
    ----------
    cov : array-like of shape (p, p)
        Symmetric positive semi-definite matrix.

    Returns
    -------
    numpy.ndarray of shape (p, p)

    Examples
    --------
    >>> S = np.array([[2.0, -1.0, -1.0], [-1.0, 2.0, -1.0], [-1.0, -1.0, 2.0]]) / 3
    >>> float(partial_correlation_from_covariance(S)[0, 1].round(3))
    0.5
    """
    S = check_2d(cov, "cov")
    if S.shape[0] != S.shape[1]:
        raise ValueError(f"cov must be square; got shape {S.shape}.")
    if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12 * max(np.abs(S).max(), 1e-300)):
        raise ValueError("cov must be symmetric.")
    if not np.any(S):
        raise ValueError("cov is zero: no partial correlation is defined.")
    S = (S + S.T) / 2
    scale = np.abs(S).max()
    w = np.linalg.eigvalsh(S / scale)
    if w[0] < -1e-10 * max(w[-1], 0.0) or w[-1] <= 0:
        raise ValueError(
            f"cov must be positive semi-definite; its smallest eigenvalue is {w[0] * scale:.3g} "
            f"(largest {w[-1] * scale:.3g})."
        )
    P = _pinv_sym(S / scale)
    d = np.diag(P)
    bad = np.flatnonzero(d <= 1e-12 * d.max())
    if bad.size:
        raise ValueError(
            f"cov: variable(s) {bad.tolist()} have zero variance (or lie in the null space of cov): "
            "their partial correlations are undefined."
        )
    return precision_to_partial_correlation(P)


def variation_matrix(X: Any) -> np.ndarray:
    """Aitchison's variation matrix ``Tᵢⱼ = var(log(xᵢ/xⱼ))`` (``ddof=1``).

    Examples
    --------
    >>> X = np.array([[1.0, 2.0, 4.0], [2.0, 2.0, 2.0], [1.0, 1.0, 3.0]])
    >>> bool(np.allclose(np.diag(variation_matrix(X)), 0))
    True
    """
    L = np.log(check_composition(X))
    if L.shape[0] < 2:
        raise ValueError(
            f"X needs at least 2 samples for a variance; got n_samples = {L.shape[0]}."
        )
    C = _centred(L)
    S = C.T @ C / (L.shape[0] - 1)
    d = np.diag(S)
    T = d[:, None] + d[None, :] - 2 * S
    np.fill_diagonal(T, 0.0)
    return T


def _real_array(values: Any, name: str) -> np.ndarray:
    """``values`` as a float array; strings and complex numbers are a TypeError naming ``name``."""
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError) as exc:  # ragged input
        raise ValueError(f"{name} must be a 1-D array of real numbers; got {exc}") from None
    items = raw.ravel() if raw.dtype.kind == "O" else ()
    if raw.dtype.kind in "USV" or any(isinstance(v, (str, bytes)) for v in items):
        raise TypeError(f"{name} must be real numbers; got strings (dtype {raw.dtype}).")
    if raw.dtype.kind == "c" or any(isinstance(v, (complex, np.complexfloating)) for v in items):
        raise TypeError(f"{name} must be real numbers; got complex values.")
    try:
        return np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be real numbers; got {type(values).__name__} ({exc})."
        ) from None


def closure_null_partial_correlation(variances: Any) -> np.ndarray:
    """Population partial correlations of a closed, *independent* log-normal basis.

    With basis log-variances ``s_k²``, weights ``w_k = 1/s_k²`` and ``W = Σ w_k``:
    ``ρᵢⱼ = sqrt(wᵢ wⱼ / ((W - wᵢ)(W - wⱼ)))``; equal variances give ``1/(D-1)``. This is what closure alone
    produces when nothing is associated, the reference against which observed partial correlations are read.

    Parameters
    ----------
    variances : array-like of shape (D,)
        Positive basis log-variances.

    Returns
    -------
    numpy.ndarray of shape (D, D)

    Examples
    --------
    >>> float(closure_null_partial_correlation([1.0, 1.0, 1.0, 1.0, 1.0])[0, 1])
    0.25
    """
    s2 = _real_array(variances, "variances")
    if s2.ndim != 1 or s2.shape[0] < 3:
        raise ValueError(
            f"variances must be a 1-D array of at least 3 values; got shape {s2.shape}."
        )
    if not np.all(np.isfinite(s2)) or np.any(s2 <= 0):
        raise ValueError("variances must be finite and strictly positive.")
    w = s2.min() / s2  # the formula is scale-free: weights in (0, 1] cannot overflow
    W = w.sum()
    r = np.sqrt(w) / np.sqrt(W - w)  # as a product of square roots: no underflow
    R = np.outer(r, r)
    np.fill_diagonal(R, 1.0)
    return R


def null_basis_variances(gamma: np.ndarray) -> np.ndarray:
    """Basis log-variances ``s²`` that an independent basis would need to produce the diagonal of ``gamma``.

    Under independence ``Γ = G diag(s²) G``, so ``Γᵢᵢ = s²ᵢ(1 - 2/D) + Σs²/D²`` and ``tr Γ = Σs²(1 - 1/D)``;
    solving gives ``s²ᵢ = (Γᵢᵢ - tr Γ/(D(D-1))) · D/(D-2)``. Exact for the population Γ of the closure null,
    unlike the variances of the log proportions, which closure inflates. Values are floored at
    ``1e-8 · max`` (data far from the null can make them non-positive).
    """
    D = gamma.shape[0]
    d = np.diag(gamma)
    s2 = (d - d.sum() / (D * (D - 1))) * D / (D - 2)
    top = max(float(s2.max()), np.finfo(float).tiny)
    return np.maximum(s2, 1e-8 * top)


def closure_null_variances(
    gamma: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10
) -> np.ndarray:
    """Gaussian maximum-likelihood basis log-variances of the closure null fitted to a clr covariance.

    Fits the model ``Γ = G diag(s²) G`` (independent basis parts) to ``gamma`` by Fisher scoring, starting at
    the moment solution :func:`null_basis_variances`. With ``M = Γ(s²)⁺ = diag(w) - wwᵀ/W`` (``w = 1/s²``,
    ``W = Σw``) the score is ``diag(M Γ̂ M) - diag(M)`` and the information ``M ∘ M``, a diagonal plus a rank-one
    matrix, so every step costs ``O(D²)``. Exact (a fixed point) at the population Γ of the closure null, like
    the moment solution, but much less noisy for low-variance parts: their moment estimate is the small
    difference of two large numbers (``Γᵢᵢ - tr Γ/(D(D-1))``), the likelihood also uses the covariances.
    """
    s2 = null_basis_variances(gamma)
    scale = float(s2.max())
    if not np.isfinite(scale) or scale <= 0:
        return s2
    G = gamma / scale  # the fit is scale-equivariant: work at unit scale
    s2 = s2 / scale
    dg = np.diag(G)
    floor = 1e-8
    for _ in range(max_iter):
        w = 1.0 / s2
        W = w.sum()
        p = w / W
        Gw = G @ w
        # diag(M Γ̂ M) and diag(M) with M = diag(w) - w wᵀ / W
        score = w * w * dg - 2.0 * w * p * Gw + p * p * float(w @ Gw) - w * (1.0 - p)
        a = w * w * (1.0 - 2.0 * p)  # information M∘M = diag(a) + u uᵀ
        u = w * p
        if np.all(np.abs(a) > 1e-12 * (u * u).max()):
            ga, ua = score / a, u / a
            step = ga - ua * (float(u @ ga) / (1.0 + float(u @ ua)))
        else:  # pragma: no cover - a part carrying exactly half the precision
            step = np.linalg.lstsq(np.diag(a) + np.outer(u, u), score, rcond=None)[0]
        if not np.all(np.isfinite(step)):
            break
        new = np.maximum(
            s2 + step, 0.1 * s2
        )  # damped: a step never divides a variance by more than 10
        new = np.maximum(new, floor * new.max())
        done = np.max(np.abs(new - s2) / s2) < tol
        s2 = new
        if done:
            break
    return s2 * scale


def _shrink_intensity_cor(Zs: np.ndarray, R: np.ndarray) -> float:
    """Schäfer–Strimmer λ for correlations (corpcor ``estimate.lambda``).

    ``Zs``: centred columns scaled to unit ``ddof=1`` variance; ``R``: their correlation matrix.
    With ``w_kij = z_ki z_kj``: ``λ = Σ_{i≠j} [mean_k w² - mean_k(w)²] / ((n-1) Σ_{i≠j} mean_k(w)²)``.
    """
    n = Zs.shape[0]
    Q1 = R * ((n - 1) / n)  # mean_k w_kij
    Z2 = Zs * Zs
    Q2 = Z2.T @ Z2
    Q2 /= n
    Q1sq = Q1 * Q1
    Q2 -= Q1sq
    denominator = Q1sq.sum() - np.trace(Q1sq)
    numerator = Q2.sum() - np.trace(Q2)
    if denominator == 0:
        return 1.0
    return float(max(0.0, min(1.0, numerator / denominator / (n - 1))))


def _shrink_intensity_var(Z: np.ndarray) -> float:
    """λ for variances toward their median (corpcor ``estimate.lambda.var``), Z centred columns."""
    n = Z.shape[0]
    zz = Z * Z
    v = zz.sum(axis=0) / (n - 1)
    target = np.median(v)
    q1 = zz.mean(axis=0)
    q2 = (zz * zz).mean(axis=0) - q1**2
    denominator = ((q1 - target * (n - 1) / n) ** 2).sum()
    if denominator == 0:
        return 1.0
    return float(max(0.0, min(1.0, q2.sum() / denominator / (n - 1))))


def _check_lambda(value: Any, name: str) -> float | str:
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"{name} must be 'auto' or a float in [0, 1]; got {value!r}.")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be 'auto' or a float in [0, 1]; got {type(value).__name__}.")
    return check_scalar_in_range(value, name, low=0.0, high=1.0)


def shrunk_basis_covariance(
    L: np.ndarray, shrinkage: float | str = "auto", variance_shrinkage: float | str = "auto"
) -> tuple[np.ndarray, float, float, np.ndarray]:
    """Schäfer–Strimmer covariance of the columns of ``L`` (``ddof=1``); returns (S*, λ, λ_v, v*)."""
    n = L.shape[0]
    if n < 3:
        raise ValueError(f"shrinkage needs at least 3 samples; got {n}.")
    Z = _centred(L)
    v = (Z * Z).sum(axis=0) / (n - 1)
    # rounding leaves ~1e-32 variance in a constant column: treat anything at that level as zero
    if np.any(v <= zero_variance_cutoff(L)):
        raise ValueError("X has a part with zero log-variance; its correlations are undefined.")
    lam_v = _shrink_intensity_var(Z) if variance_shrinkage == "auto" else float(variance_shrinkage)
    sd = np.sqrt(v)
    Z /= sd  # standardised columns (Z is our own centred copy)
    R = Z.T @ Z
    R /= n - 1
    np.fill_diagonal(R, 1.0)
    lam = _shrink_intensity_cor(Z, R) if shrinkage == "auto" else float(shrinkage)
    v_star = lam_v * np.median(v) + (1 - lam_v) * v
    R *= 1 - lam
    np.fill_diagonal(R, 1.0)
    sd_star = np.sqrt(v_star)
    R *= sd_star[:, None]
    R *= sd_star[None, :]
    return (R + R.T) / 2, lam, lam_v, v_star


def cov_shrink(
    X: Any, shrinkage: float | str = "auto", variance_shrinkage: float | str = "auto"
) -> tuple[np.ndarray, float, float]:
    """Schäfer–Strimmer shrinkage covariance, as R corpcor's ``cov.shrink`` (columns of ``X``, ``ddof=1``).

    Correlations shrink toward the identity with intensity ``λ`` and variances toward their median with
    ``λ_v``; ``"auto"`` estimates each analytically.

    Parameters
    ----------
    X : array-like of shape (n_samples, p)
        Any real data (for compositions pass the log proportions).
    shrinkage, variance_shrinkage : "auto" or float in [0, 1]

    Returns
    -------
    cov : numpy.ndarray of shape (p, p)
    shrinkage : float
        ``λ`` used.
    variance_shrinkage : float
        ``λ_v`` used.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> S, lam, lam_v = cov_shrink(rng.normal(size=(20, 5)))
    >>> 0 <= lam <= 1 and 0 <= lam_v <= 1
    True
    """
    L = check_2d(X, "X", min_samples=3)
    lam = _check_lambda(shrinkage, "shrinkage")
    lam_v = _check_lambda(variance_shrinkage, "variance_shrinkage")
    spread = float(np.abs(_centred(L)).max())
    if spread > 1e150 or 0 < spread < 1e-150:
        raise ValueError(
            f"X: values of magnitude {spread:.3g} around their column means: their covariance lies outside "
            "the range of double precision; rescale X (e.g. divide by that magnitude)."
        )
    # an exact power-of-two rescaling: fourth moments (the intensities) cannot overflow, results unchanged
    scale = 2.0 ** np.round(np.log2(spread)) if spread > 0 else 1.0
    S, lam, lam_v, _ = shrunk_basis_covariance(L / scale, lam, lam_v)
    return S * scale**2, lam, lam_v


def fit_partial_correlation(
    L: np.ndarray,
    shrinkage: float | str | None,
    variance_shrinkage: float | str,
    ddof: int,
) -> dict[str, Any]:
    """The whole pipeline on a log-basis: returns partial correlations, precision, λ's, ..."""
    n, D = L.shape
    if shrinkage is None:
        return partial_correlation_outputs(clr_covariance(L, ddof), n)
    else:
        S, lam, lam_v, _ = shrunk_basis_covariance(L, shrinkage, variance_shrinkage)
        S *= (n - 1) / (n - ddof)
        # Γ* = G S G
        rm = S.mean(axis=0)
        gamma = S - rm[:, None] - rm[None, :] + rm.mean()
        # λ > 0 makes the shrunk correlation positive definite, so Γ* has rank D - 1 exactly
        P, singular = clr_precision(gamma, full_rank=n >= D or lam > 0)
    return {
        "partial_corr": precision_to_partial_correlation(P),
        "precision": P,
        "covariance": gamma,
        "null_basis_var": closure_null_variances(gamma),
        "shrinkage": float(lam),
        "variance_shrinkage": float(lam_v),
        "singular": singular,
    }


def partial_correlation_outputs(gamma: np.ndarray, n: int) -> dict[str, Any]:
    """The unshrunk pipeline from a clr covariance ``gamma`` estimated on ``n`` samples."""
    P, singular = clr_precision(gamma, full_rank=n >= gamma.shape[0])
    return {
        "partial_corr": precision_to_partial_correlation(P),
        "precision": P,
        "covariance": gamma,
        "null_basis_var": closure_null_variances(gamma),
        "shrinkage": 0.0,
        "variance_shrinkage": 0.0,
        "singular": singular,
    }


def pcor_only(
    L: np.ndarray, shrinkage: float | str | None, variance_shrinkage: float | str, ddof: int
) -> np.ndarray:
    """Upper-triangle partial correlations of a log-basis (used by bootstrap and permutation loops)."""
    R = fit_partial_correlation(L, shrinkage, variance_shrinkage, ddof)["partial_corr"]
    iu = np.triu_indices(R.shape[0], 1)
    return R[iu]
