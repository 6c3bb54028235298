"""The one k-class solver shared by every estimator of :mod:`causalkit.iv`.

All estimators of the family minimise, for weights ``w_erm + w_iv = 1``,

    w_erm * ||y - X b||^2 + w_iv * ||P_Z (y - X b)||^2,

which is the k-class estimator with ``kappa = w_iv`` (IVL with ``alpha = w_erm / w_iv``; anchor regression with
``gamma = 1 / w_erm``). The data enter only through the triangular factor ``R`` of one thin QR decomposition of
``[Z, X, y]`` (centred when there is an intercept): ``R[:k, k:k+p] = Q_Z' X`` and every norm above is a norm of a
small vector built from ``R``. So no n x n matrix is ever formed, the memory is one copy of the data, and any
number of ``kappa`` values is solved from the same factorisation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy import stats

__all__: list[str] = []


@dataclass
class _Decomposition:
    """Sufficient statistics of (X, y, Z) for every k-class fit on these data."""

    R: np.ndarray  # (m, m) upper triangular factor of [Zc, Xc, yc], m = k + p + 1
    n: int
    k: int
    p: int
    fit_intercept: bool
    x_mean: np.ndarray
    y_mean: float
    z_mean: np.ndarray

    @property
    def A(self) -> np.ndarray:  # Q_Z' X  (k, p)
        return self.R[: self.k, self.k : self.k + self.p]

    @property
    def c(self) -> np.ndarray:  # Q_Z' y  (k,)
        return self.R[: self.k, -1]

    @property
    def Tx(self) -> np.ndarray:  # Q' X  (m, p): ||Tx b - Ty|| = ||X b - y||
        return self.R[:, self.k : self.k + self.p]

    @property
    def Ty(self) -> np.ndarray:
        return self.R[:, -1]


def decompose(
    X: np.ndarray, y: np.ndarray, Z: np.ndarray | None, fit_intercept: bool
) -> _Decomposition:
    """Thin QR (R only) of ``[Z, X, y]``; validates the instruments' rank.

    ``Z=None`` means no instruments (only OLS is then available).
    """
    n, p = X.shape
    k = 0 if Z is None else Z.shape[1]
    m = k + p + 1
    # One Fortran-ordered copy that LAPACK factorises in place.
    M = np.empty((n, m), dtype=np.float64, order="F")
    if k:
        M[:, :k] = Z
    M[:, k : k + p] = X
    M[:, -1] = y
    if fit_intercept:
        means = M.mean(axis=0)
        M -= means
    else:
        means = np.zeros(m)
    # Householder QR in place (LAPACK geqrf): only R is kept, no Q and no second n x m array.
    geqrf = sla.get_lapack_funcs("geqrf", (M,))
    qr, _tau, _work, info = geqrf(M, overwrite_a=True)
    if info != 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"LAPACK geqrf failed with info={info}")
    R = np.zeros((m, m))
    r = min(n, m)  # with fewer rows than columns R is (n, m): pad with zero rows
    R[:r] = np.triu(qr[:r])
    del M, qr
    dec = _Decomposition(
        R=R,
        n=n,
        k=k,
        p=p,
        fit_intercept=fit_intercept,
        x_mean=means[k : k + p].copy(),
        y_mean=float(means[-1]),
        z_mean=means[:k].copy(),
    )
    check_instrument_rank(dec)
    return dec


def check_instrument_rank(dec: _Decomposition) -> None:
    """Raise when the (centred) instruments are rank-deficient, from the diagonal of ``R``."""
    n, k, R, fit_intercept = dec.n, dec.k, dec.R, dec.fit_intercept
    if k:
        d = np.abs(np.diag(R)[:k])
        col_norm = np.sqrt(np.sum(R[:, :k] ** 2, axis=0))
        tol = max(n, k) * np.finfo(float).eps * max(col_norm.max(), 1e-300) * 10
        rank = int(np.sum(d > tol))
        if rank < k or n - int(fit_intercept) < k:
            raise ValueError(
                f"instruments are rank-deficient (rank {rank} of {k} columns"
                f"{' after centring' if fit_intercept else ''}, n={n}); drop collinear or constant "
                "instrument columns."
            )


def iv_rank(dec: _Decomposition) -> int:
    """Rank of P_Z X (numerically): the IV problem identifies ``rank`` directions of the ``p``."""
    if dec.k == 0:
        return 0
    s = np.linalg.svd(dec.A, compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0
    return int(np.sum(s > max(dec.A.shape) * np.finfo(float).eps * s[0] * 10))


def solve_kclass(
    dec: _Decomposition, kappa: float, *, warn_underidentified: bool = True
) -> np.ndarray:
    """Slope coefficients of the k-class estimator with parameter ``kappa`` (any real ``kappa``).

    ``kappa = 1`` (the IV limit) falls back, when the IV problem is under-identified, to the constrained
    alpha -> 0+ solution: least squares on X subject to the IV normal equations (never the min-norm pseudo-inverse).
    """
    A, c, Tx, Ty = dec.A, dec.c, dec.Tx, dec.Ty
    if dec.k == 0 and kappa != 0:
        raise ValueError("instruments are required for kappa != 0.")
    if kappa == 0:
        return np.linalg.lstsq(Tx, Ty, rcond=None)[0]
    if kappa == 1:
        return _constrained_iv(dec, warn_underidentified)
    if 0 < kappa < 1:
        # kappa in (0, 1): stacked least squares, (1-kappa)||Tx b - Ty||^2 + kappa ||A b - c||^2
        a, b = np.sqrt(1.0 - kappa), np.sqrt(kappa)
        lhs = np.vstack([a * Tx, b * A])
        rhs = np.concatenate([a * Ty, b * c])
        return np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    # kappa > 1 (LIML, Fuller) or kappa < 0: indefinite weights, small normal equations
    H = (1.0 - kappa) * (Tx.T @ Tx) + kappa * (A.T @ A)
    g = (1.0 - kappa) * (Tx.T @ Ty) + kappa * (A.T @ c)
    return np.linalg.solve(H, g)


def solve_ivl(
    dec: _Decomposition, alpha: float, *, warn_underidentified: bool = True
) -> np.ndarray:
    """IVL coefficients: argmin ||P_Z(y - Xb)||^2 + alpha ||y - Xb||^2 (alpha in [0, inf])."""
    if np.isinf(alpha):
        return solve_kclass(dec, 0.0)
    if alpha == 0:
        return solve_kclass(dec, 1.0, warn_underidentified=warn_underidentified)
    # weights computed without cancellation: 1 - kappa = alpha / (1 + alpha)
    w_erm, w_iv = alpha / (1.0 + alpha), 1.0 / (1.0 + alpha)
    a, b = np.sqrt(w_erm), np.sqrt(w_iv)
    lhs = np.vstack([a * dec.Tx, b * dec.A])
    rhs = np.concatenate([a * dec.Ty, b * dec.c])
    return np.linalg.lstsq(lhs, rhs, rcond=None)[0]


def _constrained_iv(dec: _Decomposition, warn: bool) -> np.ndarray:
    A, c, Tx, Ty = dec.A, dec.c, dec.Tx, dec.Ty
    U, s, Vt = np.linalg.svd(A, full_matrices=True)
    r = iv_rank(dec)
    h0 = Vt[:r].T @ ((U[:, :r].T @ c) / s[:r])
    if r == dec.p:
        return h0
    if warn:
        warnings.warn(
            f"The IV problem is under-identified: the instruments identify {r} of the {dec.p} regressor "
            "directions (fewer instruments than regressors, or P_Z X is rank-deficient). Returning the "
            "alpha -> 0+ limit of IVL: least squares on X subject to the IV normal equations.",
            UserWarning,
            stacklevel=6,
        )
    N = Vt[r:].T  # null space of A
    t = np.linalg.lstsq(Tx @ N, Ty - Tx @ h0, rcond=None)[0]
    return h0 + N @ t


def liml_kappa(dec: _Decomposition) -> float:
    """LIML's kappa: smallest eigenvalue of (W' M_Z W)^{-1} (W' M_1 W), W = [y, X]."""
    if dec.k < dec.p:
        raise ValueError(
            f"kappa='liml' needs at least as many instruments as regressors; got {dec.k} instruments for "
            f"{dec.p} regressors."
        )
    T = dec.R[:, dec.k :]  # [X, y] part, all rows: W'M_1 W = T'T
    T0 = dec.R[dec.k :, dec.k :]  # rows below the instruments: W'M_Z W = T0'T0
    S1 = T.T @ T
    S0 = T0.T @ T0
    try:
        ev = sla.eigh(S1, S0, eigvals_only=True)
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            "kappa='liml': the residuals of [y, X] on the instruments are linearly dependent, so LIML's "
            "kappa is not defined."
        ) from exc
    return float(ev[0])


