"""The inference/results layer shared by every estimator.

:class:`EffectResult` holds point estimates with standard errors (analytic, sandwich or bootstrap), renders
``summary()`` as text and as HTML in notebooks, and gives confidence intervals and p-values. :func:`ols_inference`
is the one place where OLS with classical, heteroskedasticity-robust or cluster-robust covariance is computed
(through statsmodels).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["EffectResult", "Summary", "delta_method", "ols_inference", "sandwich_cov"]


class Summary:
    """A printable results summary: header lines, a table, and notes.

    ``str(summary)`` gives plain text; Jupyter renders ``_repr_html_``.
    """

    def __init__(
        self, title: str, info: Mapping[str, Any], table: pd.DataFrame, notes: Sequence[str] = ()
    ):
        self.title = title
        self.info = dict(info)
        self.table = table
        self.notes = list(notes)

    def as_text(self) -> str:
        width = max(60, len(self.title) + 4)
        lines = [self.title.center(width), "=" * width]
        for k, v in self.info.items():
            lines.append(f"{k + ':':<28}{v}")
        lines.append("-" * width)
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            lines.append(self.table.to_string(float_format=lambda x: f"{x:.4g}"))
        lines.append("=" * width)
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        info = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>"
            for k, v in self.info.items()
        )
        notes = "".join(f"<p><em>Note:</em> {n}</p>" for n in self.notes)
        return (
            f"<div><h4>{self.title}</h4><table>{info}</table>"
            f"{self.table.to_html(float_format=lambda x: f'{x:.4g}')}{notes}</div>"
        )


class EffectResult:
    """Point estimates with uncertainty, shared by all causalkit estimators.

    Parameters
    ----------
    estimate : float or array-like of shape (k,)
        Point estimate(s).
    stderr : float or array-like of shape (k,), optional
        Standard error(s). Required unless ``bootstrap_estimates`` is given.
    names : sequence of str, optional
        One name per estimate (DataFrame column names are kept by the estimators).
    method : str
        What was estimated and how (shown in the summary).
    ci_method : {"normal", "t", "percentile"}
        Normal (Wald) intervals, Student-t with ``df`` degrees of freedom, or bootstrap percentiles.
    df : float, optional
        Degrees of freedom for ``ci_method="t"``.
    bootstrap_estimates : array of shape (B,) or (B, k), optional
        Bootstrap replicates; used for percentile intervals and, when ``stderr`` is None, for the SE.
    extra : mapping of str to array-like, optional
        Further per-estimate columns shown side by side (e.g. the naive estimate).
    info : mapping, optional
        Header lines of the summary (number of observations, estimator settings, ...).
    notes : sequence of str, optional
        Notes printed under the table.

    Examples
    --------
    >>> r = EffectResult(1.0, 0.5, names=["ATE"], method="difference in means")
    >>> ci = r.conf_int(alpha=0.05)
    >>> round(ci.loc["ATE", "lower"], 3), round(ci.loc["ATE", "upper"], 3)
    (0.02, 1.98)
    >>> round(r.pvalue, 4)
    0.0455
    """

    def __init__(
        self,
        estimate: Any,
        stderr: Any = None,
        *,
        names: Sequence[str] | None = None,
        method: str = "",
        ci_method: str = "normal",
        df: float | None = None,
        bootstrap_estimates: Any = None,
        extra: Mapping[str, Any] | None = None,
        info: Mapping[str, Any] | None = None,
        notes: Sequence[str] = (),
    ):
        self._scalar = np.ndim(estimate) == 0
        self._estimate = np.atleast_1d(np.asarray(estimate, dtype=float))
        k = self._estimate.shape[0]
        self.bootstrap_estimates = None
        if bootstrap_estimates is not None:
            b = np.asarray(bootstrap_estimates, dtype=float)
            self.bootstrap_estimates = b.reshape(b.shape[0], k)
        if stderr is None:
            if self.bootstrap_estimates is None:
                self._stderr = np.full(k, np.nan)
            else:
                self._stderr = np.std(self.bootstrap_estimates, axis=0, ddof=1)
        else:
            self._stderr = np.atleast_1d(np.asarray(stderr, dtype=float))
        if self._stderr.shape != self._estimate.shape:
            raise ValueError(
                f"stderr has shape {self._stderr.shape}; expected {self._estimate.shape}."
            )
        if ci_method not in ("normal", "t", "percentile"):
            raise ValueError(f"ci_method must be 'normal', 't' or 'percentile'; got {ci_method!r}.")
        if ci_method == "percentile" and self.bootstrap_estimates is None:
            raise ValueError("ci_method='percentile' needs bootstrap_estimates.")
        if ci_method == "t" and df is None:
            raise ValueError("ci_method='t' needs df.")
        self.ci_method = ci_method
        self.df = df
        self.names = (
            [str(n) for n in names] if names is not None else [f"effect{j}" for j in range(k)]
        )
        if len(self.names) != k:
            raise ValueError(f"names has {len(self.names)} entries; expected {k}.")
        self.method = method
        self.extra = {
            key: np.atleast_1d(np.asarray(v, dtype=float)) for key, v in (extra or {}).items()
        }
        self.info = dict(info or {})
        self.notes = list(notes)

    # -- point estimates -------------------------------------------------------------------------------
    def _out(self, a: np.ndarray):
        return float(a[0]) if self._scalar else a.copy()

    @property
    def estimate(self):
        """Point estimate: a float for a single effect, else an array."""
        return self._out(self._estimate)

    @property
    def stderr(self):
        """Standard error(s)."""
        return self._out(self._stderr)

    @property
    def tstat(self):
        """Estimate divided by its standard error."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._out(self._estimate / self._stderr)

    def _dist(self):
        return stats.t(self.df) if self.ci_method == "t" else stats.norm()

    @property
    def pvalue(self):
        """Two-sided p-value of the null 'effect = 0' (Wald; bootstrap SE for bootstrap results)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.abs(self._estimate / self._stderr)
        return self._out(2 * self._dist().sf(z))

    def interval_bounds(self, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
        """Two-sided ``1 - alpha`` bounds as two arrays of shape ``(k,)`` (lower, upper)."""
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
            raise TypeError(f"alpha must be a number in (0, 1); got {type(alpha).__name__}.")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1); got {alpha}.")
        if self.ci_method == "percentile":
            replicates = self.bootstrap_estimates
            assert replicates is not None  # __init__ refuses ci_method="percentile" without them
            lo = np.quantile(replicates, alpha / 2, axis=0)
            hi = np.quantile(replicates, 1 - alpha / 2, axis=0)
        else:
            q = self._dist().ppf(1 - alpha / 2)
            lo = self._estimate - q * self._stderr
            hi = self._estimate + q * self._stderr
        return np.atleast_1d(lo), np.atleast_1d(hi)

    def conf_int(self, *, alpha: float = 0.05) -> pd.DataFrame:
        """Two-sided ``1 - alpha`` confidence intervals.

        Returns
        -------
        DataFrame with columns ``lower`` and ``upper``, one row per term (index named ``term``), the same
        shape for one effect as for many (``ci.loc["ATE", "lower"]``).
        """
        lo, hi = self.interval_bounds(alpha)
        return pd.DataFrame({"lower": lo, "upper": hi}, index=pd.Index(self.names, name="term"))

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per estimate: estimate, std_err, statistic, p_value, CI bounds and any extra columns."""
        lo, hi = self.interval_bounds(alpha)
        stat_name = "t" if self.ci_method == "t" else "z"
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = self._estimate / self._stderr
        frame = pd.DataFrame(
            {
                "estimate": self._estimate,
                "std_err": self._stderr,
                stat_name: stat,
                "p_value": np.atleast_1d(self.pvalue),
                f"ci_lower_{1 - alpha:.0%}": lo,
                f"ci_upper_{1 - alpha:.0%}": hi,
            },
            index=pd.Index(self.names, name="term"),
        )
        for key, v in self.extra.items():
            frame[key] = v
        return frame

    def summary(self, alpha: float = 0.05) -> Summary:
        """A :class:`Summary` that prints as text and renders as HTML in notebooks."""
        ci_label = {
            "normal": "normal (Wald)",
            "t": f"Student t (df={self.df:g})" if self.df is not None else "Student t",
            "percentile": f"bootstrap percentile (B={0 if self.bootstrap_estimates is None else len(self.bootstrap_estimates)})",
        }[self.ci_method]
        info = {
            "Method": self.method,
            **self.info,
            "Confidence interval": f"{1 - alpha:.0%}, {ci_label}",
        }
        return Summary("causalkit results", info, self.summary_frame(alpha), self.notes)

    def __repr__(self) -> str:
        est = np.array2string(self._estimate, precision=4)
        se = np.array2string(self._stderr, precision=4)
        return f"EffectResult(method={self.method!r}, estimate={est}, stderr={se})"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def ols_inference(
    X: np.ndarray,
    y: np.ndarray,
    *,
    add_intercept: bool = False,
    weights: np.ndarray | None = None,
    cov_type: str = "HC1",
    groups: np.ndarray | None = None,
):
    """OLS/WLS coefficients with classical, HC or cluster-robust covariance (statsmodels).

    Parameters
    ----------
    X : ndarray (n, p)
    y : ndarray (n,)
    add_intercept : bool
        Prepend a column of ones.
    weights : ndarray, optional
        WLS weights.
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}
        ``"cluster"`` needs ``groups``; giving ``groups`` implies ``"cluster"``.

    Returns
    -------
    params : ndarray (p,), cov : ndarray (p, p), df_resid : float
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import SingularMatrixWarning

    from ..exceptions import CollinearityWarning
    from .validation import user_stacklevel

    design = sm.add_constant(X, has_constant="add") if add_intercept else X
    model = sm.WLS(y, design, weights=weights) if weights is not None else sm.OLS(y, design)
    with warnings.catch_warnings(record=True) as caught:
        # statsmodels' own warning category would reach the user unnamed: it is re-raised as ours below
        warnings.simplefilter("always", SingularMatrixWarning)
        if groups is not None or cov_type == "cluster":
            if groups is None:
                raise ValueError("cov_type='cluster' needs groups.")
            codes = pd.factorize(np.asarray(groups))[0]
            res = model.fit(cov_type="cluster", cov_kwds={"groups": codes})
        else:
            res = model.fit(cov_type=cov_type)
        params, cov = np.asarray(res.params), np.asarray(res.cov_params())
    for w in caught:
        if issubclass(w.category, SingularMatrixWarning):
            message = "the regression design is rank-deficient: its coefficients are not uniquely determined"
            warnings.warn(message, CollinearityWarning, stacklevel=user_stacklevel())
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return params, cov, float(res.df_resid)


def sandwich_cov(
    scores: np.ndarray,
    bread: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    small_sample: bool = True,
) -> np.ndarray:
    r"""Sandwich (heteroskedasticity- or cluster-robust) covariance of an M-estimator.

    For estimating equations :math:`\sum_i \psi_i(\hat\theta) = 0` with summed Jacobian :math:`J`, the
    covariance is :math:`J^{-1} M J^{-\top}` with meat :math:`M = \sum_g u_g u_g^\top`, :math:`u_g` the sum of the
    scores of cluster :math:`g` (each row its own cluster without ``groups``).

    Parameters
    ----------
    scores : ndarray of shape (n, p)
        Per-observation estimating-equation contributions :math:`\psi_i` at the estimate.
    bread : ndarray of shape (p, p)
        :math:`J^{-1}`, the inverse of the summed Jacobian (for OLS: :math:`(X^\top X)^{-1}`).
    groups : array-like of shape (n,), optional
        Cluster labels (at least two clusters).
    small_sample : bool, default True
        Multiply by :math:`n/(n-p)` (HC1) or, with clusters, :math:`G/(G-1)\,(n-1)/(n-p)` (Stata's CR1).

    Returns
    -------
    ndarray of shape (p, p)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.ones(50), rng.normal(size=50)])
    >>> y = X @ [1.0, 2.0] + rng.normal(size=50)
    >>> bread = np.linalg.inv(X.T @ X)
    >>> beta = bread @ X.T @ y
    >>> cov = sandwich_cov(X * (y - X @ beta)[:, None], bread)
    >>> cov.shape
    (2, 2)
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1:
        scores = scores[:, None]
    bread = np.atleast_2d(np.asarray(bread, dtype=float))
    n, p = scores.shape
    if bread.shape != (p, p):
        raise ValueError(f"bread has shape {bread.shape}; expected ({p}, {p}) to match scores.")
    if groups is None:
        meat = scores.T @ scores
        factor = n / (n - p) if small_sample and n > p else 1.0
    else:
        codes, uniques = pd.factorize(np.asarray(groups))
        if codes.shape[0] != n:
            raise ValueError(f"groups has {codes.shape[0]} entries; expected {n}.")
        if (codes < 0).any():
            raise ValueError("groups contains missing labels.")
        n_clusters = len(uniques)
        if n_clusters < 2:
            raise ValueError(
                f"groups has {n_clusters} cluster; cluster-robust inference needs at least two."
            )
        sums = np.zeros((n_clusters, p))
        np.add.at(sums, codes, scores)
        meat = sums.T @ sums
        factor = 1.0
        if small_sample and n > p:
            factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - p)
    return factor * bread @ meat @ bread.T


def delta_method(gradient: np.ndarray, cov: np.ndarray) -> float | np.ndarray:
    r"""Covariance of :math:`g(\hat\theta)` by the delta method: :math:`G \Sigma G^\top`.

    Parameters
    ----------
    gradient : ndarray of shape (p,) or (k, p)
        Jacobian of :math:`g` at the estimate (one row per function).
    cov : ndarray of shape (p, p)
        Covariance of :math:`\hat\theta`.

    Returns
    -------
    float for a single function (its variance), else ndarray of shape (k, k).

    Examples
    --------
    >>> import numpy as np
    >>> float(delta_method(np.array([1.0, -1.0]), np.diag([1.0, 4.0])))  # Var(a - b)
    5.0
    """
    g = np.asarray(gradient, dtype=float)
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    single = g.ndim == 1
    g = np.atleast_2d(g)
    if g.shape[1] != cov.shape[0] or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"gradient {g.shape} and cov {cov.shape} do not conform.")
    out = g @ cov @ g.T
    return float(out[0, 0]) if single else out
