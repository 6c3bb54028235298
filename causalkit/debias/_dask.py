"""Debiasing on ``dask.array`` inputs: corrected maps block by block, ATEs from chunk-wise sums.

A fitted debiaser is a function of one prediction at a time, so its ``transform`` maps over blocks (see
``_dask_transform`` in :mod:`._debiasers`). :class:`DebiasedATE` with ``inference="analytic"`` needs only
per-arm weighted sums of the outcomes and of their squares, reduced chunk by chunk; the calibration uncertainty
is added by the same delta-method formula as in memory (:func:`._variance.corrected_stderr`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._base import user_stacklevel
from .._base._dask import _da, as_dask_array, chunked_sum
from ..exceptions import ExtrapolationWarning
from ._variance import corrected_stderr, needs_score_contrast, supports_analytic

__all__: list[str] = []


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
    if not supports_analytic(debiaser):
        raise ValueError(
            "dask inputs support LinearCalibrationDebiaser and TweedieDebiaser (analytic inference) only; "
            f"got {type(debiaser).__name__}."
        )
    with_score = needs_score_contrast(debiaser)
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
    stderr = corrected_stderr(
        debiaser,
        var_naive=var_naive,
        naive=naive,
        var_corrected=float(var[0]),
        score_contrast=float(contrast[2]) if with_score else None,
    )
    return est, naive, stderr, float(np.sqrt(var_naive)), int(n)


def _aligned(obj, name, n, chunks):
    arr = as_dask_array(obj, name, ndim=1)
    if arr.shape[0] != n:
        raise ValueError(
            f"Inconsistent numbers of samples: predictions has {n} rows but {name} has {arr.shape[0]}."
        )
    return arr.rechunk({0: chunks})
