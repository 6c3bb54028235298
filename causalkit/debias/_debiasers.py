"""The two corrections of shrunken ML predictions: linear calibration (LCC) and Tweedie's formula.

Both are fitted once on a held-out calibration set of pairs (prediction, truth) and then transform any
downstream predictions. Reference: Pettersson, Jerzak & Daoud, AAAI 2026 (arXiv 2508.01341).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from .._base import (
    EffectResult,
    InferenceMixin,
    check_1d,
    check_consistent_length,
    check_feature_names,
    check_scalar_in_range,
    check_weights,
    feature_names_of,
    user_stacklevel,
)
from .._base._dask import any_dask, as_dask_array
from ..exceptions import CalibrationWarning, ExtrapolationWarning
from ._kde import bandwidth_rule, kde_score

__all__ = ["LinearCalibrationDebiaser", "TweedieDebiaser"]

_MIN_SLOPE = 1e-8
_UNSTABLE_SLOPE = 0.2
_SMALL_CALIBRATION = 100


def _as_vector(a: Any, name: str, min_samples: int = 1) -> np.ndarray:
    return check_1d(a, name, min_samples=min_samples)


def _check_pairs(predictions: Any, targets: Any) -> tuple[np.ndarray, np.ndarray]:
    if targets is None:
        raise TypeError(
            "fit needs the true outcomes: fit(X, y) with X the calibration predictions and y the targets."
        )
    pred = _as_vector(predictions, "predictions", min_samples=3)
    y = _as_vector(targets, "targets", min_samples=3)
    check_consistent_length(predictions=pred, targets=y)
    if np.ptp(y) == 0:
        raise ValueError(
            "targets is constant on the calibration set; the calibration needs varying true outcomes."
        )
    if np.ptp(pred) == 0:
        raise ValueError(
            "predictions is constant on the calibration set; a constant prediction carries no "
            "information about the truth and cannot be de-shrunk."
        )
    return pred, y


def _set_feature_names(estimator: Any, predictions: Any) -> None:
    """Keep the column name of a one-column DataFrame of predictions (scikit-learn's ``feature_names_in_``)."""
    names = feature_names_of(predictions, "predictions")
    if names is not None:
        estimator.feature_names_in_ = names
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_


def _shape_like(values: np.ndarray, original: Any) -> Any:
    """The input's form: a column for an (n, 1) column, else a vector; pandas in, pandas out (index kept)."""
    if isinstance(original, pd.DataFrame):
        return pd.DataFrame({original.columns[0]: values}, index=original.index)
    if isinstance(original, pd.Series):
        return pd.Series(values, index=original.index, name=original.name)
    return values[:, None] if np.ndim(original) == 2 else values


class _OneColumnOutput:
    """``get_feature_names_out`` of a one-to-one transformer of one prediction column (so ``set_output`` works).

    The output column keeps the name of a fitted one-column DataFrame (``feature_names_in_``), else ``x0``.
    """

    def get_feature_names_out(self, input_features=None):
        """Names of the output column: the input's (``feature_names_in_``), ``input_features`` or ``x0``."""
        check_is_fitted(self, "n_calibration_")
        fitted = getattr(self, "feature_names_in_", None)
        if input_features is not None:
            names = np.asarray(input_features, dtype=object)
            if names.shape != (1,) or (fitted is not None and names[0] != fitted[0]):
                raise ValueError(
                    f"input_features must be the one input column {list(fitted or ['x0'])}; got "
                    f"{list(names)}."
                )
            return names
        return np.asarray(fitted if fitted is not None else ["x0"], dtype=object)


def _support_warning(pred: np.ndarray, support: tuple[float, float], what: str) -> int:
    lo, hi = support
    n_out = int(np.sum((pred < lo) | (pred > hi)))
    if n_out:
        warnings.warn(
            f"{n_out} of {pred.shape[0]} predictions lie outside the {what} support "
            f"[{lo:.4g}, {hi:.4g}]; the correction extrapolates there.",
            ExtrapolationWarning,
            stacklevel=user_stacklevel(),
        )
    return n_out


def _transform_block(block: np.ndarray, debiaser: Any) -> np.ndarray:
    with warnings.catch_warnings():
        # the support warning cannot reach the caller from a lazy worker (see transform's docstring); only
        # that one is silenced (DebiasedATE's dask path counts the out-of-support predictions and warns itself)
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return np.asarray(debiaser.transform(block), dtype=np.float64)


def _dask_transform(debiaser: Any, predictions: Any) -> Any:
    """Lazy corrected predictions: ``debiaser.transform`` mapped over the row blocks.

    A fitted debiaser is a function of one prediction at a time (LCC is affine; Tweedie's score comes from a
    density fitted on the calibration/unlabeled sample, whose binned grid depends only on that sample), so the
    blockwise transform equals the in-memory transform exactly.
    """
    ndim = 2 if getattr(predictions, "ndim", 1) == 2 else 1
    arr = as_dask_array(predictions, "predictions", ndim=ndim)
    if ndim == 2 and arr.shape[1] != 1:
        raise ValueError(f"predictions must be 1-D or a single column; got shape {arr.shape}.")
    return arr.map_blocks(_transform_block, debiaser, dtype=np.float64)


def _max_abs(*arrays: np.ndarray) -> float:
    """Largest magnitude (1.0 when zero), to compute moments on unit-scale data: no overflow of squares at
    1e300, no underflow at 1e-300."""
    c = max(float(np.max(np.abs(x))) for x in arrays)
    return c if c > 0 else 1.0


def _common_diagnostics(pred: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> dict:
    w = np.ones_like(pred) if w is None else w
    support = (float(pred.min()), float(pred.max()))
    # Slopes from separately unit-scaled copies (any scale, even prediction and truth 1e300 apart); residual
    # statistics from a common unit scale ``c``, the residual SD scaled back.
    cp, cy = _max_abs(pred), _max_abs(y)
    ps, ys = pred / cp, y / cy
    mp, my = np.average(ps, weights=w), np.average(ys, weights=w)
    vp = np.average((ps - mp) ** 2, weights=w)
    vy = np.average((ys - my) ** 2, weights=w)
    cov = np.average((ps - mp) * (ys - my), weights=w)
    lcc_slope, calibration_slope = float(cov / vy) * (cp / cy), float(cov / vp) * (cy / cp)
    c = max(cp, cy)
    with np.errstate(under="ignore"):
        resid = y / c - pred / c
    cr = _max_abs(resid)
    rs = resid / cr  # unit-scale residuals: correlations are scale-free, the SD is scaled back
    rc = np.corrcoef(rs, ps)[0, 1] if np.ptp(rs) > 0 else 0.0
    # Heteroskedasticity: correlation of squared (centred) residuals with the prediction.
    r2 = (rs - np.average(rs, weights=w)) ** 2
    het = np.corrcoef(r2, ps)[0, 1] if np.ptp(r2) > 0 else 0.0
    resid_sd = c * cr * float(np.sqrt(np.average((rs - np.average(rs, weights=w)) ** 2, weights=w)))
    return {
        "n_calibration": int(pred.shape[0]),
        "support": support,
        "lcc_slope": lcc_slope,
        "calibration_slope": calibration_slope,
        "residual_prediction_corr": float(rc),
        "heteroskedasticity_corr": float(het),
        "residual_std": resid_sd,
    }


class LinearCalibrationDebiaser(_OneColumnOutput, InferenceMixin, TransformerMixin, BaseEstimator):
    """Linear calibration correction (LCC) of shrunken predictions.

    On held-out calibration pairs, the prediction is regressed on the truth, ``pred = m + k * truth``; the
    correction inverts it, ``(pred - m) / k``. Any contrast whose weights sum to zero (difference in means,
    Hájek IPW, an OLS coefficient) is divided by ``k``. Valid under classical linear error
    ``E[pred | truth] = m + k * truth`` (``k < 1`` is shrinkage) and surrogacy (pred independent of treatment
    given the truth).

    Attributes
    ----------
    slope_ : float
        ``k``, slope of the prediction on the truth.
    intercept_ : float
        ``m``.
    slope_stderr_ : float
        HC0 sandwich standard error of ``slope_`` (used by the delta-method intervals).
    inference_ : EffectResult
        Terms ``["intercept", "slope"]`` of the calibration line with HC0 standard errors and normal
        intervals (``summary(*, alpha)``, ``conf_int(*, alpha)``).
    residual_std_ : float
        Standard deviation of ``truth - pred`` on the calibration set.
    n_calibration_ : int
    support_ : tuple of float
        Range of the calibration predictions; transforming outside it warns.
    diagnostics_ : dict
        ``lcc_slope``, ``calibration_slope`` (truth on prediction: near 1 means Berkson-calibrated, so Tweedie
        applies), ``residual_prediction_corr``, ``heteroskedasticity_corr``, ``support``, ``warnings``.
    calibration_predictions_, calibration_targets_, calibration_weights_ : ndarray
        The calibration data, kept so that :class:`DebiasedATE` can resample it in its bootstrap.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=2000)
    >>> pred = 0.2 + 0.6 * y + rng.normal(scale=0.3, size=2000)
    >>> lcc = LinearCalibrationDebiaser().fit(pred, y)
    >>> round(lcc.slope_, 2)
    0.6
    >>> corrected = lcc.transform(pred)
    >>> list(lcc.conf_int(alpha=0.05).index)
    ['intercept', 'slope']
    """

    def fit(self, X, y=None, *, sample_weight=None, unlabeled_predictions=None):
        """Fit the calibration line on held-out pairs.

        Parameters
        ----------
        X : array-like of shape (n,) or (n, 1)
            Out-of-sample predictions on the calibration set.
        y : array-like of shape (n,)
            The true outcomes of the same units (required).
        sample_weight : array-like of shape (n,), optional
            Non-negative weights.
        unlabeled_predictions : ignored
            Accepted for symmetry with :class:`TweedieDebiaser`.

        Returns
        -------
        self
        """
        predictions = X
        pred, y = _check_pairs(predictions, y)
        _set_feature_names(self, predictions)
        w = check_weights(sample_weight, pred.shape[0])
        ww = np.ones_like(pred) if w is None else w
        # moments of unit-scale copies (cy, cp: largest magnitudes), scaled back: exact and overflow-free
        cy, cp = _max_abs(y), _max_abs(pred)
        ys, ps = y / cy, pred / cp
        my = np.average(ys, weights=ww)
        mp = np.average(ps, weights=ww)
        sxx = np.sum(ww * (ys - my) ** 2)
        slope_s = float(np.sum(ww * (ys - my) * (ps - mp)) / sxx)
        with np.errstate(over="ignore"):
            slope = slope_s * (cp / cy)
        if not np.isfinite(slope):
            raise ValueError(
                "the calibration slope overflows double precision: predictions and targets differ in scale "
                f"by a factor of about {cp / cy:.3g}; rescale one of them."
            )
        # scale-free test: the slope of the unit-scale copies (predictions in units 1e-300 of the truth are
        # still a valid calibration)
        if not slope_s > _MIN_SLOPE:
            shown = (
                f"{slope:.4g} <= {_MIN_SLOPE}"
                if slope <= _MIN_SLOPE
                else (
                    f"{slope:.4g} ({slope_s:.3g} <= {_MIN_SLOPE} relative to the data's magnitudes)"
                )
            )
            raise ValueError(
                f"the calibration slope of predictions on targets is {shown}: the "
                "predictions do not increase with the truth, so the linear calibration cannot be inverted."
            )
        intercept = float(mp - slope_s * my) * cp
        resid_s = ps - (mp - slope_s * my) - slope_s * ys
        self.slope_ = slope
        self.intercept_ = intercept
        self.slope_stderr_ = (
            float(np.sqrt(np.sum(ww**2 * (ys - my) ** 2 * resid_s**2)) / sxx) * cp / cy
        )
        # HC0 SE of the intercept m = mean(pred) - k mean(truth) (unit scale, scaled back): its influence
        # function is w_i r_i (1 / sum(w) - mean(truth) (truth_i - mean(truth)) / sxx)
        infl = ww * resid_s * (1.0 / np.sum(ww) - my * (ys - my) / sxx)
        intercept_stderr = float(np.sqrt(np.sum(infl**2))) * cp
        self.inference_ = EffectResult(
            [intercept, slope],
            [intercept_stderr, self.slope_stderr_],
            names=["intercept", "slope"],
            method="calibration line: prediction = intercept + slope * truth (WLS, HC0)",
            info={"Calibration pairs": int(pred.shape[0])},
        )
        diag = _common_diagnostics(pred, y, w)
        self.residual_std_ = diag["residual_std"]
        self.n_calibration_ = int(pred.shape[0])
        self.support_ = diag["support"]
        msgs = []
        if pred.shape[0] < _SMALL_CALIBRATION:
            msgs.append(
                f"only {pred.shape[0]} calibration pairs (< {_SMALL_CALIBRATION}); the correction is noisy."
            )
        if slope < _UNSTABLE_SLOPE:
            msgs.append(
                f"calibration slope {slope:.3g} < {_UNSTABLE_SLOPE}: inverting it multiplies noise by "
                f"{1 / slope:.3g}."
            )
        for msg in msgs:
            warnings.warn(msg, CalibrationWarning, stacklevel=user_stacklevel())
        self.diagnostics_ = {**diag, "slope": slope, "intercept": intercept, "warnings": msgs}
        self.calibration_predictions_ = pred
        self.calibration_targets_ = y
        self.calibration_weights_ = w
        return self

    def transform(self, X):
        """Corrected predictions ``(pred - intercept_) / slope_`` (for means and contrasts only).

        Parameters
        ----------
        X : array-like of shape (n,) or (n, 1)
            Predictions to correct.

        Returns
        -------
        ndarray of the input's shape
            A lazy ``dask.array`` mapped block by block when ``predictions`` is a dask array (the
            out-of-support warning is then not raised).
        """
        check_is_fitted(self, "slope_")
        predictions = X
        if any_dask(predictions):
            return _dask_transform(self, predictions)
        check_feature_names(self, predictions, argument="predictions")
        pred = _as_vector(predictions, "predictions")
        _support_warning(pred, self.support_, "calibration")
        return _shape_like((pred - self.intercept_) / self.slope_, predictions)

    def correct_contrast(self, naive_contrast: float) -> float:
        """Correct a contrast (weights summing to zero) computed on raw predictions: ``naive / slope_``."""
        check_is_fitted(self, "slope_")
        return float(naive_contrast) / self.slope_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


class TweedieDebiaser(_OneColumnOutput, TransformerMixin, BaseEstimator):
    """Tweedie's correction of shrunken predictions: ``pred - sigma^2 * d/dz log p(pred)``.

    Valid when the predictions are calibrated with Gaussian, homoskedastic residuals (the Berkson model
    ``truth = pred + eps``) and surrogacy holds. Then ``E[corrected | truth] = truth``, so every estimator
    linear in the outcome is unbiased. Unlike LCC it corrects nonlinear (tail) shrinkage: near a mode of the
    prediction density nothing changes, in the tails predictions are pushed outward.

    Parameters
    ----------
    bandwidth : {"scott", "silverman"} or float, default "scott"
        Bandwidth of the Gaussian KDE of the predictions (rules as :class:`scipy.stats.gaussian_kde`), or the
        bandwidth itself in prediction units.
    noise_scale : float or None, default None
        Residual standard deviation ``sigma``. ``None`` estimates it from the calibration residuals
        (``ddof=0``).
    bandwidth_adjust : float, default 1.0
        Multiplies the rule's bandwidth (R's ``adjust``; 0.5 is "half-Scott", which helps on multimodal maps).
    density : {"kde", "gaussian"} or estimator, default "kde"
        ``"kde"``: Gaussian KDE with a binned FFT score (checked against the exact sum). ``"gaussian"``: a
        normal density (then Tweedie is a linear correction). An estimator with ``fit`` and
        ``score_samples`` (e.g. :class:`sklearn.neighbors.KernelDensity`,
        :class:`sklearn.mixture.GaussianMixture`) is fitted on the density sample and differentiated by
        central finite differences with step ``max(1e-3 * sd, 1e-8)``.
    score_method : {"binned", "exact"}, default "binned"
        For ``density="kde"``: binned FFT (fast) or the direct ``O(n m)`` kernel sum.
    slope_tolerance : float, default 0.1
        Warn when the calibration slope of truth on prediction differs from 1 by more (Tweedie's error model is
        then doubtful; consider :class:`LinearCalibrationDebiaser`).

    Attributes
    ----------
    noise_var_ : float
        ``sigma^2`` used in the correction.
    noise_std_ : float
    bandwidth_ : float or None
        KDE bandwidth in prediction units (``None`` unless ``density="kde"``).
    density_ : estimator or None
        The fitted density estimator when ``density`` is an estimator.
    density_data_ : ndarray
        Predictions the density was estimated from (calibration plus unlabeled).
    n_calibration_ : int
    support_ : tuple of float
        Range of the calibration predictions; transforming outside it warns.
    diagnostics_ : dict
        ``calibration_slope``, ``lcc_slope``, ``residual_prediction_corr``, ``heteroskedasticity_corr``,
        ``noise_std``, ``bandwidth``, ``support``, ``density_support``, ``warnings``.
    calibration_predictions_, calibration_targets_, unlabeled_predictions_ : ndarray
        Kept for the joint bootstrap of :class:`DebiasedATE`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pred = rng.normal(size=3000)
    >>> y = pred + rng.normal(scale=0.8, size=3000)  # calibrated predictions, shrunken relative to y
    >>> tw = TweedieDebiaser().fit(pred, y)
    >>> round(tw.noise_std_, 1)
    0.8
    >>> corrected = tw.transform(pred)
    >>> bool(corrected.std() > pred.std())
    True
    """

    def __init__(
        self,
        bandwidth: str | float = "scott",
        *,
        noise_scale: float | None = None,
        bandwidth_adjust: float = 1.0,
        density: Any = "kde",
        score_method: str = "binned",
        slope_tolerance: float = 0.1,
    ):
        self.bandwidth = bandwidth
        self.noise_scale = noise_scale
        self.bandwidth_adjust = bandwidth_adjust
        self.density = density
        self.score_method = score_method
        self.slope_tolerance = slope_tolerance

    def _check_params(self) -> None:
        if isinstance(self.bandwidth, str):
            if self.bandwidth not in ("scott", "silverman"):
                raise ValueError(
                    f"bandwidth must be 'scott', 'silverman' or a positive float; got {self.bandwidth!r}."
                )
        else:
            check_scalar_in_range(self.bandwidth, "bandwidth", low=0, low_inclusive=False)
        if self.noise_scale is not None:
            check_scalar_in_range(self.noise_scale, "noise_scale", low=0)
        check_scalar_in_range(self.bandwidth_adjust, "bandwidth_adjust", low=0, low_inclusive=False)
        check_scalar_in_range(self.slope_tolerance, "slope_tolerance", low=0)
        if self.score_method not in ("binned", "exact"):
            raise ValueError(
                f"score_method must be 'binned' or 'exact'; got {self.score_method!r}."
            )
        if isinstance(self.density, str):
            if self.density not in ("kde", "gaussian"):
                raise ValueError(
                    f"density must be 'kde', 'gaussian' or an estimator with fit/score_samples; "
                    f"got {self.density!r}."
                )
        elif not (hasattr(self.density, "fit") and hasattr(self.density, "score_samples")):
            raise TypeError(
                "density must be 'kde', 'gaussian' or an estimator with fit and score_samples; "
                f"got {type(self.density).__name__}."
            )

    def fit(self, X, y=None, *, unlabeled_predictions=None):
        """Estimate the noise variance and the density of the predictions.

        Parameters
        ----------
        X : array-like of shape (n,) or (n, 1)
            Out-of-sample predictions on the calibration set (never training predictions: in-sample residuals
            are too small).
        y : array-like of shape (n,)
            The true outcomes of the same units (required).
        unlabeled_predictions : array-like of shape (n_map,), optional
            Further predictions without labels (e.g. the whole map). They enter the density estimate only,
            which improves the score, especially on multimodal maps.

        Returns
        -------
        self
        """
        self._check_params()
        predictions = X
        pred, y = _check_pairs(predictions, y)
        _set_feature_names(self, predictions)
        unl = None
        if unlabeled_predictions is not None:
            unl = _as_vector(unlabeled_predictions, "unlabeled_predictions")
        if self.noise_scale is None:
            c = _max_abs(
                pred, y
            )  # the SD of unit-scale residuals, scaled back (1e300 / 1e-300 safe)
            noise_std = c * float(np.std(y / c - pred / c))
        else:
            noise_std = float(self.noise_scale)
        noise_var = (
            noise_std * noise_std
        )  # a float product: inf on overflow (checked), 0 on underflow
        if not np.isfinite(noise_var):
            raise ValueError(
                f"the residual variance overflows double precision (residual SD {noise_std:.3g}); rescale "
                "the predictions and targets."
            )
        dens_data = pred if unl is None else np.concatenate([pred, unl])
        self.noise_var_ = noise_var
        self.noise_std_ = noise_std
        self.bandwidth_ = None
        self.density_ = None
        cd = _max_abs(dens_data)
        sd = cd * float(np.std(dens_data / cd))
        if self.density == "kde":
            self.bandwidth_ = bandwidth_rule(dens_data, self.bandwidth) * float(
                self.bandwidth_adjust
            )
        elif self.density == "gaussian":
            self.gaussian_mean_ = float(np.mean(dens_data))
            self.gaussian_std_ = sd
            self.gaussian_var_ = sd * sd
        else:
            self.density_ = clone(self.density).fit(dens_data[:, None])
            self.fd_step_ = 1e-3 * sd  # relative step: the same accuracy at any scale
        self.density_data_ = dens_data
        self.n_calibration_ = int(pred.shape[0])
        diag = _common_diagnostics(pred, y)
        self.support_ = diag["support"]
        msgs = []
        if pred.shape[0] < _SMALL_CALIBRATION:
            msgs.append(
                f"only {pred.shape[0]} calibration pairs (< {_SMALL_CALIBRATION}); the correction is noisy."
            )
        if abs(diag["calibration_slope"] - 1) > self.slope_tolerance:
            msgs.append(
                f"the slope of targets on predictions is {diag['calibration_slope']:.3g}, not 1 +/- "
                f"{self.slope_tolerance}: the predictions are not calibrated (Berkson) and Tweedie's "
                "correction is biased; consider LinearCalibrationDebiaser."
            )
        for msg in msgs:
            warnings.warn(msg, CalibrationWarning, stacklevel=user_stacklevel())
        self.diagnostics_ = {
            **diag,
            "noise_std": self.noise_std_,
            "bandwidth": self.bandwidth_,
            "density_support": (float(dens_data.min()), float(dens_data.max())),
            "warnings": msgs,
        }
        self.calibration_predictions_ = pred
        self.calibration_targets_ = y
        self.unlabeled_predictions_ = unl
        return self

    def score_function(self, predictions) -> np.ndarray:
        """Estimated score ``d/dz log p(z)`` of the prediction density at ``predictions``."""
        check_is_fitted(self, "noise_var_")
        check_feature_names(self, predictions, argument="predictions")
        z = _as_vector(predictions, "predictions")
        if self.density == "kde":
            try:
                return kde_score(z, self.density_data_, self.bandwidth_, method=self.score_method)
            except ValueError as exc:
                raise ValueError(f"predictions: {exc}") from None
        if self.density == "gaussian":
            return -((z - self.gaussian_mean_) / self.gaussian_std_) / self.gaussian_std_
        d = self.fd_step_
        up = self.density_.score_samples((z + d)[:, None])
        down = self.density_.score_samples((z - d)[:, None])
        return (np.asarray(up) - np.asarray(down)) / (2 * d)

    def transform(self, X):
        """Corrected predictions ``pred - noise_var_ * score(pred)`` (for means and contrasts only).

        Parameters
        ----------
        X : array-like of shape (n,) or (n, 1)
            Predictions to correct.

        Returns
        -------
        ndarray of the input's shape
            A lazy ``dask.array`` mapped block by block when ``predictions`` is a dask array (the
            out-of-support warning is then not raised).
        """
        check_is_fitted(self, "noise_var_")
        predictions = X
        if any_dask(predictions):
            return _dask_transform(self, predictions)
        check_feature_names(self, predictions, argument="predictions")
        pred = _as_vector(predictions, "predictions")
        _support_warning(pred, self.support_, "calibration")
        if self.noise_std_ == 0:
            return _shape_like(pred.copy(), predictions)
        # sigma * (sigma * score): representable wherever the correction is (sigma^2 may underflow)
        shift = self.noise_std_ * (self.noise_std_ * self.score_function(pred))
        return _shape_like(pred - shift, predictions)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
