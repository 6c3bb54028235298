"""CompositionalPartialCorrelation: Erb's log-ratio partial correlations with optional basis shrinkage."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from causalkit._base import (
    EffectResult,
    InferenceMixin,
    bootstrap_replicates,
    check_int,
    check_random_state,
    check_scalar_in_range,
    optional_import,
    parallel_map,
    spawn_seeds,
    warn_dropped_replicates,
)
from causalkit._base._dask import is_dask_collection
from causalkit._base.validation import user_stacklevel
from causalkit.exceptions import CollinearityWarning, ShrinkageWarning

from ._core import (
    _check_lambda,
    check_clr_variances,
    closure_null_partial_correlation,
    closure_null_variances,
    clr_covariance,
    collinear_parts,
    fit_partial_correlation,
    log_basis,
    null_basis_variances,
    partial_correlation_outputs,
    pcor_only,
)
from ._transforms import check_composition

__all__ = ["CompositionalPartialCorrelation", "partial_correlation"]

#: λ̂ at or above which the basis shrinkage is reported as having removed every association (issue #18).
SHRINKAGE_WARN_AT = 0.95


#: Fitted attributes that are DataFrames / Series when ``X`` had column names (stored as arrays on disk).
_LABELLED = ("partial_corr_", "precision_", "partial_var_", "closure_null_")


class CompositionalPartialCorrelation(InferenceMixin, BaseEstimator):
    """Partial correlations between the parts of a composition (Erb 2020), optionally basis-shrunk.

    The partial correlation of parts *i* and *j* is defined through log-ratios: the correlation of the residuals
    of ``log(xᵢ/x_r)`` and ``log(xⱼ/x_r)`` regressed on the other log-ratios, the same for every reference
    ``r``. It equals ``-Pᵢⱼ / sqrt(PᵢᵢPⱼⱼ)`` with ``P`` the Moore–Penrose inverse of the clr covariance. The
    result does not depend on the reference, on any rescaling or closure of the rows, on the log base or on
    perturbation by constants (the last only without shrinkage).

    With ``shrinkage="basis"`` the covariance of the log proportions is shrunk as R's corpcor ``cov.shrink``
    does (correlations toward the identity, variances toward their median, analytic intensities) before the clr
    projection; this is ``pcor.bshrink`` of R's propr (Jin, Notredame & Erb 2023) and stays reference-free.

    Parameters
    ----------
    shrinkage : None, "basis" or float in [0, 1], default None
        ``None``: no shrinkage. ``"basis"``: analytic Schäfer–Strimmer intensity; an estimate
        λ̂ >= 0.95 (every partial correlation then at its closure-null value) gives a ``ShrinkageWarning``
        (a :class:`~causalkit.exceptions.SolverWarning`). A float fixes the correlation shrinkage
        intensity λ (no warning).
    variance_shrinkage : None, "auto" or float in [0, 1], default None
        Shrinkage of the basis variances toward their median. ``None`` means ``"auto"`` (analytic, as corpcor)
        when ``shrinkage="basis"`` and 0 when ``shrinkage`` is a float, so that ``shrinkage=0`` reproduces the
        unshrunk result. Must stay ``None`` when ``shrinkage`` is ``None``.
    zero_replacement : None, "min" or float in (0, 1), default None
        ``None`` raises on zeros. ``"min"`` replaces zeros by the smallest non-zero value in ``X`` (propr);
        a float is a multiplicative replacement with that proportion.
    ddof : int, default 1
        Delta degrees of freedom of the covariances; affects ``partial_var_`` and ``precision_`` only.
    n_bootstrap : int, default 200
        Bootstrap replicates drawn in :meth:`fit` (rows resampled, the whole pipeline refitted on each) for
        ``inference_``, :meth:`summary` and :meth:`conf_int`. ``0`` skips the bootstrap: the point estimates
        only, ``inference_`` is None. Otherwise at least 2. Cost: ``n_bootstrap`` refits of the estimator.
    n_permutations : int, default 200
        Permutations used by :meth:`permutation_test`.
    random_state : None, int, RandomState or Generator, default None
        Seed of the bootstrap in :meth:`fit` and of :meth:`permutation_test`.
    n_jobs : int or None, default None
        Parallel jobs for the bootstrap and the permutations (joblib; a Dask backend works unchanged).

    Attributes
    ----------
    partial_corr_ : DataFrame or ndarray of shape (D, D)
        Partial correlations (a DataFrame indexed by part names when ``X`` had column names).
    precision_ : DataFrame or ndarray of shape (D, D)
        Moore–Penrose inverse of the (possibly shrunk) clr covariance; its rows sum to 0.
    partial_var_ : Series or ndarray of shape (D,)
        Partial variances ``1 / Pᵢᵢ``: residual variance of ``log(xᵢ/x_r)`` given all other log-ratios.
    covariance_ : ndarray of shape (D, D)
        The clr covariance used (``G S* G`` when shrunk).
    closure_null_ : DataFrame or ndarray of shape (D, D)
        Partial correlations that closure alone would produce for independent parts
        (:func:`closure_null_partial_correlation`), evaluated at ``null_basis_variances_``; about ``1/(D-1)``,
        not 0.
    null_basis_variances_ : ndarray of shape (D,)
        Basis log-variances an independent basis would need to reproduce the diagonal of ``covariance_``
        (exact under the closure null; the log-proportion variances are inflated by closure).
    inference_ : EffectResult or None
        The bootstrap over rows (:class:`~causalkit._base.EffectResult`): one term per pair, named
        ``"part_i~part_j"`` in upper-triangle order, with bootstrap standard errors, percentile intervals and
        the closure-null reference as an extra column. Its Wald p-values test ρ = 0, which is *not* the
        no-association value: compare with ``closure_null`` or use :meth:`permutation_test`. Replicates that
        cannot be fitted (a resample with a constant part) are dropped, counted in the summary and, above 5 %,
        reported with a :class:`~causalkit.exceptions.ConvergenceWarning`. None with ``n_bootstrap=0`` or a
        dask input (the bootstrap needs the data in memory). With shrinkage the intervals cover the *shrunk*
        target (the population value of the shrunk estimator at this sample size), not the population
        partial correlation: their coverage of the latter was measured at 0.80–0.91 for 95 % intervals
        (``summary()`` says so); use ``shrinkage=None`` for intervals for the population value.
    shrinkage_ : float
        Correlation shrinkage intensity λ used (0 without shrinkage).
    variance_shrinkage_ : float
        Variance shrinkage intensity used.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Notes
    -----
    * With ``n_samples < n_parts`` and no shrinkage the clr covariance is rank-deficient beyond the closure; the
      Moore–Penrose inverse is still used, with a :class:`~causalkit.exceptions.CollinearityWarning`
      recommending ``shrinkage="basis"``. Proportional (or log-collinear) parts give the same warning, naming
      them; a part whose clr coordinate is constant, or data whose rows are all the same composition, raise a
      ``ValueError``.
    * Partial correlations of a reclosed subcomposition differ from the corresponding block of the full
      matrix (they condition on fewer parts). This is the documented subcompositional incoherence of any
      partial correlation, not an error.
    * Never regress clr columns on the other clr columns: that always gives −1 (clrᵢ + clrⱼ lies in their span).

    Examples
    --------
    >>> from causalkit.datasets import load_roman_cups
    >>> cups = load_roman_cups()
    >>> est = CompositionalPartialCorrelation(random_state=0).fit(cups)
    >>> round(float(est.partial_corr_.loc["Si", "Al"]), 3)
    0.722
    >>> est.summary_frame().columns.tolist()
    ['part_i', 'part_j', 'partial_corr', 'closure_null']
    >>> est.conf_int(alpha=0.1).loc["Si~Al"].round(2).tolist()
    [0.54, 0.84]
    """

    def __init__(
        self,
        shrinkage: str | float | None = None,
        *,
        variance_shrinkage: str | float | None = None,
        zero_replacement: str | float | None = None,
        ddof: int = 1,
        n_bootstrap: int = 200,
        n_permutations: int = 200,
        random_state: Any = None,
        n_jobs: int | None = None,
    ):
        self.shrinkage = shrinkage
        self.variance_shrinkage = variance_shrinkage
        self.zero_replacement = zero_replacement
        self.ddof = ddof
        self.n_bootstrap = n_bootstrap
        self.n_permutations = n_permutations
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ validation
    def _resolved_shrinkage(self) -> tuple[float | str | None, float | str]:
        s = self.shrinkage
        if s is None:
            if self.variance_shrinkage is not None:
                raise ValueError(
                    "variance_shrinkage needs shrinkage='basis' or a float shrinkage; got shrinkage=None."
                )
            return None, 0.0
        if isinstance(s, str):
            if s != "basis":
                raise ValueError(
                    f"shrinkage must be None, 'basis' or a float in [0, 1]; got {s!r}."
                )
            lam: float | str = "auto"
        else:
            if isinstance(s, bool) or not isinstance(s, numbers.Real):
                raise TypeError(
                    f"shrinkage must be None, 'basis' or a float in [0, 1]; got {type(s).__name__}."
                )
            lam = check_scalar_in_range(s, "shrinkage", low=0.0, high=1.0)
        vs = self.variance_shrinkage
        if vs is None:
            lam_v: float | str = "auto" if lam == "auto" else 0.0
        else:
            lam_v = _check_lambda(vs, "variance_shrinkage")
        return lam, lam_v

    def _check_inference_params(self) -> tuple[int, Any]:
        """``n_bootstrap`` (0, or >= 2), ``n_permutations`` (>= 2) and ``random_state``, checked by name."""
        B = check_int(self.n_bootstrap, "n_bootstrap", low=0)
        if B == 1:
            raise ValueError("n_bootstrap must be 0 (no bootstrap) or an integer >= 2; got 1.")
        _check_replicate_count(self.n_permutations, "n_permutations")
        random_state = self.random_state
        if not isinstance(random_state, np.random.Generator):
            random_state = check_random_state(random_state)  # an int seeds a RandomState, as before
        return B, random_state

    def _check_ddof(self, n: int) -> int:
        d = self.ddof
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
            raise ValueError(f"ddof must be a non-negative integer; got {d!r}.")
        if n - d <= 0:
            raise ValueError(f"ddof={d} leaves no degrees of freedom with n_samples={n}.")
        return int(d)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None) -> CompositionalPartialCorrelation:
        """Estimate the partial correlations of the parts of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_parts)
            Strictly positive parts (any row totals). At least 3 parts and 2 samples.
        y : ignored

        Returns
        -------
        self
        """
        lam, lam_v = self._resolved_shrinkage()
        B, random_state = self._check_inference_params()
        if is_dask_collection(X):
            return self._fit_dask(X, lam)
        Xc, names = check_composition(
            X, "X", zero_replacement=self.zero_replacement, return_names=True
        )
        n, D = Xc.shape
        if n < 2:
            raise ValueError(
                f"X needs at least 2 samples to estimate covariances; got n_samples = {n}."
            )
        ddof = self._check_ddof(n)
        # closure matters only for the shrinkage (corpcor on log proportions); clr ignores row scaling
        L = np.log(Xc) if lam is None else log_basis(Xc)
        # shrinkage works on the log proportions, where a part with constant clr can still vary
        check_clr_variances(L, names, name="X", parts=lam is None)
        if lam is None and n < D:
            warnings.warn(
                f"X has n_samples={n} < n_parts={D}: the clr covariance is rank-deficient beyond the "
                "closure and its Moore–Penrose inverse is unstable. Consider shrinkage='basis'.",
                CollinearityWarning,
                stacklevel=user_stacklevel(),
            )
        out = fit_partial_correlation(L, lam, lam_v, ddof)
        if lam == "auto" and out["shrinkage"] >= SHRINKAGE_WARN_AT:
            warnings.warn(
                f"shrinkage='basis' estimated the intensity λ = {out['shrinkage']:.3g} (>= "
                f"{SHRINKAGE_WARN_AT}): the correlations of the log proportions are shrunk (almost) to 0, "
                "so every partial correlation is (nearly) the closure-null value and says nothing about "
                f"associations between parts. With n_samples={n} and n_parts={D} the data cannot resolve "
                "them: collect more samples, use fewer parts, or fix a smaller shrinkage.",
                ShrinkageWarning,
                stacklevel=user_stacklevel(),
            )
        self._L = L
        self._lam = (lam, lam_v, ddof)
        self._store(out, D, names)
        self._bootstrap_state = None
        self.inference_ = None
        if B:
            self._bootstrap_state = self._bootstrap(B, random_state, self.n_jobs)
            self.inference_ = self._make_inference(self._bootstrap_state)
        return self

    def _fit_dask(self, X: Any, lam: Any) -> CompositionalPartialCorrelation:
        """Out-of-core fit: the clr covariance reduced chunk by chunk (no shrinkage)."""
        from . import _dask

        if lam is not None:
            raise ValueError(
                "dask inputs support shrinkage=None only (the basis shrinkage needs fourth moments of the "
                "whole sample); compute a sample or use an in-memory array for shrinkage='basis'."
            )
        d = self.ddof
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
            raise ValueError(f"ddof must be a non-negative integer; got {d!r}.")
        gamma, n, D, names = _dask.clr_covariance(X, self.zero_replacement, int(d))
        _dask.check_clr_covariance(gamma, n, names)
        if n < D:
            warnings.warn(
                f"X has n_samples={n} < n_parts={D}: the clr covariance is rank-deficient beyond the "
                "closure and its Moore–Penrose inverse is unstable.",
                CollinearityWarning,
                stacklevel=user_stacklevel(),
            )
        self._L = None  # the data stay on the cluster: no bootstrap / permutation replicates
        self._lam = (None, 0.0, int(d))
        self._store(partial_correlation_outputs(gamma, n), D, names)
        self._bootstrap_state = None
        self.inference_ = None
        return self

    def _store(self, out: dict, D: int, names: Any) -> CompositionalPartialCorrelation:
        if out.get("singular"):
            labels = [str(v) for v in names] if names is not None else [f"x{j}" for j in range(D)]
            involved = [labels[j] for j in collinear_parts(out["covariance"])]
            warnings.warn(
                f"The clr covariance is singular beyond the closure: parts {involved} are proportional "
                "or collinear in log-ratio space; using its Moore–Penrose inverse. Partial correlations "
                "of these parts are not identified.",
                CollinearityWarning,
                stacklevel=user_stacklevel(),
            )
        self.n_features_in_ = D
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.covariance_ = out["covariance"]
        self.shrinkage_ = out["shrinkage"]
        self.variance_shrinkage_ = out["variance_shrinkage"]
        self.partial_corr_ = self._frame(out["partial_corr"])
        self.precision_ = self._frame(out["precision"])
        pv = 1.0 / np.diag(out["precision"])
        self.partial_var_ = (
            pd.Series(pv, index=self._names(), name="partial_var") if (names is not None) else pv
        )
        self.null_basis_variances_ = out["null_basis_var"]
        self.closure_null_ = self._frame(closure_null_partial_correlation(out["null_basis_var"]))
        return self

    # ------------------------------------------------------------------ persistence
    def __getstate__(self) -> dict:
        """State with the labelled outputs as plain arrays (skops cannot store pandas objects).

        The DataFrame / Series are rebuilt from ``feature_names_in_``, and ``inference_`` from the stored
        bootstrap replicates, by :meth:`__setstate__`, so a ``skops.io`` file needs no type trusted beyond
        this class (see ``docs/persistence.md``).
        """
        state = dict(super().__getstate__())  # a copy: the base class may return __dict__ itself
        if state.get("inference_") is not None:  # rebuilt from _bootstrap_state (plain arrays)
            state["inference_"] = None
        for key in _LABELLED:
            value = state.get(key)
            if isinstance(value, (pd.DataFrame, pd.Series)):
                state[key] = value.to_numpy(copy=True)
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if not hasattr(self, "partial_corr_"):
            return
        if getattr(self, "feature_names_in_", None) is not None:
            for key in _LABELLED:
                value = self.__dict__.get(key)
                if isinstance(value, np.ndarray):
                    self.__dict__[key] = (
                        pd.Series(value, index=self._names(), name="partial_var")
                        if key == "partial_var_"
                        else self._frame(value)
                    )
        boot = self.__dict__.get("_bootstrap_state")
        if boot is not None and self.__dict__.get("inference_") is None:
            self.inference_ = self._make_inference(boot)

    # ------------------------------------------------------------------ helpers
    def _names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [f"x{j}" for j in range(self.n_features_in_)]
        return [str(s) for s in names]

    def _frame(self, M: np.ndarray):
        if getattr(self, "feature_names_in_", None) is None:
            return M
        names = self._names()
        return pd.DataFrame(M, index=names, columns=names)

    def _long(self, values: dict[str, np.ndarray]) -> pd.DataFrame:
        names = np.asarray(self._names(), dtype=object)
        iu = np.triu_indices(self.n_features_in_, 1)
        frame = pd.DataFrame({"part_i": names[iu[0]], "part_j": names[iu[1]], **values})
        return frame

    def _upper(self, M) -> np.ndarray:
        A = np.asarray(M)
        return A[np.triu_indices(A.shape[0], 1)]

    # ------------------------------------------------------------------ outputs
    def summary_frame(self) -> pd.DataFrame:
        """Long table of all pairs, strongest ``|partial_corr|`` first.

        Returns
        -------
        DataFrame with columns ``part_i``, ``part_j``, ``partial_corr``, ``closure_null``.
        """
        check_is_fitted(self, "partial_corr_")
        frame = self._long(
            {
                "partial_corr": self._upper(self.partial_corr_),
                "closure_null": self._upper(self.closure_null_),
            }
        )
        order = np.argsort(-np.abs(frame["partial_corr"].to_numpy()), kind="stable")
        return frame.iloc[order].reset_index(drop=True)

    # ------------------------------------------------------------------ inference
    def _bootstrap(self, B: int, random_state: Any, n_jobs: Any) -> dict:
        """Bootstrap over rows through :func:`causalkit._base.bootstrap_replicates`; the replicates and losses."""
        lam, lam_v, ddof = self._lam
        n = self._L.shape[0]
        reps = bootstrap_replicates(
            _PartialCorrelationReplicate(self._L, lam, lam_v, ddof),
            n,
            n_boot=B,
            random_state=random_state,
            n_jobs=n_jobs,
            catch=(ValueError, np.linalg.LinAlgError),  # e.g. a resampled part is constant
        )
        if reps.n_kept < 2:
            raise ValueError(
                f"only {reps.n_kept} of {B} bootstrap replicates could be fitted on X (dropped: "
                f"{dict(reps.dropped)}; a resample with a constant part cannot be fitted); pass "
                "n_bootstrap=0 to fit without intervals."
            )
        warn_dropped_replicates(reps, stacklevel=user_stacklevel() + 1)
        # plain types only, so that skops stores the state without trusting more types
        return {
            "estimates": reps.estimates,
            "n_requested": int(reps.n_requested),
            "dropped": {str(k): int(v) for k, v in reps.dropped.items()},
        }

    def _make_inference(self, state: dict) -> EffectResult:
        """The shared :class:`~causalkit._base.EffectResult` of the bootstrap replicates in ``state``."""
        names = self._names()
        iu = np.triu_indices(self.n_features_in_, 1)
        method = "compositional partial correlation (Erb 2020)"
        notes = [
            "p-values test rho = 0, but parts independent before closure have rho ~ closure_null "
            "(about 1/(D-1)); use permutation_test() for the closure null."
        ]
        shrunk = self._lam[0] is not None
        if shrunk:
            method += ", basis shrinkage"
            notes.append(
                "shrunk estimates: the bootstrap intervals cover the SHRUNK target (the partial "
                "correlation the shrinkage estimator aims at for this n), not the population partial "
                "correlation, which they cover less often than the nominal level (measured 0.80-0.91 at "
                "95%); use shrinkage=None for intervals for the population value."
            )
        draws = state["estimates"]
        return EffectResult(
            self._upper(self.partial_corr_),
            names=[f"{names[i]}~{names[j]}" for i, j in zip(*iu)],
            method=method,
            ci_method="percentile",
            bootstrap_estimates=draws,
            extra={"closure_null": self._upper(self.closure_null_)},
            info={
                "Parts": self.n_features_in_,
                "Samples": self._L.shape[0],
                "Shrinkage λ": f"{self.shrinkage_:.4g}",
                "Bootstrap replicates": f"{draws.shape[0]} of {state['n_requested']}",
                "Intervals cover": "the shrunk target"
                if shrunk
                else "the population partial correlation",
            },
            notes=notes,
        )

    def _fitted_inference(self) -> EffectResult:
        """``inference_``, or an error saying why this fit has none (``n_bootstrap=0``, a dask input)."""
        check_is_fitted(self, "partial_corr_")
        if getattr(self, "inference_", None) is None:
            if getattr(self, "_L", None) is None:
                raise ValueError(
                    "this estimator was fitted on a dask array, and the bootstrap needs the data in memory: "
                    "refit on an in-memory array (or a sample) for intervals."
                )
            raise ValueError(
                "this estimator was fitted with n_bootstrap=0 (no bootstrap): set n_bootstrap (e.g. 200) "
                "and refit for summary() and conf_int()."
            )
        return self.inference_

    def pair_intervals(self, *, alpha: float = 0.05) -> pd.DataFrame:
        """The intervals of :meth:`conf_int` as a long table of pairs (upper-triangle order).

        Parameters
        ----------
        alpha : float, default 0.05
            Two-sided level: the percentile intervals cover ``1 - alpha``.

        Returns
        -------
        DataFrame with columns ``part_i``, ``part_j``, ``partial_corr``, ``lower``, ``upper``.
        """
        ci = self.conf_int(alpha=alpha)
        return self._long(
            {
                "partial_corr": self._upper(self.partial_corr_),
                "lower": ci["lower"].to_numpy(),
                "upper": ci["upper"].to_numpy(),
            }
        )

    def permutation_test(
        self,
        *,
        alpha: float = 0.05,
        n_permutations: int | None = None,
        random_state: Any = None,
        n_jobs: int | None = None,
        scheme: str = "pivot",
    ) -> pd.DataFrame:
        """Test every pair against the closure null (independent basis parts) by permutation.

        The basis is reconstructed from the clr columns rescaled to ``null_basis_variances_`` and each of its
        columns is permuted independently, which destroys every association between parts. The recomputed
        partial correlations (same shrinkage pipeline) show what closure alone produces (about ``1/(D-1)``,
        not 0).

        The closure-null value of a pair depends on the unknown basis variances, and for low-variance parts
        it is very sensitive to them. With ``scheme="pivot"`` (the default) the statistic is
        ``atanh(ρ̂ᵢⱼ) - atanh(ρ̂⁰ᵢⱼ)``, with ``ρ̂⁰`` the closure-null value at the maximum-likelihood null
        variances, and the null variances are **re-estimated on every permuted data set**, so the permutation
        distribution includes their estimation error; the p-value is two-sided and equal-tailed. This keeps
        the level for every pair when the basis variances differ (size 0.03–0.07 at level 0.05 on the
        closure-null designs of ``benchmarks/results/compositional.md``). ``scheme="raw"`` is the former
        scheme (permuted partial correlations compared with their mean, null variances held fixed at their
        moment estimate): it over-rejects for low-variance parts (size up to 0.6 at level 0.05) and is kept
        for comparison only.

        Parameters
        ----------
        alpha : float, default 0.05
            The null band is the central ``1 - alpha`` range of the permutation distribution.
        n_permutations, random_state, n_jobs : optional
            Override the estimator's parameters of the same names.
        scheme : {"pivot", "raw"}, default "pivot"

        Returns
        -------
        DataFrame with columns ``part_i``, ``part_j``, ``partial_corr``, ``null_mean``, ``null_lower``,
        ``null_upper``, ``p_value``. With ``"pivot"`` the null band and mean are those of
        ``tanh(atanh(ρ̂⁰) + T*)`` over the permuted statistics ``T*``: the band against which ``partial_corr``
        is read.
        """
        alpha = check_scalar_in_range(
            alpha, "alpha", low=0, high=1, low_inclusive=False, high_inclusive=False
        )
        if not isinstance(scheme, str) or scheme not in ("pivot", "raw"):
            raise ValueError(f"scheme must be 'pivot' or 'raw'; got {scheme!r}.")
        check_is_fitted(self, "partial_corr_")
        B = _check_replicate_count(
            self.n_permutations if n_permutations is None else n_permutations, "n_permutations"
        )
        random_state = self.random_state if random_state is None else random_state
        if not isinstance(random_state, np.random.Generator):
            random_state = check_random_state(random_state)  # an int seeds a RandomState, as before
        if self._L is None:
            raise ValueError(
                "permutation replicates need the data in memory; this estimator was fitted on a dask "
                "array. Refit on an in-memory array (or a sample) for the permutation test."
            )
        pivot = scheme == "pivot"
        # the raw scheme keeps its moment null variances, so that its replicates are those of before
        if not pivot:
            s2 = null_basis_variances(self.covariance_)
        elif self._lam[0] is None:
            s2 = self.null_basis_variances_
        else:  # the permuted data must look like the data: unshrunk null variances
            s2 = closure_null_variances(clr_covariance(self._L, self._lam[2]))
        # clr columns standardised to the null basis variances: under the closure null the permuted data
        # then have the fitted clr variances, and permutation makes the parts independent
        C = self._L - self._L.mean(axis=1, keepdims=True)
        C = C - C.mean(axis=0)
        sd = C.std(axis=0)
        sd[sd == 0] = 1.0
        null_basis = C / sd * np.sqrt(s2)
        task = _PermutationReplicate(null_basis, *self._lam, with_null=pivot)
        draws = np.vstack(
            parallel_map(
                task,
                spawn_seeds(random_state, B),
                n_jobs=self.n_jobs if n_jobs is None else n_jobs,
                desc="permutations",
            )
        )
        draws = draws[np.all(np.isfinite(draws), axis=1)]
        if draws.shape[0] < 2:
            raise ValueError("fewer than 2 permutation replicates could be fitted; check the data.")
        rho = self._upper(self.partial_corr_)
        if pivot:
            m = rho.shape[0]
            z0 = _atanh(self._upper(self.closure_null_))
            stat = _atanh(rho) - z0
            null_stats = _atanh(draws[:, :m]) - _atanh(draws[:, m:])
            mean = np.tanh(z0 + null_stats.mean(axis=0))
            lo, hi = np.tanh(z0 + np.quantile(null_stats, [alpha / 2, 1 - alpha / 2], axis=0))
            tol = 1e-12 * (1.0 + np.abs(stat))
            upper = (null_stats >= stat - tol).sum(axis=0)
            lower = (null_stats <= stat + tol).sum(axis=0)
            pvalue = np.minimum(1.0, 2.0 * (1 + np.minimum(upper, lower)) / (draws.shape[0] + 1))
        else:
            mean = draws.mean(axis=0)
            lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
            extreme = (np.abs(draws - mean) >= np.abs(rho - mean) - 1e-12).sum(axis=0)
            pvalue = (1 + extreme) / (draws.shape[0] + 1)
        return self._long(
            {
                "partial_corr": rho,
                "null_mean": mean,
                "null_lower": lo,
                "null_upper": hi,
                "p_value": pvalue,
            }
        )

    def plot(self, ax: Any = None, annotate: bool | None = None, cmap: str = "RdBu_r"):
        """Heat map of the partial correlations (matplotlib); returns the Axes.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        annotate : bool, optional
            Write the values in the cells (default: when ``D <= 15``).
        cmap : str, default "RdBu_r"
        """
        check_is_fitted(self, "partial_corr_")
        plt = optional_import("matplotlib.pyplot", "plot")
        R = np.asarray(self.partial_corr_)
        D = R.shape[0]
        if ax is None:
            size = min(10.0, 2.0 + 0.45 * D)
            _, ax = plt.subplots(figsize=(size + 1.2, size))
        shown = R.copy()
        np.fill_diagonal(shown, np.nan)
        im = ax.imshow(shown, cmap=cmap, vmin=-1, vmax=1)
        ax.figure.colorbar(im, ax=ax, label="partial correlation")
        names = self._names()
        if D <= 60:
            ax.set_xticks(range(D), names, rotation=90)
            ax.set_yticks(range(D), names)
        if annotate is None:
            annotate = D <= 15
        if annotate:
            for i in range(D):
                for j in range(D):
                    if i != j:
                        ax.text(j, i, f"{R[i, j]:.2f}", ha="center", va="center", fontsize=7)
        title = "Compositional partial correlations"
        if self.shrinkage_ > 0:
            title += f" (shrunk, λ={self.shrinkage_:.2f})"
        ax.set_title(title)
        return ax

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.target_tags.required = False
        return tags


def _check_replicate_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2:
        raise ValueError(f"{name} must be an integer >= 2; got {value!r}.")
    return int(value)


def _quiet_pcor(L: np.ndarray, lam: Any, lam_v: Any, ddof: int) -> np.ndarray:
    """Upper-triangle partial correlations of one replicate, its numerical warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return pcor_only(L, lam, lam_v, ddof)


