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

import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as sla
from scipy import stats

from .._base.inference import sandwich_cov
from .._base.validation import check_random_state
from ..exceptions import IllConditionedWarning, WeakInstrumentWarning

__all__: list[str] = []

_EPS = np.finfo(float).eps
# Regressors whose centred, unit-norm design has a condition number beyond 1 / _COLLINEAR_RTOL are collinear
# (a ValueError names them); beyond _ILL_CONDITIONED the fit goes on with an IllConditionedWarning. Rounding
# costs about log10(condition number) of double precision's 16 digits in the coefficients and standard errors.
_COLLINEAR_RTOL = 1e-12
_ILL_CONDITIONED = 1e10


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
    # the centring actually applied is (v - mean) - mean_lo: a second pass removes the rounding of a first
    # mean, which matters for large offsets (x_mean above is the rounded sum, used for the intercept)
    mean_passes: tuple[np.ndarray, np.ndarray] | None = None

    def centre(self, v: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Columns ``start:stop`` of ``[Z, X, y]`` given as ``v``, centred exactly as in the factorisation."""

        def part(a):
            a = a[start:stop]
            return a if v.ndim > 1 else a[0]

        if self.mean_passes is None:
            return v - part(np.concatenate([self.z_mean, self.x_mean, [self.y_mean]]))
        first, second = self.mean_passes
        return (v - part(first)) - part(second)

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


def local_random_state(seed: Any) -> np.random.RandomState:
    """:func:`causalkit._base.check_random_state` with the argument checked by name first.

    ``None`` (and numpy's global RandomState itself) give a fresh RandomState seeded from OS entropy, so drawing
    from it leaves ``np.random``'s global state alone; ints and RandomState instances behave as in
    scikit-learn. Anything else is a TypeError, an int outside ``[0, 2**32)`` a ValueError, both naming
    ``random_state``.
    """
    if seed is np.random.mtrand._rand:
        seed = None
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.random.RandomState))
    ):
        raise TypeError(
            f"random_state must be None, an int or a numpy RandomState; got {type(seed).__name__}."
        )
    if isinstance(seed, numbers.Integral) and not 0 <= seed < 2**32:
        raise ValueError(f"random_state must be an int in [0, 2**32 - 1]; got {seed}.")
    return check_random_state(seed)


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
        # second pass: removes the rounding error of the first mean (large offsets such as timestamps), so the
        # centred columns are orthogonal to the constant to working precision
        second = M.mean(axis=0)
        M -= second
        passes = (means, second)
        means = means + second
    else:
        means = np.zeros(m)
        passes = None
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
        mean_passes=passes,
    )
    check_instrument_rank(dec)
    return dec


def check_instrument_rank(dec: _Decomposition) -> None:
    """Raise when the (centred) instruments are rank-deficient, from the diagonal of ``R``."""
    n, k, R, fit_intercept = dec.n, dec.k, dec.R, dec.fit_intercept
    if k:
        d = np.abs(np.diag(R)[:k])
        col_norm = np.sqrt(np.sum(R[:, :k] ** 2, axis=0))
        # relative to each column's own norm (invariant to rescaling an instrument); a column constant up to
        # the rounding of its mean is zero after centring
        tol = max(n, k) * _EPS * 10 * col_norm
        dead = _constant_columns(col_norm, dec.z_mean, n) if fit_intercept else col_norm == 0
        good = (d > tol) & ~dead
        rank = int(np.sum(good))
        if rank < k or n - int(fit_intercept) < k:
            which = ""
            if np.any(dead):
                which += f" columns {np.flatnonzero(dead).tolist()} are constant" + (
                    " (collinear with the intercept)" if fit_intercept else ""
                )
            dep = np.flatnonzero(~good & ~dead)
            if dep.size:
                which += (";" if which else "") + (
                    f" columns {dep.tolist()} are linear combinations of earlier columns"
                )
            if not which:
                which = f" more instruments than samples{' minus one' if fit_intercept else ''}"
            raise ValueError(
                f"instruments are rank-deficient (rank {rank} of {k} columns"
                f"{' after centring' if fit_intercept else ''}, n={n}):{which}; drop collinear or "
                "constant instrument columns."
            )


def _constant_columns(col_norm: np.ndarray, mean: np.ndarray, n: int) -> np.ndarray:
    """Centred columns that are zero up to the rounding of their mean (the column was constant)."""
    return col_norm <= 64 * _EPS * np.sqrt(n) * np.abs(mean)


def _label(j: int, names: Any) -> str:
    return repr(str(names[j])) if names is not None else str(j)


def _labels(cols: list[int], names: Any) -> str:
    if names is None:
        return "[" + ", ".join(str(j) for j in cols) + "]"
    return "[" + ", ".join(repr(str(names[j])) for j in cols) + "]"


def check_design(dec: _Decomposition, names: Any = None) -> float:
    """Refuse constant and collinear regressors; return the condition number of the scaled, centred design.

    Works on the factor only: ``Tx`` has the column norms and angles of the (centred) X. A column that is constant
    (with an intercept) or all zeros, or that is a linear combination of earlier columns up to a relative
    tolerance ``_COLLINEAR_RTOL`` (after scaling every column to unit norm, so units do not matter), raises a
    ValueError naming the columns (by feature name when X had them). The returned condition number is that of
    the unit-norm-column design: it measures how many digits double precision loses, independent of units
    and, with an intercept, of offsets.
    """
    n, p = dec.n, dec.p
    Tx = dec.Tx
    norms = np.sqrt(np.sum(Tx**2, axis=0))
    if dec.fit_intercept:
        const = np.flatnonzero(_constant_columns(norms, dec.x_mean, n))
        if const.size:
            which = (
                "column " + _label(int(const[0]), names)
                if const.size == 1
                else "columns " + _labels([int(j) for j in const], names)
            )
            verb = "is" if const.size == 1 else "are"
            raise ValueError(
                f"X {which} {verb} constant, so collinear with the intercept (fit_intercept=True). Drop "
                f"{'it' if const.size == 1 else 'them'}, or set fit_intercept=False to let a constant column "
                "play the intercept."
            )
    else:
        zero = np.flatnonzero(norms == 0)
        if zero.size:
            raise ValueError(
                f"X column {_label(int(zero[0]), names)} is all zeros; its coefficient is not identified. "
                "Drop it."
            )
    Te = Tx / norms
    s = np.linalg.svd(Te, compute_uv=False)
    cond = float(s[0] / s[-1]) if s[-1] > 0 else np.inf
    if cond * _COLLINEAR_RTOL > 1:
        # column j depends on columns 0..j-1 when its component orthogonal to them is negligible
        Rq = sla.qr(Te, mode="r")[0][:p]
        d = np.abs(np.diag(Rq))
        dep = np.flatnonzero(d <= _COLLINEAR_RTOL * s[0])
        j = int(dep[0]) if dep.size else int(np.argmin(d))
        if j:
            c = np.linalg.lstsq(Te[:, :j], Te[:, j], rcond=None)[0]
            involved = [int(i) for i in np.flatnonzero(np.abs(c) > 1e-6 * np.abs(c).max())]
        else:  # pragma: no cover - the first column alone is never dependent (its norm is nonzero)
            involved = []
        raise ValueError(
            f"X columns are collinear (condition number {cond:.3g} of the centred design with unit-norm "
            f"columns, beyond {1 / _COLLINEAR_RTOL:.0e}): X column {_label(j, names)} is a linear combination "
            f"of columns {_labels(involved, names)}. Drop one of them."
        )
    return cond


def warn_ill_conditioned(cond: float, stacklevel: int) -> None:
    """IllConditionedWarning when double precision cannot deliver accurate coefficients and SEs."""
    if cond > _ILL_CONDITIONED:
        warnings.warn(
            f"The design is ill-conditioned (condition number {cond:.3g} of the centred regressors scaled to "
            f"unit norm, beyond {_ILL_CONDITIONED:.0e}): coefficients and standard errors in the nearly "
            f"collinear directions carry only about {max(0, int(16 - np.log10(cond)))} correct digits.",
            IllConditionedWarning,
            stacklevel=stacklevel + 1,
        )


def iv_rank(dec: _Decomposition) -> int:
    """Rank of P_Z X (numerically): the IV problem identifies ``rank`` directions of the ``p``.

    Each column of ``A = Q_Z' X`` is scaled by the norm of its (centred) regressor, so the rank does not depend
    on the regressors' units.
    """
    if dec.k == 0:
        return 0
    norms = np.sqrt(np.sum(dec.Tx**2, axis=0))
    norms = np.where(norms > 0, norms, 1.0)
    s = np.linalg.svd(dec.A / norms, compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0
    return int(np.sum(s > max(dec.A.shape) * np.finfo(float).eps * s[0] * 10))


def solve_kclass(
    dec: _Decomposition, kappa: float, *, warn_underidentified: bool = True, stacklevel: int = 2
) -> np.ndarray:
    """Slope coefficients of the k-class estimator with parameter ``kappa`` (any real ``kappa``).

    ``kappa = 1`` (the IV limit) falls back, when the IV problem is under-identified, to the constrained
    alpha -> 0+ solution: least squares on X subject to the IV normal equations (never the min-norm pseudo-inverse).
    ``stacklevel`` is that of a warning issued by the caller (the under-identification warning points there).
    """
    A, c, Tx, Ty = dec.A, dec.c, dec.Tx, dec.Ty
    if dec.k == 0 and kappa != 0:
        raise ValueError("instruments are required for kappa != 0.")
    if kappa == 0:
        return np.linalg.lstsq(Tx, Ty, rcond=None)[0]
    if kappa == 1:
        return _constrained_iv(dec, warn_underidentified, stacklevel + 2)
    if 0 < kappa < 1:
        # kappa in (0, 1): stacked least squares, (1-kappa)||Tx b - Ty||^2 + kappa ||A b - c||^2
        a, b = np.sqrt(1.0 - kappa), np.sqrt(kappa)
        lhs = np.vstack([a * Tx, b * A])
        rhs = np.concatenate([a * Ty, b * c])
        return np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    if kappa < 0:
        # Tx'Tx = A'A + B'B (B: rows below the instruments), so the objective is ||A b - c||^2 +
        # (1 - kappa) ||B b - d||^2: stacked least squares again
        k = dec.k
        w = np.sqrt(1.0 - kappa)
        lhs = np.vstack([A, w * Tx[k:]])
        rhs = np.concatenate([c, w * Ty[k:]])
        return np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    # kappa > 1 (LIML, Fuller): indefinite weights. With Tx = Q L (L from the QR of Tx), the normal equations
    # are L' C L b = L' h with C = I - kappa Qb'Qb (Qb: rows of Q below the instruments), never forming X'X.
    L, C = bread_factor(dec, kappa)
    Q = sla.solve_triangular(L, Tx.T, trans="T").T  # Tx L^{-1}: orthonormal columns
    Qa, Qb = Q[: dec.k], Q[dec.k :]
    h = Qa.T @ c + (1.0 - kappa) * (Qb.T @ Ty[dec.k :])
    try:
        u = np.linalg.solve(C, h)
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            f"the k-class normal equations are singular at kappa={kappa:.6g}; use a smaller kappa."
        ) from exc
    return sla.solve_triangular(L, u)


def solve_ivl(
    dec: _Decomposition, alpha: float, *, warn_underidentified: bool = True, stacklevel: int = 2
) -> np.ndarray:
    """IVL coefficients: argmin ||P_Z(y - Xb)||^2 + alpha ||y - Xb||^2 (alpha in [0, inf])."""
    if np.isinf(alpha):
        return solve_kclass(dec, 0.0)
    if alpha == 0:
        return solve_kclass(
            dec, 1.0, warn_underidentified=warn_underidentified, stacklevel=stacklevel + 1
        )
    # weights computed without cancellation: 1 - kappa = alpha / (1 + alpha)
    w_erm, w_iv = alpha / (1.0 + alpha), 1.0 / (1.0 + alpha)
    a, b = np.sqrt(w_erm), np.sqrt(w_iv)
    lhs = np.vstack([a * dec.Tx, b * dec.A])
    rhs = np.concatenate([a * dec.Ty, b * dec.c])
    return np.linalg.lstsq(lhs, rhs, rcond=None)[0]


def _constrained_iv(dec: _Decomposition, warn: bool, stacklevel: int) -> np.ndarray:
    # in units where every (centred) regressor has unit norm, as iv_rank: u = norms * b
    norms = np.sqrt(np.sum(dec.Tx**2, axis=0))
    norms = np.where(norms > 0, norms, 1.0)
    A, c, Tx, Ty = dec.A / norms, dec.c, dec.Tx / norms, dec.Ty
    U, s, Vt = np.linalg.svd(A, full_matrices=True)
    r = iv_rank(dec)
    h0 = Vt[:r].T @ ((U[:, :r].T @ c) / s[:r])
    if r == dec.p:
        return h0 / norms
    if warn:
        warnings.warn(
            f"The IV problem is under-identified: the instruments identify {r} of the {dec.p} regressor "
            "directions (fewer instruments than regressors, or P_Z X is rank-deficient). Returning the "
            "alpha -> 0+ limit of IVL: least squares on X subject to the IV normal equations.",
            WeakInstrumentWarning,
            stacklevel=stacklevel,
        )
    N = Vt[r:].T  # null space of A
    t = np.linalg.lstsq(Tx @ N, Ty - Tx @ h0, rcond=None)[0]
    return (h0 + N @ t) / norms


def liml_kappa(dec: _Decomposition) -> float:
    """LIML's kappa: smallest eigenvalue of (W' M_Z W)^{-1} (W' M_1 W), W = [y, X]."""
    if dec.k < dec.p:
        raise ValueError(
            f"kappa='liml' needs at least as many instruments as regressors; got {dec.k} instruments for "
            f"{dec.p} regressors."
        )
    T = dec.R[:, dec.k :]  # [X, y] part, all rows: W'M_1 W = T'T
    T0 = dec.R[dec.k :, dec.k :]  # rows below the instruments: W'M_Z W = T0'T0
    # Exogenous regressors (listed in X and among the instruments) have zero residual on the instruments. The
    # finite generalised eigenvalues are then those of the problem with them partialled out (linearmodels'
    # LIML with exog): drop them from T0 and replace T by its part orthogonal to them.
    exo = np.r_[exogenous_columns(dec), False]  # y is never a control
    if exo.any():
        order = np.r_[np.flatnonzero(exo), np.flatnonzero(~exo)]
        n_exo = int(exo.sum())
        T = sla.qr(T[:, order], mode="r")[0][n_exo : T.shape[1], n_exo:]
        T0 = T0[:, ~exo]
    # smallest generalised eigenvalue of (T'T, T0'T0) = smallest squared singular value of T R0^{-1}, with
    # R0 the triangular factor of T0 (no cross-product matrix is formed)
    R0 = sla.qr(T0, mode="r")[0][: T.shape[1]]
    d = np.abs(np.diag(R0))
    scale = np.sqrt(np.sum(T0**2, axis=0))
    if d.size < T.shape[1] or np.any(d <= max(T.shape) * _EPS * 10 * np.maximum(scale, 1e-300)):
        raise ValueError(
            "kappa='liml': the residuals of [y, X] on the instruments are linearly dependent, so LIML's "
            "kappa is not defined."
        )
    M = sla.solve_triangular(R0, T.T, trans="T").T
    s = np.linalg.svd(M, compute_uv=False)
    return float(s[-1] ** 2)


def intercept_of(dec: _Decomposition, coef: np.ndarray) -> float:
    return float(dec.y_mean - dec.x_mean @ coef) if dec.fit_intercept else 0.0


def exogenous_columns(dec: _Decomposition) -> np.ndarray:
    """Boolean mask of the X columns that lie in the span of the instruments: the exogenous controls.

    A regressor listed both in ``X`` and among the instruments (the convention of statsmodels' IV2SLS, or added
    there by ``controls=``) has zero residual on the instruments, up to rounding relative to its own norm.
    """
    k, p = dec.k, dec.p
    if k == 0:
        return np.zeros(p, dtype=bool)
    norm_all = np.sqrt(np.sum(dec.R[:, k : k + p] ** 2, axis=0))
    norm_res = np.sqrt(np.sum(dec.R[k:, k : k + p] ** 2, axis=0))
    return norm_res <= 1e-10 * np.maximum(norm_all, 1e-300)


@dataclass
class _FirstStage:
    """First-stage diagnostics of the endogenous regressors, the controls partialled out (see :func:`first_stage`)."""

    endog: np.ndarray  # indices of the endogenous X columns
    partial_r2: np.ndarray
    partial_F: np.ndarray
    p_value: np.ndarray
    sw_F: (
        np.ndarray | None
    )  # Sanderson-Windmeijer conditional F (several endogenous regressors only)
    df: tuple[int, int]  # (excluded instruments, residual degrees of freedom)

    def table(self) -> np.ndarray:
        cols = [self.partial_r2, self.partial_F, self.p_value]
        if self.sw_F is not None:
            cols.append(self.sw_F)
        return np.column_stack(cols) if self.endog.size else np.empty((0, len(cols)))


def partialled_first_stage(dec: _Decomposition) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``(endog, Ae, Be, k_excl)``: the endogenous columns in the coordinates of the factor.

    ``Ae`` (k x m) holds the coordinates of ``P_Zt X_e`` (``Zt``: the instruments with the controls partialled
    out), ``Be`` the rows of ``M_Z X_e`` (``||Be_j||^2`` is the first-stage residual sum of squares), and
    ``k_excl`` the number of excluded instruments (instruments minus controls).
    """
    k, p = dec.k, dec.p
    exo = exogenous_columns(dec)
    endog = np.flatnonzero(~exo)
    A = dec.A
    Ae = A[:, endog]
    n_c = int(exo.sum())
    if n_c:
        Qc = np.linalg.qr(A[:, exo])[
            0
        ]  # orthonormal basis of the controls' span, in Q_Z coordinates
        Ae = Ae - Qc @ (Qc.T @ Ae)
    Be = dec.R[k:, k : k + p][:, endog]
    return endog, Ae, Be, k - n_c


def first_stage(dec: _Decomposition) -> _FirstStage:
    """First-stage diagnostics per endogenous regressor, with the exogenous controls partialled out.

    Controls are the X columns in the span of the instruments (:func:`exogenous_columns`); the constant is one
    when ``fit_intercept``. For each endogenous ``x_j``: the partial R^2 of ``x_j`` on the excluded instruments
    (both residualised on the controls, as linearmodels' ``first_stage.diagnostics``), the classical partial F
    test of the excluded instruments, ``F = (R^2 / q) / ((1 - R^2) / (n - k))`` with ``q`` excluded instruments
    and ``k`` instruments in all (controls and constant included), and its p-value. With several endogenous
    regressors also the Sanderson-Windmeijer (2016) conditional F of ``x_j`` given the others: the partial F of
    the residual of the IV regression of ``x_j`` on the other endogenous regressors, with ``q - m + 1``
    numerator degrees of freedom. Everything from the factor ``R`` (also on dask inputs).
    """
    endog, Ae, Be, q = partialled_first_stage(dec)
    m = endog.size
    df2 = dec.n - dec.k - int(dec.fit_intercept)
    num = np.sum(Ae**2, axis=0)
    res = np.sum(Be**2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tot = num + res
        r2 = np.where(tot > 0, num / tot, np.nan)
        if q > 0 and df2 > 0:
            F = np.where(res > 0, (num / q) / (res / df2), np.inf)
            pval = stats.f.sf(F, q, df2)
        else:
            F = np.full(m, np.nan)
            pval = np.full(m, np.nan)
    sw = None
    if m >= 2:
        sw = np.full(m, np.nan)
        q_sw = q - m + 1
        if q_sw > 0 and df2 > 0:
            for j in range(m):
                others = np.r_[0:j, j + 1 : m]
                delta = np.linalg.lstsq(Ae[:, others], Ae[:, j], rcond=None)[0]
                nj = float(np.sum((Ae[:, j] - Ae[:, others] @ delta) ** 2))
                rj = float(np.sum((Be[:, j] - Be[:, others] @ delta) ** 2))
                sw[j] = (nj / q_sw) / (rj / df2) if rj > 0 else np.inf
    return _FirstStage(endog, r2, F, pval, sw, (q, df2))


def effective_f_basis(dec: _Decomposition) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(endog, Bz, Ax)`` for :func:`effective_f_block`, from the factor.

    For a centred instrument row ``zc_i``, ``zc_i' Bz`` are its coordinates in an orthonormal basis of the
    excluded instruments with the controls partialled out (``Bz = R_zz^{-1} Qperp``, ``Qperp`` spanning the
    complement of the controls in ``Q_Z`` coordinates), and ``zc_i' Ax`` is the first-stage fit of the endogenous
    regressors on all instruments (``Ax = R_zz^{-1} A_e``).
    """
    k = dec.k
    exo = exogenous_columns(dec)
    endog = np.flatnonzero(~exo)
    Rzz = dec.R[:k, :k]
    if exo.any():
        Qfull = np.linalg.qr(dec.A[:, exo], mode="complete")[0]
        Qperp = Qfull[:, int(exo.sum()) :]
    else:
        Qperp = np.eye(k)
    Bz = sla.solve_triangular(Rzz, Qperp)
    Ax = sla.solve_triangular(Rzz, dec.A[:, endog])
    return endog, Bz, Ax


def effective_f_block(X: np.ndarray, Z: np.ndarray, dec: _Decomposition, basis) -> np.ndarray:
    """``sum_i v_i^2 ||zt_i||^2`` per endogenous regressor over a block of rows (``v``: first-stage residual on
    all instruments, ``zt``: the orthonormalised excluded instruments): the trace of the HC0 covariance of the
    first-stage coefficients in that basis, as :func:`effective_first_stage_F` needs it."""
    endog, Bz, Ax = basis
    k, p = dec.k, dec.p
    off = bool(dec.fit_intercept)
    Zc = dec.centre(Z, 0, k) if off else Z
    Xc = dec.centre(X, k, k + p)[:, endog] if off else X[:, endog]
    V = Xc - Zc @ Ax
    zt2 = np.sum((Zc @ Bz) ** 2, axis=1)
    return (V**2).T @ zt2


def effective_first_stage_F(dec: _Decomposition, trace_sum: np.ndarray) -> np.ndarray:
    """Montiel Olea and Pflueger's (2013) effective first-stage F per endogenous regressor.

    ``F_eff = pi' pi / tr(S)`` with ``pi`` the coefficients of the regressor on the orthonormalised excluded
    instruments (controls partialled out) and ``S`` their heteroskedasticity-robust covariance with the HC1
    factor ``n / (n - k)`` (``k`` instruments with controls and constant). With homoskedastic errors it is
    close to the partial F; it is the statistic their weak-instrument test compares with its critical values.
    """
    endog, Ae, _Be, q = partialled_first_stage(dec)
    df2 = dec.n - dec.k - int(dec.fit_intercept)
    if q == 0 or df2 <= 0:
        return np.full(endog.size, np.nan)
    num = np.sum(Ae**2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / (trace_sum * dec.n / df2)


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
    ``cluster``: meat sum_g s_g s_g' with the statsmodels small-sample factor (CR1). The robust sandwiches are
    :func:`causalkit._base.sandwich_cov`, applied in the coordinates below.

    Everything is computed in centred coordinates ``[1, (X - mean) L^{-1}]`` (where the bread is block diagonal
    and well scaled: :func:`bread_factor`, :func:`bread_middle`), and mapped back to ``[intercept, coef]`` by
    triangular solves at the end (:func:`covariance_from_middle`): the normal-equation matrix is never formed or
    inverted, so the standard errors keep the precision of the coefficients and do not depend on offsets of the
    regressors.
    """
    n, p = X.shape
    p1 = p + int(dec.fit_intercept)
    L, C = bread_factor(dec, kappa)
    bread = bread_middle(dec, C)
    if cov_type == "nonrobust":
        e = residuals(X, y, dec, coef)
        s2 = float(e @ e) / (n - p1)
        return covariance_from_middle(dec, L, C, s2 * bread)
    if cov_type == "cluster" and groups is None:
        raise ValueError("cov_type='cluster' needs groups.")
    U = kclass_scores(X, y, Z, dec, coef, kappa, L=L)
    mid = sandwich_cov(
        U,
        bread,
        groups=groups if cov_type == "cluster" else None,
        small_sample=cov_type != "HC0",
    )
    return covariance_from_middle(dec, L, C, mid)


def bread_factor(dec: _Decomposition, kappa: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Triangular ``L`` (p x p) and ``C`` (None for the identity) with ``core = L' C L``.

    ``core = Xc'(I - kappa M_Zc)Xc = A'A + (1 - kappa) B'B`` is the slope block of the bread in centred
    coordinates (``B``: rows of ``Tx`` below the instruments). For ``kappa <= 1`` it is a Gram matrix and ``L``
    is the triangular factor of ``[A; sqrt(1 - kappa) B]``; for ``kappa > 1`` (LIML, Fuller) ``L`` is the
    factor of ``Tx`` and ``C = I - kappa Qb'Qb`` with ``Qb = B L^{-1}`` (orthonormal-column rows), which carries
    only the strength of identification, not the scaling of the design.
    """
    k, p = dec.k, dec.p
    A, B = dec.A, dec.R[k:, k : k + p]
    if kappa <= 1:
        L = sla.qr(np.vstack([A, np.sqrt(1.0 - kappa) * B]), mode="r")[0][:p]
        return L, None
    L = sla.qr(dec.Tx, mode="r")[0][:p]
    Qb = sla.solve_triangular(L, B.T, trans="T").T
    return L, np.eye(p) - kappa * (Qb.T @ Qb)


def bread_is_positive(dec: _Decomposition, kappa: float) -> bool:
    """Whether the k-class bread X1'(I - kappa M_Z1)X1 is positive definite (always for kappa <= 1)."""
    if kappa <= 1:
        return True
    C = bread_factor(dec, kappa)[1]
    return bool(np.linalg.eigvalsh(C).min() > 10 * dec.p * _EPS)


def bread_middle(dec: _Decomposition, C: np.ndarray | None) -> np.ndarray:
    """``diag(1/n, C^{-1})``: the inverse bread in the coordinates ``[1, (X - mean) L^{-1}]``."""
    p, off = dec.p, int(dec.fit_intercept)
    G = np.zeros((p + off, p + off))
    if off:
        G[0, 0] = 1.0 / dec.n
    G[off:, off:] = np.eye(p) if C is None else _solve_sym(C, np.eye(p))
    return G


def covariance_from_middle(
    dec: _Decomposition, L: np.ndarray, C: np.ndarray | None, mid: np.ndarray
) -> np.ndarray:
    """Map a covariance in the coordinates ``[1, (X - mean) L^{-1}]`` back to ``[intercept, coef]``."""
    off = int(dec.fit_intercept)
    cov = np.array(mid, dtype=np.float64, copy=True)
    if off:
        # intercept = y_mean - x_mean' coef = y_mean - w' (L coef) with w = L^{-T} x_mean: apply the shift in
        # these well-scaled coordinates, before L^{-1} (no cancellation of huge terms)
        w = sla.solve_triangular(L, dec.x_mean, trans="T")
        cov[0, :] -= w @ cov[1:, :]
        cov[:, 0] -= cov[:, 1:] @ w
    cov[off:, :] = sla.solve_triangular(L, cov[off:, :])
    cov[:, off:] = sla.solve_triangular(L, cov[:, off:].T).T
    return (cov + cov.T) / 2


def _solve_sym(C: np.ndarray, B: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(C, B)
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            "the k-class bread is singular at this kappa (kappa > 1 too large for the instruments); no "
            "standard errors."
        ) from exc


def residuals(X: np.ndarray, y: np.ndarray, dec: _Decomposition, coef: np.ndarray) -> np.ndarray:
    """``y - intercept - X coef`` computed as ``(y - y_mean) - (X - x_mean) coef`` (no cancellation)."""
    if dec.fit_intercept:
        k, p = dec.k, dec.p
        return dec.centre(y, k + p, k + p + 1) - dec.centre(X, k, k + p) @ coef
    return y - X @ coef


def kclass_scores(
    X: np.ndarray,
    y: np.ndarray,
    Z: np.ndarray | None,
    dec: _Decomposition,
    coef: np.ndarray,
    kappa: float,
    *,
    L: np.ndarray | None = None,
) -> np.ndarray:
    """Rows ``e_i w_i`` of the sandwich meat (works on any row block), in centred coordinates.

    ``w_i = [1, (1 - kappa)(x_i - mean) + kappa (P_Zc Xc)_i]`` (the constant first when fitted), the rows of
    ``(I - kappa M_Z1) [1, Xc]``. With ``L`` the slope part is further multiplied by ``L^{-1}`` (the coordinates
    of :func:`covariance_from_middle`).
    """
    n = X.shape[0]
    off = int(dec.fit_intercept)
    k, p = dec.k, dec.p
    Wx = dec.centre(X, k, k + p) if off else np.array(X, dtype=np.float64, copy=True)
    e = (dec.centre(y, k + p, k + p + 1) if off else y) - Wx @ coef
    if kappa != 0:
        Rzz = dec.R[: dec.k, : dec.k]
        coefs_z = sla.solve_triangular(Rzz, dec.A)  # Zc @ coefs_z = Q_Z A = P_Zc Xc
        Zc = dec.centre(Z, 0, k) if off else Z
        Wx *= 1.0 - kappa
        Wx += kappa * (Zc @ coefs_z)
        del Zc
    if L is not None:
        Wx = sla.solve_triangular(L, Wx.T, trans="T", overwrite_b=True).T
    W = np.empty((n, dec.p + off))
    if off:
        W[:, 0] = 1.0
    W[:, off:] = Wx
    del Wx
    W *= e[:, None]
    return W
