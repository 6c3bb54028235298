"""Treatment effects on debiased predictions, with inference that includes the calibration uncertainty."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from .._base import (
    EffectMixin,
    EffectResult,
    check_1d,
    check_2d,
    check_binary_treatment,
    check_consistent_length,
    check_feature_names,
    check_groups,
    check_int,
    check_n_clusters,
    check_weights,
    make_folds,
    ols_inference,
    parallel_map,
    resample_indices,
    spawn_seeds,
    user_stacklevel,
    warn_no_overlap,
)
from .._base._dask import any_dask
from ..exceptions import (
    CalibrationWarning,
    CausalkitWarning,
    ClusterWarning,
    CollinearityWarning,
    ConvergenceWarning,
    ExtrapolationWarning,
    OverlapWarning,
)
from . import _dask
from ._debiasers import LinearCalibrationDebiaser, TweedieDebiaser
from ._variance import corrected_stderr, needs_score_contrast, supports_analytic

__all__ = ["DebiasedATE", "compare_debiasers"]

_METHODS = ("difference", "ipw", "regression")
_INFERENCE = ("bootstrap", "analytic")
_CLIP = (0.01, 0.99)
#: Warn when more than this fraction of the bootstrap replicates had to be dropped.
_MAX_DROPPED_FRACTION = 0.01
# Why a bootstrap replicate was dropped (index into the counts of ``_bootstrap``).
_OK, _LOST_ARM, _REFIT_FAILED, _NOT_FINITE, _COLLINEAR = range(5)
#: A (weighted, centred) column whose part outside the span of the others is below this fraction of its norm
#: is treated as collinear with them: its coefficient would carry fewer than half of double precision's digits.
_COLLINEAR_TOL = 1e-8


def _contrast_weights(
    a: np.ndarray, w: np.ndarray, method: str, e: np.ndarray | None
) -> np.ndarray:
    """Unit weights of the WLS of the outcome on [1, A] (difference in means or Hájek IPW)."""
    if method == "ipw":
        if e is None:
            raise ValueError("method='ipw' needs propensities.")
        return w * (a / e + (1 - a) / (1 - e))
    return w


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    """OLS slope of ``y`` on ``x``, from unit-scale copies (no overflow or underflow of the squares)."""
    cx, cy = _outcome_scale(x), _outcome_scale(y)
    xs, ys = x / cx, y / cy
    xc = xs - xs.mean()
    return float(xc @ (ys - ys.mean()) / (xc @ xc)) * (cy / cx)


def _scaled_std(x: np.ndarray) -> float:
    """Sample SD (``ddof=1``) of unit-scale copies, scaled back: no overflow of squares at 1e300."""
    c = _outcome_scale(x)
    return c * float(np.std(x / c, ddof=1))


def _outcome_scale(*columns: np.ndarray) -> float:
    """Largest magnitude of the outcome columns (1.0 when zero): contrasts and SEs are computed on outcomes
    divided by it and scaled back, exact for these linear estimators and safe from overflow (1e300) and
    underflow (1e-300) of squares."""
    c = max(float(np.max(np.abs(col))) for col in columns)
    return c if c > 0 else 1.0


def _contrast(Y: np.ndarray, a: np.ndarray, w: np.ndarray, X: np.ndarray | None) -> np.ndarray:
    """Coefficient on ``a`` of the WLS of each column of ``Y`` on [1, a, X] with weights ``w``."""
    if X is None:
        w1, w0 = w * a, w * (1 - a)
        return (w1 @ Y) / w1.sum() - (w0 @ Y) / w0.sum()
    design = np.column_stack([np.ones_like(a), a, X])
    sw = np.sqrt(w)[:, None]
    coef = np.linalg.lstsq(design * sw, Y * sw, rcond=None)[0]
    return coef[1]


def _residual_norm(Q: np.ndarray | None, v: np.ndarray) -> tuple[np.ndarray, float]:
    """Part of ``v`` orthogonal to the orthonormal columns of ``Q`` (projected twice for stability)."""
    if Q is not None:
        v = v - Q @ (Q.T @ v)
        v = v - Q @ (Q.T @ v)
    return v, float(np.linalg.norm(v))


def _treatment_identified(a: np.ndarray, X: np.ndarray, w: np.ndarray) -> bool:
    """Whether the coefficient on ``a`` in the WLS of an outcome on [1, a, X] is identified (with tolerance)."""
    sw = np.sqrt(w)
    design = np.column_stack([sw, X * sw[:, None]])
    Q, R = np.linalg.qr(design)
    d = np.abs(np.diag(R))
    Q = Q[:, d > _COLLINEAR_TOL * max(d.max(), 1e-300)]
    v = (a - np.average(a, weights=w)) * sw
    _, res = _residual_norm(Q, v)
    return bool(res > _COLLINEAR_TOL * np.linalg.norm(v))


def _regression_covariates(
    a: np.ndarray, X: np.ndarray, w: np.ndarray, names, stacklevel: int
) -> np.ndarray:
    """Standardised adjustment covariates for ``method="regression"``; collinear columns handled.

    Columns are centred and scaled (with the weights), which leaves the coefficient on the treatment unchanged
    and keeps the least-squares solve accurate for any magnitude (a timestamp-like covariate, 1e12 units).
    A constant column or one in the span of earlier columns is dropped with a :class:`CollinearityWarning`
    (the treatment coefficient does not change). If the treatment lies in the span of the intercept and the
    covariates, its effect is not identified: ``ValueError`` naming the covariates involved.
    """
    labels = (
        [f"column {j}" for j in range(X.shape[1])] if names is None else [str(c) for c in names]
    )
    pos = w > 0
    sw = np.sqrt(w)
    cmax = np.max(np.abs(X), axis=0)
    Xs = X / np.where(cmax > 0, cmax, 1.0)  # unit-scale columns: no overflow/underflow of squares
    Xc = Xs - np.average(Xs, axis=0, weights=w)
    q0 = (sw / np.linalg.norm(sw))[:, None]
    Q = q0
    kept, dropped = [], []
    for j in range(X.shape[1]):
        col = X[pos, j]
        v = Xc[:, j] * sw
        norm = float(np.linalg.norm(v))
        if col.min() == col.max() or norm == 0:
            dropped.append(j)
            continue
        r, res = _residual_norm(Q, v)
        if res <= _COLLINEAR_TOL * norm:
            dropped.append(j)
            continue
        Q = np.column_stack([Q, r / res])
        kept.append(j)
    v = (a - np.average(a, weights=w)) * sw
    _, res = _residual_norm(Q, v)
    if res <= _COLLINEAR_TOL * np.linalg.norm(v):
        coef = np.linalg.lstsq(Xc[:, kept] * sw[:, None], v, rcond=None)[0] if kept else []
        scale = np.std(Xc[:, kept], axis=0) if kept else []
        size = np.abs(np.asarray(coef) * np.asarray(scale))
        involved = [labels[j] for j, c in zip(kept, size) if c > 1e-6 * size.max()]
        raise ValueError(
            f"treatment is collinear with covariates {involved} (with the intercept): the effect "
            "adjusted for them is not identified. Remove these covariates from covariates."
        )
    if dropped:
        warnings.warn(
            f"dropped covariates {[labels[j] for j in dropped]}: constant or collinear with the other "
            "covariates (and the intercept); the treatment effect does not depend on them.",
            CollinearityWarning,
            stacklevel=stacklevel,
        )
    Xk = Xc[:, kept]
    return Xk / np.sqrt(np.average(Xk**2, axis=0, weights=w))


def _fit_debiaser(debiaser, pred, y, unl, cal_w):
    kwargs = {}
    if unl is not None:
        kwargs["unlabeled_predictions"] = unl
    if cal_w is not None:
        kwargs["sample_weight"] = cal_w
    return debiaser.fit(pred, y, **kwargs)


def _propensity(a, covariates, given):
    if given is not None:
        return given
    model = LogisticRegression(max_iter=1000).fit(covariates, a)
    e = model.predict_proba(covariates)[:, 1]
    warn_no_overlap(e, _CLIP, "estimated propensity")
    return np.clip(e, *_CLIP)


def _reported_in_bootstrap(category) -> bool:
    """Which warnings raised inside a bootstrap replicate are reported (summarised) to the user.

    Not reported: :class:`ExtrapolationWarning` (a resampled calibration set has a narrower support than the
    full one, so such warnings are artefacts of resampling) and :class:`CalibrationWarning` (the same checks
    already ran, and warned, on the full calibration set). Everything else (overlap, convergence, a custom
    debiaser's own warnings) is counted and reported once.
    """
    return issubclass(category, UserWarning) and not issubclass(
        category, (ExtrapolationWarning, CalibrationWarning)
    )


def _warn_replicate_notes(notes, n_replicates: int, stacklevel: int) -> None:
    """One warning per category raised in the bootstrap replicates, with the count and the first message."""
    seen: dict[type, list] = {}
    for rep_notes in notes:
        for category in {c for c, _ in rep_notes}:
            first = next(msg for c, msg in rep_notes if c is category)
            seen.setdefault(category, [0, first])[0] += 1
    for category, (count, first) in seen.items():
        if issubclass(category, CausalkitWarning):
            named = category
        elif issubclass(category, SkConvergenceWarning):
            named = ConvergenceWarning
        else:
            named = CalibrationWarning
        warnings.warn(
            f"{count} of {n_replicates} bootstrap replicates warned ({category.__name__}): {first}",
            named,
            stacklevel=stacklevel + 1,
        )


class _JointReplicate:
    """One replicate of the joint bootstrap (picklable, so process and Dask backends work).

    From the replicate's seed, :func:`~causalkit._base.resample_indices` draws the trial units (whole clusters
    when ``g`` is given), then the calibration pairs, then the unlabeled predictions, each sample resampled
    on its own with its own size; the debiaser is refitted on the resampled calibration (and unlabeled)
    data and the corrected and naive contrasts are recomputed on the resampled trial.

    Returns ``(effects, reason, warning notes, error message)``; ``reason`` is one of ``_OK``, ``_LOST_ARM``,
    ``_REFIT_FAILED``, ``_NOT_FINITE``, ``_COLLINEAR``.

    TODO(#13, _base): ``_base.bootstrap_replicates`` resamples one sample and returns only the statistic's
    values; with a ``statistic(indices, rng)`` form (or several samples) and a channel for per-replicate
    warnings and failure reasons, this task would be a plain statistic passed to it.
    """

    def __init__(self, debiaser, method, pred, a, w, X, e, g, cal_p, cal_y, cal_w, unl):
        self.proto = debiaser
        self.method = method
        self.pred, self.a, self.w, self.X, self.e, self.g = pred, a, w, X, e, g
        self.cal_p, self.cal_y, self.cal_w, self.unl = cal_p, cal_y, cal_w, unl
        self.n_clusters = None if g is None else int(np.unique(g).shape[0])

    def __call__(self, seed):
        failed = np.full(2, np.nan)
        rng = np.random.default_rng(seed)
        idx = resample_indices(rng, self.pred.shape[0], groups=self.g)
        ci = resample_indices(rng, self.cal_p.shape[0])
        ui = None if self.unl is None else self.unl[resample_indices(rng, self.unl.shape[0])]
        a, w, X, e, method = self.a, self.w, self.X, self.e, self.method
        ab, wb0 = a[idx], w[idx]
        if not (wb0 @ ab > 0 and wb0 @ (1 - ab) > 0):
            return failed, _LOST_ARM, (), ""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                deb = _fit_debiaser(
                    clone(self.proto),
                    self.cal_p[ci],
                    self.cal_y[ci],
                    ui,
                    None if self.cal_w is None else self.cal_w[ci],
                )
            except ValueError as exc:  # e.g. a resampled calibration set with slope <= 0
                return failed, _REFIT_FAILED, (), str(exc)
            pb = self.pred[idx]
            Xb = None if X is None else X[idx]
            eb = None
            if method == "ipw":
                eb = e[idx] if e is not None else _propensity(ab, Xb, None)
            wb = _contrast_weights(ab, wb0, method, eb)
            if method == "regression" and not _treatment_identified(ab, Xb, wb):
                return failed, _COLLINEAR, (), ""
            corr = np.asarray(deb.transform(pb), dtype=float).ravel()
            if not np.all(np.isfinite(corr)):
                return failed, _NOT_FINITE, (), ""
            sb = np.array([_outcome_scale(corr), _outcome_scale(pb)])
            out = sb * _contrast(
                np.column_stack([corr, pb]) / sb, ab, wb, Xb if method == "regression" else None
            )
        notes = tuple(
            (r.category, str(r.message)) for r in caught if _reported_in_bootstrap(r.category)
        )
        if not np.all(np.isfinite(out)):
            return failed, _NOT_FINITE, notes, ""
        return out, _OK, notes, ""


class DebiasedATE(EffectMixin, BaseEstimator):
    """Average treatment effect on ML-predicted outcomes, corrected for shrinkage.

    The outcome of the downstream study is a prediction (e.g. a satellite wealth map) that is shrunk toward the
    mean, so the naive contrast is attenuated. The debiaser (fitted on a held-out calibration set) corrects the
    predictions and the contrast is recomputed on the corrected values. Both corrections are linear in the
    outcome, so the difference in means, Hájek IPW and the OLS coefficient all stay unbiased.

    Parameters
    ----------
    debiaser : estimator or None, default None
        :class:`TweedieDebiaser` (the default when ``None``), :class:`LinearCalibrationDebiaser` or any
        transformer with ``fit(predictions, targets)`` and ``transform``. If it is already fitted and ``fit``
        gets no ``calibration``, it is used as is (its stored calibration data are resampled by the bootstrap).
    method : {"difference", "ipw", "regression"}, default "difference"
        Difference in (weighted) means; Hájek IPW with the given ``propensity`` or a logistic model of the
        ``covariates``; or the OLS coefficient of the outcome on the treatment and the ``covariates``.
    inference : {"bootstrap", "analytic"}, default "bootstrap"
        ``"bootstrap"``: joint percentile bootstrap, resampling the trial units (clusters when ``groups`` is
        given) *and* the calibration set (refitting the debiaser each time). ``"analytic"``: delta method
        (LCC: ``Var(naive)/k^2 + naive^2 Var(k)/k^4``; Tweedie: HC variance of the corrected contrast plus the
        variance of ``sigma^2``; the density estimate is treated as fixed).
    n_bootstrap : int, default 500
    random_state : int, RandomState, Generator or None
    n_jobs : int or None
        Bootstrap replicates in parallel through joblib (results do not depend on it).

    Attributes
    ----------
    inference_ : EffectResult
        Terms ``["ATE", "naive"]``: the corrected ATE and the naive contrast on the raw predictions, with
        standard errors and intervals (``summary(*, alpha)``, ``conf_int(*, alpha)``, ``ate()`` and
        ``ate_interval(*, alpha)`` read it; the CI level ``alpha`` is a keyword of these methods).
    effect_, stderr_, naive_effect_, naive_stderr_ : float
    attenuation_ : float
        ``naive_effect_ / effect_``.
    debiaser_ : estimator
        The fitted debiaser.
    bootstrap_effects_ : ndarray of shape (n_kept, 2) or None
        Corrected and naive replicates (those that could be computed).
    bootstrap_dropped_ : int or None
        Number of bootstrap replicates that could not be computed.

    Examples
    --------
    >>> from causalkit.datasets import make_linear_shrinkage
    >>> d = make_linear_shrinkage(3000, 1000, random_state=0)
    >>> est = DebiasedATE(LinearCalibrationDebiaser(), inference="analytic").fit(
    ...     d.predictions, d.treatment,
    ...     calibration=(d.calibration_predictions, d.calibration_targets))
    >>> bool(abs(est.effect_ - d.ate) < 3 * est.stderr_), round(est.naive_effect_, 1)
    (True, 0.6)
    >>> list(est.conf_int(alpha=0.1).index)
    ['ATE', 'naive']
    >>> lower, upper = est.ate_interval(alpha=0.05)
    >>> bool(lower < est.ate() < upper)
    True
    """

    #: the corrected ATE is the first term of ``inference_`` (the naive contrast is the second)
    _ate_term = "ATE"

    def __init__(
        self,
        debiaser: Any = None,
        *,
        method: str = "difference",
        inference: str = "bootstrap",
        n_bootstrap: int = 500,
        random_state: Any = None,
        n_jobs: int | None = None,
    ):
        self.debiaser = debiaser
        self.method = method
        self.inference = inference
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- validation --------------------------------------------------------------------------------------
    def _check_params(self):
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}; got {self.method!r}.")
        if self.inference not in _INFERENCE:
            raise ValueError(f"inference must be one of {_INFERENCE}; got {self.inference!r}.")
        check_int(self.n_bootstrap, "n_bootstrap", low=2)
        deb = TweedieDebiaser() if self.debiaser is None else self.debiaser
        if not (hasattr(deb, "fit") and hasattr(deb, "transform")):
            raise TypeError(
                f"debiaser must have fit and transform methods; got {type(deb).__name__}."
            )
        return deb

    def fit(
        self,
        predictions,
        treatment,
        *,
        calibration=None,
        unlabeled_predictions=None,
        covariates=None,
        propensity=None,
        weights=None,
        groups=None,
    ):
        """Estimate the naive and the corrected ATE.

        Parameters
        ----------
        predictions : array-like of shape (n,)
            Predicted outcomes of the trial units.
        treatment : array-like of shape (n,)
            Binary 0/1 treatment.
        calibration : tuple (calibration_predictions, calibration_targets), optional
            Held-out labelled pairs to fit (a clone of) the debiaser on. Omit it to use an already fitted
            debiaser.
        unlabeled_predictions : array-like, optional
            Unlabeled map predictions for the density of :class:`TweedieDebiaser` (ignored by LCC).
        covariates : array-like of shape (n, p), optional
            For ``method="regression"`` (adjustment) and ``method="ipw"`` (propensity model).
        propensity : array-like of shape (n,), optional
            Known propensity scores in (0, 1) for ``method="ipw"``.
        weights : array-like of shape (n,), optional
            Non-negative sampling weights of the trial units.
        groups : array-like of shape (n,), optional
            Cluster labels: the bootstrap resamples clusters, analytic SEs are cluster-robust.

        Returns
        -------
        self
        """
        deb = self._check_params()
        if any_dask(predictions, treatment, weights, propensity, covariates, groups):
            return self._fit_dask(
                deb,
                predictions,
                treatment,
                calibration,
                unlabeled_predictions,
                covariates,
                propensity,
                weights,
                groups,
            )
        pred = check_1d(predictions, "predictions")
        a = check_binary_treatment(treatment, "treatment")
        n = check_consistent_length(predictions=pred, treatment=a)
        w = check_weights(weights, n, "weights")
        w = np.ones(n) if w is None else w
        for arm, label in ((1, "treated"), (0, "control")):
            n_pos = int(np.sum(w[a == arm] > 0))
            if n_pos == 0:
                raise ValueError(
                    f"weights are zero for every {label} unit: that arm has no weight, so the effect is "
                    "not defined."
                )
            if n_pos < 2:
                raise ValueError(
                    f"treatment has {n_pos} {label} unit with positive weight; a standard error needs at "
                    "least 2 units with positive weight in each arm."
                )
        g = check_groups(groups, n)
        if g is not None:
            # integer codes: labels of mixed types (1 and "a") need no ordering
            codes = pd.factorize(g, use_na_sentinel=True)[0]
            if np.any(codes < 0):
                raise ValueError(
                    f"groups has {int(np.sum(codes < 0))} missing label(s) (None/NaN)."
                )
            g = codes
        check_n_clusters(g, "groups", stacklevel=user_stacklevel() + 1)
        X = None
        if covariates is not None:
            X, x_names = check_2d(
                covariates, "covariates", ensure_2d_from_1d=True, return_names=True
            )
            check_consistent_length(predictions=pred, covariates=X)
        e = None
        if propensity is not None:
            e = check_1d(propensity, "propensity")
            check_consistent_length(predictions=pred, propensity=e)
            if np.any(e <= 0) or np.any(e >= 1):
                raise ValueError("propensity must lie strictly between 0 and 1.")
        if self.method == "ipw" and e is None and X is None:
            raise ValueError(
                "method='ipw' needs propensity or covariates (for a propensity model)."
            )
        if self.method == "regression" and X is None:
            raise ValueError(
                "method='regression' needs covariates; use method='difference' without them."
            )
        # Calibration data and the fitted debiaser.
        debiaser, cal_p, cal_y, cal_w, unl = self._resolve_debiaser(
            deb, calibration, unlabeled_predictions, predictions
        )
        self.debiaser_ = debiaser
        e_hat = _propensity(a, X, e) if self.method == "ipw" else None
        Xreg = None
        if self.method == "regression":
            Xreg = _regression_covariates(a, X, w, x_names, user_stacklevel() + 1)
        ww = _contrast_weights(a, w, self.method, e_hat)
        corrected = np.asarray(debiaser.transform(pred), dtype=float).ravel()
        if not np.all(np.isfinite(corrected)):
            raise ValueError(
                f"the debiaser's corrected predictions are not finite for "
                f"{int(np.sum(~np.isfinite(corrected)))} trial unit(s) (overflow at these magnitudes?)."
            )
        scale = np.array(
            [_outcome_scale(corrected), _outcome_scale(pred)]
        )  # one per outcome column
        outcomes = np.column_stack([corrected, pred]) / scale
        est, naive = _contrast(outcomes, a, ww, Xreg) * scale
        self.bootstrap_effects_ = None
        self.bootstrap_dropped_ = None
        extra_info = {}
        if self.inference == "analytic":
            stderr, naive_se = self._analytic(
                debiaser, pred, outcomes, a, ww, Xreg, g, naive / scale[1], scale
            )
            result_kw = {"stderr": [stderr, naive_se], "ci_method": "normal"}
            ci_label = "delta method (calibration uncertainty included)"
        else:
            if cal_p is None or cal_y is None:
                raise ValueError(
                    "inference='bootstrap' needs the calibration data: pass calibration=... or a debiaser "
                    "that stores calibration_predictions_ and calibration_targets_."
                )
            Xb = Xreg if self.method == "regression" else X
            boot = self._bootstrap(debiaser, pred, a, w, Xb, e, g, cal_p, cal_y, cal_w, unl)
            self.bootstrap_effects_ = boot
            naive_se = _scaled_std(boot[:, 1])
            result_kw = {
                "stderr": [_scaled_std(boot[:, 0]), naive_se],
                "bootstrap_estimates": boot,
                "ci_method": "percentile",
            }
            ci_label = "joint bootstrap of trial and calibration units"
            extra_info = {"Bootstrap replicates dropped": self.bootstrap_dropped_}
        self._store_result(
            debiaser, est, naive, naive_se, n, cal_p, ci_label, result_kw, extra_info
        )
        return self

    def _fit_dask(
        self,
        deb,
        predictions,
        treatment,
        calibration,
        unlabeled_predictions,
        covariates,
        propensity,
        weights,
        groups,
    ):
        """Out-of-core fit: analytic inference from chunk-wise sums (see :mod:`._dask`)."""
        if self.inference != "analytic":
            raise ValueError(
                "dask inputs need inference='analytic' (the bootstrap would resample the whole data set); "
                f"got inference={self.inference!r}."
            )
        if covariates is not None or groups is not None or self.method == "regression":
            raise ValueError(
                "dask inputs support method='difference' or method='ipw' with a known propensity, without "
                "covariates or groups."
            )
        if self.method == "ipw" and propensity is None:
            raise ValueError("method='ipw' with dask inputs needs the known propensity.")
        if calibration is not None:
            calibration = tuple(np.asarray(c) for c in calibration)  # small: computed if lazy
        if unlabeled_predictions is not None and any_dask(unlabeled_predictions):
            unlabeled_predictions = np.asarray(unlabeled_predictions)
        debiaser, cal_p, _, _, _ = self._resolve_debiaser(deb, calibration, unlabeled_predictions)
        self.debiaser_ = debiaser
        est, naive, stderr, naive_se, n = _dask.analytic_ate(
            debiaser,
            predictions,
            treatment,
            method=self.method,
            weights=weights,
            propensity=propensity,
        )
        self.bootstrap_effects_ = None
        self.bootstrap_dropped_ = None
        result_kw = {"stderr": [stderr, naive_se], "ci_method": "normal"}
        ci_label = "delta method (calibration uncertainty included), chunk-wise on dask"
        self._store_result(debiaser, est, naive, naive_se, n, cal_p, ci_label, result_kw)
        return self

    def _resolve_debiaser(self, deb, calibration, unlabeled_predictions, predictions=None):
        """Fit (a clone of) the debiaser on ``calibration`` or take the prefit one; its calibration data."""
        if calibration is not None:
            if not (isinstance(calibration, (tuple, list)) and len(calibration) == 2):
                raise TypeError(
                    "calibration must be a tuple (calibration_predictions, calibration_targets)."
                )
            cal_p = check_1d(calibration[0], "calibration_predictions")
            cal_y = check_1d(calibration[1], "calibration_targets")
            check_consistent_length(calibration_predictions=cal_p, calibration_targets=cal_y)
            cal_w = None
            unl = (
                None
                if unlabeled_predictions is None
                else check_1d(unlabeled_predictions, "unlabeled_predictions")
            )
            debiaser = _fit_debiaser(clone(deb), cal_p, cal_y, unl, None)
        else:
            try:
                check_is_fitted(deb)
            except Exception:
                raise ValueError(
                    "debiaser is not fitted: pass calibration=(calibration_predictions, "
                    "calibration_targets) or a debiaser fitted on held-out calibration data."
                ) from None
            if unlabeled_predictions is not None:
                raise ValueError(
                    "unlabeled_predictions is only used when fitting on calibration=...; the prefit "
                    "debiaser already has its density."
                )
            debiaser = deb
            if predictions is not None:
                check_feature_names(deb, predictions, argument="predictions")
            cal_p = getattr(deb, "calibration_predictions_", None)
            cal_y = getattr(deb, "calibration_targets_", None)
            cal_w = getattr(deb, "calibration_weights_", None)
            unl = getattr(deb, "unlabeled_predictions_", None)
        return debiaser, cal_p, cal_y, cal_w, unl

    def _store_result(
        self, debiaser, est, naive, naive_se, n, cal_p, ci_label, result_kw, extra_info=None
    ):
        n_cal = None if cal_p is None else int(cal_p.shape[0])
        se_given = result_kw["stderr"]
        if not (np.isfinite(est) and np.isfinite(naive) and np.all(np.isfinite(se_given))):
            raise ValueError(
                f"the effect estimate or its standard error is not finite (effect {est}, naive {naive}); "
                "the inputs' magnitudes overflow double precision: rescale the predictions."
            )
        self.inference_ = EffectResult(
            [float(est), float(naive)],
            names=["ATE", "naive"],
            method=f"{self.method} on {type(debiaser).__name__}-corrected predictions (ATE) and on the "
            "raw predictions (naive)",
            info={
                "Trial units": n,
                "Calibration units": n_cal,
                "Inference": ci_label,
                "Attenuation (naive/corrected)": f"{naive / est:.3f}" if est != 0 else "n/a",
                **(extra_info or {}),
            },
            notes=[
                "Corrected predictions are for means and contrasts only, not for quantiles or "
                "inequality measures (they are over-dispersed)."
            ],
            **result_kw,
        )
        self.effect_ = float(est)
        self.stderr_ = float(self.inference_.stderr[0])
        self.naive_effect_ = float(naive)
        self.naive_stderr_ = float(naive_se)
        self.attenuation_ = float(naive / est) if est != 0 else float("nan")

    # -- inference ----------------------------------------------------------------------------------------
    def _analytic(self, debiaser, pred, outcomes, a, ww, Xreg, g, naive, scale):
        """Delta-method SEs on the outcome columns divided by ``scale`` (corrected, raw; ``naive`` in the raw
        column's units), scaled back."""
        corrected, pred_s = outcomes[:, 0], outcomes[:, 1]
        design = np.column_stack([np.ones_like(a), a] + ([] if Xreg is None else [Xreg]))

        def coef_var(y):
            _, cov, _ = ols_inference(design, y, weights=ww, cov_type="HC1", groups=g)
            return float(cov[1, 1])

        if not supports_analytic(debiaser):
            raise ValueError(
                "inference='analytic' supports LinearCalibrationDebiaser and TweedieDebiaser; use "
                f"inference='bootstrap' for {type(debiaser).__name__}."
            )
        var_naive = coef_var(pred_s)
        if isinstance(debiaser, LinearCalibrationDebiaser):
            se = corrected_stderr(debiaser, var_naive=var_naive, naive=naive)
            return se * scale[1], float(np.sqrt(var_naive)) * scale[1]  # in the raw column's units
        score_contrast = None
        if needs_score_contrast(debiaser):
            # in the corrected column's units s: sigma^2 / s^2 and s * score
            score_contrast = float(
                _contrast((debiaser.score_function(pred) * scale[0])[:, None], a, ww, Xreg)[0]
            )
        se = corrected_stderr(
            debiaser,
            var_naive=var_naive,
            naive=naive,
            var_corrected=coef_var(corrected),
            score_contrast=score_contrast,
            scale=scale[0],
        )
        return se * scale[0], float(np.sqrt(var_naive)) * scale[1]

    def _bootstrap(self, debiaser, pred, a, w, X, e, g, cal_p, cal_y, cal_w, unl):
        B = self.n_bootstrap
        seeds = spawn_seeds(self.random_state, B)
        task = _JointReplicate(
            clone(debiaser), self.method, pred, a, w, X, e, g, cal_p, cal_y, cal_w, unl
        )
        reps = parallel_map(task, seeds, n_jobs=self.n_jobs, desc="bootstrap")
        boot = np.asarray([r[0] for r in reps], dtype=float)
        reason = np.asarray([r[1] for r in reps])
        counts = np.bincount(reason, minlength=5)
        self.bootstrap_dropped_ = int(B - counts[_OK])
        stack = user_stacklevel() + 1
        _warn_replicate_notes([r[2] for r in reps], B, stack)
        why = {
            _LOST_ARM: (
                "the resample lost an arm (no treated or no control unit with positive weight)"
                + (f"; only {task.n_clusters} clusters are resampled" if g is not None else ""),
                ClusterWarning if g is not None else OverlapWarning,
            ),
            _REFIT_FAILED: (
                "refitting the debiaser on the resampled calibration set failed (first error: "
                + next((r[3] for r in reps if r[1] == _REFIT_FAILED), "")
                + ")",
                CalibrationWarning,
            ),
            _NOT_FINITE: ("the replicate effect was not finite", CalibrationWarning),
            _COLLINEAR: (
                "in the resample the treatment is collinear with the covariates (effect not identified)",
                CollinearityWarning,
            ),
        }
        if counts[_OK] < 2:
            detail = "; ".join(f"{counts[k]} because {why[k][0]}" for k in why if counts[k])
            raise ValueError(
                f"only {counts[_OK]} of {B} bootstrap replicates could be computed ({detail}); "
                "the bootstrap cannot give an interval for this trial. Check the treatment, weights "
                "and groups, or use inference='analytic'."
            )
        for k, (text, category) in why.items():
            if counts[k] > _MAX_DROPPED_FRACTION * B:
                warnings.warn(
                    f"{counts[k]} of {B} bootstrap replicates were dropped because {text}; the "
                    f"interval uses the {counts[_OK]} remaining replicates and conditions on them.",
                    category,
                    stacklevel=stack,
                )
        return boot[reason == _OK]

    # -- results ------------------------------------------------------------------------------------------
    def effect(self, X=None):
        """The constant treatment effect: the corrected ATE for every row of ``X``.

        The estimand is an average effect (no effect modification is modelled), so ``effect`` returns
        ``ate()`` repeated: an array of length 1 when ``X`` is None, else one entry per row of ``X`` (a
        Series keeping the index when ``X`` is a DataFrame or Series).

        Examples
        --------
        >>> from causalkit.datasets import make_linear_shrinkage
        >>> d = make_linear_shrinkage(500, 300, random_state=0)
        >>> est = DebiasedATE(LinearCalibrationDebiaser(), inference="analytic").fit(
        ...     d.predictions, d.treatment,
        ...     calibration=(d.calibration_predictions, d.calibration_targets))
        >>> est.effect().shape, est.effect(d.predictions[:3]).shape
        ((1,), (3,))
        """
        ate = self.ate()
        if X is None:
            return np.array([ate])
        if isinstance(X, (pd.DataFrame, pd.Series)):
            return pd.Series(ate, index=X.index, name="effect")
        return np.full(check_consistent_length(X=np.asarray(X)), ate)


def compare_debiasers(
    predictions,
    targets,
    debiasers: dict[str, Any] | None = None,
    *,
    unlabeled_predictions=None,
    n_splits: int = 5,
    n_groups: int = 5,
    random_state: Any = None,
) -> pd.DataFrame:
    """Compare debiasers on held-out folds of the calibration set.

    Each debiaser is fitted on the other folds and corrects the held-out fold's predictions. A good debiaser
    satisfies ``E[corrected | truth] = truth``: the slope of the corrected values on the truth is 1, and group
    means over groups formed from the *truth* (quantile groups, like quintile-bias checks) match. Groups are
    never formed from the predictions: under calibration the naive contrast of such groups is already unbiased
    and every correction would look wrong.

    Parameters
    ----------
    predictions, targets : array-like of shape (n,)
        Held-out calibration pairs.
    debiasers : dict of name -> estimator, optional
        Default: ``{"naive": None, "lcc": LinearCalibrationDebiaser(), "tweedie": TweedieDebiaser()}``
        (``None`` means no correction).
    unlabeled_predictions : array-like, optional
        Passed to each debiaser's fit (density source for Tweedie).
    n_splits : int, default 5
    n_groups : int, default 5
        Number of truth-quantile groups.
    random_state : int or None
        Fold shuffling.

    Returns
    -------
    DataFrame
        One row per debiaser: ``slope`` (corrected on truth; ideal 1) and its SE over folds,
        ``group_bias_mae`` (mean absolute bias of group means), ``bottom_bias`` / ``top_bias`` (bias in the
        lowest and highest truth group), ``contrast_ratio`` (top-minus-bottom contrast of corrected over true
        means; ideal 1).

    Examples
    --------
    >>> from causalkit.datasets import make_nonlinear_shrinkage
    >>> d = make_nonlinear_shrinkage(10, 3000, random_state=0)
    >>> table = compare_debiasers(d.calibration_predictions, d.calibration_targets, random_state=0)
    >>> list(table.index)
    ['naive', 'lcc', 'tweedie']
    """
    pred, y = check_1d(predictions, "predictions"), check_1d(targets, "targets")
    n = check_consistent_length(predictions=pred, targets=y)
    unl = (
        None
        if unlabeled_predictions is None
        else check_1d(unlabeled_predictions, "unlabeled_predictions")
    )
    if isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)) or n_groups < 2:
        raise ValueError(f"n_groups must be an integer >= 2; got {n_groups!r}.")
    if debiasers is None:
        debiasers = {
            "naive": None,
            "lcc": LinearCalibrationDebiaser(),
            "tweedie": TweedieDebiaser(),
        }
    if not isinstance(debiasers, dict) or not debiasers:
        raise TypeError("debiasers must be a non-empty dict of name -> estimator (or None).")
    folds = make_folds(n, n_splits, random_state=random_state)
    groups_per_fold = []
    for _, te in folds:
        yt = y[te]
        if np.ptp(yt) == 0:
            raise ValueError(
                f"targets is constant in a held-out fold of {te.shape[0]} unit(s): the fold's slope and "
                "group contrast are undefined; use fewer n_splits or more calibration pairs."
            )
        # Truth-quantile groups (never prediction groups) from mid-ranks: ties share a rank and so a group;
        # empty groups are dropped, so discrete targets or folds smaller than n_groups give fewer groups
        # (always at least 2, since the lowest tie block's mid-rank is below 1/2 and the highest's above).
        q = (rankdata(yt) - 0.5) / yt.shape[0]
        grp = np.minimum((q * n_groups).astype(int), n_groups - 1)
        groups_per_fold.append(np.unique(grp, return_inverse=True)[1])
    fewest = min(int(gr.max()) + 1 for gr in groups_per_fold)
    if fewest < n_groups:
        warnings.warn(
            f"only {fewest} of the {n_groups} truth-quantile groups are non-empty in some held-out fold "
            "(tied targets or small folds): the group columns average over fewer, wider groups.",
            CalibrationWarning,
            stacklevel=user_stacklevel(),
        )
    rows = {}
    for name, deb in debiasers.items():
        stats = []
        for (tr, te), grp in zip(folds, groups_per_fold):
            if deb is None:
                corr = pred[te]
            else:
                with warnings.catch_warnings():
                    # fold-fitting artefacts only (a fold's support is narrower, its calibration smaller);
                    # a custom debiaser's own warnings and every other category still reach the caller
                    warnings.simplefilter("ignore", ExtrapolationWarning)
                    warnings.simplefilter("ignore", CalibrationWarning)
                    fitted = _fit_debiaser(clone(deb), pred[tr], y[tr], unl, None)
                    corr = np.asarray(fitted.transform(pred[te]), dtype=float).ravel()
            yt = y[te]
            slope = _slope(yt, corr)
            k = int(grp.max()) + 1
            bias = np.array([corr[grp == j].mean() - yt[grp == j].mean() for j in range(k)])
            true_c = yt[grp == k - 1].mean() - yt[grp == 0].mean()
            corr_c = corr[grp == k - 1].mean() - corr[grp == 0].mean()
            stats.append([slope, np.abs(bias).mean(), bias[0], bias[-1], corr_c / true_c])
        s = np.asarray(stats)
        rows[name] = {
            "slope": s[:, 0].mean(),
            "slope_se": _outcome_scale(s[:, 0])
            * float(np.std(s[:, 0] / _outcome_scale(s[:, 0]), ddof=1))
            / np.sqrt(len(folds)),
            "group_bias_mae": s[:, 1].mean(),
            "bottom_bias": s[:, 2].mean(),
            "top_bias": s[:, 3].mean(),
            "contrast_ratio": s[:, 4].mean(),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
