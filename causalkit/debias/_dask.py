"""Debiasing on ``dask.array`` inputs: corrected maps block by block, ATEs from chunk-wise sums.

A fitted debiaser is a function of one prediction at a time (LCC is affine; Tweedie's score comes from a density
fitted on the calibration/unlabeled sample, whose binned grid depends only on that sample), so ``transform`` maps
over blocks and equals the in-memory transform exactly. :class:`DebiasedATE` with ``inference="analytic"`` needs
only per-arm weighted sums of the outcomes and of their squares, reduced chunk by chunk.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._base._dask import as_dask_array, chunked_sum
from ..exceptions import ExtrapolationWarning

__all__: list[str] = []


def _transform_block(block: np.ndarray, debiaser: Any) -> np.ndarray:
    with warnings.catch_warnings():
        # the support warning cannot reach the caller from a lazy worker (see transform's docstring); only
        # that one is silenced (analytic_ate counts the out-of-support predictions and warns itself)
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return np.asarray(debiaser.transform(block), dtype=np.float64)


def transform(debiaser: Any, predictions: Any) -> Any:
    """Lazy corrected predictions: ``debiaser.transform`` mapped over the row blocks."""
    ndim = 2 if getattr(predictions, "ndim", 1) == 2 else 1
    arr = as_dask_array(predictions, "predictions", ndim=ndim)
    if ndim == 2 and arr.shape[1] != 1:
        raise ValueError(f"predictions must be 1-D or a single column; got shape {arr.shape}.")
    return arr.map_blocks(_transform_block, debiaser, dtype=np.float64)


def _arm_moments(pred, a, w, e, debiaser, method, with_score):
    """Per arm (0, 1) and outcome column: sum w, sum w y, sum w^2, sum w^2 y, sum w^2 y^2; plus count and checks."""
    with warnings.catch_warnings():
        # counted per block instead (the last entry of _block_stats) and warned about once
        warnings.simplefilter("ignore", ExtrapolationWarning)
        corrected = np.asarray(debiaser.transform(pred), dtype=float).ravel()
        cols = [corrected, pred]
        if with_score:
            cols.append(debiaser.score_function(pred))
    ww = w if method != "ipw" else w * (a / e + (1 - a) / (1 - e))
    Y = np.column_stack(cols)
    out = np.zeros((2, 5, Y.shape[1]))
    for arm in (0, 1):
        mask = a == arm
        wa, Ya = ww[mask], Y[mask]
        w2 = wa * wa
        out[arm, 0] = wa.sum()
        out[arm, 1] = wa @ Ya
        out[arm, 2] = w2.sum()
        out[arm, 3] = w2 @ Ya
        out[arm, 4] = w2 @ (Ya * Ya)
    return out


def _block_stats(pred, a, w, e, debiaser, method, with_score):
    n_cols = 3 if with_score else 2
    flags = np.array(
        [
            np.isfinite(pred).all(),
            np.isin(a, (0.0, 1.0)).all(),
            (np.isfinite(w).all() and (w >= 0).all()),
            (np.isfinite(e).all() and ((e > 0) & (e < 1)).all()),
        ],
        dtype=float,
    )
    if flags.min() < 1:
        return np.r_[np.zeros(10 * n_cols), 1.0 - flags, 0.0]
    mom = _arm_moments(pred, a, w, e, debiaser, method, with_score)
    lo, hi = debiaser.support_
    n_out = float(np.sum((pred < lo) | (pred > hi)))
    return np.r_[mom.ravel(), np.zeros(4), n_out]


def analytic_ate(
    debiaser: Any,
    predictions: Any,
    treatment: Any,
    *,
    method: str,
    weights: Any = None,
    propensity: Any = None,
):
    """Corrected and naive ATE and their delta-method / HC1 standard errors from chunk-wise sums.

    Returns
    -------
    (est, naive, stderr, naive_stderr, n)
    """
    from .._base import user_stacklevel
    from .._base._dask import _da
    from ._debiasers import LinearCalibrationDebiaser, TweedieDebiaser

    da = _da()
    pred = as_dask_array(predictions, "predictions", ndim=1)
    n = pred.shape[0]
    chunks = pred.chunks[0]
    a = _aligned(treatment, "treatment", n, chunks)
    w = da.ones(n, chunks=(chunks,)) if weights is None else _aligned(weights, "weights", n, chunks)
    e = (
        da.full(n, 0.5, chunks=(chunks,))
        if propensity is None
        else _aligned(propensity, "propensity", n, chunks)
    )
    is_lcc = isinstance(debiaser, LinearCalibrationDebiaser)
    if not (is_lcc or isinstance(debiaser, TweedieDebiaser)):
        raise ValueError(
            "dask inputs support LinearCalibrationDebiaser and TweedieDebiaser (analytic inference) only; "
            f"got {type(debiaser).__name__}."
        )
    with_score = isinstance(debiaser, TweedieDebiaser) and debiaser.noise_scale is None
    n_cols = 3 if with_score else 2
    size = 10 * n_cols + 5
    tot = chunked_sum([pred, a, w, e], _block_stats, (size,), debiaser, method, with_score)
    n_out = int(tot[-1])
    tot = tot[:-1]
    bad = tot[-4:]
    for flag, msg in zip(
        bad,
        (
            "predictions contains NaN or infinity.",
            "treatment must be binary 0/1.",
            "weights must be finite and non-negative.",
            "propensity must lie strictly between 0 and 1.",
        ),
    ):
        if flag > 0:
            raise ValueError(msg)
    mom = tot[:-4].reshape(2, 5, n_cols)
    S, Sy, Q0, Q1, Q2 = (mom[:, j, :] for j in range(5))
    if np.any(S[:, 0] <= 0):
        raise ValueError("treatment must contain both treated (1) and control (0) units.")
    if n_out:
        lo, hi = debiaser.support_
        warnings.warn(
            f"{n_out} of {n} predictions lie outside the calibration support [{lo:.4g}, {hi:.4g}]; the "
            "correction extrapolates there.",
            ExtrapolationWarning,
            stacklevel=user_stacklevel(),
        )
    means = Sy / S  # (arm, col)
    contrast = means[1] - means[0]
    # HC1 variance of the WLS coefficient on a in y ~ [1, a]: per arm sum w^2 (y - mean)^2 / (sum w)^2
    ss = Q2 - 2 * means * Q1 + means**2 * Q0
    var = (ss[1] / S[1] ** 2 + ss[0] / S[0] ** 2) * n / (n - 2)
    est, naive = float(contrast[0]), float(contrast[1])
    var_naive = float(var[1])
    if is_lcc:
        k = debiaser.slope_
        v = float(np.hypot(np.sqrt(var_naive), naive * (debiaser.slope_stderr_ / k)) / k) ** 2
    else:
        v = float(var[0])
        if with_score:
            r = debiaser.calibration_targets_ - debiaser.calibration_predictions_
            var_s2 = float(np.var((r - r.mean()) ** 2)) / r.shape[0]
            v += float(contrast[2]) ** 2 * var_s2
    return est, naive, float(np.sqrt(v)), float(np.sqrt(var_naive)), int(n)


def _aligned(obj, name, n, chunks):
    arr = as_dask_array(obj, name, ndim=1)
    if arr.shape[0] != n:
        raise ValueError(
            f"Inconsistent numbers of samples: predictions has {n} rows but {name} has {arr.shape[0]}."
        )
    return arr.rechunk({0: chunks})