class _PartialCorrelationReplicate:
    """Picklable bootstrap statistic: the partial correlations of the resampled rows ``L[indices]``."""

    def __init__(self, L: np.ndarray, lam: Any, lam_v: Any, ddof: int):
        self.L, self.lam, self.lam_v, self.ddof = L, lam, lam_v, ddof

    def __call__(self, indices: np.ndarray) -> np.ndarray:
        return _quiet_pcor(self.L[indices], self.lam, self.lam_v, self.ddof)


class _PermutationReplicate:
    """Picklable permutation task: every null-basis column permuted independently from its own seed.

    Returns the upper-triangle partial correlations of the permuted basis and, with ``with_null``, after them
    the closure-null values at the null variances re-estimated on the permuted data.
    """

    def __init__(
        self, null_basis: np.ndarray, lam: Any, lam_v: Any, ddof: int, with_null: bool = False
    ):
        self.null_basis, self.lam, self.lam_v, self.ddof = null_basis, lam, lam_v, ddof
        self.with_null = with_null

    def __call__(self, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        Lb = np.column_stack([rng.permutation(col) for col in self.null_basis.T])
        D = self.null_basis.shape[1]
        try:
            if not self.with_null:
                return _quiet_pcor(Lb, self.lam, self.lam_v, self.ddof)
            if self.lam is not None:
                # the shrinkage works on log proportions: close the permuted basis as the data were closed
                top = Lb.max(axis=1, keepdims=True)
                Lb = Lb - (top + np.log(np.exp(Lb - top).sum(axis=1, keepdims=True)))
            return _quiet_pcor_and_null(Lb, self.lam, self.lam_v, self.ddof)
        except (ValueError, np.linalg.LinAlgError):  # e.g. a permuted part is constant
            return np.full(D * (D - 1) // 2 * (2 if self.with_null else 1), np.nan)


def _quiet_pcor_and_null(L: np.ndarray, lam: Any, lam_v: Any, ddof: int) -> np.ndarray:
    """Upper-triangle partial correlations and closure-null values of one replicate, warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            out = fit_partial_correlation(L, lam, lam_v, ddof)
            iu = np.triu_indices(L.shape[1], 1)
            null = closure_null_partial_correlation(out["null_basis_var"])
            return np.concatenate([out["partial_corr"][iu], null[iu]])


def _atanh(r: np.ndarray) -> np.ndarray:
    """Fisher's z of correlations, finite at ±1 (clipped one rounding step inside)."""
    edge = 1.0 - np.finfo(float).eps
    return np.arctanh(np.clip(r, -edge, edge))


def partial_correlation(
    X: Any,
    shrinkage: str | float | None = None,
    zero_replacement: str | float | None = None,
    variance_shrinkage: str | float | None = None,
):
    """One-line compositional partial correlations (see :class:`CompositionalPartialCorrelation`).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_parts)
    shrinkage, zero_replacement, variance_shrinkage
        As in :class:`CompositionalPartialCorrelation`.

    Returns
    -------
    DataFrame (when ``X`` has column names) or ndarray of shape (D, D)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R = partial_correlation(np.exp(rng.normal(size=(500, 4))))
    >>> R.shape, bool(np.allclose(np.diag(R), 1))
    ((4, 4), True)
    """
    est = CompositionalPartialCorrelation(
        shrinkage=shrinkage,
        zero_replacement=zero_replacement,
        variance_shrinkage=variance_shrinkage,
        n_bootstrap=0,  # the point estimates only
    )
    return est.fit(X).partial_corr_