def intercept_of(dec: _Decomposition, coef: np.ndarray) -> float:
    return float(dec.y_mean - dec.x_mean @ coef) if dec.fit_intercept else 0.0


def first_stage(dec: _Decomposition) -> dict[str, np.ndarray]:
    """Per-regressor first-stage partial R^2 of X_j on Z (given the constant) and its classical F test."""
    num = np.sum(dec.A**2, axis=0)
    den = np.sum(dec.Tx**2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(den > 0, num / den, np.nan)
        df2 = dec.n - dec.k - int(dec.fit_intercept)
        F = (r2 / dec.k) / ((1 - r2) / df2) if df2 > 0 else np.full_like(r2, np.nan)
    F = np.where(r2 >= 1, np.inf, F)
    pval = stats.f.sf(F, dec.k, df2) if df2 > 0 else np.full_like(r2, np.nan)
    return {"partial_r2": r2, "F": F, "pvalue": pval}


def kclass_covariance(
    X: np.ndarray,
    y: np.ndarray,
    Z: np.ndarray | None,
    dec: _Decomposition,
    coef: np.ndarray,
    kappa: float,
    cov_type: str,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Covariance of ``[intercept, coef]`` (or ``coef``) of the k-class estimator.

    The k-class estimator is b = (W'X1)^{-1} W'y with W = (I - kappa M_Z1) X1 (X1, Z1: with the constant).
    ``nonrobust``: s^2 (X1'(I - kappa M)X1)^{-1} with s^2 = e'e / (n - p1) (linearmodels' "unadjusted" with
    ``debiased=True``). ``HC0``/``HC1``: sandwich with meat sum e_i^2 w_i w_i' (HC1 scales by n / (n - p1));
    at kappa = 1 this is linearmodels' "robust" covariance, at kappa = 0 statsmodels' OLS HC covariance.
    ``cluster``: meat sum_g s_g s_g' with the statsmodels small-sample factor.
    """
    n, p = X.shape
    icpt = intercept_of(dec, coef)
    e = y - X @ coef - icpt
    p1 = p + int(dec.fit_intercept)
    Vinv = kclass_bread_inverse(dec, kappa)
    if cov_type == "nonrobust":
        s2 = float(e @ e) / (n - p1)
        cov = s2 * Vinv
        return (cov + cov.T) / 2
    W = kclass_scores(X, y, Z, dec, coef, kappa)
    if cov_type == "cluster":
        codes, n_groups = _group_codes(groups)
        S = np.zeros((n_groups, p1))
        np.add.at(S, codes, W)
        meat = S.T @ S
        scale = n_groups / (n_groups - 1) * (n - 1) / (n - p1) if n_groups > 1 else 1.0
    else:
        meat = W.T @ W
        scale = n / (n - p1) if cov_type == "HC1" else 1.0
    cov = scale * (Vinv @ meat @ Vinv)
    return (cov + cov.T) / 2


def kclass_bread_inverse(dec: _Decomposition, kappa: float) -> np.ndarray:
    """Inverse of V = X1'(I - kappa M_Z1)X1 (X1 with the constant when fitted), from the small factor."""
    n, p = dec.n, dec.p
    p1 = p + int(dec.fit_intercept)
    w_erm, w_iv = 1.0 - kappa, kappa
    core = w_erm * (dec.Tx.T @ dec.Tx) + w_iv * (dec.A.T @ dec.A)
    if dec.fit_intercept:
        xm = dec.x_mean
        V = np.empty((p1, p1))
        V[0, 0] = n
        V[0, 1:] = V[1:, 0] = n * xm
        V[1:, 1:] = core + n * np.outer(xm, xm)
    else:
        V = core
    return np.linalg.inv(V)


def kclass_scores(
    X: np.ndarray,
    y: np.ndarray,
    Z: np.ndarray | None,
    dec: _Decomposition,
    coef: np.ndarray,
    kappa: float,
) -> np.ndarray:
    """Rows e_i w_i of the sandwich meat, w_i = rows of (1 - kappa) X1 + kappa P_Z1 X1 (works on any row block)."""
    n = X.shape[0]
    p1 = dec.p + int(dec.fit_intercept)
    e = y - X @ coef - intercept_of(dec, coef)
    w_erm, w_iv = 1.0 - kappa, kappa
    if w_iv != 0:
        Rzz = dec.R[: dec.k, : dec.k]
        coefs_z = sla.solve_triangular(Rzz, dec.A)  # Zc @ coefs_z = Q_Z A = P_Zc Xc
        proj = Z @ coefs_z - dec.z_mean @ coefs_z + dec.x_mean  # P_Z1 X (uncentred)
        Wx = w_erm * X + w_iv * proj
    else:
        Wx = X
    if dec.fit_intercept:
        W = np.empty((n, p1))
        W[:, 0] = 1.0
        W[:, 1:] = Wx
    else:
        W = np.array(Wx, dtype=np.float64, copy=True)
    W *= e[:, None]
    return W


def _group_codes(groups: np.ndarray | None) -> tuple[np.ndarray, int]:
    if groups is None:
        raise ValueError("cov_type='cluster' needs groups.")
    _, codes = np.unique(groups, return_inverse=True)
    return codes.ravel(), int(codes.max()) + 1
