"""Weak-instrument-robust inference for the k-class family: Anderson-Rubin tests and confidence sets.

Everything here uses two small triangular factors computed at fit time from the solver's factor of
``[Z, X, y]`` (so it works unchanged after a dask fit): with the exogenous controls (and the constant) partialled
out, ``Rp`` is the factor of ``P_Zt [X_e, y]`` and ``Rm`` that of ``M_Z [X_e, y]`` (``X_e``: the endogenous
regressors, ``Zt``: the excluded instruments residualised on the controls). The quadratic forms of every
Anderson-Rubin-type statistic are ``v' Rp'Rp v`` and ``v' Rm'Rm v``.

The statistics and degrees of freedom follow ``ivmodels`` (Londschien and Buehlmann, 2024) with its default
chi-squared critical values; like there, they assume homoskedastic errors.

- full-vector AR test of ``beta_e = beta0`` (Anderson and Rubin, 1949): ``(n - k) / q * ||P r||^2 / ||M r||^2``
  with ``r = y - X_e beta0``, ``q`` excluded instruments, ``k`` instruments in all (controls and constant included);
  ``chi2(q) / q`` under the null, whatever the instruments' strength;
- subvector AR test of one coefficient (Guggenberger, Kleibergen, Mavroeidis and Chen, 2012): the same statistic
  minimised over the other endogenous coefficients (LIML), ``q - m_w`` degrees of freedom;
- LIML J test of the overidentifying restrictions: ``(n - k) (kappa_LIML - 1)``, ``chi2(q - m)``;
- Anderson's (Cragg-Donald) rank test of ``rank(Pi) < m``: ``(n - k) lambda_min``, ``chi2(q - m + 1)``.
- conditional likelihood-ratio test (Moreira, 2003) of one coefficient, with ivmodels' conditioning statistic
  for the subvector case, and its inversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import scipy.linalg as sla
from scipy import stats

from . import _solver

__all__ = ["ConfidenceSet"]


def weak_iv_factors(dec: _solver._Decomposition) -> tuple[np.ndarray, np.ndarray, int, int]:
    """``(Rp, Rm, q, dfd)``: factors of ``P_Zt [X_e, y]`` and ``M_Z [X_e, y]``, excluded instruments, and
    ``n - k - fit_intercept`` (see the module docstring)."""
    k, p = dec.k, dec.p
    exo = _solver.exogenous_columns(dec)
    endog = np.flatnonzero(~exo)
    P = np.column_stack([dec.A[:, endog], dec.c])
    if exo.any():
        Qc = np.linalg.qr(dec.A[:, exo])[0]
        P = P - Qc @ (Qc.T @ P)
    M = np.column_stack([dec.R[k:, k : k + p][:, endog], dec.Ty[k:]])
    m1 = endog.size + 1
    Rp = _square_r(P, m1)
    Rm = _square_r(M, m1)
    return Rp, Rm, k - int(exo.sum()), dec.n - k - int(dec.fit_intercept)


def _square_r(M: np.ndarray, m1: int) -> np.ndarray:
    R = np.zeros((m1, m1))
    if M.shape[0]:
        r = sla.qr(M, mode="r")[0]
        R[: min(r.shape[0], m1)] = r[:m1]
    return R


def _min_ratio(Gp: np.ndarray, Gm: np.ndarray) -> float:
    """Smallest generalised eigenvalue of (Gp, Gm): min over v of v'Gp v / v'Gm v (NaN when ``Gm`` is singular:
    the first-stage residuals are collinear, as with too few samples)."""
    try:
        return float(sla.eigh(Gp, Gm, eigvals_only=True, subset_by_index=[0, 0])[0])
    except np.linalg.LinAlgError:
        return np.nan


@dataclass
class ConfidenceSet:
    """A one-dimensional confidence set from an inverted test: a union of intervals (possibly unbounded or empty).

    Attributes
    ----------
    intervals : list of (float, float)
        Disjoint closed intervals in increasing order; ``-inf`` / ``inf`` for unbounded ends; empty for the empty
        set.
    variable : str
    test : str
    alpha : float
        One minus the confidence level.
    """

    intervals: list[tuple[float, float]]
    variable: str
    test: str
    alpha: float

    @property
    def is_bounded(self) -> bool:
        return all(np.isfinite(v) for iv in self.intervals for v in iv)

    @property
    def is_empty(self) -> bool:
        return not self.intervals

    def __contains__(self, value: float) -> bool:
        return any(lo <= value <= hi for lo, hi in self.intervals)

    def length(self) -> float:
        return float(sum(hi - lo for lo, hi in self.intervals))

    def _set_text(self) -> str:
        if not self.intervals:
            return "empty set"
        return " U ".join(f"[{lo:.6g}, {hi:.6g}]" for lo, hi in self.intervals)

    def __repr__(self) -> str:
        level = f"{100 * (1 - self.alpha):g}%"
        return f"<{self.test} {level} confidence set for {self.variable!r}: {self._set_text()}>"

    def __str__(self) -> str:
        return self._set_text()


def ar_test(
    Rp: np.ndarray, Rm: np.ndarray, q: int, dfd: int, beta0: np.ndarray
) -> tuple[float, float]:
    """Full-vector AR statistic and chi-squared p-value for ``beta_e = beta0``."""
    v = np.r_[-np.asarray(beta0, dtype=float), 1.0]
    num = float(np.sum((Rp @ v) ** 2))
    den = float(np.sum((Rm @ v) ** 2))
    if dfd <= 0 or q <= 0 or den <= 0:
        return np.nan, np.nan
    stat = num / den * dfd / q
    return stat, float(stats.chi2.sf(stat * q, q))


def subvector_ar_test(
    Rp: np.ndarray, Rm: np.ndarray, q: int, dfd: int, j: int, beta0: float
) -> tuple[float, float]:
    """AR statistic for coefficient ``j`` of the endogenous regressors, minimised over the others."""
    m = Rp.shape[1] - 1
    others = [i for i in range(m) if i != j]
    if not others:
        return ar_test(Rp, Rm, q, dfd, np.array([beta0]))
    # columns [W, y - x_j beta0] of [X_e, y]
    T = np.zeros((m + 1, len(others) + 1))
    for c, i in enumerate(others):
        T[i, c] = 1.0
    T[j, -1] = -beta0
    T[m, -1] = 1.0
    dfn = q - len(others)
    if dfd <= 0 or dfn <= 0:
        return np.nan, np.nan
    ratio = _min_ratio((Rp @ T).T @ (Rp @ T), (Rm @ T).T @ (Rm @ T))
    stat = ratio * dfd / dfn
    return stat, float(stats.chi2.sf(stat * dfn, dfn))


def ar_confidence_set(
    Rp: np.ndarray, Rm: np.ndarray, q: int, dfd: int, j: int, alpha: float
) -> list[tuple[float, float]]:
    """Inverted (subvector) AR test for coefficient ``j``: ``{b : p_value(b) > alpha}`` as intervals.

    The joint acceptance region of ``(beta_j, gamma)`` is the quadric ``v'(Gp - c Gm)v <= 0`` with
    ``v = (-beta_j, -gamma, 1)`` and ``c = chi2_{1-alpha}(q - m_w) / (n - k)``; its projection on ``beta_j``
    minimises over ``gamma`` (a Schur complement when the ``gamma`` block is positive definite; otherwise the
    quadric is unbounded below in ``gamma`` and the set is the whole line).
    """
    m = Rp.shape[1] - 1
    others = [i for i in range(m) if i != j]
    dfn = q - len(others)
    _check_dfs(q, m, dfn, dfd)
    return _projected_set(Rp, Rm, j, stats.chi2.ppf(1 - alpha, dfn) / dfd)


def _check_dfs(q: int, m: int, dfn: int, dfd: int) -> None:
    if dfn <= 0:
        raise ValueError(
            f"the confidence set needs at least as many excluded instruments ({q}) as endogenous regressors "
            f"({m}): the coefficient is not identified."
        )
    if dfd <= 0:
        raise ValueError(
            "the confidence set needs residual degrees of freedom: n_samples must exceed the number of "
            "instruments (controls and constant included)."
        )


def _projected_set(
    Rp: np.ndarray, Rm: np.ndarray, j: int, crit: float
) -> list[tuple[float, float]]:
    """``{b_j : min over the other coefficients of the ratio ||P r||^2 / ||M r||^2 <= crit}`` as intervals."""
    m = Rp.shape[1] - 1
    others = [i for i in range(m) if i != j]
    G = Rp.T @ Rp - crit * (Rm.T @ Rm)  # quadratic form in (coefficients, then -1 for y)
    # quad(b, g) = [b, g, -1] G [b, g, -1]' with the sign of y's entry flipped: use u = (b, g) and
    # quad = u' Guu u - 2 u' Guy + Gyy
    idx = [j, *others]
    Guu = G[np.ix_(idx, idx)]
    Guy = G[idx, m]
    Gyy = G[m, m]
    if others:
        Aww = Guu[1:, 1:]
        if np.linalg.eigvalsh(Aww).min() <= 0:
            return [(-np.inf, np.inf)]
        sol = np.linalg.solve(Aww, np.column_stack([Guu[1:, 0], Guy[1:]]))
        a = Guu[0, 0] - Guu[0, 1:] @ sol[:, 0]
        b = Guy[0] - Guu[0, 1:] @ sol[:, 1]
        c = Gyy - Guy[1:] @ sol[:, 1]
    else:
        a, b, c = Guu[0, 0], Guy[0], Gyy
    # a x^2 - 2 b x + c <= 0
    disc = b * b - a * c
    if a > 0:
        if disc < 0:
            return []
        r = np.sqrt(disc)
        return [((b - r) / a, (b + r) / a)]
    if a < 0:
        if disc <= 0:
            return [(-np.inf, np.inf)]
        r = np.sqrt(disc)
        lo, hi = sorted(((b + r) / a, (b - r) / a))
        return [(-np.inf, lo), (hi, np.inf)]
    # a == 0: a half-line (or everything / nothing)
    if b > 0:
        return [(c / (2 * b), np.inf)]
    if b < 0:
        return [(-np.inf, c / (2 * b))]
    return [(-np.inf, np.inf)] if c <= 0 else []


def j_test(Rp: np.ndarray, Rm: np.ndarray, q: int, dfd: int) -> tuple[float, float]:
    """LIML J (Anderson-Rubin overidentification) statistic and p-value; NaN when exactly identified."""
    m = Rp.shape[1] - 1
    if q <= m or dfd <= 0:
        return np.nan, np.nan
    stat = dfd * _min_ratio(Rp.T @ Rp, Rm.T @ Rm)
    return stat, float(stats.chi2.sf(stat, q - m))


def rank_test(Rp: np.ndarray, Rm: np.ndarray, q: int, dfd: int) -> tuple[float, float]:
    """Anderson's (Cragg-Donald) test of ``rank(Pi) < m`` for the endogenous regressors' first stage."""
    m = Rp.shape[1] - 1
    if q < m or dfd <= 0:
        return np.nan, np.nan
    Px, Mx = Rp[:, :m], Rm[:, :m]
    stat = dfd * _min_ratio(Px.T @ Px, Mx.T @ Mx)
    return stat, float(stats.chi2.sf(stat, q - m + 1))


def _clr_critical_value(k: int, lam: float, z: float) -> float:
    """P(CLR > z | conditioning statistic ``lam``) for one coefficient of interest with ``k`` instruments
    (Moreira 2003; the Beta-integral form of ivmodels' ``conditional_likelihood_ratio_critical_value_function``
    with ``mx = 1``), integrated to absolute precision 1e-10."""
    from scipy import integrate, special

    if z <= 0:
        return 1.0
    if k == 1 or lam <= 0:
        return float(stats.chi2.sf(z, k))
    alpha, beta = (k - 1) / 2.0, 0.5
    a = lam / (z + lam)
    const = np.power(a, -alpha - beta + 1) / special.beta(alpha, beta)
    res = integrate.quad(
        lambda t: const * special.gammainc(k / 2.0, z / 2.0 / t),
        1 - a,
        1,
        weight="alg",
        wvar=(beta - 1, alpha - 1),
        epsabs=1e-10,
        epsrel=1e-10,
        limit=200,
    )[0]
    return float(max(np.finfo(np.float64).eps, 1 - res))


def _two_smallest(Gp: np.ndarray, Gm: np.ndarray) -> np.ndarray:
    return np.sort(sla.eigh(Gp, Gm, eigvals_only=True, subset_by_index=[0, 1]))


def clr_test(
    Rp: np.ndarray, Rm: np.ndarray, q: int, dfd: int, j: int, beta0: float
) -> tuple[float, float]:
    """Conditional likelihood-ratio test (Moreira 2003; subvector version of Kleibergen 2021 / ivmodels) of
    coefficient ``j`` of the endogenous regressors equal to ``beta0``: ``(statistic, p_value)``."""
    m = Rp.shape[1] - 1
    mw = m - 1
    if dfd <= 0 or q - mw <= 0:
        return np.nan, np.nan
    Gp, Gm = Rp.T @ Rp, Rm.T @ Rm
    lam1, lam2 = _two_smallest(Gp, Gm)
    ar = subvector_ar_test(Rp, Rm, q, dfd, j, beta0)[0] * (q - mw) / dfd  # ratio units
    statistic = dfd * (ar - lam1)
    s_min = dfd * (lam1 + lam2 - ar)
    return float(statistic), _clr_critical_value(q - mw, s_min, statistic)


def clr_confidence_set(
    Rp: np.ndarray, Rm: np.ndarray, q: int, dfd: int, j: int, alpha: float
) -> list[tuple[float, float]]:
    """Inverted CLR test for coefficient ``j``, as ivmodels' ``inverse_conditional_likelihood_ratio_test``.

    The CLR acceptance region lies between two AR-type sets (critical ratios from ``chi2(1)`` and
    ``chi2(q - m_w)`` quantiles shifted by the smallest eigenvalue); each boundary is the root of
    ``p_value(b) - alpha`` between the inner and the outer boundary (Brent's method to 1e-12 relative). With as
    many instruments as endogenous regressors the CLR test is the AR test.
    """
    m = Rp.shape[1] - 1
    mw = m - 1
    _check_dfs(q, m, q - mw, dfd)
    if q - mw == 1:
        return ar_confidence_set(Rp, Rm, q, dfd, j, alpha)
    from scipy.optimize import brentq

    lam1 = _two_smallest(Rp.T @ Rp, Rm.T @ Rm)[0]
    inner = _projected_set(Rp, Rm, j, (stats.chi2.ppf(1 - alpha, 1) + dfd * lam1) / dfd)
    outer = _projected_set(Rp, Rm, j, (stats.chi2.ppf(1 - alpha, q - mw) + dfd * lam1) / dfd)

    def f(b):
        return alpha - clr_test(Rp, Rm, q, dfd, j, b)[1]

    def root(a, b):
        # f(a) < 0 (accepted); f(b) >= 0 (rejected) or b infinite: search outwards, at most 1e12 x the scale
        if np.isinf(b):
            scale = max(1.0, abs(a))
            step, inner_end = scale, a
            while step <= 1e12 * scale:
                c = a + np.sign(b) * step
                if f(c) >= 0:
                    return brentq(f, inner_end, c, xtol=1e-14, rtol=1e-12, maxiter=500)
                inner_end, step = c, step * 10
            return b
        return brentq(f, a, b, xtol=1e-14, rtol=1e-12, maxiter=500)

    from scipy.optimize import minimize_scalar

    out = []
    for lo_out, hi_out in outer:
        inside = [iv for iv in inner if lo_out <= iv[0] and iv[1] <= hi_out]
        if not inside:  # pragma: no cover - the inner set lies in the outer one
            continue
        start = inside[0][0] if np.isinf(inside[0][0]) else root(inside[0][0], lo_out)
        for (_, h), (l2, _) in pairwise(inside):
            # a gap between two inner pieces: rejected somewhere in it?
            best = minimize_scalar(lambda b: -f(b), bounds=(h, l2), method="bounded")
            if f(best.x) > 0:
                out.append((float(start), float(brentq(f, h, best.x, xtol=1e-14, rtol=1e-12))))
                start = brentq(f, l2, best.x, xtol=1e-14, rtol=1e-12)
        end = inside[-1][1] if np.isinf(inside[-1][1]) else root(inside[-1][1], hi_out)
        out.append((float(start), float(end)))
    return out
