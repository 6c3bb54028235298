"""IVL regression and the k-class family it belongs to."""

from __future__ import annotations

import numbers
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import DataConversionWarning as _SkDataConversionWarning
from sklearn.utils.validation import check_is_fitted

from .._base import (
    EffectResult,
    InferenceMixin,
    as_list_of_names,
    check_1d,
    check_2d,
    check_consistent_length,
    check_feature_names,
    check_groups,
    check_n_clusters,
    check_scalar_in_range,
    pandas_like,
    user_stacklevel,
)
from .._base._dask import any_dask
from ..exceptions import CausalkitWarning, WeakInstrumentWarning
from . import _dask, _solver, _weak

__all__ = ["IVLRegression", "KClassRegression"]

_COV_CHOICES = (None, "nonrobust", "HC0", "HC1")

#: Staiger and Stock's rule of thumb: a first-stage (partial) F below this makes Wald intervals unreliable.
WEAK_F_THRESHOLD = 10.0


class _KClassBase(InferenceMixin, RegressorMixin, BaseEstimator):
    """Shared fit/predict/inference of IVL and k-class estimators (one solver, one results layer).

    ``summary(*, alpha=0.05)`` and ``conf_int(*, alpha=0.05)`` come from :class:`~causalkit._base.InferenceMixin`
    and read ``inference_``; there ``alpha`` is one minus the confidence level, nothing else.
    """

    # set by subclasses: returns (kappa, alpha) from the validated data decomposition
    def _kappa_alpha(self, dec) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _validate_data(self, X, y, instruments, depth):
        X, names = validate_X(X, "X", type(self).__name__)
        y = validate_y(y, type(self).__name__, stacklevel=4 + depth)
        Z = None
        if instruments is not None:
            Z = check_2d(instruments, "instruments", ensure_2d_from_1d=True)
        check_consistent_length(X=X, y=y, instruments=Z)
        check_magnitude(X=X, y=y, instruments=Z)
        self._validate_options()
        return X, y, Z, names

    def _validate_options(self) -> None:
        if self.fit_intercept not in (True, False):
            raise TypeError(f"fit_intercept must be a bool; got {self.fit_intercept!r}.")
        cov_type = self.cov_type
        if cov_type not in _COV_CHOICES:
            raise ValueError(f"cov_type must be one of {_COV_CHOICES}; got {cov_type!r}.")

    def _fit(self, X, y, instruments, groups=None, *, depth=1, controls=None):
        # depth: library frames between the user's call and this method (warnings point at the user's call)
        on_dask = any_dask(X, y, instruments)
        if on_dask:  # out-of-core: chunk-wise sufficient statistics, the data never gathered
            if groups is not None:
                raise ValueError(
                    "groups (cluster-robust covariance) is not supported with dask inputs; use cov_type='HC1'."
                )
            self._validate_options()
            X, y, Z, names = _dask.validate(X, y, instruments, type(self).__name__)
        else:
            X, y, Z, names = self._validate_data(X, y, instruments, depth)
        if controls is not None:
            Z = _append_controls(X, Z, names, controls, on_dask)
        n, p = X.shape
        p1 = p + int(self.fit_intercept)
        if n < p1:
            raise ValueError(
                f"{type(self).__name__} needs at least {p1} samples for {p} feature(s)"
                f"{' and an intercept' if self.fit_intercept else ''}; got n_samples = {n}."
            )
        if Z is None:
            warnings.warn(
                "No instruments given: every regressor is treated as exogenous (its own instrument), so the "
                "fit is ordinary least squares. Pass instruments=... for IV-like regression.",
                WeakInstrumentWarning,
                stacklevel=2 + depth,
            )
        if groups is not None:
            groups = check_groups(groups, n)
            # integer codes: labels of any hashable type (mixed str/int too); missing labels are refused
            codes = pd.factorize(pd.Series(groups, dtype=object), use_na_sentinel=True)[0]
            if np.any(codes < 0):
                raise ValueError(
                    f"groups has {int(np.sum(codes < 0))} missing label(s) (None or NaN); every sample needs a "
                    "cluster."
                )
            groups = codes
            check_n_clusters(groups, "groups", stacklevel=3 + depth)
        if on_dask:
            dec = _dask.decompose(X, y, Z, bool(self.fit_intercept))
        else:
            dec = _solver.decompose(X, y, Z, bool(self.fit_intercept))
        cond = _solver.check_design(dec, names)
        _solver.warn_ill_conditioned(cond, stacklevel=2 + depth)
        kappa, alpha = self._kappa_alpha(dec) if Z is not None else (0.0, np.inf)
        if Z is None:
            coef = _solver.solve_kclass(dec, 0.0)
        elif np.isnan(alpha):
            coef = _solver.solve_kclass(dec, kappa, stacklevel=2 + depth)
        else:
            coef = _solver.solve_ivl(dec, alpha, stacklevel=2 + depth)
        self.coef_ = coef
        self.intercept_ = _solver.intercept_of(dec, coef)
        self.kappa_ = float(kappa)
        self.n_features_in_ = p
        if names is not None:
            self.feature_names_in_ = names
        self.n_instruments_ = 0 if Z is None else Z.shape[1]
        self.identified_ = bool(Z is not None and _solver.iv_rank(dec) == p)
        self.nobs_ = n
        # stored as arrays (safe persistence with skops stores no DataFrame); first_stage_ builds the frame
        self._first_stage = None
        self._first_stage_endog = None
        self._wiv_df = None
        self.cov_ = None
        if Z is not None:
            fs = _solver.first_stage(dec)
            self._first_stage = fs.table()
            self._first_stage_cols = ["partial_r2", "partial_F", "p_value"] + (
                ["sw_F"] if fs.sw_F is not None else []
            )
            if fs.endog.size == 1 and self.cov_type in ("HC0", "HC1") and groups is None and n > p1:
                # Montiel Olea-Pflueger effective F (one endogenous regressor, heteroskedasticity-robust fits)
                basis = _solver.effective_f_basis(dec)
                if on_dask:
                    from .._base._dask import chunked_sum

                    trace = chunked_sum([X, Z], _solver.effective_f_block, (1,), dec, basis)
                else:
                    trace = _solver.effective_f_block(X, Z, dec, basis)
                eff = _solver.effective_first_stage_F(dec, trace)
                self._first_stage = np.column_stack([self._first_stage, eff])
                self._first_stage_cols.append("effective_F")
            self._first_stage_endog = fs.endog
            self.n_controls_ = p - fs.endog.size
            self._wiv_Rp, self._wiv_Rm, q, dfd = _weak.weak_iv_factors(dec)
            self._wiv_df = np.array([q, dfd])
            if self.identified_ and self._is_iv_fit(kappa) and fs.endog.size:
                warn_weak_instruments(fs, names)
        self._no_cov_reason = None
        if self.cov_type is not None and n == p1:
            self._no_cov_reason = (
                f"standard errors are not available: n_samples = {n} equals the number of parameters ({p1}), "
                "so the fit interpolates the data and leaves no residual degrees of freedom; pass more samples."
            )
        elif self.cov_type is not None and Z is not None and kappa == 1.0 and not self.identified_:
            self._no_cov_reason = (
                "standard errors are not available for the under-identified IV limit (kappa = 1: alpha=0, or an "
                "alpha so small that 1/(1+alpha) rounds to 1, with instruments that do not identify every "
                "regressor direction); use a larger alpha."
            )
        elif self.cov_type is not None and not _solver.bread_is_positive(dec, kappa):
            self._no_cov_reason = (
                f"standard errors are not available at kappa={kappa:.6g}: the k-class bread "
                "X'(I - kappa M_Z)X is not positive definite (kappa is above the largest value the "
                "instruments support; LIML's kappa is the usual upper end)."
            )
        elif self.cov_type is not None:
            cov_type = "cluster" if groups is not None else self.cov_type
            if on_dask:
                self.cov_ = _dask.kclass_covariance(X, y, Z, dec, coef, kappa, cov_type)
            else:
                self.cov_ = _solver.kclass_covariance(
                    X, y, Z, dec, coef, kappa, cov_type, groups=groups
                )
        self._cov_label = "cluster" if groups is not None else self.cov_type
        self.inference_ = None
        return self

    def _set_inference(self) -> None:
        """``inference_`` from the fitted arrays (called by ``fit`` once every attribute is set)."""
        self.inference_ = None if self.cov_ is None else self._make_inference()

    # ---------------------------------------------------------------------------------------------------
    def predict(self, X) -> np.ndarray:
        """Predict ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            A lazy ``dask.array`` (computed chunk-wise) when ``X`` is a dask collection.
        """
        return self._predict(X, stacklevel=4)

    def _predict(self, X, *, stacklevel: int) -> np.ndarray:
        check_is_fitted(self, "coef_")
        if any_dask(X):
            from .._base._dask import as_dask_array

            Xd = as_dask_array(X, "X", ndim=2)
            check_n_features(Xd, self.n_features_in_, type(self).__name__)
            check_feature_names(self, X, argument="X", stacklevel=stacklevel - 1)
            return Xd @ self.coef_ + self.intercept_
        Xa = validate_X(X, "X", type(self).__name__, predict=True)[0]
        check_n_features(Xa, self.n_features_in_, type(self).__name__)
        check_feature_names(self, X, argument="X", stacklevel=stacklevel - 1)
        return pandas_like(Xa @ self.coef_ + self.intercept_, X)

    def _is_iv_fit(self, kappa: float) -> bool:
        """Whether the fit is an IV estimator (2SLS, LIML, Fuller, kappa >= 1), whose Wald intervals weak
        instruments invalidate (IVL with ivl_alpha > 0 is regularised towards OLS instead)."""
        return kappa >= 1.0

    @property
    def first_stage_(self):
        """First-stage diagnostics, one row per endogenous regressor (None without instruments).

        Columns ``partial_r2``, ``partial_F`` (classical F test of the excluded instruments, the exogenous
        controls partialled out) and its ``p_value``; with several endogenous regressors also ``sw_F``, the
        Sanderson-Windmeijer conditional F; with one endogenous regressor and ``cov_type`` "HC0"/"HC1" also
        ``effective_F``, the Montiel Olea-Pflueger effective F (heteroskedasticity-robust). Controls (X columns
        in the span of the instruments) have no row.
        """
        check_is_fitted(self, "coef_")
        table = getattr(self, "_first_stage", None)
        if table is None:
            return None
        names = as_list_of_names(getattr(self, "feature_names_in_", None), self.n_features_in_)
        endog = self._first_stage_endog
        columns = list(self._first_stage_cols)
        return pd.DataFrame(
            table, columns=columns, index=pd.Index([names[j] for j in endog], name="regressor")
        )

    def _endog_position(self, variable) -> int:
        check_is_fitted(self, "coef_")
        if getattr(self, "_wiv_df", None) is None:
            raise ValueError("weak-instrument-robust inference needs a fit with instruments.")
        names = as_list_of_names(getattr(self, "feature_names_in_", None), self.n_features_in_)
        if isinstance(variable, str):
            if variable not in names:
                raise ValueError(
                    f"variable {variable!r} is not a regressor; the regressors are {names}."
                )
            col = names.index(variable)
        elif isinstance(variable, numbers.Integral) and not isinstance(variable, bool):
            if not -self.n_features_in_ <= int(variable) < self.n_features_in_:
                raise ValueError(
                    f"variable must be a position in [0, {self.n_features_in_}) or a name; got {variable!r}."
                )
            col = int(variable) % self.n_features_in_
        else:
            raise TypeError(f"variable must be a column name or position of X; got {variable!r}.")
        endog = list(np.asarray(self._first_stage_endog, dtype=int))
        if col not in endog:
            raise ValueError(
                f"{names[col]!r} is an exogenous control (it lies in the span of the instruments); its Wald "
                "interval (conf_int) is not affected by weak instruments. Weak-IV-robust sets are for the "
                f"endogenous regressors {[names[i] for i in endog]}."
            )
        return endog.index(col)

    def confidence_set(
        self, variable, *, test: str = "AR", alpha: float = 0.05
    ) -> _weak.ConfidenceSet:
        """Weak-instrument-robust confidence set for one endogenous coefficient, by test inversion.

        ``test="AR"``: the (subvector) Anderson-Rubin test, minimised over the other endogenous coefficients
        (Guggenberger et al., 2012), with chi-squared critical values, as ``ivmodels``; valid however weak the
        instruments (homoskedastic errors). The set can be a bounded interval, the union of two half-lines,
        the whole line (the instruments carry no information), or empty (the overidentifying restrictions are
        rejected). ``test="CLR"``: Moreira's (2003) conditional likelihood-ratio test (subvector version as in
        ``ivmodels``), also valid under weak instruments and more powerful than AR when overidentified; its
        set is found by root finding between two AR-type sets. Either set depends only on the data, not on
        the estimator's ``kappa`` or ``ivl_alpha``. (The LM test is not implemented yet.)

        Parameters
        ----------
        variable : str or int
            Name (DataFrame X) or position of an endogenous column of X.
        test : {"AR", "CLR"}
        alpha : float, default 0.05
            One minus the confidence level.

        Returns
        -------
        ConfidenceSet
            With ``.intervals`` (list of ``(lower, upper)``, ``-inf``/``inf`` allowed) and a readable repr.
        """
        if not isinstance(test, str) or test.upper() not in ("AR", "CLR"):
            raise ValueError(
                f"test must be 'AR' or 'CLR' (the LM test is not implemented yet); got {test!r}."
            )
        test = test.upper()
        alpha = check_scalar_in_range(
            alpha, "alpha", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
        )
        j = self._endog_position(variable)
        q, dfd = (int(v) for v in self._wiv_df)
        inverse = _weak.ar_confidence_set if test == "AR" else _weak.clr_confidence_set
        intervals = inverse(self._wiv_Rp, self._wiv_Rm, q, dfd, j, alpha)
        names = as_list_of_names(getattr(self, "feature_names_in_", None), self.n_features_in_)
        col = int(self._first_stage_endog[j])
        return _weak.ConfidenceSet(
            [(float(lo), float(hi)) for lo, hi in intervals], names[col], test, float(alpha)
        )

    def weak_iv_tests(self, *, beta0=None) -> pd.DataFrame:
        """Weak-instrument-robust tests: full-vector Anderson-Rubin, LIML J and Anderson's rank test.

        Parameters
        ----------
        beta0 : array-like of shape (n_endogenous,), optional
            Null value of the endogenous coefficients for the AR test (default 0: no effect).

        Returns
        -------
        DataFrame
            Rows ``anderson_rubin`` (H0: the endogenous coefficients equal ``beta0``; valid under weak
            instruments), ``liml_j`` (H0: the overidentifying restrictions hold; NaN when exactly identified),
            ``anderson_rank`` (H0: the first-stage coefficient matrix has reduced rank, i.e. the model is
            under-identified); columns ``statistic``, ``df`` (chi-squared degrees of freedom) and ``p_value``.
            Homoskedastic statistics with chi-squared critical values, as ``ivmodels``.
        """
        check_is_fitted(self, "coef_")
        if getattr(self, "_wiv_df", None) is None:
            raise ValueError("weak_iv_tests needs a fit with instruments.")
        Rp, Rm = self._wiv_Rp, self._wiv_Rm
        q, dfd = (int(v) for v in self._wiv_df)
        m = Rp.shape[1] - 1
        b0 = np.zeros(m) if beta0 is None else np.asarray(beta0, dtype=float).reshape(-1)
        if b0.shape != (m,):
            raise ValueError(
                f"beta0 must have one entry per endogenous regressor ({m}); got {b0.size}."
            )
        ar = _weak.ar_test(Rp, Rm, q, dfd, b0) if m else (np.nan, np.nan)
        j = _weak.j_test(Rp, Rm, q, dfd) if m else (np.nan, np.nan)
        rank = _weak.rank_test(Rp, Rm, q, dfd) if m else (np.nan, np.nan)
        return pd.DataFrame(
            {
                "statistic": [ar[0], j[0], rank[0]],
                "df": [q, q - m if q > m else np.nan, q - m + 1 if q >= m else np.nan],
                "p_value": [ar[1], j[1], rank[1]],
            },
            index=pd.Index(["anderson_rubin", "liml_j", "anderson_rank"], name="test"),
        )

    def _param_names(self) -> list[str]:
        names = as_list_of_names(getattr(self, "feature_names_in_", None), self.n_features_in_)
        return (["intercept"] if self.fit_intercept else []) + names

    @property
    def stderr_(self) -> np.ndarray:
        """Standard errors of ``[intercept_, *coef_]`` (intercept only when ``fit_intercept``)."""
        check_is_fitted(self, "coef_")
        if self.cov_ is None:
            raise AttributeError(
                "stderr_ is not available: "
                + (
                    getattr(self, "_no_cov_reason", None)
                    or "the estimator was fitted with cov_type=None."
                )
            )
        return np.sqrt(np.diag(self.cov_))

    def _fitted_inference(self) -> EffectResult:
        # InferenceMixin's hook: a fitted estimator without standard errors says why
        check_is_fitted(self, "coef_")
        result = getattr(self, "inference_", None)
        if result is None:
            raise ValueError(
                getattr(self, "_no_cov_reason", None)
                or "summary/conf_int need standard errors: refit with cov_type='HC1' (or another)."
            )
        return result

    def _make_inference(self) -> EffectResult:
        """One row per parameter (intercept first), Wald (normal) intervals, first-stage diagnostics as
        extra columns."""
        est = np.concatenate([[self.intercept_], self.coef_]) if self.fit_intercept else self.coef_
        extra = {}
        info: dict[str, Any] = {
            "No. observations": self.nobs_,
            "No. instruments": self.n_instruments_,
            "kappa (k-class)": f"{self.kappa_:.6g}",
            "Covariance": self._cov_label,
        }
        ivl_alpha = getattr(self, "ivl_alpha_", None)
        if ivl_alpha is not None:
            info["ivl_alpha (ERM weight)"] = f"{ivl_alpha:.6g}"
        notes = []
        first_stage = self.first_stage_
        if first_stage is not None:
            off = int(self.fit_intercept)
            rows = off + np.asarray(self._first_stage_endog, dtype=int)
            for col, src in (
                ("first_stage_partial_r2", "partial_r2"),
                ("first_stage_F", "partial_F"),
            ):
                full = np.full(off + self.n_features_in_, np.nan)
                full[rows] = first_stage[src].to_numpy()
                extra[col] = full
            if self.n_controls_:
                info["No. controls (exogenous in X)"] = self.n_controls_
            if len(first_stage) and np.isfinite(first_stage["partial_F"]).any():
                info["Min first-stage partial F"] = f"{np.nanmin(first_stage['partial_F']):.4g}"
            if "effective_F" in first_stage and np.isfinite(first_stage["effective_F"]).any():
                info["Effective F (Montiel Olea-Pflueger)"] = (
                    f"{first_stage['effective_F'].iloc[0]:.4g}"
                )
            if "sw_F" in first_stage and np.isfinite(first_stage["sw_F"]).any():
                info["Min Sanderson-Windmeijer F"] = f"{np.nanmin(first_stage['sw_F']):.4g}"
            if len(first_stage):
                tests = self.weak_iv_tests()
                labels = {
                    "anderson_rubin": "AR (coefs = 0) p-value",
                    "liml_j": "LIML J p-value",
                    "anderson_rank": "Anderson rank p-value",
                }
                for key, label in labels.items():
                    if np.isfinite(tests.loc[key, "p_value"]):
                        info[label] = f"{tests.loc[key, 'p_value']:.4g}"
            if not self.identified_:
                notes.append(
                    "The instruments do not identify every regressor direction (under-identified IV "
                    "problem); the ERM term (ivl_alpha > 0) regularises the rest."
                )
        notes.append(
            "First-stage F: classical partial F test of the excluded instruments in the regression of each "
            "endogenous regressor on the instruments, the exogenous controls (X columns also among the "
            "instruments, and the constant) partialled out."
        )
        return EffectResult(
            est,
            np.sqrt(np.diag(self.cov_)),
            names=self._param_names(),
            method=self._method_label(),
            extra=extra,
            info=info,
            notes=notes,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


class IVLRegression(_KClassBase):
    r"""IV-like (IVL) regression: IV regression regularised by the ERM (least-squares) risk.

    Minimises :math:`\|P_Z(y - Xb)\|^2 + \alpha_{IVL}\|y - Xb\|^2` (Akbar et al., NeurIPS 2025; their
    :math:`\alpha`, here ``ivl_alpha``). This is the k-class estimator with :math:`\kappa = 1/(1+\alpha_{IVL})`
    and anchor regression with :math:`\gamma = 1 + 1/\alpha_{IVL}`. Computed from one thin QR of
    ``[instruments, X, y]``: no n x n matrix, memory of one data copy.

    ``alpha`` means one thing here, as everywhere in causalkit: one minus the confidence level, a keyword of
    ``summary(*, alpha=0.05)`` and ``conf_int(*, alpha=0.05)``. The ERM weight is ``ivl_alpha``.

    Parameters
    ----------
    ivl_alpha : float, default 1.0
        Weight of the ERM risk, in ``[0, inf]``. ``ivl_alpha=np.inf`` is OLS. ``ivl_alpha=0`` is the IV limit:
        2SLS when the instruments identify every regressor; otherwise (the usual case for data augmentations,
        fewer instruments than regressors) the constrained :math:`\alpha_{IVL}\to 0^+` solution, least squares
        subject to the IV normal equations, with a warning. Never the minimum-norm pseudo-inverse answer.
    fit_intercept : bool, default True
        Fit an intercept (y, X and the instruments are centred; the constant is its own instrument).
    cov_type : {"HC1", "HC0", "nonrobust", None}, default "HC1"
        Covariance of the estimates: heteroskedasticity-robust sandwich (HC1 has the n/(n-p) factor), classical,
        or None to skip inference (fastest). ``groups`` in ``fit`` makes it cluster-robust (CR1).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    kappa_ : float
        ``1 / (1 + ivl_alpha)``.
    anchor_gamma_ : float
        ``1 + 1 / ivl_alpha`` (``inf`` at ``ivl_alpha=0``).
    ivl_alpha_ : float
        The ``ivl_alpha`` used.
    identified_ : bool
        Whether the instruments identify every regressor direction (rank of P_Z X equals n_features).
    first_stage_ : DataFrame
        One row per endogenous regressor (controls have none): ``partial_r2`` and ``partial_F`` of the excluded
        instruments with the controls partialled out (linearmodels' ``first_stage.diagnostics``), its
        ``p_value``, and with several endogenous regressors the Sanderson-Windmeijer conditional F ``sw_F``;
        with one endogenous regressor and a heteroskedasticity-robust ``cov_type`` (HC0/HC1, no ``groups``) the
        Montiel Olea-Pflueger effective F ``effective_F``.
    n_controls_ : int
        Number of exogenous controls: X columns in the span of the instruments (listed there, or by
        ``controls=``).
    cov_ : ndarray or None
        Covariance of ``[intercept_, *coef_]``.
    stderr_ : ndarray
        Its standard errors (an AttributeError saying why when there are none).
    inference_ : EffectResult or None
        Estimates, standard errors and Wald intervals, one term per parameter (``"intercept"`` first, then the
        feature names or ``x0, x1, ...``); read by ``summary`` and ``conf_int``. None when no standard errors
        are available (``cov_type=None``, or the reason ``summary`` gives).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X is a DataFrame with string column names.

    Notes
    -----
    Exogenous controls are X columns that are also instruments: list them in both ``X`` and ``instruments``
    (as in statsmodels' IV2SLS), or name them with ``fit(..., controls=[...])`` and pass only the excluded
    instruments. They are partialled out of LIML's kappa, of ``first_stage_`` and of the weak-IV tests.

    Weak instruments: an IV fit (``ivl_alpha=0``) whose smallest first-stage partial F (or, with several
    endogenous regressors, Sanderson-Windmeijer F) is below 10 raises a
    :class:`~causalkit.exceptions.WeakInstrumentWarning` with the number; Wald intervals (``conf_int``) are then
    unreliable, while ``confidence_set(variable)`` (inverted Anderson-Rubin test) keeps its level however weak
    the instruments (``test="CLR"``: the conditional likelihood-ratio test), and ``weak_iv_tests()`` gives the
    full-vector AR, LIML J and Anderson rank tests.

    ``fit(X, y)`` without instruments treats every regressor as exogenous and returns OLS (with a warning); it
    exists so that the estimator works in scikit-learn tools that call ``fit(X, y)``.

    Numerical safeguards (shared by every estimator of :mod:`causalkit.iv`):

    - Coefficients and standard errors come from one triangular factor of the centred data (no X'X is formed or
      inverted), so they do not change when a regressor is shifted (timestamps) or rescaled.
    - A constant regressor (with ``fit_intercept=True``), an all-zero one, or one that is a linear combination
      of earlier columns (condition number of the centred, unit-norm design beyond 1e12) raises a ValueError
      naming the columns (by feature name for DataFrames); nothing is dropped silently. Between 1e10 and 1e12
      the fit goes on with an :class:`~causalkit.exceptions.IllConditionedWarning` (about
      ``16 - log10(condition number)`` correct digits remain).
    - At least ``n_features + 1`` samples are needed (``n_features`` without intercept); with exactly that many
      the fit interpolates and no standard errors are reported (``stderr_``/``summary`` say why). The same holds
      for the under-identified IV limit and for ``kappa > 1`` beyond a positive definite bread.
    - ``groups`` with fewer than two clusters raise a ValueError; fewer than 20 give a
      :class:`~causalkit.exceptions.ClusterWarning`.
    - ``predict`` checks DataFrame column names and order against ``feature_names_in_`` as scikit-learn does
      (ValueError when they differ; a warning when names are present on one side only), and returns a Series
      with the DataFrame's index.
    - Values beyond 1e100 in magnitude (or columns entirely below 1e-100) are refused: rescale them.

    Examples
    --------
    >>> import numpy as np
    >>> from causalkit.iv import IVLRegression
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.normal(size=(500, 2))
    >>> u = rng.normal(size=500)
    >>> X = Z @ [[1.0], [0.5]] + u[:, None]
    >>> y = 2.0 * X[:, 0] + u + 0.1 * rng.normal(size=500)
    >>> iv = IVLRegression(ivl_alpha=0).fit(X, y, instruments=Z)
    >>> bool(abs(iv.coef_[0] - 2) < 0.1)
    True
    >>> iv.conf_int(alpha=0.1).columns.tolist(), iv.conf_int().index.tolist()
    (['lower', 'upper'], ['intercept', 'x0'])
    >>> ols = IVLRegression(ivl_alpha=np.inf).fit(X, y, instruments=Z)
    >>> bool(ols.coef_[0] > 2.3)  # confounded
    True
    """

    def __init__(
        self, ivl_alpha: float = 1.0, *, fit_intercept: bool = True, cov_type: str | None = "HC1"
    ):
        self.ivl_alpha = ivl_alpha
        self.fit_intercept = fit_intercept
        self.cov_type = cov_type

    def _kappa_alpha(self, dec):
        alpha = self._ivl_alpha
        if np.isinf(alpha):
            return 0.0, alpha
        return 1.0 / (1.0 + alpha), alpha

    def fit(self, X, y, *, instruments=None, groups=None, controls=None) -> IVLRegression:
        """Fit IVL regression.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Regressors (for data augmentation: the augmented ``GX``). A dask array or DataFrame is reduced
            chunk by chunk.
        y : array-like of shape (n_samples,)
        instruments : array-like of shape (n_samples, n_instruments), keyword-only
            Instruments (for data augmentation: the augmentation parameters ``G``). Must have full column rank.
        groups : array-like of shape (n_samples,), optional, keyword-only
            Cluster labels: the covariance becomes cluster-robust.
        controls : list of int or str, optional, keyword-only
            Columns of ``X`` (positions, or names when X is a DataFrame) that are exogenous controls: they are
            appended to the instruments (unless already there), so ``instruments`` need only hold the excluded
            instruments. Listing a control in both ``X`` and ``instruments`` is equivalent. Controls are
            partialled out of the first-stage diagnostics (``first_stage_``) and of LIML's kappa.

        Returns
        -------
        self
        """
        return self._fit_ivl(X, y, instruments, groups, depth=2, controls=controls)

    def _fit_ivl(self, X, y, instruments, groups, *, depth, controls=None):
        self._ivl_alpha = check_scalar_in_range(
            self.ivl_alpha, "ivl_alpha", low=0.0, allow_inf=True
        )
        self._fit(X, y, instruments, groups=groups, depth=depth, controls=controls)
        self.ivl_alpha_ = self._ivl_alpha
        self.anchor_gamma_ = np.inf if self._ivl_alpha == 0 else 1.0 + 1.0 / self._ivl_alpha
        self._set_inference()
        return self

    def _method_label(self) -> str:
        return f"IVL regression (ivl_alpha={self.ivl_alpha_:g})"


class KClassRegression(_KClassBase):
    r"""k-class instrumental-variable regression (OLS, 2SLS, LIML, Fuller and everything in between).

    :math:`\hat b = [X'(I-\kappa M_Z)X]^{-1}X'(I-\kappa M_Z)y`. Shares the solver of :class:`IVLRegression`
    (``kappa = 1/(1+ivl_alpha)`` for ``kappa`` in ``[0, 1]``). ``alpha`` is only the CI level of ``summary``
    and ``conf_int``.

    Parameters
    ----------
    kappa : float or {"ols", "tsls", "liml"} or "fuller(a)", default "tsls"
        A number, or ``"ols"`` (0), ``"tsls"`` (1), ``"liml"`` (estimated), ``"fuller(a)"`` (LIML's kappa minus
        ``a / (n - n_instruments)``, counting the constant as an instrument when ``fit_intercept``, as
        linearmodels does). ``"tsls"`` with too few instruments returns the constrained ivl_alpha -> 0+
        solution with a warning (see :class:`IVLRegression`).
    fit_intercept : bool, default True
    cov_type : {"HC1", "HC0", "nonrobust", None}, default "HC1"

    Attributes
    ----------
    coef_, intercept_, kappa_ (the numeric kappa used), first_stage_, cov_, stderr_, inference_, identified_,
    n_features_in_ : as in :class:`IVLRegression`

    Examples
    --------
    >>> import numpy as np
    >>> from causalkit.iv import KClassRegression
    >>> rng = np.random.default_rng(1)
    >>> Z = rng.normal(size=(400, 3))
    >>> u = rng.normal(size=400)
    >>> X = (Z.sum(axis=1) + u)[:, None]
    >>> y = X[:, 0] + u + 0.5 * rng.normal(size=400)
    >>> liml = KClassRegression(kappa="liml").fit(X, y, instruments=Z)
    >>> bool(liml.kappa_ >= 1), bool(abs(liml.coef_[0] - 1) < 0.15)
    (True, True)

    Controls by name, first-stage diagnostics and an Anderson-Rubin confidence set:

    >>> import pandas as pd
    >>> Xc = pd.DataFrame({"x": X[:, 0], "c": Z[:, 2]})
    >>> fit = KClassRegression("liml").fit(Xc, y, instruments=Z[:, :2], controls=["c"])
    >>> fit.first_stage_.columns.tolist(), fit.first_stage_.index.tolist(), fit.n_controls_
    (['partial_r2', 'partial_F', 'p_value', 'effective_F'], ['x'], 1)
    >>> cs = fit.confidence_set("x", alpha=0.05)
    >>> len(cs.intervals), bool(cs.intervals[0][0] < fit.coef_[0] < cs.intervals[0][1])
    (1, True)
    >>> fit.weak_iv_tests().index.tolist()
    ['anderson_rubin', 'liml_j', 'anderson_rank']
    """

    def __init__(
        self,
        kappa: float | str = "tsls",
        *,
        fit_intercept: bool = True,
        cov_type: str | None = "HC1",
    ):
        self.kappa = kappa
        self.fit_intercept = fit_intercept
        self.cov_type = cov_type

    def _kappa_alpha(self, dec):
        kappa = self.kappa
        if isinstance(kappa, str):
            key = kappa.strip().lower()
            if key == "ols":
                return 0.0, np.inf
            if key in ("tsls", "2sls"):
                return 1.0, 0.0
            if key == "liml":
                return _solver.liml_kappa(dec), np.nan
            m = re.fullmatch(r"fuller\(\s*([-+0-9.eE]+)\s*\)", key)
            try:
                a = float(m.group(1)) if m else None
            except ValueError:
                a = None
            if a is not None and np.isfinite(a):
                k_tot = dec.k + int(dec.fit_intercept)
                if dec.n <= k_tot:
                    raise ValueError(
                        f"kappa={kappa!r} needs more samples than instruments (with the constant): "
                        f"n_samples = {dec.n}, {k_tot} instruments."
                    )
                return _check_kappa(_solver.liml_kappa(dec) - a / (dec.n - k_tot), kappa), np.nan
            raise ValueError(
                f"kappa must be a number or one of 'ols', 'tsls', 'liml', 'fuller(a)'; got {kappa!r}."
            )
        if isinstance(kappa, bool) or not isinstance(kappa, numbers.Real):
            raise TypeError(f"kappa must be a real number or a string; got {type(kappa).__name__}.")
        kappa = _check_kappa(check_scalar_in_range(kappa, "kappa"), kappa)
        alpha = np.inf if kappa == 0 else ((1 - kappa) / kappa if 0 < kappa <= 1 else np.nan)
        return kappa, alpha

    def fit(self, X, y, *, instruments=None, groups=None, controls=None) -> KClassRegression:
        """Fit the k-class estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        instruments : array-like of shape (n_samples, n_instruments), keyword-only
        groups : array-like of shape (n_samples,), optional, keyword-only
            Cluster labels for a cluster-robust covariance.
        controls : list of int or str, optional, keyword-only
            Columns of ``X`` (positions, or names when X is a DataFrame) that are exogenous controls: they are
            appended to the instruments (unless already there), so ``instruments`` need only hold the excluded
            instruments. Listing a control in both ``X`` and ``instruments`` is equivalent. Controls are
            partialled out of the first-stage diagnostics (``first_stage_``) and of LIML's kappa.

        Returns
        -------
        self
        """
        self._fit(X, y, instruments, groups=groups, controls=controls)
        self._set_inference()
        return self

    def _is_iv_fit(self, kappa: float) -> bool:
        spec = self.kappa
        if isinstance(spec, str):
            return (
                spec.strip().lower() != "ols"
            )  # tsls, liml, fuller(a) (Fuller's kappa can be just below 1)
        return kappa >= 1.0

    def _method_label(self) -> str:
        return f"k-class IV regression (kappa={self.kappa_:.6g})"


def warn_weak_instruments(fs: Any, names: Any) -> None:
    """WeakInstrumentWarning (at the user's line) when the smallest first-stage partial F is below 10, or, with
    several endogenous regressors, the smallest Sanderson-Windmeijer conditional F (each regressor can look
    strong alone while the instruments do not separate them)."""
    candidates = [("partial F", fs.partial_F)]
    if fs.sw_F is not None:
        candidates.append(("Sanderson-Windmeijer conditional F", fs.sw_F))
    worst = None
    for label, F in candidates:
        if np.all(np.isnan(F)):
            continue
        j = int(np.nanargmin(F))
        if F[j] < WEAK_F_THRESHOLD and (worst is None or F[j] < worst[2]):
            worst = (label, j, float(F[j]))
    if worst is None:
        return
    label, j, value = worst
    col = int(fs.endog[j])
    which = f"X column {str(names[col])!r}" if names is not None else f"X column {col}"
    warnings.warn(
        f"Weak instruments: the first-stage {label} of {which} is {value:.3g} (controls partialled out, "
        f"{fs.df[0]} excluded instrument(s)), below the rule-of-thumb {WEAK_F_THRESHOLD:g}. Wald standard "
        "errors and intervals are unreliable; see first_stage_, and confidence_set(variable) for an "
        "Anderson-Rubin set that is valid however weak the instruments.",
        WeakInstrumentWarning,
        stacklevel=user_stacklevel(),
    )


def _append_controls(X: Any, Z: Any, names: Any, controls: Any, on_dask: bool) -> Any:
    """Instruments with the control columns of X appended (those not already among them)."""
    if Z is None:
        raise ValueError(
            "controls= needs instruments= (the excluded instruments); without instruments every regressor is "
            "exogenous already."
        )
    p = X.shape[1]
    items = [controls] if isinstance(controls, (str, numbers.Integral)) else list(controls)
    cols: list[int] = []
    for c in items:
        if isinstance(c, str):
            if names is None or c not in list(names):
                raise ValueError(
                    f"controls: {c!r} is not a column name of X"
                    + (
                        ""
                        if names is not None
                        else " (X has no string column names; pass positions)"
                    )
                    + "."
                )
            j = list(names).index(c)
        elif isinstance(c, numbers.Integral) and not isinstance(c, bool) and -p <= int(c) < p:
            j = int(c) % p
        else:
            raise ValueError(
                f"controls must be positions in [0, {p}) or column names of X; got {c!r}."
            )
        if j not in cols:
            cols.append(j)
    if not cols:
        return Z
    if on_dask:
        import dask.array as da

        return da.concatenate([Z, X[:, cols]], axis=1).rechunk({1: -1})
    new = [j for j in cols if not any(np.array_equal(X[:, j], Z[:, i]) for i in range(Z.shape[1]))]
    return np.column_stack([Z, X[:, new]]) if new else Z


def validate_X(X: Any, name: str, owner: str, predict: bool = False) -> tuple[np.ndarray, Any]:
    """check_2d (which rejects sparse and complex input) plus scikit-learn-style messages for empty and 1-D X."""
    if X is not None and not hasattr(X, "columns") and getattr(X, "ndim", np.asarray(X).ndim) == 1:
        raise ValueError(
            f"{name} must be 2-dimensional (n_samples, n_features); got a 1-D array. Reshape your data "
            "with X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample."
        )
    arr, names = check_2d(X, name, min_features=0, min_samples=0, return_names=True)
    if arr.shape[1] == 0:
        raise ValueError(
            f"{name}: found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    if arr.shape[0] == 0:
        raise ValueError(
            f"{name}: found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    if not predict and arr.shape[0] < 2:
        raise ValueError(f"{owner} needs at least 2 samples; got n_samples = {arr.shape[0]}.")
    return arr, names


def validate_y(y: Any, owner: str, stacklevel: int = 3) -> np.ndarray:
    """check_1d with a DataConversionWarning for a column vector, as scikit-learn does."""
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    if not hasattr(y, "to_numpy"):
        y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected; it is ravelled.",
            DataConversionWarning,
            stacklevel=stacklevel,
        )
    if getattr(getattr(y, "dtype", None), "kind", None) == "c":
        raise ValueError("y: Complex data not supported.")
    return check_1d(y, "y")


class DataConversionWarning(CausalkitWarning, _SkDataConversionWarning):
    """A column-vector y was ravelled (a causalkit warning that is also scikit-learn's DataConversionWarning)."""


#: k-class estimators of interest have kappa in [0, 1] (LIML and Fuller slightly above 1); far outside, the
#: weights of the two risks overflow the sandwich.
_MAX_KAPPA = 1e6


def _check_kappa(value: float, given: Any) -> float:
    if not abs(value) <= _MAX_KAPPA:
        raise ValueError(
            f"kappa={given!r} gives kappa = {value:.6g}, outside [-{_MAX_KAPPA:.0e}, {_MAX_KAPPA:.0e}]; k-class "
            "estimators use kappa in [0, 1] (LIML and Fuller slightly above 1)."
        )
    return value


#: Values beyond this magnitude (or columns entirely below its inverse) overflow or underflow the squares
#: and cross products that every fit needs.
_MAX_MAGNITUDE = 1e100


def check_magnitude(**arrays: np.ndarray | None) -> None:
    """Refuse data whose squares overflow or underflow double precision, naming the argument and column."""
    for name, arr in arrays.items():
        if arr is None or arr.size == 0:
            continue
        a = np.abs(arr)
        big = float(a.max())
        if big > _MAX_MAGNITUDE:
            raise ValueError(
                f"{name} has values of magnitude up to {big:.3g}; squares and cross products overflow double "
                f"precision beyond about {_MAX_MAGNITUDE:.0e}. Rescale {name} (divide it by a power of ten) "
                "and rescale the coefficients back."
            )
        colmax = a.max(axis=0) if a.ndim == 2 else np.array([big])
        tiny = np.flatnonzero((colmax > 0) & (colmax < 1 / _MAX_MAGNITUDE))
        if tiny.size:
            where = f" column {int(tiny[0])}" if a.ndim == 2 else ""
            raise ValueError(
                f"{name}{where} has values of magnitude at most {float(colmax[tiny[0]]):.3g}; their squares "
                f"underflow double precision below about {1 / _MAX_MAGNITUDE:.0e}. Rescale {name} (multiply "
                "it by a power of ten) and rescale the coefficients back."
            )


def check_n_features(X: np.ndarray, n_features: int, owner: str) -> None:
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but {owner} is expecting {n_features} features as input."
        )
